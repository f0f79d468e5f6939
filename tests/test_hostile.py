"""Issue 9: hostile input, safe output. The corpus of tests/hostile.py goes through import,
validation and the build (the session fixture hostile_build); every value reaches the
package, the pages, the search index, the charts and the JSON as the same literal text, and
nothing it holds becomes markup. Identifiers that would leave the site's folder, or share an
address, stop validation with a located error; the build refuses them and the last good
site stays. The browser half is tests/browser/test_hostile.py.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from bs4 import BeautifulSoup

from build_scripts.errors import ValidationFailed
from build_scripts.importers import import_cdm
from build_scripts.render.pages import UnsafeOutputPath, output_path
from build_scripts.render.slugs import path_problem
from build_scripts.site import BuildFailed, build_site, validate_all
from tests import hostile
from build_scripts.paths import REPO_ROOT
from tests.conftest import PUBLISHED, copy_repository
from tests.hostile import CORPUS, DOE_NAMES, PROJECT_TYPES, collapse, displayed, expected, in_front_matter

KEYS = list(CORPUS)


def soup_of(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def record_value(soup: BeautifulSoup, label: str) -> str:
    """The text of a record table's row whose header is `label`."""
    header = soup.find("th", string=label)
    assert header is not None, f"no row {label!r}"
    return header.find_next_sibling("td").get_text()


# --- import ------------------------------------------------------------------------------------

def test_the_importer_keeps_every_hostile_value_as_the_same_text(hostile_build):
    layout, references = hostile_build
    data = layout.datapackages / "cdm" / "data"
    projects = pd.read_csv(data / "projects.csv", dtype=str, keep_default_na=False).set_index("project_id")
    for key, value in CORPUS.items():
        assert projects.loc[references[key], "title"] == expected(value), key
    entities = pd.read_csv(data / "entities.csv", dtype=str, keep_default_na=False)
    assert set(DOE_NAMES.values()) <= set(entities["entity_id"]) & set(entities["name"])
    assert set(PROJECT_TYPES.values()) <= set(projects["project_type"])


def test_the_hostile_packages_validate_without_a_problem(hostile_build):
    layout, _ = hostile_build
    reports = validate_all(layout)
    assert sorted(report.package for report in reports) == ["cdm", "ji"]
    assert [str(p) for r in reports for p in r.errors] == []


# --- pages -------------------------------------------------------------------------------------

@pytest.mark.parametrize("key", KEYS)
def test_a_hostile_title_is_literal_text_on_its_project_page(hostile_build, key):
    layout, references = hostile_build
    soup = soup_of(layout.site / "cdm" / "projects" / references[key] / "index.html")
    assert hostile.injected_markup(soup) == []
    value = CORPUS[key]
    assert collapse(record_value(soup, "Title")) == displayed(value)
    assert hostile.balanced(record_value(soup, "Title"))  # no direction change leaks out
    heading = soup.find("article").find("h1")
    assert collapse(heading.get_text().removesuffix("¶")) == displayed(value)
    # <title> and the description: mkdocs-material prints them unescaped; they read as the value
    title = soup.find("title").get_text()
    assert title == f"CDM project {references[key]}: {in_front_matter(value)} - JI & CDM transparency registry"
    description = soup.find("meta", attrs={"name": "description"})["content"]
    assert description.startswith(f"CDM project {references[key]} {in_front_matter(value)}, hosted by ")


def test_no_page_of_the_hostile_site_holds_injected_markup(hostile_build):
    layout, _ = hostile_build
    pages = sorted(layout.site.rglob("*.html"))
    assert len(pages) > 100
    found = {str(page.relative_to(layout.site)): hostile.injected_markup(soup_of(page)) for page in pages}
    assert {page: items for page, items in found.items() if items} == {}


def test_the_search_index_holds_the_values_as_text(hostile_build):
    """A search result's title and text come from the records index (search.js shows them as
    text): each hostile title is there as the literal text, in no markup."""
    from build_scripts import search

    layout, references = hostile_build
    sections = {}  # a record's page -> (its group's fragment, its section's heading)
    for fragment in search.read_fragments(layout.site / "search" / "cdm" / "projects"):
        anchors = {a["id"]: a for a in fragment["anchors"]}
        for position, record in enumerate(json.loads(fragment["meta"]["records"])):
            sections[record[0]] = (fragment, anchors[f"{search.SECTION_PREFIX}{position}"])
    for key in ("script", "img-onerror", "html-block-escape", "jinja"):
        fragment, heading = sections[f"cdm/projects/{references[key]}/"]
        assert collapse(heading["text"]) == displayed(CORPUS[key])  # the result's title (search.js: as text)
        assert displayed(CORPUS[key]) in collapse(fragment["content"])


def test_hostile_doe_names_are_literal_on_their_pages_and_in_safe_addresses(hostile_build):
    layout, _ = hostile_build
    does = layout.site / "cdm" / "does"
    for name, folder in [(DOE_NAMES["LGAI"], "img-id-inj-doe-src-x-onerror-window-pwned-1"),
                         (DOE_NAMES["RINA"], "7-7-doe-x-evil-code-inj-doe2")]:
        soup = soup_of(does / folder / "index.html")
        assert hostile.injected_markup(soup) == []
        assert collapse(soup.find("article").find("h1").get_text().removesuffix("¶")) == displayed(name)


def test_the_record_folders_are_the_published_identifiers(hostile_build):
    """PUBLISHED_IDENTIFIERS (what validation checks) names every folder of record pages."""
    from build_scripts.render.slugs import PUBLISHED_IDENTIFIERS

    layout, _ = hostile_build
    folders = {folder.name for folder in (layout.site / "cdm").iterdir()
               if folder.is_dir() and any(child.is_dir() for child in folder.iterdir())
               and folder.name not in ("explorer",)}
    assert folders == {folder for (package, _), (_, folder) in PUBLISHED_IDENTIFIERS.items() if package == "cdm"}


def test_descriptor_text_edited_by_pull_request_is_literal_on_the_data_dictionary(hostile_build):
    layout, _ = hostile_build
    soup = soup_of(layout.site / "downloads" / "data-dictionary" / "index.html")
    assert hostile.injected_markup(soup) == []
    text = collapse(soup.find("article").get_text())
    assert displayed(hostile.DOCUMENTS_DESCRIPTION) in text and displayed(hostile.FIELD_DESCRIPTION) in text


def test_a_finance_label_edited_by_pull_request_is_literal_on_the_finance_page(hostile_build):
    layout, _ = hostile_build
    soup = soup_of(layout.site / "ji" / "finances" / "index.html")
    assert hostile.injected_markup(soup) == []
    assert displayed(hostile.FINANCE_LABEL) in collapse(soup.find("article").get_text())


@pytest.mark.parametrize("key", ["script", "html-block-escape", "bidi-unclosed", "jinja", "long"])
def test_a_hostile_title_is_literal_on_the_arabic_page(hostile_build, key):
    """Right to left: the value sits in a page whose direction is the opposite of its own."""
    layout, references = hostile_build
    soup = soup_of(layout.site / "ar" / "cdm" / "projects" / references[key] / "index.html")
    assert soup.body["dir"] == "rtl" and hostile.injected_markup(soup) == []
    heading = soup.find("article").find("h1")
    assert collapse(heading.get_text().removesuffix("¶")) == displayed(CORPUS[key])
    assert hostile.balanced(heading.get_text())


def test_a_hostile_project_type_is_literal_in_the_chart_and_its_table(hostile_build):
    layout, _ = hostile_build
    soup = soup_of(layout.site / "cdm" / "index.html")
    value = PROJECT_TYPES["Wind"]
    assert displayed(value) in [collapse(th.get_text()) for th in soup.find_all("th")]
    labels = []
    for script in soup.find_all("script", type="application/json"):
        figure = json.loads(script.get_text())
        for trace in figure.get("data", []) if isinstance(figure, dict) else []:
            labels += [label for label in trace.get("y", []) + trace.get("x", []) if isinstance(label, str)]
    # plotly.js reads pseudo-HTML in labels: the label holds entities, which it shows as text
    assert "&lt;b id=\"inj-type\"&gt;Wind&lt;/b&gt; &lt;a href=\"javascript:window.__pwned=1\"&gt;x&lt;/a&gt; &amp;amp;" in labels
    assert not [label for label in labels if "<" in label or ">" in label]


def test_a_hostile_summary_edited_by_pull_request_is_literal_on_the_ji_page(hostile_build):
    layout, _ = hostile_build
    soup = soup_of(layout.site / "ji" / "recommendations" / "index.html")
    assert hostile.injected_markup(soup) == []
    text = collapse(soup.find("article").get_text())
    assert displayed(hostile.RECOMMENDATION_SUMMARY) in text
    assert displayed(hostile.RECOMMENDATION_LOCATION) in text


def test_the_json_twin_and_downloads_round_trip_every_value(hostile_build):
    layout, references = hostile_build
    for key, value in CORPUS.items():
        twin = json.loads((layout.site / "api" / "cdm" / "projects" / f"{references[key]}.json").read_text(encoding="utf-8"))
        assert twin["id"] == references[key]
        assert expected(value) in json.dumps(twin, ensure_ascii=False) or _title_of(twin) == expected(value), key
    download = pd.read_csv(layout.site / "downloads" / "cdm" / "data" / "projects.csv", dtype=str,
                           keep_default_na=False).set_index("project_id")
    for key, value in CORPUS.items():
        assert download.loc[references[key], "title"] == expected(value)


def _title_of(twin: dict) -> str | None:
    for value in twin.values():
        if isinstance(value, dict) and "title" in value:
            return value["title"]
    return twin.get("title")


def test_the_feeds_are_well_formed_xml_holding_the_values_as_text(hostile_build):
    """Atom feeds carry project titles; XML cannot hold C0 controls even as references, so
    those are dropped there, and everything else is the same text."""
    import xml.etree.ElementTree as ET

    layout, _ = hostile_build
    projects = pd.read_csv(layout.datapackages / "cdm" / "data" / "projects.csv", dtype=str,
                           keep_default_na=False).set_index("project_id")
    atom = "{http://www.w3.org/2005/Atom}"
    dropped = 0
    listed = json.loads((layout.site / "api" / "index.json").read_text(encoding="utf-8"))["feeds"]
    for feed in [layout.site / f["path"] for f in listed]:
        root = ET.parse(feed).getroot()  # raises on a character or markup XML refuses
        assert root.tag == f"{atom}feed"
        for entry in root.iter(f"{atom}entry"):
            link = entry.find(f"{atom}link").get("href")
            match = re.fullmatch(r"cdm/projects/([0-9]+)/", link)
            if not match or not projects.loc[match.group(1), "title"]:
                continue
            title = projects.loc[match.group(1), "title"]
            in_xml = re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f]", "", title)
            dropped += in_xml != title
            assert f" to {in_xml}: serial block " in entry.find(f"{atom}summary").text
    assert dropped  # the control-character title is in the feed


# --- paths -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "reason"), [
    ("../../../tmp/evil", "'..'"),
    ("/etc/passwd", "absolute"),
    ("C:\\Windows\\evil", "absolute"),
    ("\\\\server\\share", "absolute"),
    ("evil/../../x", "'..'"),
    ("a/b", "slash"),
    ("javascript:alert(1)", "colon"),
    ("——", "letter or digit"),
])
def test_an_identifier_that_would_leave_the_site_is_refused_with_its_location(tmp_path, name, reason):
    """A DOE name from an imported report becomes entities.entity_id and cdm/does/<slug>/."""
    layout = _imported_with_doe(tmp_path, {"LGAI": name})
    problems = _problems(layout)
    found = [p for p in problems if p.rule == "identifier-safe-as-path"]
    assert len(found) == 1, [str(p) for p in problems]
    problem = found[0]
    assert problem.path == "datapackages/cdm/data/entities.csv"
    assert problem.field == "entity_id" and problem.value == name
    assert _row_of(layout, name) == problem.row
    assert reason in problem.message
    _assert_build_refused_and_last_site_kept(layout)


@pytest.mark.parametrize("name", ["tuv sud", "TUV.SUD", "Tuv_Sud", "TUV-SUD"])
def test_identifiers_sharing_an_address_are_refused_naming_both_rows(tmp_path, name):
    """'TUV SUD' is in the report: another spelling would overwrite cdm/does/tuv-sud/."""
    layout = _imported_with_doe(tmp_path, {"LGAI": name})
    found = [p for p in _problems(layout) if p.rule == "identifier-unique-address"]
    assert len(found) == 1
    problem = found[0]
    rows = {_row_of(layout, name), _row_of(layout, "TUV SUD")}
    assert problem.path == "datapackages/cdm/data/entities.csv"
    assert problem.row == max(rows) and f"(row {min(rows)})" in problem.message
    assert problem.field == "entity_id" and problem.value in (name, "TUV SUD")
    assert "cdm/does/tuv-sud/" in problem.message


def test_an_identifier_edited_by_pull_request_is_refused_too(tmp_path):
    """A pull request renaming DOE 'CCSC' to '../../index' in every table that names it."""
    layout = _imported_with_doe(tmp_path, {})
    data = layout.datapackages / "cdm" / "data"
    for path in data.glob("*.csv"):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        if "entity_id" in frame.columns:
            frame["entity_id"] = frame["entity_id"].replace("CCSC", "../../index")
            frame.to_csv(path, index=False, lineterminator="\n")
    found = [p for p in _problems(layout) if p.package == "cdm" and p.severity == "error"]
    assert [(p.rule, p.path, p.row, p.field, p.value) for p in found] == [
        ("identifier-safe-as-path", "datapackages/cdm/data/entities.csv", _row_of(layout, "../../index"),
         "entity_id", "../../index")]


@pytest.mark.parametrize("relative", ["", "/etc/x.md", "../x.md", "cdm/../../x.md", "cdm//x.md", "./x.md",
                                      "C:/x.md", "cdm\\..\\x.md", "cdm/x\n.md", "cdm/."])
def test_no_page_is_written_outside_the_docs_folder(tmp_path, relative):
    with pytest.raises(UnsafeOutputPath, match="refusing to write"):
        output_path(tmp_path, relative)


def test_a_plain_relative_page_path_is_written_inside_the_docs_folder(tmp_path):
    assert output_path(tmp_path, "cdm/does/tuv-sud/index.md") == tmp_path / "cdm" / "does" / "tuv-sud" / "index.md"


def test_the_real_identifiers_are_safe_and_distinct():
    from build_scripts.render.slugs import PUBLISHED_IDENTIFIERS, slug_collisions

    for (package, resource), (field, _) in PUBLISHED_IDENTIFIERS.items():
        column = pd.read_csv(REPO_ROOT / "datapackages" / package / "data" / f"{resource}.csv", dtype=str,
                             keep_default_na=False)[field]
        assert len(column) > 10
        assert [value for value in column if path_problem(value)] == [] and slug_collisions(column) == []


@pytest.mark.parametrize("name", ["Index", "INDEX", "index"])
def test_an_identifier_whose_address_is_the_list_page_is_refused(tmp_path, name):
    layout = _imported_with_doe(tmp_path, {"LGAI": name})
    found = [p for p in _problems(layout) if p.rule == "identifier-safe-as-path"]
    assert [(p.row, p.value) for p in found] == [(_row_of(layout, name), name)]
    assert "list page" in found[0].message


def _imported_with_doe(tmp_path: Path, renames: dict[str, str]):
    """A JI-only repository copy plus the CDM fixture slices imported with DOE names renamed."""
    layout = copy_repository(tmp_path / "repo", packages=("ji",))
    sources = tmp_path / "sources"
    shutil.copytree(hostile.SOURCE, sources)
    hostile.write_by_project(sources, doe_names=renames, project_types={})
    import_cdm(sources, layout.datapackages / "cdm")
    hostile.zero_holdings(layout.datapackages / "cdm")
    return layout


def _problems(layout):
    return [p for report in validate_all(layout) for p in report.problems]


def _row_of(layout, entity_id: str) -> int:
    rows = pd.read_csv(layout.datapackages / "cdm" / "data" / "entities.csv", dtype=str, keep_default_na=False)
    return int(rows.index[rows["entity_id"].eq(entity_id)][0]) + 2


def _assert_build_refused_and_last_site_kept(layout):
    layout.site.mkdir(parents=True, exist_ok=True)
    marker = layout.site / "index.html"
    marker.write_text("the last good site", encoding="utf-8")
    with pytest.raises(ValidationFailed):
        build_site(layout, strict=True, settings=PUBLISHED, languages=["en"])
    assert marker.read_text(encoding="utf-8") == "the last good site"
    assert not (layout.root / "tmp").exists() and not Path("/tmp/evil").exists()


# --- the pull request's job summary --------------------------------------------------------------

@pytest.mark.parametrize("key", ["html-block-escape", "script", "markdown-link", "table", "emphasis-code", "heading"])
def test_the_markdown_validation_report_shows_hostile_values_as_text(key):
    """`make validate SUMMARY=file` writes the report into the pull request's job summary,
    which maintainers read: a value from the pull request cannot add markup to it."""
    from build_scripts.errors import Problem
    from build_scripts.report import render_markdown
    from build_scripts.validate import ValidationReport

    value = CORPUS[key]
    problem = Problem(rule="identifier-safe-as-path", message=f"entity_id cannot name a page: {value}", package="cdm",
                      resource="entities", path="datapackages/cdm/data/entities.csv", row=4, field="entity_id",
                      value=value, hint="hint")
    out = render_markdown([ValidationReport(package="cdm", descriptor_path=Path("x"), problems=[problem])])
    rows = [line for line in out.splitlines() if line.startswith("| datapackages/cdm/data/entities.csv")]
    assert len(rows) == 1  # the value's line breaks and pipes stay inside its row
    assert [tag for tag in re.findall(r"<(\w+)", out) if tag != "br"] == ["details", "summary", "code"]
    assert rows[0].count(" | ") == 5
    # every character with a meaning in GitHub Markdown is backslash-escaped in the value's cells
    assert re.findall(r"(?<!\\)[*_\[\]`~|]", rows[0].strip("| ").replace(" | ", "")) == []


@pytest.mark.parametrize("path", ["../../../../../etc/passwd", "/etc/passwd", "raw/../../../mkdocs.yml"])
def test_a_document_path_outside_the_package_is_never_opened(tmp_path, path):
    """The JI schema's pattern refuses such a path; a package whose schema has none relies on
    the checksum check, which refuses it without opening it."""
    layout = copy_repository(tmp_path / "repo", packages=("ji",))
    package = layout.datapackages / "ji"
    hostile.edit(package / "data" / "documents.csv", {"document_id": "FCCC/KP/CMP/2016/5"}, {"path": path})
    found = [(p.rule, p.path, p.row, p.field, p.value) for p in _problems(layout) if p.severity == "error"]
    assert found == [("constraint-error", "datapackages/ji/data/documents.csv", 2, "path", path)]

    descriptor = json.loads((package / "datapackage.json").read_text(encoding="utf-8"))
    documents = next(r for r in descriptor["resources"] if r["name"] == "documents")
    next(f for f in documents["schema"]["fields"] if f["name"] == "path")["constraints"].pop("pattern")
    (package / "datapackage.json").write_text(json.dumps(descriptor, indent=2), encoding="utf-8")
    found = [p for p in _problems(layout) if p.severity == "error"]
    assert [(p.rule, p.path, p.row, p.field, p.value) for p in found] == [
        ("raw-file-checksum", "datapackages/ji/data/documents.csv", 2, "path", path)]
    assert "outside the package" in found[0].message


# --- release notes (CHANGELOG.md, written by the pull request) ------------------------------------

@pytest.mark.parametrize("key", ["script", "img-onerror", "svg-onload", "iframe", "javascript-link", "data-url",
                                 "style", "markdown-link", "markdown-image", "attribute-list", "md-in-html",
                                 "html-block-escape", "admonition", "template-comment", "entity-obfuscated-link"])
def test_a_release_note_with_markup_is_refused(key):
    from build_scripts.render.api import release_note_problems

    assert release_note_problems("Corrected two rows. " + CORPUS[key]) != []


def test_the_build_refuses_a_hostile_release_note_naming_its_line_and_keeps_the_site(tmp_path):
    layout = copy_repository(tmp_path / "repo", packages=("ji",))
    text = layout.changelog.read_text(encoding="utf-8")
    line = text.splitlines().index("## ji 1.0.0 (2026-11-26)") + 1
    layout.changelog.write_text(text.replace("## ji 1.0.0 (2026-11-26)\n", "## ji 1.0.0 (2026-11-26)\n\n"
                                             + CORPUS["img-onerror"] + "\n"), encoding="utf-8")
    layout.site.mkdir(parents=True)
    (layout.site / "index.html").write_text("the last good site", encoding="utf-8")
    with pytest.raises(BuildFailed, match=rf"CHANGELOG.md, line {line} \(## ji 1.0.0\).*<img onerror="):
        build_site(layout, strict=True, settings=PUBLISHED, languages=["en"])
    assert (layout.site / "index.html").read_text(encoding="utf-8") == "the last good site"


def test_template_and_extension_syntax_in_a_release_note_is_shown_as_written(tmp_path):
    layout = copy_repository(tmp_path / "repo", packages=("ji",))
    note = " ".join(CORPUS[key] for key in ("jinja", "macros", "emoji"))
    text = layout.changelog.read_text(encoding="utf-8")
    layout.changelog.write_text(text.replace("## ji 1.0.0 (2026-11-26)\n", f"## ji 1.0.0 (2026-11-26)\n\n{note}\n"),
                                encoding="utf-8")
    build_site(layout, strict=True, settings=PUBLISHED, languages=["en"])
    soup = soup_of(layout.site / "changelog" / "index.html")
    assert hostile.injected_markup(soup) == [] and collapse(note) in collapse(soup.find("article").get_text())


@pytest.mark.parametrize("workers", [1, 2])
def test_two_pages_with_one_address_are_refused_in_one_process_or_several(tmp_path, workers):
    """Validation refuses identifiers sharing an address first; the writer is the last check,
    however the pages are shared out between processes."""
    from build_scripts.render.pages import Page, render_pages

    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "page.md.j2").write_text("---\ntitle: {{ name }}\n---\n# {{ name }}\n", encoding="utf-8")
    pages = [Page(f"cdm/does/{name}.md", "page.md.j2", {"name": name}) for name in ("a", "b", "c", "a")]
    with pytest.raises(UnsafeOutputPath, match="'cdm/does/a.md' twice"):
        render_pages(pages, templates, tmp_path / "docs", workers=workers)
    assert render_pages(pages[:3], templates, tmp_path / "docs", workers=workers) == 3
