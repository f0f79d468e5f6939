"""mkdocs on every core: the record pages split into shards, each built by its own process.

mkdocs renders pages one after another on one core. Record pages (the `not_in_nav` ones:
one per project, host party, DOE) depend on nothing but their own Markdown and the shared
nav, so they can be built anywhere. Each shard is a full mkdocs build of the same docs
folder with the same configuration, in which

- every page keeps its place in the file list, the nav and the sitemap (nothing is
  excluded, so links, the nav and sitemap.xml come out exactly as in one build);
- only the shard's record pages, and the nav pages (in every shard: the nav needs their
  titles), are read and rendered; the nav pages, the theme's static templates and the
  static files are written by shard 0 only;
- each page is squeezed (site.squeeze_html) as it is written.

The shards are merged into shard 0's folder: record pages moved in, search indexes joined
in the order one build would have written them. A test proves the merged site identical,
file by file, to the one-process build. Shards run in fresh processes (spawn): a worker
inherits none of the build's data, and each shard's memory is returned when it ends.

This reaches into mkdocs' build loop (mkdocs.commands.build._populate_page/_build_page),
pinned at mkdocs 1.6.1 in requirements/build.txt; the identity test guards an upgrade.
"""

from __future__ import annotations

import html
import json
import logging
import multiprocessing
import os
import posixpath
import re
import shutil
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Record pages per shard: bounds each worker's memory (mkdocs keeps every page it renders
# until the end of its build: ~25 KB a page) and the per-shard start-up (~2 s).
SHARD_PAGES = 6000
# Below this many pages, one build in this process (spawning would cost more).
PARALLEL_FROM_PAGES = 3000
MAX_WORKERS = 4


@dataclass
class Shard:
    index: int
    count: int
    site_dir: str
    config: dict[str, Any]  # arguments of mkdocs.config.load_config, plus "nav" and "extra_repository"
    only: list[str] | None = None  # build just these pages (src URIs), no static files: make serve


@dataclass
class ShardResult:
    index: int
    pages: list[str] = field(default_factory=list)  # URL of each page built, in build order
    dests: list[str] = field(default_factory=list)  # its file, relative to site_dir
    all_pages: list[str] = field(default_factory=list)  # URL of every page, in mkdocs' order
    warnings: list[tuple[int, str]] = field(default_factory=list)
    failure: str | None = None


def shard_count(pages: int, workers: int) -> int:
    if workers < 2 or pages < PARALLEL_FROM_PAGES:
        return 1
    return max(workers, -(-pages // SHARD_PAGES))


def workers_available() -> int:
    return max(1, min(os.cpu_count() or 1, MAX_WORKERS))


def build(config: dict[str, Any], site_dir: Path, shards: int, workers: int) -> list[ShardResult]:
    """Build the site into site_dir with `shards` shards on up to `workers` processes.
    Returns each shard's result (warnings, failure); the caller decides what they mean."""
    if shards <= 1:
        return [build_shard(Shard(0, 1, str(site_dir), config))]
    return build_many([(config, site_dir, shards)], workers)[0]


def build_many(builds: list[tuple[dict[str, Any], Path, int]], workers: int) -> list[list[ShardResult]]:
    """Several sharded builds (one per language: config, site_dir, shards) on one pool of
    processes: a process that has finished a shard takes the next one, of whichever build,
    instead of waiting for the last shard of its own build (six languages one after the
    other left a core idle at the end of each). Each build is merged once all are done;
    returns each build's shard results, in the order given."""
    groups = [[Shard(i, shards, str(site_dir) if i == 0 else f"{site_dir}.shard-{i}", config) for i in range(shards)]
              for config, site_dir, shards in builds]
    specs = [spec for group in groups for spec in group]
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=max(1, min(workers, len(specs))), mp_context=context,
                             max_tasks_per_child=1) as pool:
        done = list(pool.map(build_shard, specs))
    results, start = [], 0
    for group in groups:
        shard_results, start = done[start:start + len(group)], start + len(group)
        if not any(r.failure for r in shard_results):
            merge(Path(group[0].site_dir), shard_results, [Path(s.site_dir) for s in group])
        for spec in group[1:]:
            shutil.rmtree(spec.site_dir, ignore_errors=True)
        results.append(shard_results)
    return results


def merge(site_dir: Path, results: list[ShardResult], dirs: list[Path]) -> None:
    """Move every shard's pages into shard 0's folder; join the search indexes."""
    for result, folder in zip(results[1:], dirs[1:]):
        for dest in result.dests:
            target = site_dir / dest
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(folder / dest, target)
    _join_indexes(site_dir / SEARCH_INDEX, [folder / SEARCH_INDEX for folder in dirs], results[0].all_pages)


SEARCH_INDEX = Path("search") / "search_index.json"


def _join_indexes(target: Path, sources: list[Path], order: list[str], replaced: set[str] = frozenset()) -> None:
    """One search index from several: each page's entries from the first index that has the
    page (except pages in replaced, taken from the later ones), pages in mkdocs' order."""
    indexes = [json.loads(path.read_text(encoding="utf-8")) for path in sources]
    entries: dict[str, list[dict]] = {}
    for position, index in enumerate(indexes):
        found: dict[str, list[dict]] = {}
        for entry in index["docs"]:
            found.setdefault(entry["location"].split("#", 1)[0], []).append(entry)
        for url, page_entries in found.items():
            if url not in entries or (position > 0 and url in replaced):
                entries[url] = page_entries
    docs = [entry for url in order for entry in entries.get(url, [])]
    # As material's search plugin writes it (json.dumps, compact separators).
    data = {"config": indexes[0]["config"], "docs": docs}
    target.write_text(json.dumps(data, separators=(",", ":"), default=str), encoding="utf-8")


def update(config: dict[str, Any], site_dir: Path, docs_dir: Path, pages: list[str], static: list[str],
           scratch: Path) -> ShardResult:
    """make serve: rebuild only these pages (src URIs) into scratch, then move them into the
    built site, copy the changed static files from docs_dir, and put the rebuilt pages'
    search entries in place of their old ones. The site is left alone if mkdocs fails."""
    if scratch.exists():
        shutil.rmtree(scratch)
    result = build_shard(Shard(0, 1, str(scratch), config, only=pages))
    if result.failure is None:
        for dest in result.dests:
            target = site_dir / dest
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(scratch / dest, target)
        for path in static:
            (site_dir / path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(docs_dir / path, site_dir / path)
        _join_indexes(site_dir / SEARCH_INDEX, [site_dir / SEARCH_INDEX, scratch / SEARCH_INDEX],
                      result.all_pages, replaced=set(result.pages))
    shutil.rmtree(scratch, ignore_errors=True)
    return result


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[tuple[int, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append((record.levelno, record.getMessage()))


def build_shard(spec: Shard) -> ShardResult:
    """One mkdocs build that renders only this shard's record pages (all of them if count is 1)."""
    import mkdocs
    from mkdocs.commands import build as mkdocs_build
    from mkdocs.structure import pages as mkdocs_pages
    from mkdocs.config import load_config
    from mkdocs.exceptions import Abort, ConfigurationError
    from mkdocs.plugins import BasePlugin
    from mkdocs.structure.files import Files

    from build_scripts.site import squeeze_html

    result = ShardResult(spec.index)
    arguments = dict(spec.config)
    nav = arguments.pop("nav")
    repository = arguments.pop("extra_repository")
    language = arguments.pop("extra_language", None)
    shared_docs = arguments.pop("shared_docs", None)
    collect = _Collect()
    logger = logging.getLogger("mkdocs")
    logger.addHandler(collect)
    if spec.count > 1:  # a worker of our own: quiet, its warnings go back to the parent
        logger.propagate = False
    saved = (mkdocs_build._populate_page, mkdocs_build._build_page, Files.copy_static_files)
    # material's search plugin cuts Han text into words with jieba in every language where
    # jieba is installed; only the Chinese site's search splits on the zero-width spaces it
    # inserts (site.CHINESE_SEPARATORS), so only the Chinese build uses it (and says nothing).
    from material.plugins.search import plugin as search_plugin
    segmenter = search_plugin.jieba
    if segmenter is not None:
        if (language or {}).get("code", "").split("-")[0] == "zh":
            segmenter.setLogLevel(logging.WARNING)
        else:
            search_plugin.jieba = None
    mine: set[str] = set()

    class ShardPlugin(BasePlugin):
        def on_files(self, files, *, config):
            pages = files.documentation_pages()
            result.all_pages[:] = [_page_url(f.url) for f in pages]  # pages are made after on_files
            records = [f for f in pages if f.inclusion.is_not_in_nav()]
            shared = [f for f in pages if not f.inclusion.is_not_in_nav()]
            if spec.only is not None:
                mine.update(spec.only)
            else:
                mine.update(f.src_uri for f in records[spec.index::spec.count])
                if spec.index == 0:
                    mine.update(f.src_uri for f in shared)
            self.shared = {f.src_uri for f in shared}
            if shared_docs:
                self.elsewhere = _add_shared_files(files, Path(shared_docs), config)
            return files

        def on_nav(self, nav, *, config, files):
            self.in_nav = {page.file.src_uri for page in nav.pages}
            return nav

        def on_env(self, env, *, config, files):
            # site_src/overrides/main.html, block site_nav: the nav of a page not in it, per
            # folder, and the pages in it (cdm/parties/index.md is in the nav, though its
            # folder is not_in_nav: its nav marks itself active, so it is never shared).
            env.globals["registry_nav_cache"] = {}
            env.globals["registry_in_nav"] = self.in_nav
            return env

        def on_page_markdown(self, markdown, *, page, config, files):
            self.stashes[page.file.src_uri], markdown = _stash_html_blocks(markdown)
            return markdown

        def on_page_content(self, html, *, page, config, files):
            return _restore_html_blocks(html, self.stashes[page.file.src_uri], searched=True)

        def on_post_page(self, output, *, page, config):
            result.pages.append(page.url)
            result.dests.append(page.file.dest_uri)
            output = _restore_html_blocks(output, self.stashes.pop(page.file.src_uri), searched=False)
            if shared_docs:
                output = _link_shared_files(output, page.url, self.elsewhere)
            return squeeze_html(output)

        def on_post_build(self, *, config):
            # The theme's templates (404.html) and any static HTML: squeezed like the pages.
            if spec.index == 0 and spec.only is None:
                for path in Path(config["site_dir"]).glob("*.html"):
                    path.write_text(squeeze_html(path.read_text(encoding="utf-8")), encoding="utf-8")

    render = mkdocs_pages.Page.render
    if mkdocs.__version__ == "1.6.1":
        mkdocs_pages.Page.render = _render_with_one_converter()
    plugin = ShardPlugin()
    plugin.stashes = {}
    quiet = _QuietExcludedLinks()
    if shared_docs:
        logging.getLogger("mkdocs.structure.pages").addFilter(quiet)
    subset = spec.count > 1 or spec.only is not None
    if subset:
        populate, build_page, copy_static = saved

        def shard_populate(page, config, files, dirty=False):
            if page.file.src_uri in mine or page.file.src_uri in plugin.shared:
                populate(page, config, files, dirty)

        def shard_build_page(page, config, doc_files, nav, env, dirty=False, excluded=False):
            if page.file.src_uri in mine:
                build_page(page, config, doc_files, nav, env, dirty, excluded)

        def shard_copy_static(self, *args, **kwargs):
            if spec.index == 0 and spec.only is None:
                copy_static(self, *args, **kwargs)

        mkdocs_build._populate_page = shard_populate
        mkdocs_build._build_page = shard_build_page
        Files.copy_static_files = shard_copy_static
    try:
        config = load_config(site_dir=spec.site_dir, **arguments)
        config["nav"] = nav
        config["extra"]["repository"] = repository
        if language:
            config["extra"]["language"] = language
            # True, not a list: the theme then shows its language switcher (our override of
            # partials/alternate.html, which links this very page in each language), and its
            # base.html writes no <link rel=alternate> of its own (main.html writes them per page).
            config["extra"]["alternate"] = len(language["languages"]) > 1
        config.plugins["registry-shard"] = plugin
        mkdocs_build.build(config)
    except (Abort, ConfigurationError, OSError) as exc:
        result.failure = str(exc) or type(exc).__name__
    finally:
        mkdocs_build._populate_page, mkdocs_build._build_page, Files.copy_static_files = saved
        search_plugin.jieba = segmenter
        mkdocs_pages.Page.render = render
        logger.removeHandler(collect)
        logger.propagate = True
        logging.getLogger("mkdocs.structure.pages").removeFilter(quiet)
    result.warnings = collect.records
    return result


def _render_with_one_converter():
    """mkdocs' Page.render (1.6.1), except that the build converts every page with one
    Markdown converter, reset between pages, instead of setting up a new one (with every
    extension) per page: a fifth of the conversion time of a record page. Python-Markdown
    resets the converter and its extensions' state (toc) between documents; mkdocs' own
    processors, which hold the page, are registered anew under the same names each time."""
    import markdown
    from mkdocs.structure import pages as mkdocs_pages

    converter: list[markdown.Markdown] = []  # made by the first page of the build

    def render(self, config, files) -> None:
        if self.markdown is None:
            raise RuntimeError("`markdown` field hasn't been set (via `read_source`)")
        if not converter:
            converter.append(markdown.Markdown(extensions=config["markdown_extensions"],
                                               extension_configs=config["mdx_configs"] or {}))
        md = converter[0]
        md.reset()
        raw_html_ext = mkdocs_pages._RawHTMLPreprocessor()
        raw_html_ext._register(md)
        extract_anchors_ext = mkdocs_pages._ExtractAnchorsTreeprocessor(self.file, files, config)
        extract_anchors_ext._register(md)
        relative_path_ext = mkdocs_pages._RelativePathTreeprocessor(self.file, files, config)
        relative_path_ext._register(md)
        extract_title_ext = mkdocs_pages._ExtractTitleTreeprocessor()
        extract_title_ext._register(md)
        self.content = md.convert(self.markdown)
        self.toc = mkdocs_pages.get_toc(getattr(md, "toc_tokens", []))
        self._title_from_render = extract_title_ext.title
        self.present_anchor_ids = extract_anchors_ext.present_anchor_ids | raw_html_ext.present_anchor_ids
        if mkdocs_pages.log.getEffectiveLevel() > logging.DEBUG:
            self.links_to_anchors = relative_path_ext.links_to_anchors

    return render


class _QuietExcludedLinks(logging.Filter):
    """A language's pages link to the default language's files, which are in its build's
    file list only to be linked (excluded from it): mkdocs notes each such link (INFO)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().endswith("which is excluded from the built site.")


def _add_shared_files(files, docs: Path, config) -> set[str]:
    """Put the default language's files (downloads, record JSON, feeds, assets) in a language
    build's file list, excluded: mkdocs checks and rewrites links to them, and copies none
    of them. Returns their URLs (relative to the default language's site root)."""
    from mkdocs.structure.files import File, InclusionLevel

    present = {f.src_uri for f in files}
    urls = set()
    for path in docs.rglob("*"):
        if path.suffix == ".md" or not path.is_file():
            continue
        uri = path.relative_to(docs).as_posix()
        urls.add(uri)
        if uri not in present:
            files.append(File(uri, str(docs), config["site_dir"], config["use_directory_urls"],
                              inclusion=InclusionLevel.EXCLUDED))
    return urls


_RELATIVE_URL = re.compile(r'((?:href|src|data-[\w-]+)=")(?![a-z][a-z0-9+.-]*:|/|#)([^"]*)')


def _link_shared_files(output: str, page_url: str, shared: set[str]) -> str:
    """A language's site lives one folder below the default language's: a link that mkdocs
    made to one of the default language's files (relative to this language's root) goes one
    folder further up."""
    folder = page_url if page_url.endswith("/") or not page_url else posixpath.dirname(page_url) + "/"
    depth = folder.count("/")

    def relink(match: re.Match) -> str:
        raw = match.group(2)
        if raw.endswith("/") or not raw or raw[0] == "#" or "/#" in raw:
            return match.group(0)  # a page (folder URL) or an anchor: never a shared file
        value = html.unescape(raw)  # a raw link may be written with references
        path, suffix = re.match(r"([^#?]*)(.*)", value, re.S).groups()
        if not path:
            return match.group(0)
        target = posixpath.normpath(posixpath.join(folder, path))
        if target not in shared:
            return match.group(0)
        return match.group(1) + html.escape("../" * (depth + 1) + target + suffix)

    return _RELATIVE_URL.sub(relink, output)


# A block of raw HTML the templates write (a table, the figures), from a line of its own to
# a blank line. Python-Markdown passes such a block through unchanged, after parsing it
# with its pure-Python HTML parser (most of a record page's Markdown time): it is set
# aside before the conversion and put back after, with the same result. A block the search
# index would drop anyway (in a section whose heading is data-search-exclude, or marked so
# itself) is put back only after the search plugin has read the page: it parses every
# page's HTML, also what it then drops.
_HTML_BLOCK = re.compile(r'(?<=\n\n)<(div|table|figure|ul)\b[^\n]*(?:\n(?!\n)[^\n]*)*(?=\n\n|\n?\Z)')
_HEADING = re.compile(r"^#{1,6} .*$", re.M)
_BLOCK_MARK = re.compile(r"<!--registry-block-(\d+)-->")


@dataclass
class _Stash:
    blocks: list[str] = field(default_factory=list)
    unsearched: set[int] = field(default_factory=set)  # restored after the search plugin


def _stash_html_blocks(markdown: str) -> tuple[_Stash, str]:
    stash = _Stash()
    headings = [(m.start(), "data-search-exclude" in m.group(0)) for m in _HEADING.finditer(markdown)]

    def set_aside(match: re.Match) -> str:
        text = match.group(0)
        opening = text.split(">", 1)[0]
        if not text.rstrip().endswith(f"</{match.group(1)}>") or " markdown=" in opening:
            return text  # not one self-contained block: left to Python-Markdown
        excluded = next((flag for start, flag in reversed(headings) if start < match.start()), False)
        if ("data-search-exclude" in opening or excluded) and not re.search(r"<h[1-6]\b", text):
            stash.unsearched.add(len(stash.blocks))
        stash.blocks.append(text)
        return f"<!--registry-block-{len(stash.blocks) - 1}-->"

    return stash, _HTML_BLOCK.sub(set_aside, markdown)


def _restore_html_blocks(html: str, stash: _Stash, searched: bool) -> str:
    """Put back the blocks the search index reads (searched=True), or the others."""
    if not stash.blocks:
        return html

    def put_back(match: re.Match) -> str:
        index = int(match.group(1))
        return stash.blocks[index] if (index in stash.unsearched) != searched else match.group(0)

    return _BLOCK_MARK.sub(put_back, html)


def _page_url(url: str) -> str:
    return "" if url in (".", "./") else url
