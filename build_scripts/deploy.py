"""Deploy the built site to S3-compatible object storage (or any rclone remote): changed files
only, in an order that never shows a reader a half-updated site.

GitHub Pages stops at 1 GB; a registry ten times ours is several GB and ~500,000 files, which
belongs in a bucket behind a CDN. Every transfer is rclone's (https://rclone.org): this module
only decides the order of rclone's runs and reports what they did. It never uploads a byte
itself.

Why it is incremental: the build is reproducible (the same commit gives byte-identical files)
but writes new modification times every time, so files are compared by size and hash, never
by time. `rclone check` compares the site with the remote once (MD5: S3 returns it as the
ETag of a single-part upload; for a multipart upload, above `--s3-upload-cutoff`, 200 MiB by
default, the ETag is not an MD5 and rclone stores the MD5 in the object's
`X-Amz-Meta-Md5chksum` metadata instead, so objects uploaded by rclone keep comparing by hash;
objects uploaded multipart by other tools have no MD5 and are compared by size only, which
this module reports as a warning). Every copy runs with `--checksum` too.

Why it is ordered, the four phases (each waits for the one before; a failed phase stops the
deploy, and the next deploy compares again and carries on from where it stopped):

1. files new to the remote, of every type: nothing old links to them yet, so they can
   arrive in any order, and once they are there nothing a changed file links to is missing;
2. changed files that are not HTML pages: JSON, CSV, downloads, feeds, theme assets, the
   sitemaps and the search indexes. These belong here and not with the pages: they name
   pages, every page they may now name arrived in phase 1 and every page they stop naming
   stays until phase 4, so they never point at a missing page; and a changed page arriving
   in phase 3 then finds the data it loads already current;
3. changed HTML pages;
4. deletions (`rclone delete` of exactly the files the site no longer has), last: until then
   an old page still finds every old file it links to.

Content-Type is set by rclone from the extension (Go's table and the system's
/etc/mime.types; .html is text/html; charset=utf-8). Cache-Control: the theme's
content-hashed assets (`assets/.../name.<8 hex>.min.js|css[.map]`: a new version has a new
name) may be cached for a year; everything else changes with the data and is cached for ten
minutes, so a page and its JSON twin never disagree for longer than that. Headers are set on
upload only: a file that does not change keeps the headers it was uploaded with.

What the order cannot cover: a CDN serves a page it cached before the deploy for up to its
max-age (ten minutes) after phase 4, and a file only that old page links to (a retired
record's twin, the theme's previous bundle if the edge dropped it) is then missing for that
long. One deploy at a time (the workflow's concurrency group): two interleaved deploys would
each delete what the other just uploaded.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable, Iterable, Sequence

from build_scripts.paths import Layout

EXIT_OK, EXIT_USAGE, EXIT_DEPLOY = 0, 2, 4

# The theme's assets whose names carry a hash of their content (mkdocs-material writes
# assets/javascripts/bundle.a5f9d56c.min.js, assets/stylesheets/main.57a0d79d.min.css,
# their source maps and the search worker), in the default language's folder and in every
# other language's (ar/assets/...). Our own assets (registry.css, explorer.js, plotly, lunr's
# language files) have stable names and are cached like the data.
HASHED_ASSET = re.compile(r"(?:^|/)assets/(?:javascripts|stylesheets)/(?:[^/]+/)*"
                          r"[^/]+\.[0-9a-f]{8}\.min\.(?:js|css)(?:\.map)?$")
CACHE_SHORT = "public, max-age=600"
CACHE_IMMUTABLE = "public, max-age=31536000, immutable"
# A copy of at most this many files asks the remote about each file (--no-traverse: one
# request per file) instead of listing the whole remote again (one request per 1,000 objects
# on S3): for the usual data change, a few dozen files of half a million, that is seconds
# instead of minutes.
NO_TRAVERSE_UP_TO = 10_000

PHASES = {
    "new": "1 new files",
    "changed": "2 changed files, not HTML",
    "changed-html": "3 changed HTML pages",
    "delete": "4 deletions",
}
INSTALL_HINT = ("install rclone (Debian or Ubuntu: sudo apt-get install rclone; `make browser` does it when run as "
                "root; elsewhere see https://rclone.org/install/) or give its path with --rclone")


class DeployFailed(Exception):
    """rclone is missing, the site is not there, or a phase failed: the message says which and
    quotes rclone; `report` holds what had been done before (later phases did not run)."""

    def __init__(self, message: str, report: "DeployReport | None" = None) -> None:
        super().__init__(message)
        self.report = report


@dataclass(frozen=True)
class Plan:
    """What `rclone check` found: site-relative paths, sorted."""

    new: tuple[str, ...]        # in the site, not on the remote
    changed: tuple[str, ...]    # on both, size or hash differ
    removed: tuple[str, ...]    # on the remote only
    unchanged: int
    size_only: int = 0          # files rclone could compare by size only (no hash on the remote)


@dataclass(frozen=True)
class Event:
    """One file rclone reported: copied or deleted (or, in a dry run, skipped that would be)."""

    phase: str
    action: str  # "copy" or "delete"
    path: str
    time: datetime | None  # rclone's own timestamp of the log line


@dataclass
class PhaseResult:
    phase: str
    planned: tuple[str, ...]
    commands: list[list[str]] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    bytes: int = 0

    @property
    def title(self) -> str:
        return PHASES[self.phase]

    @property
    def files(self) -> list[str]:
        """The files rclone transferred (or deleted) in this phase, in the order it reported them."""
        return [event.path for event in self.events]


@dataclass
class DeployReport:
    site: Path
    remote: str
    dry_run: bool
    site_files: int
    plan: Plan | None = None
    check_command: list[str] = field(default_factory=list)
    phases: list[PhaseResult] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def phase(self, name: str) -> PhaseResult | None:
        return next((p for p in self.phases if p.phase == name), None)

    def _count(self, name: str) -> int:
        found = self.phase(name)
        return len(found.events) if found else 0

    @property
    def uploaded_new(self) -> int:
        return self._count("new")

    @property
    def uploaded_changed(self) -> int:
        return self._count("changed") + self._count("changed-html")

    @property
    def deleted(self) -> int:
        return self._count("delete")

    @property
    def unchanged(self) -> int:
        return self.site_files - self.uploaded_new - self.uploaded_changed

    @property
    def bytes_uploaded(self) -> int:
        return sum(p.bytes for p in self.phases if p.phase != "delete")

    @property
    def events(self) -> list[Event]:
        return [event for phase in self.phases for event in phase.events]

    def summary(self) -> str:
        would = "would be " if self.dry_run else ""
        rows = [("files in the site", self.site_files), (f"{would}uploaded, new", self.uploaded_new),
                (f"{would}uploaded, changed", self.uploaded_changed), (f"{would}deleted", self.deleted),
                ("unchanged", self.unchanged), (f"bytes {would}uploaded", self.bytes_uploaded)]
        dry = " (dry run: nothing was changed)" if self.dry_run else ""
        lines = [f"deploy of {self.site} to {self.remote}{dry}"]
        lines += [f"  {label:<28}{value:>14,}" for label, value in rows]
        lines[-1] += f" ({_human(self.bytes_uploaded)})"
        for phase in self.phases:
            size = "" if phase.phase == "delete" else f", {_human(phase.bytes)}"
            lines.append(f"  phase {phase.title}: {len(phase.events):,} file(s){size}")
        lines += [f"  warning: {w}" for w in self.warnings]
        return "\n".join(lines)


def _human(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


def is_html(path: str) -> bool:
    return path.endswith((".html", ".htm"))


def cache_control(path: str) -> str:
    return CACHE_IMMUTABLE if HASHED_ASSET.search(path) else CACHE_SHORT


def site_files(site: Path) -> list[str]:
    """Every file of the site, relative with '/', sorted (what rclone will see: symbolic links
    are skipped by rclone, so they are not counted either)."""
    files = []
    for folder, _, names in os.walk(site):
        for name in names:
            path = Path(folder, name)
            if path.is_file() and not path.is_symlink():
                files.append(path.relative_to(site).as_posix())
    return sorted(files)


# --- rclone's log ------------------------------------------------------------------------

_PLAIN_PREFIX = re.compile(r"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d\s+")
_TIME = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$")


def _time(text: object) -> datetime | None:
    """rclone's RFC 3339 timestamps have up to nine decimals; Python reads six."""
    match = _TIME.match(text) if isinstance(text, str) else None
    if not match:
        return None
    fraction = (match[2] or "0")[:6].ljust(6, "0")
    zone = "+00:00" if match[3] == "Z" else match[3]
    return datetime.fromisoformat(f"{match[1]}.{fraction}{zone}")


@dataclass
class _Run:
    """What one rclone command printed: the files it reported, its errors and warnings, its
    plain lines (rclone's fatal messages are not JSON even with --use-json-log)."""

    returncode: int = 0
    copied: list[tuple[str, datetime | None]] = field(default_factory=list)
    deleted: list[tuple[str, datetime | None]] = field(default_factory=list)
    errors: list[tuple[str | None, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    plain: list[str] = field(default_factory=list)

    def messages(self, ignore: set[str] = frozenset()) -> list[str]:
        found = [f"{obj}: {msg}" if obj else msg for obj, msg in self.errors if obj not in ignore]
        return found + [line for line in self.plain if line]


def _parse_line(line: str, run: _Run, on_stats: Callable[[dict], None]) -> None:
    """One line of rclone's --use-json-log output. rclone 1.60 prints, at -v:
    {"level":"info","msg":"Copied (new)" or "Copied (replaced existing)","object":path,...},
    {"level":"info","msg":"Deleted","object":path,...}; with --dry-run
    {"level":"warning","msg":"Skipped copy as --dry-run is set (size 9)","skipped":"copy"|"delete",
    "object":path,"size":9,...}; the stats (every --stats interval and at the end) as
    {"level":"info","msg":"\\nTransferred: ...","stats":{"bytes":..,"transfers":..,"errors":..}};
    errors as {"level":"error","msg":...,"object":path}."""
    line = line.rstrip("\n")
    try:
        entry = json.loads(line)
    except ValueError:
        entry = None
    if not isinstance(entry, dict):
        run.plain.append(_PLAIN_PREFIX.sub("", line).strip())
        return
    message, obj, level = str(entry.get("msg", "")), entry.get("object"), entry.get("level")
    when = _time(entry.get("time"))
    if isinstance(entry.get("stats"), dict):
        on_stats(entry["stats"])
    elif obj and (message.startswith("Copied") or entry.get("skipped") == "copy"):
        run.copied.append((str(obj), when))
    elif obj and (message == "Deleted" or entry.get("skipped") == "delete"):
        run.deleted.append((str(obj), when))
    elif level in ("error", "critical", "fatal"):
        run.errors.append((str(obj) if obj else None, message))
    elif level == "warning" and not (message.startswith("Config file") and "not found" in message):
        run.warnings.append(f"{obj}: {message}" if obj else message)


def _run_rclone(command: list[str], progress: Callable[[str], None], label: str) -> _Run:
    """Run rclone, reading its log as it comes (a long upload reports its stats as it goes)."""
    run = _Run()

    def on_stats(stats: dict) -> None:
        total = stats.get("totalTransfers") or 0
        if total:
            progress(f"  {label}: {stats.get('transfers', 0):,}/{total:,} files, "
                     f"{_human(int(stats.get('bytes') or 0))} of {_human(int(stats.get('totalBytes') or 0))}")

    try:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   text=True, encoding="utf-8", errors="replace")
    except OSError as exc:
        raise DeployFailed(f"could not run {command[0]}: {exc}; {INSTALL_HINT}") from exc
    assert process.stdout is not None
    with process:
        for line in process.stdout:
            _parse_line(line, run, on_stats)
    run.returncode = process.returncode
    return run


# --- the comparison ----------------------------------------------------------------------

_CHECK_DIFFERENCES = re.compile(r"last error was: (\d+) differences found")
_SIZE_ONLY = re.compile(r"(\d+) hashes could not be checked")


def _plan(rclone: str, site: Path, remote: str, extra_args: Sequence[str], work: Path,
          progress: Callable[[str], None]) -> tuple[Plan, list[str]]:
    """`rclone check --combined`: one comparison of the whole site with the remote, by size
    and hash (MD5 on S3). It exits 1 when there are differences, which is the normal case
    here; it failed only if it says something other than "N differences found" or could not
    read a file ('!' lines)."""
    combined = work / "combined.txt"
    command = [rclone, "check", str(site), remote, "--combined", str(combined), "--use-json-log", *extra_args]
    progress(f"comparing {site} with {remote} (size and hash)")
    run = _run_rclone(command, progress, "check")
    entries = combined.read_text(encoding="utf-8").splitlines() if combined.is_file() else []
    kinds: dict[str, list[str]] = {"=": [], "+": [], "-": [], "*": [], "!": []}
    for entry in entries:
        if len(entry) > 2 and entry[0] in kinds and entry[1] == " ":
            kinds[entry[0]].append(entry[2:])
    differences = kinds["+"] + kinds["-"] + kinds["*"]
    reported = [int(m[1]) for line in run.plain if (m := _CHECK_DIFFERENCES.search(line))]
    others = [line for line in run.plain if line and not _CHECK_DIFFERENCES.search(line)]
    explained = set(differences)
    ok = run.returncode == 0 or (run.returncode == 1 and combined.is_file() and not kinds["!"] and not others
                                 and reported == [len(differences)]
                                 and all(obj in explained for obj, _ in run.errors))
    if not ok:
        messages = [f"{path}: could not be compared" for path in kinds["!"]] + run.messages(ignore=explained)
        raise DeployFailed(f"rclone check failed (exit {run.returncode}): "
                           + "; ".join(messages[-5:] or ["no message"]))
    size_only = sum(int(m[1]) for w in run.warnings if (m := _SIZE_ONLY.search(w)))
    plan = Plan(tuple(sorted(kinds["+"])), tuple(sorted(kinds["*"])), tuple(sorted(kinds["-"])), len(kinds["="]),
                size_only)
    return plan, command


# --- the phases --------------------------------------------------------------------------

def _steps(plan: Plan) -> list[tuple[str, str, list[str], str | None]]:
    """(phase, action, files, Cache-Control) in the order they run. Within phase 1 the
    non-HTML files go first (the hashed assets, then the rest) and the new pages last, which
    costs nothing and keeps the rule "what a page needs is there before the page" even there.
    Files are grouped by Cache-Control because rclone sets one set of headers per run."""
    steps: list[tuple[str, str, list[str], str | None]] = []
    groups = (("new", [p for p in plan.new if not is_html(p)]), ("new", [p for p in plan.new if is_html(p)]),
              ("changed", [p for p in plan.changed if not is_html(p)]),
              ("changed-html", [p for p in plan.changed if is_html(p)]))
    for phase, files in groups:
        for header in (CACHE_IMMUTABLE, CACHE_SHORT):
            chosen = [p for p in files if cache_control(p) == header]
            if chosen:
                steps.append((phase, "copy", chosen, header))
    if plan.removed:
        steps.append(("delete", "delete", list(plan.removed), None))
    return steps


def _command(rclone: str, action: str, site: Path, remote: str, listing: Path, count: int, header: str | None,
             dry_run: bool, extra_args: Sequence[str]) -> list[str]:
    common = ["--files-from-raw", str(listing), "-v", "--use-json-log", "--stats", "30s"]
    if count <= NO_TRAVERSE_UP_TO:
        common.append("--no-traverse")
    if dry_run:
        common.append("--dry-run")
    if action == "delete":
        # --no-traverse is a copy option; rclone delete lists the remote (restricted to the listed files).
        return [rclone, "delete", remote, *[a for a in common if a != "--no-traverse"], *extra_args]
    return [rclone, "copy", str(site), remote, "--checksum", "--header-upload", f"Cache-Control: {header}",
            *common, *extra_args]


def deploy(site: Path, remote: str, *, dry_run: bool = False, rclone: str = "rclone",
           extra_args: Iterable[str] = (), progress: Callable[[str], None] = print) -> DeployReport:
    """Make `remote` (an rclone remote path, e.g. `registry:my-bucket/ji-cdm`, or a local
    folder) hold exactly the files of `site`, uploading only what changed, in the four phases
    of the module's docstring. dry_run: compare, and let rclone say what each phase would
    copy and delete (its --dry-run), changing nothing. extra_args go to every rclone command
    (e.g. --fast-list, --transfers=16). Raises DeployFailed (with the partial report) when
    rclone is missing, the site is empty, or a phase fails; later phases then do not run."""
    extra_args = list(extra_args)
    executable = shutil.which(rclone)
    if executable is None:
        raise DeployFailed(f"rclone not found ({rclone!r}): {INSTALL_HINT}")
    site = Path(site).resolve()
    if not (site / "index.html").is_file():
        # An empty or missing folder would make every file of the remote "removed".
        raise DeployFailed(f"{site} holds no index.html: build the site first (make site); nothing was deployed")
    files = site_files(site)
    report = DeployReport(site, remote, dry_run, len(files))
    with tempfile.TemporaryDirectory(prefix="registry-deploy-") as temporary:
        work = Path(temporary)
        plan, report.check_command = _plan(executable, site, remote, extra_args, work, progress)
        report.plan = plan
        if plan.size_only:
            report.warnings.append(f"{plan.size_only} file(s) on the remote have no MD5 (multipart uploads by another "
                                   "tool?) and were compared by size only: a change that keeps the size is missed")
        if len(plan.new) + len(plan.changed) + plan.unchanged != len(files):
            report.warnings.append(f"rclone compared {len(plan.new) + len(plan.changed) + plan.unchanged:,} files of "
                                   f"the site's {len(files):,} (symbolic links or unreadable files?)")
        progress(f"{len(plan.new):,} new, {len(plan.changed):,} changed, {len(plan.removed):,} to delete, "
                 f"{plan.unchanged:,} unchanged")
        for number, (phase, action, chosen, header) in enumerate(_steps(plan)):
            result = report.phase(phase)
            if result is None:
                planned = {"new": plan.new, "changed": tuple(p for p in plan.changed if not is_html(p)),
                           "changed-html": tuple(p for p in plan.changed if is_html(p)), "delete": plan.removed}[phase]
                result = PhaseResult(phase, planned)
                report.phases.append(result)
                progress(f"phase {result.title}: {len(planned):,} file(s)" + (" (dry run)" if dry_run else ""))
            listing = work / f"step-{number}.txt"
            listing.write_text("".join(f"{path}\n" for path in chosen), encoding="utf-8")
            command = _command(executable, action, site, remote, listing, len(chosen), header, dry_run, extra_args)
            result.commands.append(command)
            run = _run_rclone(command, progress, result.title)
            reported = run.copied if action == "copy" else run.deleted
            result.events += [Event(phase, action, path, when) for path, when in reported]
            if action == "copy":
                result.bytes += sum((site / path).stat().st_size for path, _ in reported if (site / path).is_file())
            report.warnings += [f"phase {result.title}: {w}" for w in run.warnings]
            if run.returncode != 0:
                messages = run.messages()
                raise DeployFailed(f"phase {result.title} failed (rclone exit {run.returncode}): "
                                   + "; ".join(messages[-5:] or ["no message"])
                                   + "; the later phases were not run: deploy again to carry on", report)
            # rclone retries a failed run (--retries, 3 by default): errors followed by exit 0 were retried away.
            report.warnings += [f"phase {result.title}: retried after: {m}" for m in run.messages()]
            missing = set(chosen) - {path for path, _ in reported}
            if missing:
                report.warnings.append(f"phase {result.title}: {len(missing)} planned file(s) were not "
                                       f"{'copied' if action == 'copy' else 'deleted'} (already up to date?), "
                                       f"e.g. {sorted(missing)[0]}")
    return report


# --- command line ------------------------------------------------------------------------

def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The `deploy` subcommand's arguments (python -m build_scripts deploy REMOTE ...)."""
    parser.add_argument("remote", metavar="REMOTE",
                        help="rclone remote path, e.g. registry:my-bucket/ji-cdm (set up with `rclone config` or "
                             "RCLONE_CONFIG_REGISTRY_* environment variables); a local folder works too")
    parser.add_argument("--site", type=Path, default=None, help="the built site (default: site/ of the repository)")
    parser.add_argument("--dry-run", action="store_true",
                        help="compare and show what each phase would upload and delete; change nothing")
    parser.add_argument("--rclone", default=os.environ.get("RCLONE", "rclone"),
                        help="the rclone executable (default: $RCLONE or rclone on PATH)")
    parser.add_argument("--transfers", type=int, default=16, help="files uploaded at once (rclone --transfers)")
    parser.add_argument("--checkers", type=int, default=16, help="files compared at once (rclone --checkers)")
    parser.add_argument("--fast-list", action="store_true",
                        help="list the bucket with one request per 1,000 objects (rclone --fast-list: fewer, cheaper "
                             "requests, about 1 KB of memory per object)")
    parser.add_argument("--rclone-arg", action="append", default=[], metavar="ARG",
                        help="one more rclone flag for every command, with '=': --rclone-arg=--s3-upload-cutoff=1G "
                             "(repeatable)")


def run(args: argparse.Namespace, layout: Layout) -> int:
    """Run the deploy the arguments describe: 0 when done, 2 when the arguments are wrong,
    4 when rclone is missing or a phase failed (its message printed; later phases not run)."""
    quiet = getattr(args, "quiet", False)

    def progress(message: str) -> None:
        if not quiet:
            print(message, file=sys.stderr, flush=True)

    if args.transfers < 1 or args.checkers < 1:
        print("ERROR --transfers and --checkers must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    extra = [f"--transfers={args.transfers}", f"--checkers={args.checkers}",
             *(["--fast-list"] if args.fast_list else []), *args.rclone_arg]
    site = args.site if args.site is not None else layout.site
    try:
        report = deploy(site, args.remote, dry_run=args.dry_run, rclone=args.rclone, extra_args=extra,
                        progress=progress)
    except DeployFailed as failure:
        if failure.report is not None:
            print(failure.report.summary(), file=sys.stderr)
        print(f"ERROR {failure}", file=sys.stderr)
        return EXIT_DEPLOY
    print(report.summary())
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    """`python -m build_scripts.deploy REMOTE` (what `make deploy` runs)."""
    parser = argparse.ArgumentParser(prog="python -m build_scripts.deploy",
                                     description="Upload the built site to object storage with rclone: changed files "
                                                 "only, new files first, changed pages after their files, "
                                                 "deletions last.")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    add_arguments(parser)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return EXIT_USAGE if exit_.code else EXIT_OK
    return run(args, Layout())


if __name__ == "__main__":
    sys.exit(main())
