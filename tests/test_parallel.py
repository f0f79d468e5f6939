"""The build uses both cores: frictionless validation split by resource across processes,
page rendering across forked processes, mkdocs in shards (mkdocs_parallel.py). Each must
give exactly what one process gives (the full site: test_publishing's reproducibility test)."""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

import pytest

from build_scripts.render.pages import render_pages
from build_scripts.site import BuildFailed, _pages, build_site, validate_all
from build_scripts.validate import schema
from build_scripts.publishing import Publishing
from tests.helpers import edit_cell, read_rows


def _tree(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_parallel_rendering_writes_the_same_files(repo_copy, tmp_path):
    reports = validate_all(repo_copy)
    packages = [r.loaded for r in reports]
    by_name = {r.package: r for r in reports}
    pages, _ = _pages(packages, reports, by_name, [], [], Publishing(None, None, "main"))
    render_pages(pages, repo_copy.templates, tmp_path / "one", workers=1)
    render_pages(pages, repo_copy.templates, tmp_path / "three", workers=3)
    one, three = _tree(tmp_path / "one"), _tree(tmp_path / "three")
    assert len(one) > 10 and one == three


def test_parallel_schema_validation_reports_the_same_problems(repo_copy, monkeypatch):
    """Two broken cells in two resources: the same located problems, in the same order,
    whether one process or several validate the package."""
    ji = repo_copy.datapackages / "ji"
    edit_cell(ji / "data" / "meetings.csv", {"meeting_id": "JISC-39"}, "start_date", "2016-13-40")
    edit_cell(ji / "data" / "finance_lines.csv", {"table_id": "table-4", "line_no": "1"}, "amount_usd", "lots")
    descriptor = ji / "datapackage.json"
    serial = schema.validate_schema(descriptor, repo_copy.root, workers=1)
    monkeypatch.setattr(schema, "PARALLEL_FROM_BYTES", 0)
    parallel = schema.validate_schema(descriptor, repo_copy.root, workers=2)
    located = lambda problems: [(p.rule, p.resource, p.path, p.row, p.field, p.value) for p in problems]  # noqa: E731
    assert located(serial) == located(parallel)
    assert {p.resource for p in serial} == {"meetings", "finance_lines"}
    assert all(p.row and p.field for p in serial)


def _record_pages(layout, pages: dict[str, str]) -> None:
    """Hand-written stand-ins for record pages (folders the nav leaves out, see mkdocs.yml)."""
    folder = layout.docs_src / "cdm" / "projects"
    folder.mkdir(parents=True)
    for name, text in pages.items():
        (folder / name).write_text(text, encoding="utf-8")


def test_sharded_mkdocs_writes_every_record_page_and_one_search_index(repo_copy):
    _record_pages(repo_copy, {f"p{i}.md": f"# Record {i}\n\nRecord text {i}.\n" for i in range(5)})
    build_site(repo_copy, strict=True, settings=Publishing(None, None, "main"), shards=3)
    site = repo_copy.site
    for i in range(5):
        assert f"Record text {i}." in (site / "cdm" / "projects" / f"p{i}" / "index.html").read_text(encoding="utf-8")
    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    locations = [entry["location"] for entry in index["docs"]]
    assert [f"cdm/projects/p{i}/" for i in range(5)] == [x for x in locations if x.startswith("cdm/projects/")]
    assert len(locations) == len(set(locations)) and "ji/status/" in locations
    assert not list(repo_copy.build.glob("site.next*")), "the shards' folders are cleaned up"


def test_a_warning_in_a_worker_shard_fails_the_strict_build_named(repo_copy, caplog):
    """p1.md goes to the second shard (round robin): its broken link is reported by the
    parent, counted, and the last good site stays."""
    build_site(repo_copy, strict=True, settings=Publishing(None, None, "main"))
    good = (repo_copy.site / "index.html").read_bytes()
    _record_pages(repo_copy, {"p0.md": "# Fine\n", "p1.md": "# Broken\n\n[gone](../../nowhere.md)\n"})
    with caplog.at_level(logging.WARNING, logger="mkdocs"), pytest.raises(BuildFailed, match="1 warning"):
        build_site(repo_copy, strict=True, settings=Publishing(None, None, "main"), shards=2)
    assert any("cdm/projects/p1.md" in r.getMessage() and "nowhere.md" in r.getMessage() for r in caplog.records)
    assert (repo_copy.site / "index.html").read_bytes() == good
    assert not (repo_copy.site / "cdm" / "projects").exists()


def test_large_packages_check_foreign_keys_on_the_loaded_tables_as_frictionless_does(repo_copy, monkeypatch):
    """A large package leaves foreign keys out of frictionless and checks them vectorised
    afterwards: the same located problems and messages, single and composite keys."""
    from build_scripts.validate import validate_package

    data = repo_copy.datapackages / "ji" / "data"
    edit_cell(data / "meetings.csv", {"meeting_id": "JISC-39"}, "source_document", "FCCC/NOPE/1")
    edit_cell(data / "committee_positions.csv", {"seat_id": read_rows(data / "committee_positions.csv")[0]["seat_id"],
                                                  "role": read_rows(data / "committee_positions.csv")[0]["role"]},
              "person_id", "nobody")
    first_event = read_rows(data / "committee_events.csv")[0]
    edit_cell(data / "committee_events.csv", {k: first_event[k] for k in ("seat_id", "role", "person_id")}, "seat_id", "99")
    descriptor = repo_copy.datapackages / "ji" / "datapackage.json"
    located = lambda report: [(p.rule, p.resource, p.path, p.row, p.field, p.value, p.message) for p in report.problems]  # noqa: E731
    stock = validate_package(descriptor, repo_copy.root)
    monkeypatch.setattr(schema, "PARALLEL_FROM_BYTES", 0)
    assert schema.large(descriptor)
    deferred = validate_package(descriptor, repo_copy.root)
    assert located(deferred) == located(stock)
    assert {p.resource for p in stock.errors} == {"meetings", "committee_positions", "committee_events"}
    assert any(p.field == "seat_id, role" for p in stock.errors) and all(p.rule == "foreign-key" for p in stock.errors)
