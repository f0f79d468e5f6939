"""The whole build: validate -> load -> derive/render Markdown -> mkdocs -> swap in.

Everything is read and validated before anything is written, the Markdown is generated
into a fresh staging folder, and mkdocs builds into build/site.next. Only a complete,
warning-free build replaces site/, so a failed build never destroys the last good site.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from build_scripts.downloads import write_package_downloads
from build_scripts import i18n, mkdocs_build, search
from build_scripts.mkdocs_build import data_date
from build_scripts.errors import ValidationFailed
from build_scripts.paths import Layout
from build_scripts.publishing import Publishing, PublishingError, data_epoch, publishing
from build_scripts.importers import IMPORTED_PACKAGES
from build_scripts.render import api
from build_scripts.render.cdm_pages import cdm_pages, cdm_summary
from build_scripts.render.charts import ChartDoesNotAddUp
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


# Fewer languages while working (REGISTRY_LANGUAGES=en,zh make site); the tests build English
# unless a test asks for more. Published builds leave it unset: every enabled language.
LANGUAGES_VARIABLE = "REGISTRY_LANGUAGES"


def languages_of(layout: Layout, languages: list[str] | None = None) -> list[str]:
    """The languages to build: the given ones, else every enabled language (the first is the
    default, at the site's root)."""
    try:
        enabled = i18n.enabled_languages(layout.locales)
    except i18n.LanguageError as exc:
        raise BuildFailed(str(exc)) from exc
    if languages is None and os.environ.get(LANGUAGES_VARIABLE):
        languages = [code.strip() for code in os.environ[LANGUAGES_VARIABLE].split(",") if code.strip()]
    if languages is None:
        return enabled
    unknown = [code for code in languages if code not in enabled]
    if unknown or not languages or languages[0] != enabled[0]:
        raise BuildFailed(f"languages {languages}: each must be enabled in {layout.locales / 'languages.yml'} "
                          f"({', '.join(enabled)}), the default ({enabled[0]}) first")
    return list(languages)


def generate_docs(layout: Layout, reports: list[ValidationReport], progress: Progress = lambda _: None,
                  settings: Publishing | None = None, stage: Stage = _no_stage, downloads: bool = True,
                  reuse: Reuse | None = None, languages: list[str] | None = None,
                  ready: Callable[[str], None] = lambda language: None) -> int:
    """Write the Markdown sources of the site into build/docs (via a staging folder), and
    those of every other language into build/docs-<language>.
    downloads=False skips the download files (make bench at 100x measures the pages only).
    reuse (make serve): write into build/docs in place, leaving alone the files of packages
    unchanged since the build that filled reuse; returns the number of pages written.
    ready(language): called once a language's docs are complete (build_site starts its
    mkdocs build then, while the next language is rendered)."""
    languages = languages_of(layout, languages)
    with i18n.use(i18n.Translator(languages[0])):
        written, listing = _generate_default(layout, reports, progress, settings, stage, downloads, reuse)
    ready(languages[0])
    for language in languages[1:]:
        try:
            translator = i18n.translator(language, layout.locales)
        except i18n.LanguageError as exc:
            raise BuildFailed(str(exc)) from exc
        with i18n.use(translator):
            written += _generate_language(layout, reports, progress, settings, stage, language, listing)
        ready(language)
    return written


def _generate_language(layout: Layout, reports: list[ValidationReport], progress: Progress,
                       settings: Publishing | None, stage: Stage, language: str, listing: list[dict]) -> int:
    """One more language's pages: the same pages as the default language's, from the same
    data, with the language's messages and formats. Downloads, record JSON, feeds and assets
    are not repeated: the language's site links to the default language's copy."""
    packages = [r.loaded for r in reports if r.loaded is not None]
    by_name = {r.package: r for r in reports}
    settings = settings or _publishing(layout)
    names = {p.name for p in packages}
    releases = [r for r in api.read_changelog(layout.changelog) if r.package in names]
    staging = layout.build / f"docs-{language}.next"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    handwritten_pages(layout, language, staging)
    with stage(f"page contexts ({language})"):
        pages, _ = _pages(packages, reports, by_name, listing, releases, settings)
    progress(f"rendering {len(pages)} pages and records ({language})")
    with stage(f"Markdown rendering ({language})"):
        written = render_pages(pages, layout.templates, staging, IMPORTED_PACKAGES, markdown_only=True)
    _replace(staging, layout.docs_for(language))
    return written


# The notice on a hand-written page not yet translated (in the page's language), above the
# English text.
PENDING = i18n.N_("This page has not been translated yet. The English text follows; the [English page](%(url)s) is the reference.")


def handwritten_pages(layout: Layout, language: str, docs: Path) -> None:
    """The hand-written pages (site_src/docs/*.md) in a language: its translation from
    site_src/locales/<language>/docs/ where there is one, else the English page under a
    notice, in the language, that the translation is pending."""
    from build_scripts.render.environment import relative_root
    translated = layout.locales / language / "docs"
    for source in sorted(layout.docs_src.rglob("*.md")):
        relative = source.relative_to(layout.docs_src)
        target = docs / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if (translated / relative).exists():
            meta, body = _split_front_matter((translated / relative).read_text(encoding="utf-8"))
            edit = (translated / relative).relative_to(layout.root).as_posix()
            target.write_text(f"---\n{meta}edit_path: {json.dumps(edit)}\n---\n{body}", encoding="utf-8")
            continue
        text = source.read_text(encoding="utf-8")
        meta, body = _split_front_matter(text)
        english = relative_root(relative.as_posix()) + "../" + _page_url(relative.as_posix())
        notice = i18n.current().gettext(PENDING) % {"url": english}
        edit = source.relative_to(layout.root).as_posix()
        target.write_text(f"---\n{meta}edit_path: {json.dumps(edit)}\ntranslation_pending: true\n---\n\n!!! note \"\"\n    {notice}\n\n"
                          f'<div lang="en" dir="ltr" markdown>\n\n{body.strip()}\n\n</div>\n', encoding="utf-8")


def _split_front_matter(text: str) -> tuple[str, str]:
    if text.startswith("---\n"):
        end = text.find("\n---\n", 4)
        if end > 0:
            return text[4:end + 1], text[end + 5:]
    return "", text


def _page_url(path: str) -> str:
    """docs path -> directory URL: 'about.md' -> 'about/', 'cdm/index.md' -> 'cdm/'."""
    stem = path[:-3]
    if stem == "index" or stem.endswith("/index"):
        return stem[:-5]
    return stem + "/"


def _generate_default(layout: Layout, reports: list[ValidationReport], progress: Progress,
                      settings: Publishing | None, stage: Stage, downloads: bool,
                      reuse: Reuse | None) -> tuple[int, list[dict]]:
    packages = [r.loaded for r in reports if r.loaded is not None]
    by_name = {r.package: r for r in reports}
    settings = settings or _publishing(layout)
    names = {p.name for p in packages}
    releases = [r for r in api.read_changelog(layout.changelog) if r.package in names]
    try:
        api.check_changelog(releases, packages, layout.changelog.name, layout.mkdocs_yml)
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
    return written, listing


def _pages(packages, reports, by_name, downloads, releases, settings: Publishing,
           skip: set[str] = frozenset(), collections: dict[str, list] | None = None) -> tuple[list[Page], dict[str, list]]:
    """Every page, except the record pages and indexes of the packages in skip (their files
    are already written: make serve), whose collections are then taken from collections."""
    pages = common_pages(packages, reports, downloads, releases, settings.site_url)
    collections = dict(collections or {})
    by_package = {p.name: p for p in packages}
    if "cdm" in by_package and "cdm" not in skip:
        cdm, collections["cdm"] = cdm_pages(by_package["cdm"], by_name["cdm"], settings.site_url)
        pages += cdm
    if "ji" in by_package:
        summary = cdm_summary(by_package["cdm"]) if "cdm" in by_package else None
        pages += ji_pages(by_package["ji"], by_name["ji"], summary)
    listed = [c for p in packages for c in collections.get(p.name, [])]
    feeds = [{"title": i18n._("Data releases"), "path": "api/feeds/releases.xml"}]
    feeds += [{"title": i18n._("%(package)s: latest issuances", package=p.name.upper()), "path": f"api/feeds/{p.name}-issuances.xml"}
              for p in packages if p.name == "cdm"]
    pages.append(Page("api.md", "api.md.j2", {"collections": listed, "feeds": feeds, "packages": packages},
                      files={"api/index.json": api.index_document(packages, listed, downloads, feeds),
                             "api/feeds/releases.xml": api.releases_feed(releases, settings.site_url),
                             "api/feeds/sitemap.xml": api.EMPTY_SITEMAP}))
    return pages, collections


def run_mkdocs(layout: Layout, strict: bool = True, progress: Progress = lambda _: None,
               settings: Publishing | None = None, epoch: int | None = None, stage: Stage = _no_stage,
               workers: int | None = None, languages: list[str] | None = None) -> None:
    """Every language's site from its generated docs, as build_site builds it (without
    rendering anything first): see _Site."""
    site = _Site(layout, strict, progress, settings or _publishing(layout), epoch, workers, languages_of(layout, languages))
    with data_date(epoch), stage("mkdocs"):
        for language in site.languages:
            site.start(language)
        site.finish()


class _Site:
    """The mkdocs step of a build: every language's site built by stock mkdocs
    (mkdocs_build.py: one `mkdocs build -f build/mkdocs/<language>.yml` per language, as many at
    once as there are cores, each started as soon as its docs are written), the default
    language into build/site.next, each other one beside it, then moved into /<language>/;
    checked against the host's limits (budget.py) and swapped into site/. epoch: the date
    mkdocs may write (sitemap), unless SOURCE_DATE_EPOCH is set."""

    def __init__(self, layout: Layout, strict: bool, progress: Progress, settings: Publishing, epoch: int | None,
                 workers: int | None, languages: list[str]) -> None:
        self.layout, self.progress, self.settings, self.epoch, self.languages = layout, progress, settings, epoch, languages
        self.enabled = _enabled(layout)
        self.target = layout.build / "site.next"
        for stale in layout.build.glob("site.next*"):
            shutil.rmtree(stale)
        self.workers = workers or mkdocs_build.workers_available()
        self.runner = mkdocs_build.Runner(strict, self.workers, cwd=layout.root)
        self.builds: list[mkdocs_build.Build] = []
        progress("building the site with mkdocs" + (" (strict)" if strict else "") + f": {', '.join(languages)}, "
                 f"each as soon as its pages are written, on up to {self.workers} process(es)")

    def start(self, language: str) -> None:
        site_dir = self.target if language == self.languages[0] else self.layout.build / f"site.next.{language}"
        try:
            config = mkdocs_build.write_config(self.layout, self.settings, language, self.languages, site_dir,
                                               self.enabled, epoch=self.epoch)
        except (mkdocs_build.MkdocsFailed, i18n.LanguageError) as exc:
            self.runner.abandon()
            raise BuildFailed(str(exc)) from exc
        build = mkdocs_build.Build(language, config, site_dir)
        self.builds.append(build)
        self.runner.submit(build)

    def finish(self) -> None:
        from build_scripts import budget

        try:
            builds = self.runner.finish()
        except mkdocs_build.MkdocsFailed as exc:
            raise BuildFailed(str(exc)) from exc
        for build in builds:
            for warning in build.warnings:
                logging.getLogger("mkdocs").warning("%s (%s)", warning, build.language)
        for build in builds[1:]:
            build.site_dir.rename(self.target / build.language)
        # The search index of every language's pages and of the records (search.py).
        try:
            search.index_site(self.target, self.languages, self.layout.build / "search", self.layout.locales,
                              progress=self.progress)
        except search.SearchIndexFailed as exc:
            raise BuildFailed(str(exc)) from exc
        # Within the host's limits (budget.py), or site/ keeps the last good site.
        budget.enforce(self.target, progress=self.progress)
        _replace(self.target, self.layout.site)


def _enabled(layout: Layout) -> list[str]:
    try:
        return i18n.enabled_languages(layout.locales)
    except i18n.LanguageError as exc:
        raise BuildFailed(str(exc)) from exc


def build_site(layout: Layout, strict: bool = True, progress: Progress = lambda _: None,
               settings: Publishing | None = None, languages: list[str] | None = None,
               workers: int | None = None, stage: Stage = _no_stage) -> BuildResult:
    """settings: where the site and its repository are published; read from the environment
    (build_scripts/publishing.py) unless given. workers: processes for the mkdocs builds
    (default: one per core, up to four). stage: make bench's measure of each stage.
    Each language's mkdocs build starts as soon as its pages are written, while the next
    language's are rendered."""
    timings: dict[str, float] = {}
    start = time.perf_counter()
    with stage("validate"):
        reports = validate_all(layout, progress)
    timings["validate"] = time.perf_counter() - start
    failed = [p for r in reports for p in r.errors]
    if failed:
        raise ValidationFailed([p for r in reports for p in r.problems], reports)
    settings = settings or _publishing(layout)
    start = time.perf_counter()
    languages = languages_of(layout, languages)
    epoch = data_epoch([r.loaded.descriptor["as_of"] for r in reports if r.loaded is not None and r.loaded.descriptor.get("as_of")])
    site = _Site(layout, strict, progress, settings, epoch, workers, languages)
    with data_date(epoch):
        try:
            pages = generate_docs(layout, reports, progress, settings, stage=stage, languages=languages, ready=site.start)
        except ChartDoesNotAddUp as exc:  # a chart that leaves out or doubles a row: named, site/ kept
            site.runner.abandon()
            raise BuildFailed(str(exc)) from exc
        except BaseException:
            site.runner.abandon()
            raise
        timings["render"] = time.perf_counter() - start
        start = time.perf_counter()
        with stage("mkdocs (after the last language's pages)"):
            site.finish()
    timings["mkdocs"] = time.perf_counter() - start
    return BuildResult(reports, pages, timings)


def _publishing(layout: Layout) -> Publishing:
    """The publishing settings from the environment; a bad one stops the build, named."""
    try:
        return publishing(layout.root)
    except PublishingError as exc:
        raise BuildFailed(f"publishing setting refused: {exc}") from exc


def _replace(new: Path, current: Path) -> None:
    """Put a finished folder in place of the current one, keeping the old until the end.
    The old one is then moved into the trash (build/.trash) and deleted in the background:
    deleting the 69,000 files of a six-language site whose metadata is no longer cached
    took five and a half minutes of an eleven-minute build on this disk, and nothing needs
    to wait for it."""
    previous = current.with_name(current.name + ".previous")
    if previous.exists():
        _discard(previous, new.parent / TRASH)
    if current.exists():
        current.rename(previous)
    new.rename(current)
    if previous.exists():
        _discard(previous, new.parent / TRASH)


# Where replaced folders wait to be deleted (inside build/, git-ignored).
TRASH = ".trash"
_DELETE = "import shutil, sys\nfor path in sys.argv[1:]: shutil.rmtree(path, ignore_errors=True)"


def _discard(folder: Path, trash: Path) -> None:
    """Move folder into trash and delete the trash's contents in a process of its own, which
    outlives the build (also any left there by a deletion that was interrupted). Where the
    move or the process fails, the folder is deleted here."""
    import subprocess
    import sys
    import uuid
    try:
        trash.mkdir(parents=True, exist_ok=True)
        folder.rename(trash / f"{folder.name}-{uuid.uuid4().hex[:12]}")
        subprocess.Popen([sys.executable, "-c", _DELETE, *map(str, trash.iterdir())], start_new_session=True,
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except OSError:
        shutil.rmtree(folder, ignore_errors=True)


class _WarningCounter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1
