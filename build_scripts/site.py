"""The whole build: validate -> load -> derive/render Markdown -> mkdocs -> swap in.

Everything is read and validated before anything is written, the Markdown is generated
into a fresh staging folder, and mkdocs builds into build/site.next. Only a complete,
warning-free build replaces site/, so a failed build never destroys the last good site.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import time
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import yaml

from build_scripts.downloads import write_package_downloads
from build_scripts import i18n, mkdocs_parallel
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
                  reuse: Reuse | None = None, languages: list[str] | None = None) -> int:
    """Write the Markdown sources of the site into build/docs (via a staging folder), and
    those of every other language into build/docs-<language>.
    downloads=False skips the download files (make bench at 100x measures the pages only).
    reuse (make serve): write into build/docs in place, leaving alone the files of packages
    unchanged since the build that filled reuse; returns the number of pages written."""
    languages = languages_of(layout, languages)
    with i18n.use(i18n.Translator(languages[0])):
        written, listing = _generate_default(layout, reports, progress, settings, stage, downloads, reuse)
    for language in languages[1:]:
        try:
            translator = i18n.translator(language, layout.locales)
        except i18n.LanguageError as exc:
            raise BuildFailed(str(exc)) from exc
        with i18n.use(translator):
            written += _generate_language(layout, reports, progress, settings, stage, language, listing)
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
    feeds = [{"title": i18n._("Data releases"), "path": "api/feeds/releases.xml"}]
    feeds += [{"title": i18n._("%(package)s: latest issuances", package=p.name.upper()), "path": f"api/feeds/{p.name}-issuances.xml"}
              for p in packages if p.name == "cdm"]
    pages.append(Page("api.md", "api.md.j2", {"collections": listed, "feeds": feeds, "packages": packages},
                      files={"api/index.json": api.index_document(packages, listed, downloads, feeds),
                             "api/feeds/releases.xml": api.releases_feed(releases, settings.site_url)}))
    return pages, collections


def run_mkdocs(layout: Layout, strict: bool = True, progress: Progress = lambda _: None,
               settings: Publishing | None = None, epoch: int | None = None, stage: Stage = _no_stage,
               shards: int | None = None, workers: int | None = None, languages: list[str] | None = None) -> None:
    """mkdocs into build/site.next, then swapped in. settings: site and repository addresses
    (publishing.py); epoch: the date mkdocs may write (sitemap), unless SOURCE_DATE_EPOCH is set.
    Many record pages are built in shards on every core (mkdocs_parallel.py); shards and
    workers override the choice. Pages are squeezed (squeeze_html) as they are written.
    Every language is its own mkdocs build: the default language into the site's root, each
    other one into /<language>/ (built beside it, then moved in). The shards of every
    language share one pool of processes, so no core waits for the end of a language."""

    settings = settings or _publishing(layout)
    languages = languages_of(layout, languages)
    target = layout.build / "site.next"
    for stale in layout.build.glob("site.next*"):
        shutil.rmtree(stale)
    workers = mkdocs_parallel.workers_available() if workers is None else workers
    builds = []
    for language in languages:
        default = language == languages[0]
        records = _page_count(layout.docs_for(language))
        # shards (tests) sets the default language's; the others are built as they would be
        count = shards if shards is not None and default else mkdocs_parallel.shard_count(records, workers)
        builds.append((language, target if default else layout.build / f"site.next.{language}", count,
                       mkdocs_arguments(layout, strict, settings, language, languages)))
    # Sharded builds share one pool of processes (all languages at once); a small site is
    # built language by language in this process.
    sharded = [b for b in builds if b[2] > 1]
    outcome: dict[str, tuple[list, int]] = {}
    if sharded:
        names = [language for language, *_ in sharded]
        shard_total = sum(count for _, _, count, _ in sharded)
        progress("building the site with mkdocs" + (" (strict)" if strict else "")
                 + ("" if names == languages[:1] else f": {', '.join(names)}")
                 + f" in {shard_total} shards on {min(workers, shard_total)} processes")
        label = "mkdocs" if names == languages[:1] else f"mkdocs ({', '.join(names)})"
        with data_date(epoch), stage(label):
            done = mkdocs_parallel.build_many([(arguments, site_dir, count) for _, site_dir, count, arguments in sharded],
                                              workers)
        for (language, *_), results in zip(sharded, done):
            outcome[language] = (results, 0)
    for language, site_dir, count, arguments in builds:
        if language in outcome:
            continue
        default = language == languages[0]
        progress("building the site with mkdocs" + (" (strict)" if strict else "") + ("" if default else f", {language}"))
        warnings = _WarningCounter()
        logging.getLogger("mkdocs").addHandler(warnings)
        try:
            with data_date(epoch), stage("mkdocs" if default else f"mkdocs ({language})"):
                results = mkdocs_parallel.build(arguments, site_dir, count, workers)
        finally:
            logging.getLogger("mkdocs").removeHandler(warnings)
        outcome[language] = (results, warnings.count)
    for language, site_dir, count, arguments in builds:
        default = language == languages[0]
        results, counted = outcome[language]
        if len(results) > 1:  # the workers' warnings, counted and shown here
            for level, message in (w for r in results for w in r.warnings):
                logging.getLogger("mkdocs.shards").log(level, message)
                counted += 1
        failures = [r.failure for r in results if r.failure]
        if failures:
            raise BuildFailed(f"mkdocs build failed{'' if default else f' ({language})'}: {failures[0]}")
        if strict and counted:
            raise BuildFailed(f"mkdocs reported {counted} warning(s) in strict mode"
                              + ("" if default else f" ({language})"))
    for language, site_dir, *_ in builds[1:]:
        site_dir.rename(target / language)
    _replace(target, layout.site)


def mkdocs_arguments(layout: Layout, strict: bool, settings: Publishing, language: str | None = None,
                     languages: list[str] | None = None) -> dict:
    """How every mkdocs build of the site is configured: mkdocs.yml, the generated docs, the
    published address, the nav without absent pages, the repository for the edit links; for
    a language other than the default, its docs, address, theme language, translated nav and
    search settings, and the default language's docs, whose files (downloads, record JSON,
    assets) its pages link to (mkdocs_parallel.py)."""
    from mkdocs.config import load_config
    from mkdocs.exceptions import ConfigurationError

    languages = languages or languages_of(layout)
    language = language or languages[0]
    default = language == languages[0]
    docs = layout.docs_for(language, languages[0])
    site_url = settings.site_url + ("" if default else f"{language}/") if settings.site_url else None
    overrides = {"site_url": site_url} if site_url else {}
    arguments = {"config_file": str(layout.mkdocs_yml), "docs_dir": str(docs), "strict": strict, **overrides}
    try:
        config = load_config(**arguments)
        nav = config["nav"]
        raw = yaml.safe_load(layout.mkdocs_yml.read_text(encoding="utf-8"))
    except (ConfigurationError, OSError, yaml.YAMLError) as exc:
        raise BuildFailed(f"mkdocs build failed: {exc}") from exc
    # Not repo_url: the theme would then ask api.github.com for stars on every page view.
    arguments.update(nav=_present_nav(nav, docs),
                     extra_repository={"url": settings.repo_url, "branch": settings.branch} if settings.repo_url else None)
    # The switcher offers every enabled language, also when fewer are built (make serve,
    # --languages): a page's bytes do not depend on which other languages were built with it.
    try:
        enabled = i18n.enabled_languages(layout.locales)
    except i18n.LanguageError as exc:
        raise BuildFailed(str(exc)) from exc
    arguments["extra_language"] = language_extra(language, enabled, layout.locales)
    if not default:
        with i18n.use(i18n.translator(language, layout.locales)):
            arguments.update(_translated_settings(raw, arguments["nav"], language))
        arguments["shared_docs"] = str(layout.docs_out)
    return arguments


def language_extra(language: str, languages: list[str], locales: Path = i18n.DEFAULT_LOCALES) -> dict:
    """What the theme overrides need: the page's language, the languages to switch to (each
    with its own name and path prefix), and the overrides' own words in the language."""
    from babel import Locale
    from build_scripts.render.environment import theme_messages
    with i18n.use(i18n.Translator(language) if language == languages[0] else i18n.translator(language, locales)):
        words = theme_messages()
    return {
        "code": language,
        "prefix": "" if language == languages[0] else f"{language}/",
        "direction": Locale.parse(language).text_direction,
        "languages": [{"code": code, "name": Locale.parse(code).display_name,
                       "prefix": "" if code == languages[0] else f"{code}/"} for code in languages],
        "words": words,
    }


# The search separators of mkdocs.yml, plus those of Chinese text: material's search plugin
# splits Han text into words with jieba and joins them with zero-width spaces.
CHINESE_SEPARATORS = "\u200b\u3000、。，．？！；"


def _translated_settings(raw: dict, nav, language: str) -> dict:
    """A language's mkdocs settings: theme language (and with it the direction: Arabic is
    right-to-left), site name, description and copyright, nav titles, search separators."""
    translate = i18n.current().gettext
    theme = {**raw["theme"], "language": language}
    theme["palette"] = [{**scheme, "toggle": {**scheme["toggle"], "name": translate(scheme["toggle"]["name"])}}
                        if isinstance(scheme, dict) and "toggle" in scheme else scheme for scheme in raw["theme"].get("palette", [])]
    settings = {"theme": theme, "nav": _translate_nav(nav, translate)}
    for key in ("site_name", "site_description", "copyright"):
        if raw.get(key):
            settings[key] = translate(" ".join(str(raw[key]).split()))
    plugins = []
    for plugin in raw.get("plugins", []):
        if isinstance(plugin, dict) and "search" in plugin:
            options = dict(plugin["search"] or {})
            if language == "zh" and options.get("separator", "").startswith("[\\s"):
                options["separator"] = options["separator"].replace("[\\s", "[\\s" + CHINESE_SEPARATORS, 1)
            plugins.append({"search": options})
        else:
            plugins.append(plugin)
    settings["plugins"] = plugins
    return settings


def _translate_nav(nav, translate):
    if nav is None:
        return None
    translated = []
    for entry in nav:
        if isinstance(entry, dict):
            (title, value), = entry.items()
            translated.append({translate(title): _translate_nav(value, translate) if isinstance(value, list) else value})
        else:
            translated.append(entry)
    return translated


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
               settings: Publishing | None = None, shards: int | None = None,
               languages: list[str] | None = None) -> BuildResult:
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
    languages = languages_of(layout, languages)
    pages = generate_docs(layout, reports, progress, settings, languages=languages)
    timings["render"] = time.perf_counter() - start
    start = time.perf_counter()
    epoch = data_epoch([r.loaded.descriptor["as_of"] for r in reports if r.loaded is not None and r.loaded.descriptor.get("as_of")])
    run_mkdocs(layout, strict, progress, settings, epoch, shards=shards, languages=languages)
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
