"""The built site in a real browser (Debian's Chromium driven by Playwright).

Everything is served from 127.0.0.1; expectations come from the built HTML itself (the
number of table rows, the figure JSON, the h1 of a page), so each check can fail.
"""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from bs4 import BeautifulSoup

pytestmark = pytest.mark.browser

PAGES = [
    "",
    "ji/status/",
    "ji/projects/",
    "ji/accreditation/",
    "ji/committee/",
    "ji/meetings/",
    "ji/finances/",
    "ji/recommendations/",
    "methodology/",
    "sources/",
    "downloads/",
    "downloads/data-dictionary/",
    "about/",
    "cdm/",
    "cdm/explorer/",
    "cdm/parties/",
    "cdm/parties/kr/",
    "cdm/does/",
    "cdm/does/kearth/",
    "cdm/projects/1000/",
]
CHART_PAGES = ["ji/status/", "ji/accreditation/", "ji/finances/", "cdm/", "cdm/parties/", "cdm/parties/kr/",
               "cdm/projects/1000/"]
NARROW_PAGES = ["", "ji/committee/", "ji/finances/", "cdm/projects/1000/", "cdm/explorer/"]
# Record pages offer the whole record as JSON instead of a CSV per chart.
RECORD_PAGES = {"cdm/projects/1000/"}

PLOT = "div.registry-chart__plot"
DRAWN = 'div.registry-chart__plot[data-rendered="true"]'
BAR_PATHS = "g.trace.bars g.point path"
# Schemes that never reach the network.
LOCAL_SCHEMES = {"data", "blob", "about"}


# --- helpers ---------------------------------------------------------------------------------


def built_html(built_site: Path, path: str) -> BeautifulSoup:
    return BeautifulSoup((built_site / path / "index.html").read_text(encoding="utf-8"), "html.parser")


def slug(path: str) -> str:
    return path.strip("/").replace("/", "-") or "home"


def foreign_requests(urls: list[str], netloc: str) -> list[str]:
    """Request URLs that would leave the local server."""
    foreign = []
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme in LOCAL_SCHEMES:
            continue
        if parts.scheme not in {"http", "https", "ws", "wss"} or parts.netloc != netloc:
            foreign.append(url)
    return foreign


def goto_ok(page, url: str):
    response = page.goto(url, wait_until="networkidle")
    assert response is not None, f"no response for {url}"
    assert response.status == 200, f"{url}: HTTP {response.status}"
    return response


def wait_for_charts(page, expected: int) -> None:
    """Bring every chart into view (plotly.js loads when a chart nears the viewport), then wait
    until `expected` plots carry data-rendered="true"; say which did not if it times out."""
    figures = page.locator("figure.registry-chart")
    for index in range(figures.count()):
        figures.nth(index).scroll_into_view_if_needed()
    try:
        page.wait_for_function(
            "n => document.querySelectorAll('div.registry-chart__plot[data-rendered=\"true\"]').length >= n",
            arg=expected,
            timeout=10_000,
        )
    except Exception:
        undrawn = page.eval_on_selector_all(
            "figure.registry-chart",
            "fs => fs.filter(f => !f.querySelector('div.registry-chart__plot[data-rendered=\"true\"]')).map(f => f.id)",
        )
        pytest.fail(f"{page.url}: charts not drawn: {undrawn}; errors: {page.log.errors}")


# --- every page ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", PAGES, ids=slug)
def test_page_loads_locally_without_errors(page, site_url, site_server, built_site, path):
    url = site_url + path
    goto_ok(page, url)
    if (built_site / path / "index.html").read_text(encoding="utf-8").count('class="registry-chart"'):
        wait_for_charts(page, 1)

    requests = list(page.log.requests)
    assert requests, "no request recorded"
    foreign = foreign_requests(requests, site_server.netloc)
    assert not foreign, f"{url} requested other hosts: {foreign}"
    assert not page.log.failed, f"{url}: failed requests: {page.log.failed}"
    bad = [(u, s) for u, s in page.log.responses if s >= 400]
    assert not bad, f"{url}: error responses: {bad}"
    assert not page.log.errors, f"{url}: {page.log.errors}"

    # plotly.js is loaded by chart pages only.
    plotly = [u for u in requests if "plotly" in u.lower()]
    if path in CHART_PAGES:
        assert plotly, f"{url} is a chart page but never requested plotly.js"
    else:
        assert not plotly, f"{url} has no chart but requested {plotly}"


def test_chart_pages_are_the_pages_with_charts(built_site):
    """Keeps CHART_PAGES honest: exactly these pages carry figure.registry-chart."""
    with_charts = [p for p in PAGES if built_html(built_site, p).select("figure.registry-chart")]
    assert with_charts == CHART_PAGES


# --- charts ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", CHART_PAGES, ids=slug)
def test_every_chart_is_drawn_with_its_table_and_csv(page, site_url, built_site, path):
    url = site_url + path
    expected_ids = [f["id"] for f in built_html(built_site, path).select("figure.registry-chart")]
    assert expected_ids, f"{path}: no figure.registry-chart in the built page"

    goto_ok(page, url)
    figures = page.locator("figure.registry-chart")
    assert figures.count() == len(expected_ids)
    wait_for_charts(page, len(expected_ids))

    problems: list[str] = []
    for index in range(figures.count()):
        figure = figures.nth(index)
        fid = figure.get_attribute("id")
        plot = figure.locator(PLOT)
        if plot.get_attribute("data-rendered") != "true":
            problems.append(f"{fid}: plot not drawn")
            continue
        if plot.locator(".main-svg").count() == 0:
            problems.append(f"{fid}: no .main-svg in the plot")

        spec = json.loads(figure.locator("script.registry-chart__figure").text_content())
        points = sum(len(trace.get("x") or trace.get("y") or []) for trace in spec["data"])
        categories = len(spec["data"][0].get("y" if spec["data"][0].get("orientation") == "h" else "x") or [])
        bars = plot.locator(BAR_PATHS).count()
        rows = figure.locator("table.registry-chart__table tbody tr").count()
        if bars == 0:
            problems.append(f"{fid}: no bar drawn")
        # One bar per point of every trace (stacked charts: one per commitment period and year),
        # one table row per category.
        if not (bars == points and rows == categories):
            problems.append(f"{fid}: {bars} bars drawn for {points} points; {rows} table rows for {categories} categories")

        # The data table: a header row and one row per bar.
        headers = [h.strip() for h in figure.locator("table.registry-chart__table thead th").all_text_contents()]
        if not headers or rows == 0:
            problems.append(f"{fid}: data table without header or rows")

        # The CSV link: 200, a header row matching the table, one rectangular row per table row.
        link = figure.locator("figcaption a", has_text="CSV")
        if link.count() == 0 and path in RECORD_PAGES:
            continue
        if link.count() != 1:
            problems.append(f"{fid}: {link.count()} CSV links")
            continue
        csv_url = urljoin(page.url, link.get_attribute("href"))
        response = page.request.get(csv_url)
        if response.status != 200:
            problems.append(f"{fid}: {csv_url} -> HTTP {response.status}")
            continue
        records = list(csv.reader(io.StringIO(response.text())))
        if not records:
            problems.append(f"{fid}: {csv_url} is empty")
            continue
        header, data = records[0], records[1:]
        if header != headers:
            problems.append(f"{fid}: CSV header {header} != table header {headers}")
        if len(data) != rows:
            problems.append(f"{fid}: CSV has {len(data)} data rows, the table {rows}")
        ragged = [r for r in data if len(r) != len(header)]
        if ragged:
            problems.append(f"{fid}: CSV rows with {len(ragged[0])} fields under a {len(header)}-column header: {ragged}")

    assert not problems, f"{url}:\n  " + "\n  ".join(problems)
    assert not page.log.errors, f"{url}: {page.log.errors}"


# --- search ----------------------------------------------------------------------------------

SEARCHES = [
    ("Raeschke-Kessler", ["ji/committee/"]),
    ("871,893,629", ["", "ji/status/"]),
    ("Track 2", ["ji/*"]),
    ("Zborowska", ["ji/committee/"]),
    ("exchange-rate loss", ["ji/finances/"]),
    ("exchange rate", ["ji/finances/"]),
    ("Hangyeong", ["cdm/projects/1000/"]),
    ("1000", ["cdm/projects/1000/"]),  # a project ID
    ("Uzbekistan", ["cdm/parties/uz/"]),
    ("KEarth", ["cdm/does/kearth/", "cdm/projects/*"]),
]


def search_results(page, query: str, accept, timeout: float = 8.0) -> list[str]:
    """Open the search with "/", type `query`, return the page paths of the top 5 results.

    Results arrive as the query is typed, so wait until they satisfy `accept` or stop changing.
    """
    page.keyboard.press("/")
    field = page.locator("input.md-search__input")
    field.wait_for(state="visible")
    page.wait_for_function("() => document.activeElement && document.activeElement.matches('input.md-search__input')",
                           timeout=10_000)  # "/" focused the search field (a wait, not a speed
    # test: on CI's two cores the page's main thread can be busy for seconds while the other
    # worker builds a site)
    field.press_sequentially(query, delay=15)
    if not query.isascii():
        # Playwright enters a character that no key of its keyboard makes (Chinese) as text
        # inserted without key events, and material's search runs on keyup: "End" gives it
        # one, as the key that commits an input method's text does for a reader.
        field.press("End")
    page.locator(".md-search-result__item").first.wait_for(state="visible", timeout=timeout * 1000)

    base = urlsplit(page.url)
    deadline = time.monotonic() + timeout
    previous, stable_since = None, time.monotonic()
    while True:
        hrefs = page.eval_on_selector_all(
            ".md-search-result__list > li.md-search-result__item",
            "items => items.slice(0, 5).map(li => li.querySelector('a.md-search-result__link').getAttribute('href'))",
        )
        paths = [urlsplit(urljoin(page.url, h)).path for h in hrefs]
        assert all(urlsplit(urljoin(page.url, h)).netloc == base.netloc for h in hrefs), hrefs
        if accept(paths) or time.monotonic() > deadline:
            return paths
        if paths != previous:
            previous, stable_since = paths, time.monotonic()
        elif time.monotonic() - stable_since > 1.5:
            return paths
        page.wait_for_timeout(100)


@pytest.mark.parametrize("query,targets", SEARCHES, ids=[q for q, _ in SEARCHES])
def test_search_finds_the_page(page, site_url, query, targets):
    root = urlsplit(site_url).path  # "/"

    def matches(path: str) -> bool:
        for target in targets:
            if target.endswith("*"):
                if path.startswith(root + target[:-1]) and len(path) > len(root + target[:-1]):
                    return True
            elif path == root + target:
                return True
        return False

    goto_ok(page, site_url + "ji/projects/")
    paths = search_results(page, query, lambda ps: any(matches(p) for p in ps))
    meta = page.locator(".md-search-result__meta").inner_text()
    assert any(matches(p) for p in paths), (
        f"search {query!r}: expected one of {targets} in the top 5, got {paths} ({meta!r})"
    )
    assert not page.log.errors, page.log.errors


# --- the site under a sub-path (GitHub Pages project site) -----------------------------------


@pytest.mark.parametrize("path", ["", "ji/finances/"], ids=slug)
def test_subpath_pages_load_and_draw(page, subpath_url, subpath_server, built_site, path):
    url = subpath_url + path
    prefix = urlsplit(subpath_url).path  # /registry/preview/
    goto_ok(page, url)
    figures = len(built_html(built_site, path).select("figure.registry-chart"))
    if figures:
        wait_for_charts(page, figures)
        assert page.locator(f"{DRAWN} {BAR_PATHS}").count() > 0

    assert not foreign_requests(page.log.requests, subpath_server.netloc)
    outside = [
        u for u in page.log.requests
        if urlsplit(u).scheme in {"http", "https"} and not urlsplit(u).path.startswith(prefix)
    ]
    assert not outside, f"{url}: requests outside {prefix}: {outside}"
    bad = [(u, s) for u, s in page.log.responses if s >= 400]
    assert not bad, f"{url}: {bad}"
    assert not page.log.failed, page.log.failed
    assert not page.log.errors, f"{url}: {page.log.errors}"


def test_subpath_navigation_to_committee(page, subpath_url, built_site):
    expected_h1 = built_html(built_site, "ji/committee/").select_one("article h1, h1").get_text(" ", strip=True)
    expected_h1 = expected_h1.rstrip("¶").strip()
    goto_ok(page, subpath_url)
    link = page.locator('nav.md-nav--primary a.md-nav__link[href$="ji/committee/"]').first
    link.click()
    page.wait_for_url(subpath_url + "ji/committee/")
    page.wait_for_load_state("networkidle")
    h1 = page.locator("article h1").first.inner_text().replace("¶", "").strip()
    assert h1 == expected_h1
    bad = [(u, s) for u, s in page.log.responses if s >= 400]
    assert not bad, bad
    assert not page.log.errors, page.log.errors


def test_subpath_search_links_stay_under_the_subpath(page, subpath_url):
    goto_ok(page, subpath_url + "ji/projects/")
    target = urlsplit(subpath_url).path + "ji/committee/"
    paths = search_results(page, "Zborowska", lambda ps: target in ps)
    assert target in paths, f"search under {subpath_url}: {paths}"


# --- keyboard --------------------------------------------------------------------------------

PREVIOUS_FOCUSABLE = """region => {
  const all = Array.from(document.querySelectorAll(
    'a[href], button, input, select, textarea, summary, [tabindex]'
  )).filter(e => e.tabIndex >= 0 && !e.disabled && e.getClientRects().length > 0);
  const i = all.indexOf(region);
  if (i <= 0) return false;
  all[i - 1].focus();
  return document.activeElement === all[i - 1];
}"""


@pytest.mark.parametrize("path", ["ji/committee/", "ji/finances/"], ids=slug)
def test_table_scroll_regions_are_reachable_with_tab(page, site_url, built_site, path):
    expected = len(built_html(built_site, path).select("div.registry-table-scroll"))
    assert expected > 0
    goto_ok(page, site_url + path)
    regions = page.locator("div.registry-table-scroll")
    assert regions.count() == expected
    names = []
    for index in range(regions.count()):
        region = regions.nth(index)
        # Named by aria-label, or by its table's caption (aria-labelledby: charts, record pages).
        labelled_by = region.get_attribute("aria-labelledby")
        label = (region.get_attribute("aria-label")
                 or (page.locator(f"[id='{labelled_by}']").text_content() if labelled_by else "") or "").strip()
        names.append(label)
        assert region.get_attribute("tabindex") == "0"
        assert label, f"{path}: table scroll region {index} has no name"
        assert region.get_attribute("role") == "region"
        # Tab from the focusable element just before it lands on it.
        assert region.evaluate(PREVIOUS_FOCUSABLE), f"{path}: nothing focusable before region {index}"
        page.keyboard.press("Tab")
        assert region.evaluate("e => e === document.activeElement"), (
            f"{path}: Tab did not reach region {label!r}; focus is on "
            + page.evaluate("() => document.activeElement.outerHTML.slice(0, 120)")
        )
    # The accessible name is what assistive technology reads.
    for name in names:
        assert page.get_by_role("region", name=name, exact=True).count() >= 1, (path, name)


def test_focused_wide_table_scrolls_with_arrow_keys(narrow_page, site_url):
    page = narrow_page
    goto_ok(page, site_url + "ji/committee/")
    wide = page.locator("div.registry-table-scroll")
    overflowing = [
        wide.nth(i) for i in range(wide.count())
        if wide.nth(i).evaluate("e => e.scrollWidth > e.clientWidth + 1")
    ]
    if not overflowing:
        pytest.fail("no table on ji/committee/ overflows at 375 px; pick another page for this check")
    region = overflowing[0]
    region.focus()
    assert region.evaluate("e => e === document.activeElement")
    before = region.evaluate("e => e.scrollLeft")
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    page.wait_for_function("e => e.scrollLeft > 0", arg=region.element_handle(), timeout=3000)
    assert region.evaluate("e => e.scrollLeft") > before


# --- small screens ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", NARROW_PAGES, ids=slug)
def test_no_horizontal_scrolling_at_375px(narrow_page, site_url, built_site, screenshot_dir, path):
    page = narrow_page
    goto_ok(page, site_url + path)
    figures = len(built_html(built_site, path).select("figure.registry-chart"))
    if figures:
        wait_for_charts(page, figures)
    page.screenshot(path=str(screenshot_dir / f"375-{slug(path)}.png"), full_page=True)
    widths = page.evaluate("() => ({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})")
    if widths["scroll"] > widths["inner"]:
        culprits = page.evaluate(
            """() => Array.from(document.querySelectorAll('body *'))
                 .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
                 .filter(e => !e.closest('.registry-table-scroll, .md-sidebar, .md-search, [hidden]'))
                 .slice(0, 5).map(e => e.tagName.toLowerCase() + (e.className && typeof e.className === 'string' ? '.' + e.className.trim().split(/\\s+/).join('.') : '')
                     + ' right=' + Math.round(e.getBoundingClientRect().right))"""
        )
        pytest.fail(f"{path or 'home'}: page scrolls sideways at 375 px ({widths}); widest: {culprits}")
    assert not page.log.errors, page.log.errors



# --- CDM record pages and the explorer on the real data ----------------------------------------


def test_record_page_offers_its_json(page, site_url):
    goto_ok(page, site_url + "cdm/projects/1000/")
    link = page.locator("a[href$='1000.json']")
    assert link.count() == 1
    response = page.request.get(urljoin(page.url, link.get_attribute("href")))
    assert response.status == 200 and response.json()["project"]["project_id"] == "1000"
    assert not page.log.errors, page.log.errors


def test_explorer_on_the_real_data(page, site_url, built_site):
    data = json.loads((built_site / "downloads" / "cdm" / "explorer.json").read_text(encoding="utf-8"))
    column = data["columns"].index
    expected = [r for r in data["rows"] if "UZ" in r[column("host_parties")]]
    goto_ok(page, site_url + "cdm/explorer/?party=UZ")
    page.wait_for_selector("#cdm-explorer table tbody tr")
    status = page.locator("#cdm-explorer [role=status], #cdm-explorer .cdm-explorer__status").first.inner_text()
    assert f"{len(expected)}" in status.replace(",", "")
    first = page.locator("#cdm-explorer table tbody tr a").first
    first.click()
    page.wait_for_load_state()
    assert "/cdm/projects/" in page.url and page.locator("h1").count() == 1
    assert not page.log.errors, page.log.errors
