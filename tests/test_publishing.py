"""Publishing: the GitHub workflows, edit links, the JSON API and feeds, releases and
reproducible builds."""

from __future__ import annotations

import datetime
import hashlib
import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urljoin

import pytest
import yaml
from bs4 import BeautifulSoup

from build_scripts.load import load_package
from build_scripts.paths import REPO_ROOT
from build_scripts.publishing import Publishing, PublishingError, data_epoch, publishing
from build_scripts.render import api
from build_scripts.site import BuildFailed, build_site
from tests.conftest import SESSION_LANGUAGES, PUBLISHED, copy_repository
from tests.helpers import edit_descriptor

WORKFLOWS = sorted((REPO_ROOT / ".github" / "workflows").glob("*.yml"))
BIN = Path(sys.executable).parent
ATOM = "{http://www.w3.org/2005/Atom}"
SHA_PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")


# --- Workflows ----------------------------------------------------------------------------

def test_the_workflows_exist():
    assert {p.name for p in WORKFLOWS} >= {"ci.yml", "pages.yml"}


def test_workflows_pass_check_jsonschema():
    result = subprocess.run([str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows",
                             *map(str, WORKFLOWS)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def _zizmor(path: Path) -> list[dict]:
    result = subprocess.run([str(BIN / "zizmor"), "--offline", "--format", "json", "--no-progress", str(path)],
                            capture_output=True, text=True, timeout=120)
    assert result.stdout.strip(), result.stderr
    return json.loads(result.stdout)


def test_workflows_have_no_zizmor_findings():
    findings = _zizmor(REPO_ROOT / ".github" / "workflows")
    assert findings == [], [(f["ident"], f["desc"]) for f in findings]


def test_zizmor_catches_what_it_is_here_for(tmp_path):
    """The audit above can fail: an unpinned action, write-all permissions and a template
    injection are each reported."""
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "bad.yml").write_text(
        "name: bad\non: pull_request\njobs:\n  bad:\n    name: bad\n    runs-on: ubuntu-24.04\n"
        "    permissions: write-all\n    steps:\n      - uses: actions/checkout@v4\n"
        "      - run: echo \"${{ github.event.pull_request.title }}\"\n", encoding="utf-8")
    idents = {f["ident"] for f in _zizmor(workflows)}
    assert {"unpinned-uses", "excessive-permissions", "template-injection"} <= idents


def _load(name: str) -> dict:
    return yaml.safe_load((REPO_ROOT / ".github" / "workflows" / name).read_text(encoding="utf-8"))


def _steps(workflow: dict):
    for job in workflow["jobs"].values():
        yield from job.get("steps", [])


def test_every_action_is_pinned_by_commit_sha():
    for path in WORKFLOWS:
        for step in _steps(yaml.safe_load(path.read_text(encoding="utf-8"))):
            if "uses" in step:
                assert SHA_PINNED.match(step["uses"]), f"{path.name}: {step['uses']}"


def _make_targets() -> set[str]:
    makefile = (REPO_ROOT / "Makefile").read_text(encoding="utf-8")
    return set(re.findall(r"^([a-z][\w-]*):", makefile, re.M))


def test_workflow_steps_call_make_targets_the_tests_exercise():
    targets = _make_targets()
    called = set()
    for path in WORKFLOWS:
        for step in _steps(yaml.safe_load(path.read_text(encoding="utf-8"))):
            for target in re.findall(r"\bmake(?: --silent| -s)? ([a-z][\w-]*)", step.get("run", "")):
                assert target in targets, f"{path.name} calls make {target}, which the Makefile lacks"
                called.add(target)
            # Python is only reached through make: no step installs or runs anything else.
            assert "pip install" not in step.get("run", ""), step
    assert {"validate", "diff", "site", "test"} <= called


def test_pull_requests_validate_diff_build_test_and_upload_a_preview():
    ci = _load("ci.yml")
    assert "pull_request" in ci.get(True, ci.get("on"))  # YAML 1.1 reads the key `on` as true
    runs = " ".join(step.get("run", "") for step in _steps(ci))
    assert 'SUMMARY="$GITHUB_STEP_SUMMARY"' in runs and "FORMAT=markdown >> \"$GITHUB_STEP_SUMMARY\"" in runs
    assert any("upload-artifact" in step.get("uses", "") for step in _steps(ci))
    assert ci["permissions"] == {"contents": "read"}
    assert "secrets." not in (REPO_ROOT / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8")


def test_publishing_deploys_pages_with_least_privilege():
    pages = _load("pages.yml")
    triggers = pages.get(True, pages.get("on"))
    assert triggers["push"]["branches"] == ["main"]
    assert pages["permissions"] == {}
    assert pages["concurrency"]["group"] and pages["concurrency"]["cancel-in-progress"] is False
    build, deploy = pages["jobs"]["build"], pages["jobs"]["deploy"]
    assert build["permissions"] == {"contents": "read", "pages": "read"}
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["needs"] == "build" and deploy["environment"]["name"] == "github-pages"
    uses = [s["uses"].split("@")[0] for s in _steps(pages) if "uses" in s]
    assert "actions/upload-pages-artifact" in uses and "actions/deploy-pages" in uses
    built = next(s for s in build["steps"] if s.get("run") == "make site")
    assert set(built["env"]) == {"REGISTRY_SITE_URL", "REGISTRY_REPO_URL", "REGISTRY_REPO_BRANCH"}


def test_pull_request_template_carries_the_reviewers_checklist():
    template = (REPO_ROOT / ".github" / "pull_request_template.md").read_text(encoding="utf-8")
    boxes = re.findall(r"^- \[ \] (.+)$", template, re.M)
    assert len(boxes) >= 5
    assert any("source" in b for b in boxes) and any("make validate" in b for b in boxes)
    assert any("CHANGELOG" in b for b in boxes)


# --- Publishing settings ------------------------------------------------------------------

def test_publishing_settings_from_the_environment():
    settings = publishing(REPO_ROOT, {"REGISTRY_SITE_URL": "https://a.example/reg", "GITHUB_REPOSITORY": "org/repo",
                                      "GITHUB_SERVER_URL": "https://github.com"})
    assert settings == Publishing("https://a.example/reg/", "https://github.com/org/repo", "main")
    assert publishing(REPO_ROOT, {}) == Publishing(None, None, "main")


@pytest.mark.parametrize("env", [
    {"REGISTRY_SITE_URL": "javascript:alert(1)"},
    {"REGISTRY_REPO_URL": "https://github.com/a/b\" onmouseover=\"x"},
    {"REGISTRY_REPO_BRANCH": "../../etc"},
])
def test_unsafe_publishing_settings_are_refused(env):
    with pytest.raises(PublishingError):
        publishing(REPO_ROOT, env)


def test_the_build_date_is_the_latest_as_of_date():
    assert data_epoch(["2016-09-21", "2023-08-31"]) == 1693440000  # 2023-08-31T00:00:00Z


# --- Edit links ---------------------------------------------------------------------------

def _edit_link(site: Path, page: str) -> str:
    doc = BeautifulSoup((site / page / "index.html").read_text(encoding="utf-8"), "html.parser")
    links = doc.select("a[rel=edit]")
    assert len(links) == 1, page
    return links[0]["href"]


@pytest.mark.parametrize("page, target", [
    ("ji/status", "edit/main/datapackages/ji/data/reported_figures.csv"),
    ("ji/committee", "edit/main/datapackages/ji/data/committee_seats.csv"),
    ("ji/finances", "edit/main/datapackages/ji/data/finance_tables.csv"),
    ("about", "edit/main/site_src/docs/about.md"),
    ("methodology", "edit/main/site_src/templates/methodology.md.j2"),
    ("changelog", "edit/main/CHANGELOG.md"),
    # imported package: the CSV is opened for viewing (it changes by import, see CONTRIBUTING)
    ("cdm/projects/1000", "blob/main/datapackages/cdm/data/projects.csv"),
    ("cdm/parties/kr", "blob/main/datapackages/cdm/data/parties.csv"),
])
def test_edit_this_page_opens_the_file_the_page_comes_from(built_site, page, target):
    assert _edit_link(built_site, page) == f"{PUBLISHED.repo_url}/{target}"


def test_every_page_has_one_edit_link_to_a_file_in_the_repository(built_site, built_layout):
    pattern = re.compile(r'<a href="' + re.escape(PUBLISHED.repo_url) + r'/(?:edit|blob)/main/([^"]+)"[^>]* rel="edit"')
    seen = set()
    for page in built_site.rglob("index.html"):
        found = pattern.findall(page.read_text(encoding="utf-8"))
        assert len(found) == 1, page
        seen.add(found[0])
    for path in seen:
        assert (built_layout.root / path).is_file(), path


def test_without_a_known_repository_there_is_no_edit_link(repo_copy):
    build_site(repo_copy, settings=Publishing(None, None, "main"))
    assert 'rel="edit"' not in (repo_copy.site / "ji" / "status" / "index.html").read_text(encoding="utf-8")


# --- JSON API -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def api_index(built_site) -> dict:
    return json.loads((built_site / "api" / "index.json").read_text(encoding="utf-8"))


def test_the_api_index_lists_packages_resources_collections_and_feeds(built_site, api_index):
    assert api_index["api_version"] == api.API_VERSION
    names = [p["name"] for p in api_index["packages"]]
    assert names == ["ji", "cdm"]
    for package in api_index["packages"]:
        descriptor = json.loads((REPO_ROOT / "datapackages" / package["name"] / "datapackage.json").read_text(encoding="utf-8"))
        assert (package["version"], package["as_of"]) == (descriptor["version"], descriptor["as_of"])
        for resource in package["resources"]:
            assert (built_site / resource["csv"]).is_file() and (built_site / resource["json"]).is_file()
        for download in package["downloads"]:
            data = (built_site / download["path"]).read_bytes()
            assert hashlib.sha256(data).hexdigest() == download["sha256"] and len(data) == download["bytes"]
    for feed in api_index["feeds"]:
        assert (built_site / feed["path"]).is_file()


@pytest.mark.parametrize("collection, pages", [("projects", "cdm/projects"), ("parties", "cdm/parties"), ("does", "cdm/does")])
def test_every_record_page_has_its_json_twin(built_site, api_index, collection, pages):
    cdm = next(p for p in api_index["packages"] if p["name"] == "cdm")
    listed = next(c for c in cdm["collections"] if c["name"] == collection)
    index = json.loads((built_site / listed["index"]).read_text(encoding="utf-8"))
    assert index["count"] == len(index["records"]) == listed["count"]
    record_pages = {p.parent.name for p in (built_site / pages).glob("*/index.html")}
    assert {r["page"].rstrip("/").split("/")[-1] for r in index["records"]} == record_pages
    for record in index["records"]:
        twin = built_site / record["json"]
        assert twin.is_file(), record
        assert record["json"] == listed["record"].replace("{slug}", record["page"].rstrip("/").split("/")[-1])
    # each page links to its twin
    sample = index["records"][0]
    page = BeautifulSoup((built_site / sample["page"] / "index.html").read_text(encoding="utf-8"), "html.parser")
    hrefs = [urljoin("https://x.example/" + sample["page"], a["href"]) for a in page.select("a[href$='.json']")]
    assert "https://x.example/" + sample["json"] in hrefs


def _cells(table) -> list[list[str]]:
    return [[" ".join(td.get_text(" ").split()) for td in tr.find_all("td")] for tr in table.select("tbody tr")]


def _all_cells(site: Path, page: str, doc, caption: str, kind: str) -> list[list[str]]:
    """A transaction table's rows: all of them, on the project's page."""
    tables = {t.caption.get_text().split(" (")[0]: t for t in doc.select("table.registry-table") if t.caption}
    return _cells(tables[caption]) if caption in tables else []


def _project_pages_to_compare(site: Path, index: dict) -> list[dict]:
    """Every 40th project, plus the five with the longest histories (the largest twins)."""
    records = index["records"]
    largest = sorted(records, key=lambda r: (site / r["json"]).stat().st_size, reverse=True)[:5]
    return records[::40] + largest


def test_project_twins_match_their_pages(built_site):
    index = json.loads((built_site / "api" / "cdm" / "projects.json").read_text(encoding="utf-8"))
    for record in _project_pages_to_compare(built_site, index):
        twin = json.loads((built_site / record["json"]).read_text(encoding="utf-8"))
        doc = BeautifulSoup((built_site / record["page"] / "index.html").read_text(encoding="utf-8"), "html.parser")
        project = twin["project"]
        assert twin["id"] == project["project_id"] == record["id"]
        figures = [int(v.get_text().replace(",", "")) for v in doc.select("ul.registry-figures .registry-figure__value")]
        assert figures[:2] == [project["units_issued"], project["units_cancelled"]], record
        issued = _all_cells(built_site, record["page"], doc, "Issuances with serial blocks", "issuances")
        assert [row[4].replace(",", "") for row in issued] == [str(i["serial_end"]) for i in twin["issuances"]], record
        cancelled = _all_cells(built_site, record["page"], doc, "Cancellations with serial blocks", "cancellations")
        assert [row[5] for row in cancelled] == [str(c["serial_end"]) for c in twin["cancellations"]], record
        assert twin["package"]["as_of"] == "2023-08-31"


def test_party_and_doe_twins_match_their_pages(built_site):
    for collection in ("parties", "does"):
        index = json.loads((built_site / "api" / "cdm" / f"{collection}.json").read_text(encoding="utf-8"))
        for record in index["records"][::7]:
            twin = json.loads((built_site / record["json"]).read_text(encoding="utf-8"))
            doc = BeautifulSoup((built_site / record["page"] / "index.html").read_text(encoding="utf-8"), "html.parser")
            caption = doc.select("table.registry-table")[-1].caption.get_text().split(" (")[0]
            listed = [row[0] for row in _all_cells(built_site, record["page"], doc, caption, "projects")]
            assert listed == [p["project_id"] for p in twin["projects"]], record


# --- Feeds --------------------------------------------------------------------------------

def _feed(site: Path, name: str) -> ET.Element:
    return ET.parse(site / "api" / "feeds" / name).getroot()


def test_the_issuance_feed_holds_the_latest_issuances(built_site):
    feed = _feed(built_site, "cdm-issuances.xml")
    base = feed.get("{http://www.w3.org/XML/1998/namespace}base")
    assert base == PUBLISHED.site_url
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == api.ISSUANCES_IN_FEED
    cdm = load_package(REPO_ROOT / "datapackages" / "cdm" / "datapackage.json")
    dates = [e.find(f"{ATOM}updated").text[:10] for e in entries]
    assert dates == sorted(dates, reverse=True)
    assert dates[0] == cdm["issuances"]["issuance_date"].max().date().isoformat()
    newest = cdm["issuances"]["issuance_date"].nlargest(api.ISSUANCES_IN_FEED, keep="all")
    assert dates[-1] >= newest.min().date().isoformat()
    assert len({e.find(f"{ATOM}id").text for e in entries}) == len(entries)
    for entry in entries:
        link = entry.find(f"{ATOM}link").get("href")
        assert (built_site / link / "index.html").is_file(), link


def test_the_releases_feed_and_page_follow_the_changelog(built_site):
    releases = api.read_changelog(REPO_ROOT / "CHANGELOG.md")
    entries = _feed(built_site, "releases.xml").findall(f"{ATOM}entry")
    assert {e.find(f"{ATOM}title").text for e in entries} == {f"{r.package.upper()} data package {r.version}" for r in releases}
    doc = BeautifulSoup((built_site / "changelog" / "index.html").read_text(encoding="utf-8"), "html.parser")
    for release in releases:
        assert doc.find(id=release.anchor) is not None


def test_each_package_version_has_a_changelog_entry():
    releases = {(r.package, r.version) for r in api.read_changelog(REPO_ROOT / "CHANGELOG.md")}
    for descriptor in sorted((REPO_ROOT / "datapackages").glob("*/datapackage.json")):
        data = json.loads(descriptor.read_text(encoding="utf-8"))
        assert (data["name"], data["version"]) in releases
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", data["as_of"])


def test_a_version_without_a_changelog_entry_stops_the_build(repo_copy):
    build_site(repo_copy)
    before = (repo_copy.site / "index.html").read_bytes()
    edit_descriptor(repo_copy.datapackages / "ji", lambda d: d.update(version="1.1.0"))
    with pytest.raises(BuildFailed, match=r"CHANGELOG\.md: no entry '## ji 1\.1\.0"):
        build_site(repo_copy)
    assert (repo_copy.site / "index.html").read_bytes() == before


# --- Reproducible builds ------------------------------------------------------------------

def _tree(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_the_same_commit_builds_byte_identical_sites(built_site, english_build):
    """A second full build, in another folder, gives the same bytes in every file: pages,
    search index, sitemap; the default language's site does not depend on which other
    languages were built beside it (here English alone, in the session English and Arabic)."""
    first = {name: digest for name, digest in _tree(built_site).items() if name.split("/")[0] not in SESSION_LANGUAGES}
    second = _tree(english_build.site)
    assert first.keys() == second.keys()
    differing = [name for name in first if first[name] != second[name]]
    assert differing == []


def test_the_sitemap_carries_the_data_date_not_the_build_date(built_site):
    sitemap = (built_site / "sitemap.xml").read_text(encoding="utf-8")
    assert set(re.findall(r"<lastmod>([^<]+)</lastmod>", sitemap)) == {"2023-08-31"}
    assert f"<loc>{PUBLISHED.site_url}cdm/projects/1000/</loc>" in sitemap


def test_release_notes_reach_feed_readers_as_html_not_markdown(built_site):
    """Each release's entry: its note as HTML content (lists, code and emphasis as elements),
    a plain-text summary with no Markdown marks left in it."""
    releases = {f"{r.package.upper()} data package {r.version}": r for r in api.read_changelog(REPO_ROOT / "CHANGELOG.md")}
    for entry in _feed(built_site, "releases.xml").findall(f"{ATOM}entry"):
        release = releases[entry.find(f"{ATOM}title").text]
        content = entry.find(f"{ATOM}content")
        assert content.get("type") == "html"
        html = BeautifulSoup(content.text, "html.parser")
        assert html.find("p") is not None
        if "\n- " in release.text:
            assert html.find("li") is not None
        summary = entry.find(f"{ATOM}summary")
        assert summary.get("type") == "text"
        assert "`" not in summary.text and "**" not in summary.text and "\n- " not in summary.text
        assert "".join(html.get_text().split()) == "".join(summary.text.split())  # the same words


def test_a_release_note_link_to_a_page_of_the_site_is_the_page_address():
    html = api.release_html("See the [downloads](downloads/index.md#cdm) and [API](api.md), "
                            "or [UNFCCC](https://unfccc.int/a.md).", "../../")
    links = [a["href"] for a in BeautifulSoup(html, "html.parser").find_all("a")]
    assert links == ["../../downloads/#cdm", "../../api/", "https://unfccc.int/a.md"]


def test_citation_file_matches_the_packages_and_the_changelog():
    """CITATION.cff cites each data package by the title and version of its descriptor and the
    release date CHANGELOG.md gives that version: a version bump that forgets it fails here."""
    citation = yaml.safe_load((REPO_ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert citation["cff-version"] == "1.2.0" and citation["type"] == "dataset"
    assert {"message", "title", "authors"} <= set(citation)
    released = {(r.package, r.version): r.date for r in api.read_changelog(REPO_ROOT / "CHANGELOG.md")}
    cited = {ref["title"]: ref for ref in citation["references"]}
    descriptors = sorted((REPO_ROOT / "datapackages").glob("*/datapackage.json"))
    assert len(cited) == len(descriptors)
    for path in descriptors:
        data = json.loads(path.read_text(encoding="utf-8"))
        reference = cited[data["title"]]
        assert reference["version"] == data["version"]
        assert str(reference["date-released"]) == released[(data["name"], data["version"])]
        assert reference["license"] == data["licenses"][0]["name"]


def test_the_downloads_page_says_how_to_cite_each_package(built_site):
    doc = BeautifulSoup((built_site / "downloads" / "index.html").read_text(encoding="utf-8"), "html.parser")
    section = doc.find(id="cite")
    assert section is not None
    items = [" ".join(li.get_text(" ").split()) for li in section.find_next("ul").find_all("li")]
    released = {(r.package, r.version): r.date for r in api.read_changelog(REPO_ROOT / "CHANGELOG.md")}
    for path in sorted((REPO_ROOT / "datapackages").glob("*/datapackage.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        day = datetime.date.fromisoformat(released[(data["name"], data["version"])])
        line = next(item for item in items if item.startswith(data["title"]))
        assert f"Version {data['version']}, released {day.day} {day.strftime('%B')} {day.year}" in line
        assert PUBLISHED.site_url + f"downloads/#{data['name']}" in line


def test_a_chart_that_does_not_add_up_stops_the_build_and_keeps_the_site(tmp_path, monkeypatch):
    """A ranking drawn from a list that lost a row (ChartDoesNotAddUp) stops the build with a
    message naming the chart and the difference, and site/ keeps the last good site."""
    from build_scripts import derive_cdm

    layout = copy_repository(tmp_path / "repo", packages=("ji", "cdm"))
    layout.site.mkdir(parents=True)
    (layout.site / "index.html").write_text("the last good site", encoding="utf-8")
    complete = derive_cdm.by_project_type
    monkeypatch.setattr(derive_cdm, "by_project_type", lambda totals: complete(totals).iloc[:-1])
    with pytest.raises(BuildFailed, match=r"chart 'cdm-issued-by-type' .*\(difference [0-9,]+\)"):
        build_site(layout)
    assert (layout.site / "index.html").read_text(encoding="utf-8") == "the last good site"
