"""The site's budget: how large a built site may be where it is published, checked by the build.

A static host refuses a site over its limits, and it does so at deployment, after a build
of several minutes, with a message that names no folder. The build therefore measures the
finished site (build/site.next) before it replaces site/ (site.py, run_mkdocs), and
refuses one over its host's limits with SiteOverBudget, listing every exceeded limit and
the largest folders, so that site/ keeps the last good site and a maintainer sees at once
what to cut. `python -m build_scripts check-site` prints the same figures for any folder.

Configuration (environment):

REGISTRY_HOST             where the site is published: one of HOSTS (default github-pages).
REGISTRY_SITE_MAX_BYTES   a project budget for the site's total size in bytes, e.g. 450_000_000
                          to keep room to grow (digits, underscores allowed).
REGISTRY_SITE_MAX_FILES   a project budget for the number of files (on hosts that count
                          folders as entries, GitLab Pages, of files and folders).

A project budget can only tighten a host's limit: one at or above it is reported and the
host's limit applies. A site at or above 80% of a limit passes with a warning.

Not checked, because no file shows it: GitHub Pages' deployment timeout (10 minutes) and
the hosts' bandwidth and request limits.
"""

from __future__ import annotations

import heapq
import logging
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping

logger = logging.getLogger(__name__)

Progress = Callable[[str], None]

DEFAULT_HOST = "github-pages"
HOST_VARIABLE = "REGISTRY_HOST"
MAX_BYTES_VARIABLE = "REGISTRY_SITE_MAX_BYTES"
MAX_FILES_VARIABLE = "REGISTRY_SITE_MAX_FILES"
# A figure at or above this share of its limit is a warning: time to cut before the host refuses.
WARN_AT = 0.8
# The largest folders listed in a report and in SiteOverBudget's message, and the
# subfolders shown under each of them.
TOP_FOLDERS = 8
TOP_SUBFOLDERS = 3
# How many of the largest files a measure keeps (a per-file limit names every one over it).
LARGEST_FILES = 10

GB = 1_000_000_000
MIB = 1024 * 1024


@dataclass(frozen=True)
class Host:
    """A place the site can be published and the limits it sets (None: no limit)."""
    name: str
    title: str
    max_bytes: int | None = None       # the whole site, sum of file sizes
    max_files: int | None = None       # files (and folders, when counts_folders)
    max_file_bytes: int | None = None  # any one file
    counts_folders: bool = False       # the file limit counts folders as entries too
    labels: Mapping[str, str] = field(default_factory=dict)  # how the host states a limit, e.g. "25 MiB"

    @property
    def possessive(self) -> str:
        return f"{self.title}'" if self.title.endswith("s") else f"{self.title}'s"


HOSTS: dict[str, Host] = {host.name: host for host in (
    # https://docs.github.com/en/pages/getting-started-with-github-pages/github-pages-limits
    # "Published GitHub Pages sites may be no larger than 1 GB." Read as 10^9 bytes, the lower
    # of the two readings (actions/deploy-pages warns above 1 GiB of artifact). The same page:
    # "deployments will timeout if they take longer than 10 minutes": not checkable here.
    # No limit on the number of files is documented.
    Host("github-pages", "GitHub Pages", max_bytes=GB, labels={"bytes": "1 GB"}),
    # https://docs.gitlab.com/user/gitlab_com/#gitlab-pages (GitLab.com settings): "Maximum
    # size of Pages artifacts: 1 GB" (uncompressed, 10^9 bytes read as above) and "Maximum
    # number of files per GitLab Pages website: 200,000", which counts every entry, folders
    # and symbolic links included (https://gitlab.com/gitlab-org/gitlab/-/issues/500273).
    Host("gitlab-pages", "GitLab Pages", max_bytes=GB, max_files=200_000, counts_folders=True,
         labels={"bytes": "1 GB", "files": "200,000 files and folders"}),
    # https://developers.cloudflare.com/pages/platform/limits/ : "Files: Pages sites can
    # contain up to 20,000 files" on the Free plan, and "File size: The maximum file size for
    # a single Cloudflare Pages site asset is 25 MiB". No limit on the total size.
    Host("cloudflare-pages", "Cloudflare Pages", max_files=20_000, max_file_bytes=25 * MIB,
         labels={"files": "20,000 files", "file_bytes": "25 MiB"}),
    # The same page and https://developers.cloudflare.com/changelog/ (2026-01-23): paid plans
    # up to 100,000 files per site (with PAGES_WRANGLER_MAJOR_VERSION=4); 25 MiB per file.
    Host("cloudflare-pages-paid", "Cloudflare Pages paid plans", max_files=100_000, max_file_bytes=25 * MIB,
         labels={"files": "100,000 files", "file_bytes": "25 MiB"}),
    # S3-compatible object storage behind a CDN: no limit a site of this kind comes near
    # (S3: 5 TB per object, no limit on objects per bucket); project budgets still apply.
    Host("object-storage", "object storage"),
)}


class BudgetError(ValueError):
    """The budget is configured wrongly: an unknown host or a budget that is not a number."""


class SiteOverBudget(Exception):
    """The built site is over a limit of its host or of the project's budget; the message
    lists every exceeded limit and the largest folders. site/ is not replaced."""

    def __init__(self, report: BudgetReport) -> None:
        self.report = report
        lines = [f"the site at {report.measure.site} is over its budget for {report.host.title} "
                 f"(host {report.host.name}):"]
        lines += [f"  - {error}" for error in report.errors]
        lines += ["largest folders (bytes, files, share of the site):", *folder_table(report.measure)]
        lines.append(f"Cut the largest folders, or publish elsewhere: {HOST_VARIABLE}="
                     f"{'|'.join(sorted(HOSTS))} (see build_scripts/budget.py).")
        super().__init__("\n".join(lines))

    def __reduce__(self):  # so that it crosses a process boundary (a pool) whole
        return (SiteOverBudget, (self.report,))


@dataclass(frozen=True)
class Limit:
    """One limit the site is checked against: of the host, or a project budget (variable set)."""
    kind: str           # "bytes" (whole site), "files" (file count), "file_bytes" (any one file)
    maximum: int
    label: str          # as stated, e.g. "1 GB", "20,000 files", "25 MiB"
    owner: str          # whose limit, e.g. "GitHub Pages' limit" or "the project budget REGISTRY_SITE_MAX_FILES"
    variable: str | None = None


@dataclass(frozen=True)
class Budget:
    """The host and the limits that apply: the host's, tightened by project budgets.
    notes: project budgets that could not tighten anything (at or above the host's limit)."""
    host: Host
    limits: tuple[Limit, ...]
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class FolderSize:
    path: str   # "zh" (first level), "zh/cdm" (second level), "." (the files at the top)
    bytes: int
    files: int


@dataclass(frozen=True)
class SiteMeasure:
    """What a site holds. folders: the first-level folders, "." for the files directly in
    the site, and the second-level folders inside each first-level one ("zh/cdm"); a folder
    counts every file below it. largest_files: the largest files, largest first, as
    (path relative to the site, size)."""
    site: Path
    bytes: int
    files: int
    folders_count: int
    largest_files: tuple[tuple[str, int], ...]
    folders: Mapping[str, FolderSize]
    symlinks: tuple[str, ...] = ()

    @property
    def largest(self) -> tuple[str, int] | None:
        return self.largest_files[0] if self.largest_files else None

    def top_folders(self) -> list[FolderSize]:
        """First-level folders (and "."), largest first."""
        return sorted((f for f in self.folders.values() if "/" not in f.path), key=lambda f: (-f.bytes, f.path))

    def subfolders(self, top: str) -> list[FolderSize]:
        prefix = top + "/"
        return sorted((f for f in self.folders.values() if f.path.startswith(prefix)), key=lambda f: (-f.bytes, f.path))


@dataclass(frozen=True)
class BudgetReport:
    """The measure checked against a budget: errors (over a limit) and warnings (at or above
    80% of one, or a project budget that has no effect), each a plain sentence."""
    measure: SiteMeasure
    budget: Budget
    errors: tuple[str, ...]
    warnings: tuple[str, ...]

    @property
    def host(self) -> Host:
        return self.budget.host

    @property
    def ok(self) -> bool:
        return not self.errors


# --- configuration --------------------------------------------------------------------------

def resolve_host(host: str | Host | None = None, environ: Mapping[str, str] | None = None) -> Host:
    """The host named (or REGISTRY_HOST, or github-pages); an unknown name is a BudgetError
    listing the known ones."""
    if isinstance(host, Host):
        return host
    env = os.environ if environ is None else environ
    name = host if host is not None else (env.get(HOST_VARIABLE) or "").strip() or DEFAULT_HOST
    if name not in HOSTS:
        where = "--host" if host is not None else HOST_VARIABLE
        raise BudgetError(f"{where}={name!r} is not a known host; known hosts: {', '.join(sorted(HOSTS))}")
    return HOSTS[name]


_NUMBER = re.compile(r"[0-9]+(?:_[0-9]+)*")


def _number(variable: str, value: str) -> int:
    """A positive whole number, underscores allowed between digits (450_000_000). Only ASCII
    digits: int() would also take '+5', ' 5 ' or Arabic-Indic digits."""
    text = value.strip()
    if not _NUMBER.fullmatch(text):
        raise BudgetError(f"{variable}={value!r} is not a whole number (digits, underscores allowed, e.g. 450_000_000)")
    number = int(text)
    if number < 1:
        raise BudgetError(f"{variable}={value!r}: a budget must be at least 1")
    return number


def configure(host: str | Host | None = None, environ: Mapping[str, str] | None = None) -> Budget:
    """The limits that apply to a site for this host: the host's own, each tightened by its
    project budget (REGISTRY_SITE_MAX_BYTES, REGISTRY_SITE_MAX_FILES) when that is lower.
    A wrong setting is a BudgetError, so a build can refuse it before it starts."""
    env = os.environ if environ is None else environ
    chosen = resolve_host(host, env)
    limits: list[Limit] = []
    notes: list[str] = []
    for kind, variable in (("bytes", MAX_BYTES_VARIABLE), ("files", MAX_FILES_VARIABLE), ("file_bytes", None)):
        maximum = getattr(chosen, f"max_{kind}")
        own = (Limit(kind, maximum, chosen.labels.get(kind) or _label(kind, maximum), f"{chosen.possessive} limit")
               if maximum is not None else None)
        raw = env.get(variable, "").strip() if variable else ""
        project = _number(variable, raw) if variable and raw else None
        if project is not None and (maximum is None or project < maximum):
            limits.append(Limit(kind, project, _label(kind, project), f"the project budget {variable}", variable))
            continue
        if project is not None:
            notes.append(f"{variable}={project:,} is not below {chosen.possessive} limit of {own.label}: "
                         f"a project budget can only tighten a host's limit, so the host's applies "
                         f"(host {chosen.name})")
        if own is not None:
            limits.append(own)
    return Budget(chosen, tuple(limits), tuple(notes))


# --- measuring ------------------------------------------------------------------------------

def measure(site: Path) -> SiteMeasure:
    """Total bytes (the sum of file sizes, as the hosts count them), files, folders, the
    largest files and the bytes and files of every first- and second-level folder, in one
    walk with os.scandir: one lstat per file and one dictionary update per folder, so half
    a million files take seconds.

    Symbolic links are not followed: each is counted as a file of its own size (the length
    of its target's name) and listed in `symlinks`, as check() warns: hosts treat them
    differently (actions/upload-pages-artifact copies the target into the site, GitLab counts
    the link as an entry), and the build writes none."""
    root = os.fspath(site)
    if not os.path.isdir(root):
        raise NotADirectoryError(f"{site} is not a folder: there is no site to measure")
    folders: dict[str, list[int]] = {}
    total_bytes = total_files = folders_count = 0
    heap: list[tuple[int, str]] = []  # the largest files: (size, path), smallest first
    floor = -1  # a file larger than this enters the heap
    symlinks: list[str] = []
    # (folder, its path relative to the site with a trailing "/", first-level key, second-level key)
    stack: list[tuple[str, str, str, str | None]] = [(root, "", ".", None)]
    while stack:
        path, relative, top, second = stack.pop()
        here_bytes = here_files = 0
        with os.scandir(path) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    folders_count += 1
                    name = entry.name
                    if relative == "":
                        stack.append((entry.path, name + "/", name, None))
                    else:
                        stack.append((entry.path, relative + name + "/", top, second or f"{top}/{name}"))
                    continue
                size = entry.stat(follow_symlinks=False).st_size
                here_files += 1
                here_bytes += size
                if size > floor:
                    item = (size, relative + entry.name)
                    if len(heap) < LARGEST_FILES:
                        heapq.heappush(heap, item)
                        floor = heap[0][0] if len(heap) == LARGEST_FILES else -1
                    else:
                        heapq.heappushpop(heap, item)
                        floor = heap[0][0]
                if entry.is_symlink():
                    symlinks.append(relative + entry.name)
        total_bytes += here_bytes
        total_files += here_files
        for key in (top, second):
            if key is None:
                continue
            counts = folders.get(key)
            if counts is None:
                folders[key] = [here_bytes, here_files]
            else:
                counts[0] += here_bytes
                counts[1] += here_files
    largest = tuple(sorted(((p, s) for s, p in heap), key=lambda item: (-item[1], item[0])))
    return SiteMeasure(site=Path(site), bytes=total_bytes, files=total_files, folders_count=folders_count,
                       largest_files=largest, symlinks=tuple(sorted(symlinks)),
                       folders={key: FolderSize(key, b, f) for key, (b, f) in folders.items() if f or key != "."})


# --- checking -------------------------------------------------------------------------------

def _files(count: int) -> str:
    return f"{count:,} file" + ("" if count == 1 else "s")


def _label(kind: str, value: int) -> str:
    return f"{value:,} files" if kind == "files" else human_bytes(value)


def _figure(kind: str, value: int) -> str:
    if kind == "files":
        return f"{value:,} files"
    return f"{human_bytes(value)} ({value:,} bytes)"


def human_bytes(size: int) -> str:
    """Decimal units, as the hosts state their limits (1 GB = 10^9 bytes)."""
    if size < 1000:
        return f"{size} B"
    for unit, scale in (("kB", 1e3), ("MB", 1e6)):
        if size < scale * 1000:
            return f"{size / scale:.1f} {unit}"
    return f"{size / 1e9:.2f} GB"


def _percent(value: int, maximum: int) -> str:
    """Of a limit, rounded away from it: 100% is exactly the limit, never just over or under."""
    ratio = 100 * value / maximum
    return f"{math.ceil(ratio) if value > maximum else math.floor(ratio)}%"


def _count(measure: SiteMeasure, host: Host) -> tuple[int, str]:
    if host.counts_folders:
        return measure.files + measure.folders_count, "file and folder count"
    return measure.files, "file count"


def check(measure: SiteMeasure, host: str | Host | Budget | None = None,
          environ: Mapping[str, str] | None = None) -> BudgetReport:
    """The measure against the host's limits and the project budgets (configure()): an
    error for every figure over its limit, a warning for every one at or above 80% of it.
    Each message names the figure, the limit, the percentage and the host."""
    budget = host if isinstance(host, Budget) else configure(host, environ)
    chosen = budget.host
    errors: list[str] = []
    warnings: list[str] = []
    for limit in budget.limits:
        stated = limit.label if limit.kind == "files" else f"{limit.label} ({limit.maximum:,} bytes)"
        if limit.kind == "file_bytes":
            over = [(path, size) for path, size in measure.largest_files if size > limit.maximum]
            if over:
                more = " (and perhaps more: only the largest are listed)" if len(over) == len(measure.largest_files) \
                    and len(over) == LARGEST_FILES else ""
                listed = "; ".join(f"{path} {human_bytes(size)} ({size:,} bytes, {_percent(size, limit.maximum)})"
                                   for path, size in over)
                errors.append(f"{len(over)} file(s) over {limit.owner} of {stated} per file{more}: {listed} "
                              f"(host {chosen.name})")
            elif measure.largest and measure.largest[1] >= WARN_AT * limit.maximum:
                path, size = measure.largest
                warnings.append(f"largest file {path} {human_bytes(size)} ({size:,} bytes) is "
                                f"{_percent(size, limit.maximum)} of {limit.owner} of {stated} per file "
                                f"(host {chosen.name})")
            continue
        if limit.kind == "bytes":
            value, subject, shown = measure.bytes, "site size", _figure("bytes", measure.bytes)
        else:
            value, subject = _count(measure, chosen)
            shown = f"{value:,}"
        if value > limit.maximum:
            errors.append(f"{subject} {shown} is over {limit.owner} of {stated}: "
                          f"{_percent(value, limit.maximum)} (host {chosen.name})")
        elif value >= WARN_AT * limit.maximum:
            left = limit.maximum - value
            room = human_bytes(left) if limit.kind == "bytes" else f"{left:,} files"
            warnings.append(f"{subject} {shown} is {_percent(value, limit.maximum)} of {limit.owner} of {stated}, "
                            f"{room} left (host {chosen.name})")
    warnings += budget.notes
    if measure.symlinks:
        warnings.append(f"{len(measure.symlinks)} symbolic link(s) counted at their own size, e.g. "
                        f"{measure.symlinks[0]}; hosts may publish their targets instead (host {chosen.name})")
    return BudgetReport(measure, budget, tuple(errors), tuple(warnings))


def headline(report: BudgetReport) -> str:
    """One line: size, files, the limit nearest to being reached, the largest file."""
    m = report.measure
    line = f"site: {human_bytes(m.bytes)} in {_files(m.files)}"
    ratios = []
    for limit in report.budget.limits:
        if limit.kind == "bytes":
            ratios.append((m.bytes / limit.maximum, m.bytes, limit))
        elif limit.kind == "files":
            value = _count(m, report.host)[0]
            ratios.append((value / limit.maximum, value, limit))
        elif m.largest:
            ratios.append((m.largest[1] / limit.maximum, m.largest[1], limit))
    if ratios:
        _, value, limit = max(ratios, key=lambda r: r[0])
        owner = limit.owner.removesuffix(" limit") if not limit.variable else f"the budget {limit.variable}"
        line += f", {_percent(value, limit.maximum)} of {owner} {limit.label}" + \
            (" per file" if limit.kind == "file_bytes" else "")
    else:
        line += f" ({report.host.title}: no limits)"
    if m.largest:
        line += f"; largest file {human_bytes(m.largest[1])} ({m.largest[0]})"
    return line


def enforce(site: Path, host: str | None = None, progress: Progress = lambda message: None,
            environ: Mapping[str, str] | None = None) -> BudgetReport:
    """Measure the site, check it, say so in one line of progress and log the warnings;
    raise SiteOverBudget when it is over a limit (the caller then keeps the last good site).
    host: a name of HOSTS (default: REGISTRY_HOST, else github-pages)."""
    budget = configure(host, environ)
    report = check(measure(site), budget)
    progress(headline(report))
    for warning in report.warnings:
        logger.warning(warning)
    if report.errors:
        raise SiteOverBudget(report)
    return report


# --- reports --------------------------------------------------------------------------------

def _share(part: int, whole: int) -> str:
    if not whole:
        return "0%"
    ratio = 100 * part / whole
    return "<1%" if 0 < ratio < 0.5 else f"{ratio:.0f}%"


def _folder_rows(measure: SiteMeasure, top: int, children: int) -> list[tuple[str, FolderSize]]:
    rows: list[tuple[str, FolderSize]] = []
    for folder in measure.top_folders()[:top]:
        rows.append(("(top-level files)" if folder.path == "." else folder.path + "/", folder))
        if folder.path != ".":
            rows += [(f"  {sub.path}/", sub) for sub in measure.subfolders(folder.path)[:children]]
    return rows


def folder_table(measure: SiteMeasure, top: int = TOP_FOLDERS, children: int = TOP_SUBFOLDERS) -> list[str]:
    """The largest first-level folders, each with its largest subfolders, as aligned lines:
    "  zh/  312.0 MB (18%)  11,571 files (15%)"."""
    rows = _folder_rows(measure, top, children)
    if not rows:
        return ["  (no files)"]
    width = max(len(name) for name, _ in rows)
    size_width = max(len(human_bytes(f.bytes)) for _, f in rows)
    files = [_files(f.files) for _, f in rows]
    files_width = max(len(text) for text in files)
    return [f"  {name:<{width}}  {human_bytes(f.bytes):>{size_width}} ({_share(f.bytes, measure.bytes):>3})  "
            f"{count:>{files_width}} ({_share(f.files, measure.files):>3})" for (name, f), count in zip(rows, files)]


def _limit_rows(report: BudgetReport) -> list[tuple[str, str, str, str, str]]:
    """(what, figure, limit, share of it, whose) for every limit that applies."""
    m = report.measure
    rows = []
    for limit in report.budget.limits:
        if limit.kind == "bytes":
            what, value, shown = "site size", m.bytes, human_bytes(m.bytes)
        elif limit.kind == "files":
            value, what = _count(m, report.host)
            shown = f"{value:,}"
        else:
            value = m.largest[1] if m.largest else 0
            what, shown = "largest file", human_bytes(value)
        rows.append((what, shown, limit.label, _percent(value, limit.maximum), limit.owner))
    return rows


def format_report(report: BudgetReport) -> str:
    """The measurement, the limits with their use, the largest folders, then the errors and
    warnings: what `check-site` prints."""
    m = report.measure
    lines = [f"Site {m.site}: {human_bytes(m.bytes)} ({m.bytes:,} bytes) in {_files(m.files)} and "
             f"{m.folders_count:,} folders"]
    if m.largest:
        lines.append(f"Largest file: {m.largest[0]}, {human_bytes(m.largest[1])} ({m.largest[1]:,} bytes)")
    lines.append(f"Host: {report.host.name} ({report.host.title})")
    rows = _limit_rows(report)
    if rows:
        width = max(len(r[0]) for r in rows)
        figure_width = max(len(r[1]) for r in rows)
        label_width = max(len(r[2]) for r in rows)
        lines += [f"  {what:<{width}}  {shown:>{figure_width}} of {label:<{label_width}}  {share:>5}  ({owner})"
                  for what, shown, label, share, owner in rows]
    else:
        lines.append("  no limits")
    lines.append("Largest folders (bytes, files, share of the site):")
    lines += folder_table(m)
    lines += [f"ERROR {error}" for error in report.errors]
    lines += [f"WARNING {warning}" for warning in report.warnings]
    if report.errors:
        lines.append(f"Over budget: {len(report.errors)} limit(s) exceeded for {report.host.title}.")
    else:
        lines.append(f"Within {report.host.possessive} limits" + (" and the project budget" if any(
            limit.variable for limit in report.budget.limits) else "") + f" ({len(report.warnings)} warning(s)).")
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("`", "'").replace("<", "&lt;").replace(">", "&gt;")


def format_markdown(report: BudgetReport) -> str:
    """A Markdown report for a CI job summary ($GITHUB_STEP_SUMMARY)."""
    m = report.measure
    verdict = "over budget" if report.errors else "within budget"
    lines = [f"## Site size: {verdict} for {_cell(report.host.title)}", "",
             f"{human_bytes(m.bytes)} ({m.bytes:,} bytes) in {_files(m.files)} and {m.folders_count:,} folders"
             + (f"; largest file `{_cell(m.largest[0])}`, {human_bytes(m.largest[1])}" if m.largest else "") + ".", ""]
    rows = _limit_rows(report)
    if rows:
        lines += ["| | figure | limit | used | whose |", "|---|---:|---:|---:|---|"]
        lines += [f"| {what} | {shown} | {_cell(label)} | {share} | {_cell(owner)} |"
                  for what, shown, label, share, owner in rows]
        lines.append("")
    lines += ["| folder | bytes | share | files | share |", "|---|---:|---:|---:|---:|"]
    for name, folder in _folder_rows(m, TOP_FOLDERS, TOP_SUBFOLDERS):
        lines.append(f"| `{_cell(name.strip())}` | {human_bytes(folder.bytes)} | {_share(folder.bytes, m.bytes)} | "
                     f"{folder.files:,} | {_share(folder.files, m.files)} |")
    lines.append("")
    lines += [f"- **Error**: {_cell(error)}" for error in report.errors]
    lines += [f"- Warning: {_cell(warning)}" for warning in report.warnings]
    return "\n".join(lines) + "\n"


def report_json(report: BudgetReport) -> dict:
    """The report as plain data (check-site --json)."""
    m = report.measure
    return {
        "site": str(m.site),
        "host": report.host.name,
        "ok": report.ok,
        "bytes": m.bytes,
        "files": m.files,
        "folders_count": m.folders_count,
        "largest_files": [{"path": path, "bytes": size} for path, size in m.largest_files],
        "limits": [{"kind": limit.kind, "maximum": limit.maximum, "label": limit.label, "owner": limit.owner,
                    "variable": limit.variable} for limit in report.budget.limits],
        "folders": [{"path": f.path, "bytes": f.bytes, "files": f.files}
                    for f in sorted(m.folders.values(), key=lambda f: (-f.bytes, f.path))],
        "errors": list(report.errors),
        "warnings": list(report.warnings),
    }
