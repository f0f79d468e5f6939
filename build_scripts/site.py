"""The whole build: validate -> load -> derive/render Markdown -> mkdocs -> swap in.

Everything is read and validated before anything is written, the Markdown is generated
into a fresh staging folder, and mkdocs builds into build/site.next. Only a complete,
warning-free build replaces site/, so a failed build never destroys the last good site.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import time
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from build_scripts.downloads import write_package_downloads
from build_scripts import mkdocs_parallel
from build_scripts.errors import ValidationFailed
from build_scripts.paths import Layout
from build_scripts.publishing import Publishing, PublishingError, data_epoch, publishing
from build_scripts.importers import IMPORTED_PACKAGES
from build_scripts.render import api
from build_scripts.render.cdm_pages import cdm_pages, cdm_summary
from build_scripts.render.pages import Page, common_pages, ji_pages, render_pages
from build_scripts.validate import ValidationReport, validate_package

Progress = Callable[[str], None]
# A stage of the build, e.g. stage("downloads"): make bench passes one that measures it.
Stage = Callable[[str], AbstractContextManager]


def _no_stage(name: str) -> AbstractContextManager:
    return nullcontext()

# Third-party files kept unaltered in vendor/ (see vendor/README.md) -> their place in the site.
VENDORED = {
    "vendor/plotly/plotly-basic.min.js": "assets/javascripts/vendor/plotly-basic.min.js",
    "vendor/plotly/LICENSE.txt": "assets/javascripts/vendor/plotly-basic.LICENSE.txt",
}


class BuildFailed(Exception):
    """mkdocs could not build the site (or warned, in strict mode)."""


@dataclass
class BuildResult:
    reports: list[ValidationReport]
    pages: int
    seconds: dict[str, float] = field(default_factory=dict)


def validate_all(layout: Layout, progress: Progress = lambda _: None) -> list[ValidationReport]:
    reports = []
    for descriptor in layout.package_descriptors():
        progress(f"validating {descriptor.relative_to(layout.root)}")
        reports.append(validate_package(descriptor, layout.root))
    return reports


@dataclass
class Reuse:
    """What the previous build in the same process made (make serve's preview). A package is
    re-validated, hence a new object, only when one of its files changed; its downloads and
    pages are made again only then. Everything else is written again (it takes a second)."""
    packages: dict[str, object] = field(default_factory=dict)  # name -> the DataPackage last built
    downloads: dict[str, dict] = field(default_factory=dict)
    collections: dict[str, list] = field(default_factory=dict)

    def unchanged(self, package) -> bool:
        return self.packages.get(package.name) is package


def generate_docs(layout: Layout, reports: list[ValidationReport], progress: Progress = lambda _: None,
                  settings: Publishing | None = None, stage: Stage = _no_stage, downloads: bool = True,
                  reuse: Reuse | None = None) -> int:
    """Write the Markdown sources of the site into build/docs (via a staging folder).
    downloads=False skips the download files (make bench at 100x measures the pages only).
    reuse (make serve): write into build/docs in place, leaving alone the files of packages
    unchanged since the build that filled reuse; returns the number of pages written."""
    packages = [r.loaded for r in reports if r.loaded is not None]
    by_name = {r.package: r for r in reports}
    settings = settings or _publishing(layout)
    names = {p.name for p in packages}
    releases = [r for r in api.read_changelog(layout.changelog) if r.package in names]
    try:
        api.check_changelog(releases, packages, layout.changelog.name)
    except api.ChangelogError as exc:
        raise BuildFailed(str(exc)) from exc
    incremental = reuse is not None and layout.docs_out.exists()
    staging = layout.docs_out if incremental else layout.build / "docs.next"
    if not incremental and staging.exists():
        shutil.rmtree(staging)
    shutil.copytree(layout.docs_src, staging, dirs_exist_ok=incremental)
    for source, target in VENDORED.items():
        (staging / target).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(layout.root / source, staging / target)
    same = {p.name for p in packages if incremental and reuse.unchanged(p)}
    progress("writing downloads")
    with stage("downloads"):
        listing = [reuse.downloads[p.name] if p.name in same else write_package_downloads(p, staging)
                   for p in packages] if downloads else []
    with stage("page contexts (derive, charts)"):
        pages, collections = _pages(packages, reports, by_name, listing, releases, settings,
                                    skip=same, collections=reuse.collections if incremental else {})
    progress(f"rendering {len(pages)} pages and records")
    with stage("Markdown rendering"):
        written = render_pages(pages, layout.templates, staging, IMPORTED_PACKAGES)
    if reuse is not None:
        reuse.packages = {p.name: p for p in packages}
        reuse.downloads = {entry["package"]: entry for entry in listing}
        reuse.collections = collections
    if not incremental:
        _replace(staging, layout.docs_out)
    return written


def _pages(packages, reports, by_name, downloads, releases, settings: Publishing,
           skip: set[str] = frozenset(), collections: dict[str, list] | None = None) -> tuple[list[Page], dict[str, list]]:
    """Every page, except the record pages and indexes of the packages in skip (their files
    are already written: make serve), whose collections are then taken from collections."""
    pages = common_pages(packages, reports, downloads, releases)
    collections = dict(collections or {})
    by_package = {p.name: p for p in packages}
    if "cdm" in by_package and "cdm" not in skip:
        cdm, collections["cdm"] = cdm_pages(by_package["cdm"], by_name["cdm"], settings.site_url)
        pages += cdm
    if "ji" in by_package:
        summary = cdm_summary(by_package["cdm"]) if "cdm" in by_package else None
        pages += ji_pages(by_package["ji"], by_name["ji"], summary)
    listed = [c for p in packages for c in collections.get(p.name, [])]
    feeds = [{"title": "Data releases", "path": "api/feeds/releases.xml"}]
    feeds += [{"title": f"{p.name.upper()}: latest issuances", "path": f"api/feeds/{p.name}-issuances.xml"}
              for p in packages if p.name == "cdm"]
    pages.append(Page("api.md", "api.md.j2", {"collections": listed, "feeds": feeds, "packages": packages},
                      files={"api/index.json": api.index_document(packages, listed, downloads, feeds),
                             "api/feeds/releases.xml": api.releases_feed(releases, settings.site_url)}))
    return pages, collections


def run_mkdocs(layout: Layout, strict: bool = True, progress: Progress = lambda _: None,
               settings: Publishing | None = None, epoch: int | None = None, stage: Stage = _no_stage,
               shards: int | None = None, workers: int | None = None) -> None:
    """mkdocs into build/site.next, then swapped in. settings: site and repository addresses
    (publishing.py); epoch: the date mkdocs may write (sitemap), unless SOURCE_DATE_EPOCH is set.
    Many record pages are built in shards on every core (mkdocs_parallel.py); shards and
    workers override the choice. Pages are squeezed (squeeze_html) as they are written."""

    settings = settings or _publishing(layout)
    target = layout.build / "site.next"
    for stale in [target, *layout.build.glob("site.next.shard-*")]:
        if stale.exists():
            shutil.rmtree(stale)
    records = _page_count(layout.docs_out)
    workers = mkdocs_parallel.workers_available() if workers is None else workers
    shards = mkdocs_parallel.shard_count(records, workers) if shards is None else shards
    progress("building the site with mkdocs" + (" (strict)" if strict else "")
             + (f" in {shards} shards on {min(workers, shards)} processes" if shards > 1 else ""))
    warnings = _WarningCounter()
    logging.getLogger("mkdocs").addHandler(warnings)
    try:
        arguments = mkdocs_arguments(layout, strict, settings)
        with data_date(epoch), stage("mkdocs"):
            results = mkdocs_parallel.build(arguments, target, shards, workers)
    finally:
        logging.getLogger("mkdocs").removeHandler(warnings)
    if len(results) > 1:  # the workers' warnings, counted and shown here
        for level, message in (w for r in results for w in r.warnings):
            logging.getLogger("mkdocs.shards").log(level, message)
            warnings.count += 1
    failures = [r.failure for r in results if r.failure]
    if failures:
        raise BuildFailed(f"mkdocs build failed: {failures[0]}")
    if strict and warnings.count:
        raise BuildFailed(f"mkdocs reported {warnings.count} warning(s) in strict mode")
    _replace(target, layout.site)


def mkdocs_arguments(layout: Layout, strict: bool, settings: Publishing) -> dict:
    """How every mkdocs build of the site is configured: mkdocs.yml, the generated docs, the
    published address, the nav without absent pages, the repository for the edit links."""
    from mkdocs.config import load_config
    from mkdocs.exceptions import ConfigurationError

    overrides = {"site_url": settings.site_url} if settings.site_url else {}
    arguments = {"config_file": str(layout.mkdocs_yml), "docs_dir": str(layout.docs_out), "strict": strict, **overrides}
    try:
        nav = load_config(**arguments)["nav"]
    except (ConfigurationError, OSError) as exc:
        raise BuildFailed(f"mkdocs build failed: {exc}") from exc
    # Not repo_url: the theme would then ask api.github.com for stars on every page view.
    arguments.update(nav=_present_nav(nav, layout.docs_out),
                     extra_repository={"url": settings.repo_url, "branch": settings.branch} if settings.repo_url else None)
    return arguments


@contextmanager
def data_date(epoch: int | None):
    """SOURCE_DATE_EPOCH (the one date mkdocs writes: sitemap) from the data, unless set."""
    saved = os.environ.get("SOURCE_DATE_EPOCH")
    if saved is None and epoch is not None:
        os.environ["SOURCE_DATE_EPOCH"] = str(epoch)
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)


def build_site(layout: Layout, strict: bool = True, progress: Progress = lambda _: None,
               settings: Publishing | None = None, shards: int | None = None) -> BuildResult:
    """settings: where the site and its repository are published; read from the environment
    (build_scripts/publishing.py) unless given. shards: how many mkdocs builds share the
    record pages (default: by page count and cores, see mkdocs_parallel.py)."""
    timings: dict[str, float] = {}
    start = time.perf_counter()
    reports = validate_all(layout, progress)
    timings["validate"] = time.perf_counter() - start
    failed = [p for r in reports for p in r.errors]
    if failed:
        raise ValidationFailed([p for r in reports for p in r.problems], reports)
    settings = settings or _publishing(layout)
    start = time.perf_counter()
    pages = generate_docs(layout, reports, progress, settings)
    timings["render"] = time.perf_counter() - start
    start = time.perf_counter()
    epoch = data_epoch([r.loaded.descriptor["as_of"] for r in reports if r.loaded is not None and r.loaded.descriptor.get("as_of")])
    run_mkdocs(layout, strict, progress, settings, epoch, shards=shards)
    timings["mkdocs"] = time.perf_counter() - start
    return BuildResult(reports, pages, timings)


_VERBATIM = re.compile(r"(<pre\b.*?</pre>|<textarea\b.*?</textarea>|<script\b.*?</script>)", re.S | re.I)
_INDENTED_LINES = re.compile(r"\n\s*")


def squeeze_html(html: str) -> str:
    """Drop the blank lines and indentation the theme's templates leave (a quarter of each
    page), outside <pre>, <textarea> and <script>; a run of whitespace stays whitespace, so
    the page renders the same."""
    parts = _VERBATIM.split(html)
    return "".join(part if index % 2 else _INDENTED_LINES.sub("\n", part) for index, part in enumerate(parts))


def _page_count(docs: Path) -> int:
    """How many pages the docs hold (nearly all of them record pages): decides the shards."""
    return sum(1 for _ in docs.rglob("*.md"))


def _publishing(layout: Layout) -> Publishing:
    """The publishing settings from the environment; a bad one stops the build, named."""
    try:
        return publishing(layout.root)
    except PublishingError as exc:
        raise BuildFailed(f"publishing setting refused: {exc}") from exc


def _present_nav(nav, docs: Path):
    """The nav without entries for pages that were not generated (a package that is absent,
    e.g. a JI-only registry); mkdocs --strict would otherwise refuse the missing files."""
    if nav is None:
        return None
    kept = []
    for entry in nav:
        if isinstance(entry, dict):
            (title, value), = entry.items()
            if isinstance(value, list):
                children = _present_nav(value, docs)
                if children:
                    kept.append({title: children})
            elif "://" in str(value) or (docs / str(value)).exists():
                kept.append(entry)
        elif "://" in str(entry) or (docs / str(entry)).exists():
            kept.append(entry)
    return kept


def _replace(new: Path, current: Path) -> None:
    """Put a finished folder in place of the current one, keeping the old until the end."""
    previous = current.with_name(current.name + ".previous")
    if previous.exists():
        shutil.rmtree(previous)
    if current.exists():
        current.rename(previous)
    new.rename(current)
    if previous.exists():
        shutil.rmtree(previous)


class _WarningCounter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1
