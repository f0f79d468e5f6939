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

import json
import logging
import multiprocessing
import os
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
    specs = [Shard(i, shards, str(site_dir) if i == 0 else f"{site_dir}.shard-{i}", config) for i in range(shards)]
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=min(workers, shards), mp_context=context, max_tasks_per_child=1) as pool:
        results = list(pool.map(build_shard, specs))
    if not any(r.failure for r in results):
        merge(site_dir, results, [Path(s.site_dir) for s in specs])
    for spec in specs[1:]:
        shutil.rmtree(spec.site_dir, ignore_errors=True)
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
    from mkdocs.commands import build as mkdocs_build
    from mkdocs.config import load_config
    from mkdocs.exceptions import Abort, ConfigurationError
    from mkdocs.plugins import BasePlugin
    from mkdocs.structure.files import Files

    from build_scripts.site import squeeze_html

    result = ShardResult(spec.index)
    arguments = dict(spec.config)
    nav = arguments.pop("nav")
    repository = arguments.pop("extra_repository")
    collect = _Collect()
    logger = logging.getLogger("mkdocs")
    logger.addHandler(collect)
    if spec.count > 1:  # a worker of our own: quiet, its warnings go back to the parent
        logger.propagate = False
    saved = (mkdocs_build._populate_page, mkdocs_build._build_page, Files.copy_static_files)
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
            return files

        def on_post_page(self, output, *, page, config):
            result.pages.append(page.url)
            result.dests.append(page.file.dest_uri)
            return squeeze_html(output)

        def on_post_build(self, *, config):
            # The theme's templates (404.html) and any static HTML: squeezed like the pages.
            if spec.index == 0 and spec.only is None:
                for path in Path(config["site_dir"]).glob("*.html"):
                    path.write_text(squeeze_html(path.read_text(encoding="utf-8")), encoding="utf-8")

    plugin = ShardPlugin()
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
        config.plugins["registry-shard"] = plugin
        mkdocs_build.build(config)
    except (Abort, ConfigurationError, OSError) as exc:
        result.failure = str(exc) or type(exc).__name__
    finally:
        mkdocs_build._populate_page, mkdocs_build._build_page, Files.copy_static_files = saved
        logger.removeHandler(collect)
        logger.propagate = True
    result.warnings = collect.records
    return result


def _page_url(url: str) -> str:
    return "" if url in (".", "./") else url
