"""`make bench`: what the build costs, stage by stage, beside the stock mkdocs build of the
same pages; what a reader downloads; Lighthouse. Prints a table and writes
bench/results/<label>.json so that runs can be compared.

    python -m bench.run                 # default data (JI + CDM), browser figures included
    python -m bench.run --scale 10      # JI + a synthetic CDM ten times the size, whole build
    python -m bench.run --scale 100     # validation, derivation and Markdown rendering only

Synthetic registries (bench/synthetic.py) are generated into bench/work/ (git-ignored),
labelled SYNTHETIC in their descriptor, and never published.

Peak memory per stage is measured twice: this process's resident high-water mark, reset
before each stage (/proc/self/clear_refs), and the whole process tree's, sampled every 0.2 s
as the sum of proportional set sizes (PSS: a page shared by forked workers is counted once),
which includes the rendering and mkdocs workers. The peer mkdocs build runs in its own process.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from build_scripts.paths import Layout  # noqa: E402

# Where registries are built and results written (BENCH_WORK / BENCH_RESULTS: the tests' own).
WORK = Path(os.environ.get("BENCH_WORK") or REPO / "bench" / "work")
RESULTS = Path(os.environ.get("BENCH_RESULTS") or REPO / "bench" / "results")
COPIED = ("site_src", "vendor", "mkdocs.yml", "CHANGELOG.md")


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _peak_bytes() -> int:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _size(path: Path | None) -> int | None:
    if path is None or not path.exists():
        return None
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _pss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += children.get(pid, [])
    return found


class TreeMemory:
    """The peak, since the last reset, of the summed PSS of this process and its descendants,
    sampled every 0.2 s by a process of its own: a sampling thread held this process's GIL
    while it read /proc, which slowed the very stages it measured."""

    def __init__(self, interval: float = 0.2) -> None:
        self.interval, self.available = interval, Path("/proc/self/smaps_rollup").exists()
        context = multiprocessing.get_context("fork")
        self._peak, self._stop = context.Value("q", 0), context.Event()
        self._sampler = context.Process(target=_sample_tree, args=(os.getpid(), interval, self._peak, self._stop),
                                        daemon=True)

    def start(self) -> None:
        if self.available:
            self._sampler.start()

    def reset(self) -> None:
        if self.available:
            with self._peak.get_lock():
                self._peak.value = _tree_pss_kb(os.getpid(), self._sampler.pid)

    def peak_mb(self) -> int | None:
        return round(self._peak.value / 1024) if self.available else None


def _tree_pss_kb(root: int, sampler: int | None) -> int:
    return sum(_pss_kb(pid) for pid in _descendants(root) if pid != sampler)


def _sample_tree(root: int, interval: float, peak, stop) -> None:
    while not stop.wait(interval):
        total = _tree_pss_kb(root, os.getpid())
        with peak.get_lock():
            peak.value = max(peak.value, total)


class Stages:
    def __init__(self) -> None:
        self.rows: list[dict] = []
        self.resettable = _reset_peak()
        self.tree = TreeMemory()
        self.tree.start()

    @contextmanager
    def __call__(self, name: str, output: Path | None = None):
        self.resettable = _reset_peak() and self.resettable
        self.tree.reset()
        start = time.perf_counter()
        row = {"stage": name}
        yield row
        row["seconds"] = round(time.perf_counter() - start, 2)
        row["peak_mb"] = round(_peak_bytes() / 2**20)
        row["tree_peak_mb"] = max(self.tree.peak_mb() or 0, row["peak_mb"]) if self.tree.available else None
        if output is not None:
            row["output_bytes"] = _size(output)
        self.rows.append(row)
        print(f"  [{row['seconds']:8.2f} s, peak {row['peak_mb']:6d} MB, with workers {row['tree_peak_mb'] or '-':>6} MB] "
              f"{name.strip()}", flush=True)


# --- Preparing a registry ----------------------------------------------------------------

def prepare(scale: float) -> Layout:
    """A repository copy in bench/work/: the real packages (scale 1) or JI + a synthetic CDM."""
    root = WORK / f"scale-{scale:g}"
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    for name in COPIED:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, root / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, root / name)
    shutil.copytree(REPO / "datapackages" / "ji", root / "datapackages" / "ji")
    if scale == 1:
        shutil.copytree(REPO / "datapackages" / "cdm", root / "datapackages" / "cdm")
    return Layout(root)


# --- The build, stage by stage ------------------------------------------------------------

def _chart_timer(totals: dict):
    """Wrap the chart builders so the time spent making figures is counted (charts stage)."""
    from build_scripts.render import cdm_charts, ji_charts

    def timed(function):
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                totals["charts"] += time.perf_counter() - start
        return wrapper

    for module in (cdm_charts, ji_charts):
        for name in dir(module):
            value = getattr(module, name)
            if callable(value) and getattr(value, "__module__", None) == module.__name__ and not isinstance(value, type):
                setattr(module, name, timed(value))


def build_stages(layout: Layout, scale: float, stages: Stages, full: bool, languages: list[str] | None = None) -> dict:
    from build_scripts import derive_cdm
    from build_scripts.publishing import Publishing
    from build_scripts.site import build_site, generate_docs, validate_all

    info: dict = {}
    cdm_dir = layout.datapackages / "cdm"
    if scale == 1:
        from build_scripts.importers import import_cdm

        with stages("import", WORK / "import-out"):
            out = WORK / "import-out"
            if out.exists():
                shutil.rmtree(out)
            import_cdm(cdm_dir / "raw", out)
    else:
        from bench.synthetic import write_synthetic_cdm

        with stages("generate synthetic CDM", cdm_dir) as row:
            row["counts"] = write_synthetic_cdm(cdm_dir, scale)
    chart_seconds = {"charts": 0.0}
    _chart_timer(chart_seconds)
    settings = Publishing(None, None, "main")

    @contextmanager
    def substage(name: str):
        with stages("  " + name, layout.build / "docs.next"):
            yield

    if full:
        # The build as `make site` runs it (build_site): each language's mkdocs build starts
        # as soon as its pages are written, so the stages inside overlap; the whole is the figure.
        with stages("whole build (validate -> site/, as make site)", layout.site):
            built = build_site(layout, strict=True, settings=settings, languages=languages, stage=substage)
        reports, info["pages"] = built.reports, built.pages
    else:
        with stages("validate", None):
            reports = validate_all(layout)
    errors = [p for r in reports for p in r.errors]
    if errors:
        raise SystemExit(f"the benchmark data is invalid: {errors[0].format()}")
    cdm = next(r.loaded for r in reports if r.package == "cdm")
    info["issuances"], info["cancellations"] = len(cdm["issuances"]), len(cdm["voluntary_cancellations"])
    info["projects"] = len(cdm["projects"])
    if full:
        stages.rows.append({"stage": "  of which chart figures (in rendering)", "seconds": round(chart_seconds["charts"], 2)})
        return info
    with stages("load and derive", None):
        cancellations = derive_cdm.all_cancellations(cdm["voluntary_cancellations"], cdm["administrative_cancellations"])
        totals = derive_cdm.project_totals(cdm["projects"], cdm["issuances"], cancellations)
        derive_cdm.by_party(cdm["issuances"], cancellations, totals, cdm["parties"])
        derive_cdm.by_entity(cdm["issuances"], cdm["entities"])
        derive_cdm.share_cancelled(cdm["issuances"], cancellations)
        derive_cdm.issued_by_year(cdm["issuances"])
    with stages("generate Markdown (all)", layout.docs_out):
        info["pages"] = generate_docs(layout, reports, settings=settings, stage=substage, downloads=False, languages=languages)
    stages.rows.append({"stage": "  of which chart figures", "seconds": round(chart_seconds["charts"], 2)})
    return info


PEER_SITE = WORK / "peer-site"


def _stock_search(config: Path, overrides: Path) -> None:
    """A configuration made to search as stock mkdocs-material does: its search plugin (lunr,
    the whole index fetched by every page) and its own partials/search.html instead of the
    registry's (which drives Pagefind), the other overrides kept."""
    import yaml

    header = "".join(line for line in config.read_text(encoding="utf-8").splitlines(keepends=True) if line.startswith("#"))
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    if not overrides.exists():
        shutil.copytree(data["theme"]["custom_dir"], overrides)
        (overrides / "partials" / "search.html").unlink()
    data["theme"]["custom_dir"] = str(overrides)
    data["plugins"] = ["search"]
    config.write_text(header + yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def peer_mkdocs(layout: Layout, languages: list[str]) -> dict:
    """The stock `mkdocs build` of the same generated pages in every language built: each
    language's own configuration (build/mkdocs/<language>.yml, as our build writes it) without
    the registry's hooks and with the theme's own search plugin (_stock_search), one language
    after another in one process each, as a maintainer without this project's build would run
    them. Same pages, same languages, same data; its sites (PEER_SITE) are searched beside
    ours by make bench."""
    from build_scripts import i18n, mkdocs_build
    from build_scripts.publishing import Publishing

    settings = Publishing(None, None, "main")
    enabled = i18n.enabled_languages(layout.locales)
    target = PEER_SITE
    if target.exists():
        shutil.rmtree(target)
    overrides = WORK / "peer-overrides"
    shutil.rmtree(overrides, ignore_errors=True)
    rows, total, peak, exits = [], 0.0, 0, []
    for language in languages:
        site_dir = target / (language if language != languages[0] else "_default")
        config = mkdocs_build.write_config(layout, settings, language, languages, site_dir, enabled, hooks=False)
        _stock_search(config, overrides)
        code = ("import resource, runpy, sys\n"
                f"sys.argv = ['mkdocs', 'build', '--quiet', '-f', {str(config)!r}]\n"
                "try:\n    runpy.run_module('mkdocs', run_name='__main__')\n"
                "finally:\n    print('PEAK', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n")
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=layout.root,
                              env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
        seconds = time.perf_counter() - start
        found = re.search(r"PEAK (\d+)", done.stderr)
        peak = max(peak, int(found.group(1)) // 1024 if found else 0)
        total += seconds
        exits.append(done.returncode)
        rows.append({"language": language, "seconds": round(seconds, 1), "exit": done.returncode})
        print(f"  [{seconds:8.2f} s] peer: stock mkdocs build, {language}", flush=True)
    return {"stage": f"peer: stock mkdocs build with its search, same pages, {len(languages)} language(s) one after another",
            "seconds": round(total, 2), "peak_mb": peak, "output_bytes": _size(target),
            "exit": max(exits, default=0), "languages": rows}


def preview_figure(layout: Layout) -> dict:
    """What `make serve` does after a maintainer saves one CSV row (build_scripts/serve.py):
    timed from the save until the edited page holds the new value. One JI row (a
    hand-maintained package), then one CDM row (the imported one, 8,335 projects)."""
    from build_scripts.publishing import Publishing
    from build_scripts.serve import Preview

    preview = Preview(layout, settings=Publishing(None, None, "main"))
    start = time.perf_counter()
    preview.rebuild()
    figures: dict = {"first_build_seconds": round(time.perf_counter() - start, 1)}
    marker = "Edited for the preview benchmark"
    edits = [  # package, file, text replaced (first occurrence), by, page that shows it
        ("ji", layout.datapackages / "ji" / "data" / "meetings.csv", ",Bonn,", f",{marker},", "ji/meetings"),
        ("cdm", layout.datapackages / "cdm" / "data" / "projects.csv", '"Project for GHG', f'"{marker} GHG', "cdm/projects/1"),
    ]
    for name, path, old, new, page in edits:
        original = path.read_text(encoding="utf-8")
        assert old in original, f"the benchmark's edit no longer applies to {path}"
        path.write_text(original.replace(old, new, 1), encoding="utf-8")
        try:
            start = time.perf_counter()
            outcome = preview.rebuild()
            seconds = time.perf_counter() - start
            shown = marker in (layout.site / page / "index.html").read_text(encoding="utf-8")
        finally:
            path.write_text(original, encoding="utf-8")
        figures[name] = {"seconds": round(seconds, 1), "outcome": outcome, "page_updated": shown,
                         "edited": f"{path.relative_to(layout.root)}, one cell"}
    return figures


# --- What the site weighs ------------------------------------------------------------------

_FIGURE = re.compile(r'<script type="application/json" class="registry-chart__figure">(.*?)</script>', re.S)


def _record_sizes(folder: Path) -> dict | None:
    sizes = sorted(p.stat().st_size for kind in ("projects", "parties", "does")
                   for p in (folder / "cdm" / kind).glob("*/index.html"))
    if not sizes:
        return None
    return {"pages": len(sizes), "median_kb": round(statistics.median(sizes) / 1024, 1),
            "p95_kb": round(sizes[int(0.95 * (len(sizes) - 1))] / 1024, 1), "max_kb": round(sizes[-1] / 1024, 1),
            "mean_kb": round(sum(sizes) / len(sizes) / 1024, 1)}


def site_figures(site: Path, languages: list[str]) -> dict:
    """What the site weighs: in all (budget.measure: the same figures the build's host check
    uses), per language and per section, record pages per language (median, p95, max, mean),
    and what a deployment uploads (GitHub Pages: one tar of the whole site, gzipped; object
    storage: every file on the first deployment, the changed ones after: build_scripts/deploy.py)."""
    from build_scripts import budget

    measured = budget.measure(site)
    figures: dict = {"site_bytes": measured.bytes, "site_mb": round(measured.bytes / 1e6, 1), "files": measured.files}
    others = [code for code in languages[1:] if (site / code).is_dir()]
    folders = measured.folders
    per_language = {}
    for code in [languages[0], *others]:
        if code == languages[0]:  # the default language, with the files every language shares
            size = measured.bytes - sum(folders[c].bytes for c in others if c in folders)
            count = measured.files - sum(folders[c].files for c in others if c in folders)
        else:
            size, count = folders[code].bytes, folders[code].files
        per_language[code] = {"bytes": size, "files": count,
                              "record_pages": _record_sizes(site if code == languages[0] else site / code)}
    english = per_language[languages[0]]["record_pages"]
    for code in others:
        mine = per_language[code]["record_pages"]
        if english and mine:
            mine["median_vs_default"] = round(mine["median_kb"] / english["median_kb"], 3)
    figures["per_language"] = per_language
    # Sections: the default language's first-level folders, and each other language's second level.
    figures["sections"] = {path: {"bytes": f.bytes, "files": f.files} for path, f in folders.items()
                           if ("/" not in path and path not in others) or path.split("/")[0] in others and "/" in path}
    figures["upload"] = upload_figures(site, measured)
    figures["search_index"] = _search_index_figures(site, languages)
    for label, page in (("cdm overview", "cdm"), ("project 1000", "cdm/projects/1000")):
        html = site / page / "index.html"
        if html.exists():
            blobs = _FIGURE.findall(html.read_text(encoding="utf-8"))
            figures[f"figure_json_bytes_{label.replace(' ', '_')}"] = [len(b.encode()) for b in blobs]
    pages = list(site.rglob("index.html"))
    figures["html_pages"] = len(pages)
    figures["pages_without_charts_loading_plotly"] = sum(
        1 for p in pages if "plotly-basic.min.js" in (text := p.read_text(encoding="utf-8")) and "registry-chart__figure" not in text)
    return figures


class _Counter:
    def __init__(self) -> None:
        self.count = 0

    def write(self, data: bytes) -> int:
        self.count += len(data)
        return len(data)

    def flush(self) -> None:
        pass


def _search_index_figures(site: Path, languages: list[str]) -> dict:
    """The search bundles on disk (build_scripts/search.py): files and bytes of each (a
    language's bundle: in every language, with each language's pages)."""
    from build_scripts import search

    figures = {}
    for bundle in search.bundles(site):
        roots = [site] if bundle.shared else [site if code == languages[0] else site / code for code in languages]
        folders = [root / bundle.path for root in roots if (root / bundle.path).is_dir()]
        files = [p for folder in folders for p in folder.rglob("*") if p.is_file()]
        pages = {}
        for folder in folders:
            entry = json.loads((folder / "pagefind-entry.json").read_text(encoding="utf-8"))
            pages.update({code: v["page_count"] for code, v in entry["languages"].items()})
        figures[bundle.path] = {"files": len(files), "bytes": sum(p.stat().st_size for p in files), "pages": pages}
    return figures


def upload_figures(site: Path, measured) -> dict:
    """GitHub Pages: actions/upload-pages-artifact uploads one tar of site/ (gzipped on the
    way): its exact size, and gzipped at level 6. Object storage: the first deployment
    uploads every file; later ones only the files whose content changed (tests/test_deploy.py
    measures a one-row change)."""
    import gzip
    import tarfile

    raw, packed = _Counter(), _Counter()
    with gzip.GzipFile(fileobj=packed, mode="wb", compresslevel=6, mtime=0) as zipped:
        class Both:
            def write(self, data: bytes) -> int:
                raw.write(data)
                return zipped.write(data)

            def flush(self) -> None:
                pass
        with tarfile.open(fileobj=Both(), mode="w|", format=tarfile.GNU_FORMAT) as archive:
            for path in sorted(site.rglob("*")):
                archive.add(path, arcname=path.relative_to(site).as_posix(), recursive=False)
    return {"github_pages_tar_bytes": raw.count, "github_pages_tar_gz_bytes": packed.count,
            "object_storage_first_deploy_files": measured.files, "object_storage_first_deploy_bytes": measured.bytes}


# --- Report ---------------------------------------------------------------------------------

def _table(rows: list[dict], columns: list[tuple[str, str]]) -> str:
    cells = [[str(row.get(key, "")) if row.get(key) is not None else "" for key, _ in columns] for row in rows]
    widths = [max(len(title), *(len(c[i]) for c in cells)) if cells else len(title) for i, (_, title) in enumerate(columns)]
    line = "  ".join(title.ljust(w) for (_, title), w in zip(columns, widths))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cell, widths))) for cell in cells]
    return "\n".join(out)


# What make bench types into each language's search: the site's own words (a project id, a
# title word, the JISC's name or a term of its report in the language).
SEARCH_QUERIES = [("en", "1000"), ("en", "hydro"), ("zh", "缔约方"), ("ru", "комитетом"), ("fr", "comités"),
                  ("es", "comités"), ("ar", "الاشراف")]


def search_figures(result: dict, layout: Layout, stock: bool) -> None:
    """The header search on the emulated phone (bench/browser.py search_timings): ours, and
    where the peer build ran (stock: its sites have the theme's own search), the same queries
    on the same pages searched as stock mkdocs-material searches them."""
    from bench import browser

    queries = [(code, "" if code == "en" else f"{code}/", query) for code, query in SEARCH_QUERIES
               if code == "en" or (layout.site / code).is_dir()]
    columns = [("language", "language"), ("query", "query"), ("search_bytes_on_load", "B on load"),
               ("search_bytes_to_first_result", "B to first result"), ("search_requests", "requests"),
               ("first_result_ms", "ms after last key"), ("status", "results")]
    result["search"] = timings = browser.search_timings(layout.site, queries)
    print()
    print(f"search on the emulated phone (CPU {browser.PHONE_CPU_SLOWDOWN}x slower, 1.6 Mbit/s, 150 ms; gzip; empty cache; "
          "budgets: 0 B on load, <= 150 KB and <= 1.5 s to the first result):")
    print(_table(timings, columns))
    if stock and PEER_SITE.is_dir():
        peer = [(code, ("_default/" if path == "" else path), query) for code, path, query in queries
                if (PEER_SITE / ("_default" if path == "" else code)).is_dir()]
        result["search_stock"] = timings = browser.search_timings(PEER_SITE, peer, is_search=browser.stock)
        print()
        print("the same queries, stock mkdocs-material search (its search plugin: lunr, whole index) on the peer build's sites:")
        print(_table(timings, columns))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1 = the real data; 10 and 100 = synthetic CDM registries")
    parser.add_argument("--no-browser", action="store_true", help="skip Lighthouse and page weights")
    parser.add_argument("--peer", action=argparse.BooleanOptionalAction, default=None,
                        help="also time the stock mkdocs build of the same pages in the same languages "
                             "(default: at scale 1 and below; at 10x it takes hours)")
    parser.add_argument("--languages", help="languages to build, e.g. en,zh (default: every enabled language up to "
                                            "scale 10, English alone at larger scales)")
    args = parser.parse_args(argv)
    scale = args.scale
    full = scale <= 10  # at 100x: validation, derivation and Markdown rendering only
    WORK.mkdir(parents=True, exist_ok=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    print(f"make bench: scale {scale:g} ({'real data' if scale == 1 else 'SYNTHETIC CDM registry'}), "
          f"{os.cpu_count()} cores, Python {platform.python_version()}", flush=True)
    if scale > 10:
        # The 100x files exceed the default input limits (build_scripts/validate/limits.py),
        # which exist to stop hostile pull requests; a registry this size raises them.
        os.environ.setdefault("REGISTRY_MAX_ROWS", "50_000_000")
        os.environ.setdefault("REGISTRY_MAX_FILE_BYTES", "5_000_000_000")
        os.environ.setdefault("REGISTRY_MAX_PACKAGE_BYTES", "20_000_000_000")
    layout = prepare(scale)
    stages = Stages()
    started = time.perf_counter()
    from build_scripts.i18n import enabled_languages
    languages = args.languages.split(",") if args.languages else (None if scale <= 10 else enabled_languages()[:1])
    if scale > 1:
        # A synthetic registry ten times ours outgrows GitHub Pages' 1 GB: it is measured as
        # the object-storage deployment (README, "Deploying to object storage") would take it.
        os.environ.setdefault("REGISTRY_HOST", "object-storage")
    info = build_stages(layout, scale, stages, full, languages)
    info["languages"] = languages or enabled_languages()
    total = time.perf_counter() - started
    build_rows = [r for r in stages.rows if not r["stage"].startswith(("import", "generate synthetic"))]
    result: dict = {"label": f"scale-{scale:g}", "scale": scale, "cores": os.cpu_count(),
                    "when": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "records": info, "stages": stages.rows,
                    "peak_memory_reset_per_stage": stages.resettable}
    build_seconds = sum(r["seconds"] for r in build_rows if not r["stage"].startswith("  ")
                        and r["stage"] not in ("load and derive",))
    result["build_seconds"] = round(build_seconds, 1)
    result["pages_per_second"] = round(info["pages"] / build_seconds, 1) if build_seconds and info["pages"] else None
    peer_wanted = args.peer if args.peer is not None else scale <= 1
    if full:
        result["site"] = site_figures(layout.site, info["languages"])
    if full and peer_wanted:
        peer = peer_mkdocs(layout, info["languages"])
        stages.rows.append(peer)
        ours = next(r for r in stages.rows if r["stage"].strip().startswith("mkdocs (after"))
        ours_only = build_seconds - ours["seconds"]
        result["overhead"] = {"our_stages_seconds": round(ours_only, 1), "stock_mkdocs_seconds": peer["seconds"],
                              "stock_languages": peer["languages"],
                              "ratio": round(ours_only / peer["seconds"], 3) if peer["seconds"] else None,
                              "our_mkdocs_seconds": ours["seconds"],
                              "whole_build_vs_stock_mkdocs": round(build_seconds / peer["seconds"], 3) if peer["seconds"] else None}
    print()
    print(_table(stages.rows, [("stage", "stage"), ("seconds", "wall s"), ("peak_mb", "peak MB"),
                               ("tree_peak_mb", "with workers MB"), ("output_bytes", "output bytes")]))
    print()
    print(f"records: {info}")
    if full:
        print(f"whole build (validate -> site/): {result['build_seconds']} s, {result['pages_per_second']} generated pages/s "
              f"(all stages above: {total:.1f} s)")
    else:
        print(f"stages measured at this scale: {total:.1f} s in all (validation, derivation, Markdown rendering; no downloads, no mkdocs)")
    if full and peer_wanted:
        o = result["overhead"]
        print(f"stock mkdocs, the same pages in {len(info['languages'])} language(s): {o['stock_mkdocs_seconds']} s; "
              f"our whole build {result['build_seconds']} s (of which {o['our_mkdocs_seconds']} s of mkdocs after the last "
              f"language's pages); "
              f"whole build {o['whole_build_vs_stock_mkdocs']:.2f}x the stock mkdocs builds alone")
    if full:
        site = result["site"]
        print(f"\nsite: {site['site_mb']} MB in {site['files']:,} files; GitHub Pages artifact (tar) "
              f"{site['upload']['github_pages_tar_bytes'] / 1e6:.1f} MB, gzipped {site['upload']['github_pages_tar_gz_bytes'] / 1e6:.1f} MB")
        rows = [{"language": code, "mb": round(v["bytes"] / 1e6, 1), "files": v["files"],
                 **{k: (v["record_pages"] or {}).get(k) for k in ("pages", "median_kb", "p95_kb", "max_kb", "mean_kb",
                                                                  "median_vs_default")}}
                for code, v in site["per_language"].items()]
        print(_table(rows, [("language", "language (default: with shared files)"), ("mb", "MB"), ("files", "files"),
                            ("pages", "record pages"), ("median_kb", "median KB"), ("p95_kb", "p95 KB"), ("max_kb", "max KB"),
                            ("mean_kb", "mean KB"), ("median_vs_default", "median / default")]))
        sections = [{"section": path, "mb": round(v["bytes"] / 1e6, 1), "files": v["files"]}
                    for path, v in sorted(site["sections"].items(), key=lambda item: -item[1]["bytes"])[:16]]
        print(_table(sections, [("section", "section"), ("mb", "MB"), ("files", "files")]))
        for name, bundle in site["search_index"].items():
            print(f"  search index {name}: {bundle['files']:,} files, {bundle['bytes'] / 1e6:.1f} MB; pages {bundle['pages']}")
        for key in ("html_pages", "pages_without_charts_loading_plotly"):
            print(f"  {key}: {site[key]}")
    if full and not args.no_browser:
        # Before the preview, which rebuilds the site in English alone.
        search_figures(result, layout, peer_wanted)
    if full and scale == 1:
        result["preview"] = preview = preview_figure(layout)
        print(f"\nfast preview (make serve, first build {preview['first_build_seconds']} s): one CSV row edited -> page updated in "
              f"{preview['ji']['seconds']} s (JI row, {preview['ji']['outcome']}), "
              f"{preview['cdm']['seconds']} s (CDM row, {preview['cdm']['outcome']}); target 10 s")
    if full and scale == 1 and not args.no_browser:
        from bench import browser

        pairs = [("home", "", "ji/status/"), ("explorer", "cdm/explorer/", "cdm/parties/"),
                 ("project page", "cdm/projects/1000/", "cdm/projects/1001/"),
                 ("JI finances", "ji/finances/", "ji/committee/"), ("methodology", "methodology/", "sources/")]
        weights = browser.page_weights(layout.site, pairs)
        result["page_weight"] = weights
        print()
        print("page weight, gzip, Cache-Control max-age=600 (as GitHub Pages):")
        print(_table(weights, [("page", "page"), ("first_load_bytes", "first load B"), ("first_load_requests", "requests"),
                               ("second_view_bytes", "second view B"), ("second_view_path", "second view of"),
                               ("loads_plotly", "plotly.js")]))
        scores = browser.lighthouse(layout.site, [("home", ""), ("explorer", "cdm/explorer/"), ("project", "cdm/projects/1000/"),
                                                  ("chart page", "cdm/")], WORK)
        result["lighthouse"] = scores
        print()
        print(f"Lighthouse 12.2.3 (mobile, gzip; the median of {scores[0]['runs'] if scores else 0} runs, performance range beside it):")
        print(_table(scores, [("page", "page"), ("performance", "perf"), ("performance_range", "range"), ("accessibility", "a11y"),
                              ("best-practices", "best practices"), ("seo", "SEO"), ("fcp_ms", "FCP ms"), ("lcp_ms", "LCP ms"),
                              ("tbt_ms", "TBT ms"), ("failing_audits", "failing audits")]))
    out = RESULTS / f"{result['label']}-{result['when'].replace(':', '')}.json"
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"\nwritten {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
