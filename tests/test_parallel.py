"""The build uses every core: frictionless validation split by resource across processes,
page rendering across forked processes, one stock mkdocs build per language, several at once
(mkdocs_build.py) with the registry's hooks (mkdocs_hooks.py). Each must give exactly what one
process gives (the full site: test_publishing's reproducibility test)."""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

import pytest

from build_scripts.mkdocs_hooks import ARTICLE_MARK
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


RECORD = ("---\ntitle: Record {i}\ntemplate: record.html\n---\n# Record {i}\n\nSearched text {i}.\n"
          + ARTICLE_MARK + '<div class="x"><p>Article text {i}: *not emphasis*, [not a link](x.md)</p></div>\n')


def test_record_articles_reach_the_page_unparsed(repo_copy):
    """A record page's article (after ARTICLE_MARK) goes to the page as written: Markdown in
    it stays text, and the page uses record.html."""
    _record_pages(repo_copy, {f"p{i}.md": RECORD.format(i=i) for i in range(3)})
    build_site(repo_copy, strict=True, settings=Publishing(None, None, "main"))
    site = repo_copy.site
    for i in range(3):
        html = (site / "cdm" / "projects" / f"p{i}" / "index.html").read_text(encoding="utf-8")
        assert f"Article text {i}: *not emphasis*, [not a link](x.md)" in html
        assert "<em>" not in html and "registry:article" not in html
        assert "md-sidebar--secondary" not in html  # record.html: no table of contents sidebar
    assert not list(repo_copy.build.glob("site.next*")), "the language builds' folders are cleaned up"


def test_each_language_is_a_stock_mkdocs_build_of_its_own_configuration(repo_copy):
    """build/mkdocs/<language>.yml holds everything a language's build needs: the stock
    command line rebuilds that language's site from it, byte for byte (all but its search
    index, which Pagefind makes from the built pages afterwards: build_scripts/search.py)."""
    import subprocess
    import sys

    build_site(repo_copy, strict=True, settings=Publishing(None, None, "main"), languages=["en", "fr"])
    config = repo_copy.build / "mkdocs" / "fr.yml"
    text = config.read_text(encoding="utf-8")
    assert "mkdocs_hooks.py" in text
    epoch = re.search(r"SOURCE_DATE_EPOCH=(\d+) python -m mkdocs build -f build/mkdocs/fr.yml", text).group(1)
    again = repo_copy.root / "again"
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-f", str(config), "-d", str(again)],
                          capture_output=True, text=True, cwd=repo_copy.root,
                          env={**os.environ, "NO_MKDOCS_2_WARNING": "1", "SOURCE_DATE_EPOCH": epoch})
    assert done.returncode == 0, done.stderr
    built = repo_copy.site / "fr"
    unsearched = lambda tree: {k: v for k, v in tree.items() if not k.startswith("search/")}  # noqa: E731
    assert unsearched(_tree(again)) == unsearched(_tree(built))
    assert any(k.startswith("search/pages/") for k in _tree(built))


def test_a_warning_in_one_language_fails_the_strict_build_named(repo_copy):
    """A broken link on a page of one language's build: the build fails naming the language,
    the page and the link, and the last good site stays."""
    build_site(repo_copy, strict=True, settings=Publishing(None, None, "main"))
    good = (repo_copy.site / "index.html").read_bytes()
    _record_pages(repo_copy, {"p0.md": "# Fine\n", "p1.md": "# Broken\n\n[gone](../../nowhere.md)\n"})
    with pytest.raises(BuildFailed, match=r"(?s)strict mode \(en\).*cdm/projects/p1.md.*nowhere.md"):
        build_site(repo_copy, strict=True, settings=Publishing(None, None, "main"))
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
