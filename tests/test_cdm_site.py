"""The built CDM pages checked against the raw UNFCCC reports and the package."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import openpyxl
import pytest
from bs4 import BeautifulSoup

from build_scripts.load import load_package
from build_scripts.paths import REPO_ROOT

RAW = REPO_ROOT / "datapackages" / "cdm" / "raw"
KNOWN_PROJECT = "1000"  # Hangyeong second phase SS-wind power Project (Republic of Korea)


@pytest.fixture(scope="module")
def cdm():
    return load_package(REPO_ROOT / "datapackages" / "cdm" / "datapackage.json")


def soup(site: Path, page: str) -> BeautifulSoup:
    doc = BeautifulSoup((site / page / "index.html").read_text(encoding="utf-8"), "html.parser")
    for permalink in doc.select("a.headerlink"):
        permalink.decompose()
    return doc


def text(element) -> str:
    return " ".join(element.get_text(" ").split())


def number(cell: str) -> int:
    return int(cell.replace(",", "").strip())


def raw_issuance_rows(project: str) -> list[tuple[int, int, int]]:
    """(serial start, serial end, total) of a project's rows, straight from the raw workbook."""
    sheet = openpyxl.load_workbook(RAW / "cdm-registry-issuance-report-2023-08-31.xlsx", read_only=True).active
    rows = []
    for row in sheet.iter_rows(min_row=2, values_only=True):
        if row[7] is not None and str(row[7]).strip() == project:
            start, end = (int(part) for part in row[3].split(" - "))
            rows.append((start, end, int(row[8])))
    return sorted(rows)


def raw_registered_row(reference: str) -> dict:
    with (RAW / "cdm-registered-project-activities-2025-04.csv").open(encoding="cp1252", newline="") as handle:
        for row in csv.DictReader(handle):
            if int(row["Ref"]) == int(reference):
                return row
    raise AssertionError(f"{reference} not in the registered list")


def test_known_project_page_matches_the_source_rows(built_site):
    doc = soup(built_site, f"cdm/projects/{KNOWN_PROJECT}/")
    registered = raw_registered_row(KNOWN_PROJECT)
    assert text(doc.find("h1")) == registered["Project title"].strip()
    record = {text(r.th): text(r.td) for r in doc.select("table.registry-table")[0].select("tbody tr")}
    assert record["Project reference"] == KNOWN_PROJECT
    assert record["Host party"] == "South Korea (KR)"
    assert record["Methodology"] == registered["Methodology"].strip()
    assert record["Estimated annual reductions"] == f"{int(registered['Reductions']):,}"

    source = raw_issuance_rows(KNOWN_PROJECT)
    table = next(t for t in doc.select("table.registry-table") if text(t.caption).startswith("Issuances with serial blocks"))
    shown = sorted((number(text(r.find_all("td")[3]).split("-")[1]), number(text(r.find_all("td")[4])),
                    number(text(r.find_all("td")[5]))) for r in table.select("tbody tr"))
    assert shown == source
    total = text(doc.select_one("ul.registry-figures li .registry-figure__value"))
    assert number(total) == sum(q for _, _, q in source)


def test_record_json_holds_the_same_issuances(built_site):
    record = json.loads((built_site / "api" / "cdm" / "projects" / f"{KNOWN_PROJECT}.json").read_text(encoding="utf-8"))
    assert record["project"]["project_id"] == KNOWN_PROJECT
    blocks = sorted((i["serial_start"], i["serial_end"], i["quantity"]) for i in record["issuances"])
    assert blocks == raw_issuance_rows(KNOWN_PROJECT)
    assert record["project"]["units_issued"] == sum(b[2] for b in blocks)


def test_record_json_links_the_party_and_doe_records_it_names(built_site):
    """A project's JSON names its host party and DOEs by id and links each one's JSON record
    and page, as the page itself links them."""
    record = json.loads((built_site / "api" / "cdm" / "projects" / f"{KNOWN_PROJECT}.json").read_text(encoding="utf-8"))
    links = record["links"]
    assert [p["party_code"] for p in links["host_parties"]] == record["project"]["host_party"].split(";")
    assert [e["entity_id"] for e in links["entities"]] == record["project"]["entities"]
    page = soup(built_site, record["page"])
    for target in links["host_parties"] + links["entities"]:
        named = json.loads((built_site / target["json"]).read_text(encoding="utf-8"))
        assert named["page"] == target["page"] and (built_site / target["page"] / "index.html").is_file()
        assert named["id"] in (target.get("party_code"), target.get("entity_id"))
        assert page.find("a", href="../../../" + target["page"]) is not None or \
            page.find("a", href="../../" + target["page"][len("cdm/"):]) is not None


def test_every_project_has_a_page_linked_from_its_host_party(built_site, cdm):
    projects = set(cdm["projects"]["project_id"])
    pages = {p.parent.name for p in (built_site / "cdm" / "projects").glob("*/index.html")}
    assert pages == projects
    linked = set()
    for party_page in (built_site / "cdm" / "parties").rglob("index.html"):
        doc = BeautifulSoup(party_page.read_text(encoding="utf-8"), "html.parser")
        linked |= {a["href"].rstrip("/").split("/")[-1] for a in doc.select("table.registry-table a[href*='cdm/projects/']")}
    assert linked == projects


def test_missing_projects_are_flagged_on_their_page(built_site, cdm):
    flagged = cdm["projects"][cdm["projects"]["record_flags"].fillna("").str.contains("not-in-registered-list")]
    assert len(flagged) == 98
    doc = soup(built_site, f"cdm/projects/{flagged.iloc[0]['project_id']}/")
    assert "Incomplete record" in text(doc.select_one(".admonition"))
    assert "not in the UNFCCC list of registered project activities" in text(doc)


def test_record_pages_stay_out_of_the_nav(built_site):
    doc = soup(built_site, f"cdm/projects/{KNOWN_PROJECT}/")
    nav_links = [a["href"] for a in doc.select("nav.md-nav--primary a[href]")]
    assert nav_links and not any("/projects/" in href and href.rstrip("/").split("/")[-1].isdigit() for href in nav_links)
    assert len(nav_links) < 40


def test_overview_totals_equal_the_reports(built_site, cdm):
    doc = soup(built_site, "cdm/")
    values = [number(text(v)) for v in doc.select("ul.registry-figures .registry-figure__value")[:3]]
    assert values[0] == 2_416_896_868 == int(cdm["issuances"]["quantity"].sum())
    assert values[2] == int(cdm["voluntary_cancellations"]["quantity"].sum() + cdm["administrative_cancellations"]["quantity"].sum())


def test_explorer_data_covers_every_project(built_site, cdm):
    data = json.loads((built_site / "downloads" / "cdm" / "explorer.json").read_text(encoding="utf-8"))
    column = data["columns"].index
    assert len(data["rows"]) == len(cdm["projects"])
    assert sum(r[column("units_issued")] for r in data["rows"]) == 2_416_896_868
    for row in data["rows"][:50]:
        assert (built_site / row[column("url")] / "index.html").exists()


def test_party_ranking_and_map(built_site, cdm):
    doc = soup(built_site, "cdm/parties/")
    rows = next(t for t in doc.select("table.registry-table") if "All host parties" in text(t.caption)).select("tbody tr")
    issued = [number(text(r.find_all("td")[3])) for r in rows]
    assert issued == sorted(issued, reverse=True)
    by_party = cdm["issuances"].groupby("originating_party")["quantity"].sum()
    assert text(rows[0].find_all("td")[1]).endswith(f"({by_party.idxmax()})") and issued[0] == by_party.max()
    svg = doc.select_one("figure.registry-map svg")
    assert svg is not None and len(svg.find_all("path")) > 150
    assert not doc.select("figure.registry-map [src], figure.registry-map image")  # geometry inline, nothing fetched


def test_doe_pages_explain_the_ji_role(built_site, cdm):
    doc = soup(built_site, "cdm/does/")
    assert "2 August 2016" in text(doc) and "accredited independent entit" in text(doc)
    links = doc.select("table.registry-table a[href]")
    assert len(links) == len(cdm["entities"])


def _rows_of(doc, caption: str) -> list[tuple[int, int]]:
    table = next(t for t in doc.select("table.registry-table") if text(t.caption).startswith(caption))
    return [(number(text(r.find_all("td")[4]).split("-")[1]), number(text(r.find_all("td")[6]))) for r in table.select("tbody tr")]


def test_a_long_history_is_complete_on_the_record_page_itself(built_site, cdm):
    """No continuation pages: the project with the most cancellations lists every one of them,
    in its twin's order, on its own page, and so does the host party with the most projects
    (page sizes are make bench's budgets, not a test's)."""
    counts = cdm["voluntary_cancellations"]["project_id"].value_counts()
    project = counts.index[0]
    assert counts.iloc[0] > 100
    record = json.loads((built_site / "api" / "cdm" / "projects" / f"{project}.json").read_text(encoding="utf-8"))
    expected = [(c["serial_start"], c["quantity"]) for c in record["cancellations"]]
    page = soup(built_site, f"cdm/projects/{project}/")
    assert _rows_of(page, "Cancellations with serial blocks") == expected
    assert not list((built_site / "cdm" / "projects" / project).glob("*/index.html")), "no continuation pages"
    assert not page.select("a[href*='cancellations-'], a[href*='issuances-']")
    hosts = cdm["projects"]["host_party"].str.split(";").explode().value_counts()
    party = soup(built_site, f"cdm/parties/{hosts.index[0].lower()}/")
    table = next(t for t in party.select("table.registry-table") if text(t.caption).startswith("Projects hosted by"))
    assert len(table.select("tbody tr")) == hosts.iloc[0]
    assert text(table.caption).endswith(f"({hosts.iloc[0]})")


@pytest.mark.parametrize("path, title", [("cdm/parties/", "Host parties"), ("cdm/does/", "DOEs and AIEs"),
                                         ("cdm/projects/1000/", None)])
def test_the_nav_marks_the_page_itself_active(built_site, path, title):
    """Index pages in the nav under a not_in_nav folder mark themselves active (not a
    neighbour whose nav was rendered first); a record page, in no nav entry, marks none."""
    doc = BeautifulSoup((built_site / path / "index.html").read_text(encoding="utf-8"), "html.parser")
    active = [a.get_text(" ", strip=True) for a in doc.select("nav.md-nav--primary a.md-nav__link--active")]
    assert active == ([title] if title else []), active


@pytest.mark.parametrize("page, chart, listed", [("cdm/", "cdm-issued-by-type", "project types"),
                                                  ("cdm/parties/", "cdm-issued-by-party", "host parties")])
def test_a_ranked_chart_adds_up_to_every_unit_issued(built_site, cdm, page, chart, listed):
    """No silent top N: the ranked chart's table and CSV end with an "All other (N)" row, the
    rows add up to every unit issued, and the caption says how many of how many are shown."""
    doc = soup(built_site, page)
    figure = doc.select_one(f"figure#chart-{chart}")
    rows = figure.select("table.registry-chart__table tbody tr")
    total = int(cdm["issuances"]["quantity"].sum())
    assert sum(number(text(r.find("td"))) for r in rows) == total
    assert text(rows[-1].find("th")).startswith("All other (")
    assert len(rows) == 21
    hidden = int(text(rows[-1].find("th"))[len("All other ("):-1])
    assert f"The 20 largest of {20 + hidden} are shown one by one" in text(figure.figcaption)
    with (built_site / "downloads" / "charts" / f"{chart}.csv").open(encoding="utf-8") as handle:
        csv_rows = list(csv.reader(handle))[1:]
    assert sum(int(v) for _, v in csv_rows) == total and csv_rows[-1][0] == f"All other ({hidden})"


def test_a_chart_that_leaves_a_row_out_stops_the_build(cdm):
    """The check behind every chart with a total: a ranking drawn from a list missing one
    entry raises ChartDoesNotAddUp naming the chart, both sums and the difference."""
    from build_scripts import derive_cdm
    from build_scripts.render import cdm_charts
    from build_scripts.render.charts import ChartDoesNotAddUp

    issuances = cdm["issuances"]
    by_party = issuances.groupby("originating_party", as_index=False)["quantity"].sum().sort_values("quantity", ascending=False)
    total = int(issuances["quantity"].sum())
    chart = cdm_charts.ranked(by_party, "originating_party", "quantity", "by-party", "Units", "", "test", total=total)
    assert sum(v for _, v in chart.csv_rows) == total
    missing = int(by_party["quantity"].iloc[-1])
    with pytest.raises(ChartDoesNotAddUp) as failure:
        cdm_charts.ranked(by_party.iloc[:-1], "originating_party", "quantity", "by-party", "Units", "", "test", total=total)
    assert "chart 'by-party'" in str(failure.value) and f"difference {missing:,}" in str(failure.value)
    every = derive_cdm.all_cancellations(cdm["voluntary_cancellations"], cdm["administrative_cancellations"])
    voluntary = every[every["kind"] == "voluntary"]
    cdm_charts.cancelled_by_year(derive_cdm.cancelled_by_year(every), "test", total=int(every["quantity"].sum()))
    with pytest.raises(ChartDoesNotAddUp):  # the administrative cancellations left out
        cdm_charts.cancelled_by_year(derive_cdm.cancelled_by_year(voluntary), "test", total=int(every["quantity"].sum()))


@pytest.mark.parametrize("page", ["cdm/", f"cdm/projects/{KNOWN_PROJECT}/", "cdm/parties/kr/", "cdm/does/ksa/"])
def test_every_units_figure_names_the_unit_types_it_adds_up(built_site, page):
    """A figure of "units" lists its unit types with their units, adding up to the figure, and
    links each type to its glossary entry (one tonne of CO2e each, why tCERs and lCERs expire)."""
    doc = soup(built_site, page)
    figures = [li for li in doc.select("ul.registry-figures > li")
               if "units" in text(li.select_one(".registry-figure__label")).split()
               and not text(li.select_one(".registry-figure__value")).endswith("%")]  # a share, not a total
    assert figures
    glossary = soup(built_site, "glossary/")
    for li in figures:
        parts = li.select(".registry-figure__units a")
        assert parts, text(li)
        amounts = [number(str(a.next_sibling).split("·")[0]) for a in parts]
        assert sum(amounts) == number(text(li.select_one(".registry-figure__value")))
        for a in parts:
            path, anchor = a["href"].split("#")
            assert (built_site / page / path / "index.html").resolve() == (built_site / "glossary" / "index.html").resolve()
            assert glossary.find(id=anchor) is not None, anchor


def test_the_overview_gives_the_cer_total_beside_all_units(built_site, cdm):
    doc = soup(built_site, "cdm/")
    issuances = cdm["issuances"]
    cers = int(issuances.loc[issuances["unit_type"] == "CER", "quantity"].sum())
    assert cers == 2_396_079_331
    paragraph = next(p for p in doc.select("article p") if "tonne of carbon dioxide equivalent" in text(p))
    assert f"of {int(issuances['quantity'].sum()):,} units issued, {cers:,} are CERs" in text(paragraph)
    assert paragraph.find("a", href="../glossary/") is not None


def test_the_glossary_defines_every_unit_type_in_the_data(built_site, cdm):
    doc = soup(built_site, "glossary/")
    types = set()
    for table in ("issuances", "voluntary_cancellations", "administrative_cancellations", "holdings"):
        types |= set(cdm[table]["unit_type"])
    for unit_type in types | {"unit"}:
        heading = doc.find(id=unit_type.lower())
        assert heading is not None and heading.name == "h2", unit_type
    assert "one metric tonne of carbon dioxide equivalent" in text(doc.find(id="unit").find_next("p"))


MULTI_HOST = "3090"  # Félou Regional Hydropower Project: host_party ML;SN;MR


def test_a_project_with_several_hosts_is_on_each_host_party_s_page(built_site, cdm):
    """The project_hosts bridge: a project hosted by three Parties is listed on each one's
    page, in the explorer with all three, and counted once by each party; the party pages'
    counts of projects hosted equal the bridge's."""
    hosts = cdm["project_hosts"]
    listed = list(hosts[hosts["project_id"] == MULTI_HOST].sort_values("position")["party_code"])
    assert listed == ["ML", "SN", "MR"]
    for code in listed:
        page = soup(built_site, f"cdm/parties/{code.lower()}/")
        assert page.find("a", href=f"../../../cdm/projects/{MULTI_HOST}/") is not None, code
        figure = number(text(page.select_one("ul.registry-figures .registry-figure__value")))
        assert figure == hosts.loc[hosts["party_code"] == code, "project_id"].nunique()
    explorer = json.loads((built_site / "downloads" / "cdm" / "explorer.json").read_text(encoding="utf-8"))
    row = dict(zip(explorer["columns"], next(r for r in explorer["rows"] if r[0] == MULTI_HOST)))
    assert row["host_parties"] == listed
    record = json.loads((built_site / "api" / "cdm" / "projects" / f"{MULTI_HOST}.json").read_text(encoding="utf-8"))
    assert [p["party_code"] for p in record["links"]["host_parties"]] == listed
