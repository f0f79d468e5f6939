"""The build uses both cores: frictionless validation split by resource across processes, and
page rendering across forked processes. Both must give exactly what one process gives."""

from __future__ import annotations

import hashlib
from pathlib import Path

from build_scripts.render.pages import render_pages
from build_scripts.site import _pages, validate_all
from build_scripts.validate import schema
from build_scripts.publishing import Publishing
from tests.helpers import edit_cell


def _tree(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_parallel_rendering_writes_the_same_files(repo_copy, tmp_path):
    reports = validate_all(repo_copy)
    packages = [r.loaded for r in reports]
    by_name = {r.package: r for r in reports}
    pages = _pages(packages, reports, by_name, [], [], Publishing(None, None, "main"))
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
