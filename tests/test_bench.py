"""make bench's parts work: the synthetic registry is valid, deterministic and labelled, and a
small benchmark run completes and writes its figures (timings are printed, never asserted)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys

from bench.synthetic import write_synthetic_cdm
from build_scripts.paths import REPO_ROOT
from build_scripts.validate import validate_package


def _digest(folder) -> str:
    return hashlib.sha256(b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())).hexdigest()


def test_synthetic_registry_is_valid_deterministic_and_labelled(tmp_path):
    counts = write_synthetic_cdm(tmp_path / "a" / "cdm", 0.1)
    write_synthetic_cdm(tmp_path / "b" / "cdm", 0.1)
    assert _digest(tmp_path / "a" / "cdm") == _digest(tmp_path / "b" / "cdm")
    assert counts["issuances"] > 1000 and counts["voluntary_cancellations"] > 2000
    descriptor = json.loads((tmp_path / "a" / "cdm" / "datapackage.json").read_text(encoding="utf-8"))
    assert descriptor["title"].startswith("SYNTHETIC") and "synthetic" in descriptor["keywords"]
    report = validate_package(tmp_path / "a" / "cdm" / "datapackage.json", REPO_ROOT)
    assert report.errors == [] and report.warnings == []


def test_a_small_benchmark_runs_and_writes_its_figures(tmp_path):
    env = {**os.environ, "BENCH_WORK": str(tmp_path / "work"), "BENCH_RESULTS": str(tmp_path / "results")}
    done = subprocess.run([sys.executable, "-m", "bench.run", "--scale", "0.02", "--no-browser", "--languages", "en,ar"], cwd=REPO_ROOT,
                          env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    (result_file,) = (tmp_path / "results").glob("scale-0.02-*.json")
    result = json.loads(result_file.read_text(encoding="utf-8"))
    stages = {row["stage"].strip() for row in result["stages"]}
    assert {"validate", "downloads", "Markdown rendering", "Markdown rendering (ar)"} <= stages
    assert "whole build (validate -> site/, as make site)" in stages
    assert any(s.startswith("mkdocs (after") for s in stages)
    # The peer: stock mkdocs on the same pages in the same languages, each built.
    assert [row["language"] for row in result["overhead"]["stock_languages"]] == ["en", "ar"]
    assert all(row["exit"] == 0 for row in result["overhead"]["stock_languages"])
    site = result["site"]
    assert set(site["per_language"]) == {"en", "ar"} and site["files"] > 0
    assert site["per_language"]["ar"]["record_pages"]["pages"] == site["per_language"]["en"]["record_pages"]["pages"]
    assert site["upload"]["github_pages_tar_bytes"] > site["site_bytes"] > 0
    assert all(row["seconds"] >= 0 for row in result["stages"])
    # The whole process tree's memory (workers included) is at least this process's own.
    measured = [row for row in result["stages"] if row.get("tree_peak_mb") is not None]
    assert measured and all(row["tree_peak_mb"] >= row["peak_mb"] for row in measured)
    assert result["site"]["pages_without_charts_loading_plotly"] == 0
    assert result["overhead"]["ratio"] > 0
    assert "stock mkdocs, the same pages in 2 language(s)" in done.stdout and "peer: stock mkdocs build" in done.stdout
