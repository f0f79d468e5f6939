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
    from build_scripts.site import generate_docs, run_mkdocs, validate_all

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
    with stages("validate", None):
        reports = validate_all(layout)
    errors = [p for r in reports for p in r.errors]
    if errors:
        raise SystemExit(f"the benchmark data is invalid: {errors[0].format()}")
    cdm = next(r.loaded for r in reports if r.package == "cdm")
    info["issuances"], info["cancellations"] = len(cdm["issuances"]), len(cdm["voluntary_cancellations"])
    info["projects"] = len(cdm["projects"])
    with stages("load and derive", None):
        cancellations = derive_cdm.all_cancellations(cdm["voluntary_cancellations"], cdm["administrative_cancellations"])
        totals = derive_cdm.project_totals(cdm["projects"], cdm["issuances"], cancellations)
        derive_cdm.by_party(cdm["issuances"], cancellations, totals, cdm["parties"])
        derive_cdm.by_entity(cdm["issuances"], cdm["entities"])
        derive_cdm.share_cancelled(cdm["issuances"], cancellations)
        derive_cdm.issued_by_year(cdm["issuances"])
    chart_seconds = {"charts": 0.0}
    _chart_timer(chart_seconds)
    settings = Publishing(None, None, "main")
    substage_rows: dict[str, dict] = {}

    @contextmanager
    def substage(name: str):
        with stages("  " + name, layout.build / "docs.next") as row:
            substage_rows[name] = row
            yield

    with stages("generate Markdown (all)", layout.docs_out) as row:
        info["pages"] = generate_docs(layout, reports, settings=settings, stage=substage, downloads=full, languages=languages)
    stages.rows.insert(len(stages.rows) - 1, {"stage": "  of which chart figures", "seconds": round(chart_seconds["charts"], 2)})
    if not full:
        return info
    with stages("mkdocs build (ours, sharded)", layout.build / "site.next"):
        run_mkdocs(layout, strict=True, settings=settings, epoch=None, stage=lambda name: _nested(stages, name, layout),
                   languages=languages)
    return info


@contextmanager
def _nested(stages: Stages, name: str, layout: Layout):
    with stages(f"  {name}", layout.build / "site.next"):
        yield


def peer_mkdocs(layout: Layout) -> dict:
    """The stock `mkdocs build` of the same generated Markdown with the same mkdocs.yml."""
    target = WORK / "peer-site"
    if target.exists():
        shutil.rmtree(target)
    code = ("import resource, runpy, sys\n"
            f"sys.argv = ['mkdocs', 'build', '--quiet', '-f', {str(layout.mkdocs_yml)!r}, '-d', {str(target)!r}]\n"
            "try:\n    runpy.run_module('mkdocs', run_name='__main__')\n"
            "finally:\n    print('PEAK', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n")
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=layout.root)
    seconds = time.perf_counter() - start
    peak = re.search(r"PEAK (\d+)", done.stderr)
    return {"stage": "peer: stock mkdocs build, same Markdown", "seconds": round(seconds, 2),
            "peak_mb": round(int(peak.group(1)) / 1024) if peak else None, "output_bytes": _size(target),
            "exit": done.returncode}


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


def site_figures(site: Path) -> dict:
    project_pages = sorted((site / "cdm" / "projects").glob("*/index.html"))
    sizes = sorted(p.stat().st_size for p in project_pages)
    figures = {}
    if sizes:
        figures["record_page_html"] = {
            "pages": len(sizes), "median_kb": round(statistics.median(sizes) / 1024, 1),
            "p95_kb": round(sizes[int(0.95 * (len(sizes) - 1))] / 1024, 1), "max_kb": round(sizes[-1] / 1024, 1),
            "over_30kb": sum(s > 30 * 1024 for s in sizes)}
    index = site / "search" / "search_index.json"
    figures["search_index_kb"] = round(index.stat().st_size / 1024) if index.exists() else None
    plotly = site / "assets" / "javascripts" / "vendor" / "plotly-basic.min.js"
    figures["plotly_js_kb"] = round(plotly.stat().st_size / 1024) if plotly.exists() else None
    for label, page in (("cdm overview", "cdm"), ("project 1000", "cdm/projects/1000")):
        html = site / page / "index.html"
        if html.exists():
            blobs = _FIGURE.findall(html.read_text(encoding="utf-8"))
            figures[f"figure_json_bytes_{label.replace(' ', '_')}"] = [len(b.encode()) for b in blobs]
    figures["languages"] = language_figures(site, project_pages)
    pages = [p for p in site.rglob("index.html")]
    figures["html_pages"] = len(pages)
    figures["pages_without_charts_loading_plotly"] = sum(
        1 for p in pages if "plotly-basic.min.js" in p.read_text(encoding="utf-8") and "registry-chart__figure" not in p.read_text(encoding="utf-8"))
    figures["site_mb"] = round(_size(site) / 2**20)
    return figures


def language_figures(site: Path, english_pages: list[Path]) -> dict:
    """Each other language's record pages against the English ones (issue #8's budget: none
    heavier by more than 20%): the same page compared, page by page."""
    figures = {}
    for folder in sorted(p for p in site.iterdir() if p.is_dir() and (p / "search" / "search_index.json").exists()):
        ratios = []
        for page in english_pages:
            other = folder / page.relative_to(site)
            if other.exists():
                ratios.append(other.stat().st_size / page.stat().st_size)
        if not ratios:
            continue
        ratios.sort()
        sizes = sorted(p.stat().st_size for p in (folder / "cdm" / "projects").glob("*/index.html"))
        figures[folder.name] = {
            "record_pages": len(ratios), "median_kb": round(statistics.median(sizes) / 1024, 1), "max_kb": round(sizes[-1] / 1024, 1),
            "ratio_to_english_median": round(statistics.median(ratios), 3), "ratio_to_english_max": round(ratios[-1], 3),
            "over_1_2": sum(r > 1.2 for r in ratios), "search_index_kb": round((folder / "search" / "search_index.json").stat().st_size / 1024),
            "site_mb": round(_size(folder) / 2**20)}
    return figures


# --- Report ---------------------------------------------------------------------------------

def _table(rows: list[dict], columns: list[tuple[str, str]]) -> str:
    cells = [[str(row.get(key, "")) if row.get(key) is not None else "" for key, _ in columns] for row in rows]
    widths = [max(len(title), *(len(c[i]) for c in cells)) if cells else len(title) for i, (_, title) in enumerate(columns)]
    line = "  ".join(title.ljust(w) for (_, title), w in zip(columns, widths))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cell, widths))) for cell in cells]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1 = the real data; 10 and 100 = synthetic CDM registries")
    parser.add_argument("--no-browser", action="store_true", help="skip Lighthouse and page weights")
    parser.add_argument("--languages", help="languages to build, e.g. en,zh (default: every enabled language at "
                                            "scale 1, English alone at larger scales)")
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
    languages = args.languages.split(",") if args.languages else (None if scale == 1 else enabled_languages()[:1])
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
    if full:
        peer = peer_mkdocs(layout)
        stages.rows.append(peer)
        ours = next(r for r in stages.rows if r["stage"] == "mkdocs build (ours, sharded)")
        ours_only = build_seconds - ours["seconds"]
        result["overhead"] = {"our_stages_seconds": round(ours_only, 1), "stock_mkdocs_seconds": peer["seconds"],
                              "ratio": round(ours_only / peer["seconds"], 3) if peer["seconds"] else None,
                              "our_mkdocs_seconds": ours["seconds"],
                              "whole_build_vs_stock_mkdocs": round(build_seconds / peer["seconds"], 3) if peer["seconds"] else None}
        result["site"] = site_figures(layout.site)
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
    if full:
        o = result["overhead"]
        print(f"our stages {o['our_stages_seconds']} s vs stock mkdocs {o['stock_mkdocs_seconds']} s: "
              f"+{o['ratio'] * 100:.0f}% over mkdocs' own rendering; our sharded mkdocs {o['our_mkdocs_seconds']} s; "
              f"whole build {o['whole_build_vs_stock_mkdocs']:.2f}x the stock mkdocs build alone")
        for key, value in result["site"].items():
            print(f"  {key}: {value}")
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
        scores = browser.lighthouse(layout.site, [("home", ""), ("explorer", "cdm/explorer/"), ("project", "cdm/projects/1000/")], WORK)
        result["lighthouse"] = scores
        print()
        print("Lighthouse 12.2.3 (mobile, gzip):")
        print(_table(scores, [("page", "page"), ("performance", "perf"), ("accessibility", "a11y"),
                              ("best-practices", "best practices"), ("seo", "SEO"), ("fcp_ms", "FCP ms"), ("lcp_ms", "LCP ms"),
                              ("tbt_ms", "TBT ms"), ("failing_audits", "failing audits")]))
    out = RESULTS / f"{result['label']}-{result['when'].replace(':', '')}.json"
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"\nwritten {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
