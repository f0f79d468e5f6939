"""The built site, parsed with selectors: pages, figures with sources, links, no third parties."""

from __future__ import annotations

import csv
import html
import io
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest
from bs4 import BeautifulSoup

from build_scripts import i18n
from build_scripts.load import load_package
from build_scripts.paths import REPO_ROOT
from tests.conftest import PUBLISHED, SESSION_LANGUAGES

PAGES = ["", "ji/status/", "ji/projects/", "ji/accreditation/", "ji/committee/", "ji/meetings/",
         "ji/finances/", "ji/recommendations/", "methodology/", "sources/", "downloads/",
         "downloads/data-dictionary/"]
CHART_PAGES = {"ji/status/", "ji/accreditation/", "ji/finances/"}


@pytest.fixture(scope="module")
def ji():
    return load_package(REPO_ROOT / "datapackages" / "ji" / "datapackage.json")


def soup(site: Path, page: str) -> BeautifulSoup:
    return BeautifulSoup((site / page / "index.html").read_text(encoding="utf-8"), "html.parser")


def text(element) -> str:
    return " ".join(element.get_text(" ").split())


@pytest.mark.parametrize("page", PAGES)
def test_page_exists_with_title_and_description(built_site, page):
    doc = soup(built_site, page)
    assert doc.find("h1") is not None
    description = doc.find("meta", attrs={"name": "description"})
    assert description and len(description["content"]) > 40
    assert doc.html["lang"] == "en"


@pytest.mark.parametrize("page", PAGES)
def test_no_third_party_resources(built_site, page):
    doc = soup(built_site, page)
    for tag, attribute in (("script", "src"), ("link", "href"), ("img", "src"), ("iframe", "src"), ("source", "src")):
        for element in doc.find_all(tag):
            url = element.get(attribute)
            if tag == "link" and "canonical" in element.get("rel", []):
                # not a resource: the page's own published address (REGISTRY_SITE_URL)
                assert url.startswith(PUBLISHED.site_url), url
                continue
            if url:
                assert not urlparse(url).netloc, f"{page}: {tag} loads {url}"
    assert "fonts.googleapis" not in str(doc) and "cdn.plot.ly" not in str(doc)


@pytest.mark.parametrize("page", PAGES)
def test_plotly_only_on_chart_pages(built_site, page):
    # charts.js fetches plotly.js (named in its data-plotly) when a chart nears the viewport
    scripts = [s.get("src", "") + " " + s.get("data-plotly", "") for s in soup(built_site, page).find_all("script")]
    has_plotly = any("plotly-basic.min.js" in s for s in scripts)
    assert has_plotly == (page in CHART_PAGES)


SITE_PATH = urlparse(PUBLISHED.site_url).path
ANCHOR_HREF = re.compile(r'<a\s[^>]*?href="([^"]*)"')


UNBUILT_LANGUAGES = set(i18n.enabled_languages()) - set(SESSION_LANGUAGES)


def test_internal_links_resolve(built_site):
    """Every relative link of every page (over 50,000 of them: a regex, not a full parse)
    resolves. Pages of one folder share most links (the nav), so each distinct link is
    resolved once per folder, against the set of every file written."""
    files = {"/" + p.relative_to(built_site).as_posix() for p in built_site.rglob("*")}  # folders too
    resolved: dict[tuple[str, str, bool], str | None] = {}
    checked = 0
    for html_file in built_site.rglob("*.html"):
        page_url = "/" + html_file.relative_to(built_site).as_posix()
        folder = page_url.rsplit("/", 1)[0] + "/"
        for match in ANCHOR_HREF.finditer(html_file.read_text(encoding="utf-8")):
            key = (folder, match.group(1), html_file.name == "404.html")
            if key not in resolved:
                resolved[key] = _link_target(*key)
            target = resolved[key]
            if target is None:
                continue
            assert target in files, f"{page_url} links to missing {html.unescape(match.group(1))}"
            checked += 1
    assert checked > 50_000


def _link_target(folder: str, raw: str, not_found_page: bool) -> str | None:
    """The file a relative link leads to, or None for a link this test does not follow."""
    href = html.unescape(raw)
    parsed = urlparse(href)
    if parsed.scheme or parsed.netloc or href.startswith(("#", "mailto:")):
        return None
    target = urlparse(urljoin(folder, href)).path
    if not_found_page and target.startswith(SITE_PATH):
        # The 404 page is served at any address, so mkdocs links it from the
        # published root (the path of REGISTRY_SITE_URL) instead of relatively.
        target = "/" + target[len(SITE_PATH):]
    if target.strip("/").split("/")[0] in UNBUILT_LANGUAGES:
        return None  # the switcher offers every enabled language; the session builds two
    return target + "index.html" if target.endswith("/") else target


def test_home_headline_figures_carry_sources(built_site, ji):
    doc = soup(built_site, "")
    cards = doc.select("ul.registry-figures > li")
    assert len(cards) >= 8
    for card in cards:
        assert card.select_one(".registry-source").get_text().startswith("Source: FCCC/KP/CMP/2016/5")
    total = ji["reported_figures"].set_index("figure_id").loc["all-erus-issued", "value"]
    first = cards[0]
    assert text(first.select_one(".registry-figure__value")) == f"{total:,.0f} ERUs"
    assert "para. 22" in text(first.select_one(".registry-source"))


def test_status_table_lists_every_status_figure(built_site, ji):
    doc = soup(built_site, "ji/status/")
    table = next(t for t in doc.select("table.registry-table") if "Status figures" in text(t.caption))
    rows = table.select("tbody tr")
    status = ji["reported_figures"][ji["reported_figures"]["topic"] == "mechanism-status"]
    assert len(rows) == len(status)
    for row, (_, figure) in zip(rows, status.iterrows()):
        cells = row.find_all(["th", "td"])
        assert f"{figure['value']:,.0f}" in text(cells[2])
        assert text(cells[3]) == f"{figure['source_document']}, {figure['source_location']}"


def test_committee_page_shows_every_seat_and_vacancy(built_site, ji):
    doc = soup(built_site, "ji/committee/")
    table = next(t for t in doc.select("table.registry-table") if "by seat" in text(t.caption))
    rows = table.select("tbody tr")
    assert len(rows) == len(ji["committee_seats"]) == 10
    vacant = table.select(".registry-vacant")
    assert len(vacant) == int((ji["committee_positions"]["status"] == "vacant").sum()) == 3
    seat7 = text(rows[6])
    assert "Konrad Raeschke-Kessler" in seat7 and "Chair" in seat7 and "2018" in seat7
    assert "Carola Borja resigned with effect from 26 February 2016" in text(rows[1])
    page = text(doc)
    assert "The report disagrees with itself here" in page


def test_finances_page_has_all_three_tables_line_by_line(built_site, ji):
    doc = soup(built_site, "ji/finances/")
    for number in (2, 3, 4):
        table = next(t for t in doc.select("table.registry-table") if text(t.caption).startswith(f"Table {number}:"))
        lines = ji["finance_lines"][ji["finance_lines"]["table_id"] == f"table-{number}"]
        rows = table.select("tbody tr")
        assert [text(r.find_all("td")[0]) for r in rows] == list(lines["as_printed"])
    page = text(doc)
    assert "972,454.32" in page and "6,399,988" in page
    assert "5,427,533.68" in page  # the finding, with both figures


def test_charts_have_figure_json_table_and_csv(built_site):
    # The layout charts share is one cached file (template "none"); a page holds only each
    # chart's data and own layout.
    defaults = json.loads((built_site / "assets" / "javascripts" / "chart-defaults.json").read_text(encoding="utf-8"))
    assert defaults["layout"]["template"] == "none" and defaults["config"]["displaylogo"] is False
    for page in CHART_PAGES:
        doc = soup(built_site, page)
        charts = doc.select("figure.registry-chart")
        assert charts, page
        for chart in charts:
            figure = json.loads(chart.select_one("script.registry-chart__figure").string)
            assert set(figure) == {"data", "layout"}
            assert not set(figure["layout"]) & {"template", "margin", "font", "colorway", "paper_bgcolor"}, page
            # The plot is named by the chart's title, the table's region by its caption.
            plot, region = chart.select_one(".registry-chart__plot"), chart.select_one(".registry-table-scroll")
            assert chart.find(id=plot["aria-labelledby"]).get_text(strip=True)
            assert chart.find(id=region["aria-labelledby"]).name == "caption"
            bars = figure["data"][0]["y"]
            table_rows = chart.select("table.registry-chart__table tbody tr")
            assert len(table_rows) == len(bars)
            href = chart.select_one("a[download]")["href"]
            csv_path = (built_site / page / href).resolve()
            rows = list(csv.reader(io.StringIO(csv_path.read_text(encoding="utf-8"))))
            assert len(rows) == len(bars) + 1
            assert "Source: FCCC/KP/CMP/2016/5" in text(chart.figcaption)


def test_chart_figure_json_is_small(built_site):
    doc = soup(built_site, "ji/status/")
    sizes = [len(s.string) for s in doc.select("script.registry-chart__figure")]
    assert max(sizes) < 2500


def test_methodology_documents_every_check(built_site):
    from build_scripts.validate.checks import REGISTRY

    doc = soup(built_site, "methodology/")
    for check in REGISTRY:
        row = doc.find(id=f"check-{check.slug}")
        assert row is not None, check.slug
        assert check.description[:40] in text(row.parent)


def test_projects_page_says_records_are_not_yet_public(built_site):
    doc = soup(built_site, "ji/projects/")
    assert "not yet in this registry" in text(doc.select_one(".admonition"))
    assert "How a maintainer adds JI project records" in text(doc)


def test_downloads_listed_with_size_and_checksum(built_site):
    import hashlib

    doc = soup(built_site, "downloads/")
    rows = doc.select("table.registry-table tbody tr")
    assert len(rows) >= 23  # zip, descriptor, 21 CSVs, raw source
    for row in rows:
        link = row.find("a")
        path = (built_site / "downloads" / link["href"]).resolve()
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert digest in text(row)
        assert f"{path.stat().st_size:,} bytes" in text(row)


def test_downloaded_zip_is_valid_with_stock_frictionless(built_site, ji):
    """The download exactly as a reader runs the stock tool on it: the zip itself, every
    resource of the package checked (a zip with its descriptor in a folder was reported VALID
    after one table)."""
    archive = built_site / "downloads" / "ji-datapackage.zip"
    with zipfile.ZipFile(archive) as handle:
        assert "datapackage.json" in handle.namelist()
    frictionless = Path(sys.executable).parent / "frictionless"
    result = subprocess.run([str(frictionless), "validate", "--json", str(archive)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-2000:]
    report = json.loads(result.stdout)
    assert report["valid"] is True
    checked = sorted(task["name"] for task in report["tasks"])
    assert checked == sorted(r["name"] for r in ji.descriptor["resources"])


def test_data_dictionary_lists_every_field(built_site, ji):
    doc = soup(built_site, "downloads/data-dictionary/")
    for resource in ji.descriptor["resources"]:
        table = next(t for t in doc.select("table.registry-table") if text(t.caption) == f"Fields of ji/{resource['name']}")
        names = [r.find("code").get_text() for r in table.select("tbody tr")]
        assert names == [f["name"] for f in resource["schema"]["fields"]]


def test_search_index_holds_people_figures_and_terms(built_site):
    from build_scripts import search

    content = {f["url"]: f["content"] for f in search.read_fragments(built_site / search.PAGES_BUNDLE)}
    assert "Raeschke-Kessler" in content["/ji/committee/"]
    assert "Zborowska" in content["/ji/committee/"]
    assert "871,893,629" in content["/"]
    assert "Track 2" in content["/ji/status/"]
    assert "exchange-rate loss" in content["/ji/finances/"].lower()


def test_squeezed_html_keeps_preformatted_text_and_scripts():
    from build_scripts.mkdocs_hooks import squeeze_html

    page = "<div>\n    <p>a\n\n   b</p>\n</div><pre>\n  x\n\n  y</pre><script>\n  var a;\n</script>"
    assert squeeze_html(page) == "<div>\n<p>a\nb</p>\n</div><pre>\n  x\n\n  y</pre><script>\n  var a;\n</script>"


# What a reader would see if a value's escaping leaked into the text: a numeric character
# reference shown literally (a value in a Markdown code span, where references are not
# decoded: `project&#95;id`), or an entity escaped twice (&amp;amp; shows as "&amp;").
SHOWN_ESCAPING = re.compile(r"&#[0-9]+;|&#[xX][0-9a-fA-F]+;|&(?:amp|lt|gt|quot|apos|nbsp);")
RECORD_FOLDERS = {("cdm", "projects"), ("cdm", "parties"), ("cdm", "does")}
RECORD_SAMPLE = 3  # record pages read per record folder and language (there are thousands)


def test_no_page_shows_escaping_as_text(built_site):
    """No page's visible text shows a character reference or a doubly escaped entity: every
    page but the record pages (thousands, from a few templates), of which the first few of
    each folder and language are read."""
    translated = set(SESSION_LANGUAGES) - {i18n.SOURCE_LANGUAGE}
    sampled: dict[tuple[str, str, str], int] = {}
    shown, read = {}, set()
    for html_file in sorted(built_site.rglob("*.html")):
        parts = html_file.relative_to(built_site).parts
        language, local = (parts[0], parts[1:]) if parts[0] in translated else (i18n.SOURCE_LANGUAGE, parts)
        if tuple(local[:2]) in RECORD_FOLDERS and len(local) > 3:  # cdm/projects/<slug>/...
            folder = (language, *local[:2])
            sampled[folder] = sampled.get(folder, 0) + 1
            if sampled[folder] > RECORD_SAMPLE:
                continue
        doc = BeautifulSoup(html_file.read_text(encoding="utf-8"), "html.parser")
        for hidden in doc(["script", "style", "template"]):
            hidden.decompose()
        page = "/".join(parts)
        found = sorted(set(SHOWN_ESCAPING.findall(doc.get_text(" "))))
        if found:
            shown[page] = found
        read.add(page)
    assert shown == {}
    for language in SESSION_LANGUAGES:
        prefix = "" if language == i18n.SOURCE_LANGUAGE else language + "/"
        for page in ("downloads/data-dictionary/", "api/", "findings/", "cdm/parties/", "cdm/does/"):
            assert f"{prefix}{page}index.html" in read
        for folder in RECORD_FOLDERS:
            assert sampled.get((language, *folder), 0) > RECORD_SAMPLE


def test_every_theme_override_names_the_theme_file_it_adapts_and_that_file_is_unchanged():
    """Each override that adapts a file of mkdocs-material names it and its SHA-256 prefix
    ("Adapted from mkdocs-material 9.8.1: partials/header.html 8cf3..."). When a theme upgrade
    changes one of those files, this test names the override to review against it, instead
    of the site silently drifting from the theme."""
    import hashlib
    import re

    import material

    theme = Path(material.__file__).parent / "templates"
    overrides = REPO_ROOT / "site_src" / "overrides"
    marks = [(path.relative_to(overrides).as_posix(), name, digest)
             for path in sorted(overrides.rglob("*")) if path.is_file()
             for name, digest in re.findall(r"Adapted from mkdocs-material [\d.]+: (\S+) ([0-9a-f]{16})",
                                            path.read_text(encoding="utf-8"))]
    assert {override for override, _, _ in marks} >= {"partials/header.html", "partials/search.html", "record.html",
                                                       "registry-config.js", "partials/javascripts/base.html"}
    changed = [f"{override}: review it against the theme's {name}" for override, name, digest in marks
               if hashlib.sha256((theme / name).read_bytes()).hexdigest()[:16] != digest]
    assert changed == []


def test_every_icon_a_page_draws_is_in_its_language_s_sprite(built_site):
    """Pages (and the header controls registry-config.js adds) draw icons from the cached
    sprite registry-icons.svg of their language's site; every symbol they name is in it."""
    import re

    for root in (built_site, built_site / "ar"):
        sprite = (root / "registry-icons.svg").read_text(encoding="utf-8")
        symbols = set(re.findall(r'<symbol id="([^"]+)"', sprite))
        pages = [root / "index.html", root / "cdm" / "projects" / "1000" / "index.html", root / "404.html",
                 root / "registry-config.js"]
        used = {name for page in pages for name in re.findall(r'registry-icons\.svg#([\w-]+)', page.read_text(encoding="utf-8"))}
        used |= set(re.findall(r'%ICONS%#([\w-]+)', (root / "registry-config.js").read_text(encoding="utf-8")))
        assert {"material-menu", "material-magnify", "material-weather-night", "material-translate"} <= used
        assert used <= symbols, used - symbols
