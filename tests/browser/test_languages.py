"""The registry in other languages, in Chromium: the switcher keeps the reader on the same
record, Arabic pages (tables and charts) run right to left, Chinese text is found by search."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import jieba
import pytest
from bs4 import BeautifulSoup

from tests.browser.test_browser import foreign_requests, goto_ok, search_results, wait_for_charts

pytestmark = pytest.mark.browser

PROJECT = "cdm/projects/1000/"


def _switch(page, language: str) -> None:
    page.locator(".md-header__option .md-select").first.hover()
    link = page.locator(f"a.md-select__link[hreflang='{language}']")
    with page.expect_navigation():
        link.click()


def test_switching_language_on_a_project_page_lands_on_the_same_project(page, site_url, built_site):
    english = BeautifulSoup((built_site / PROJECT / "index.html").read_text(encoding="utf-8"), "html.parser")
    reference = english.select_one("main table.registry-table td").get_text(strip=True)  # the project reference
    goto_ok(page, site_url + PROJECT)
    for language, prefix in (("ar", "ar/"), ("en", "")):
        _switch(page, language)
        assert urlsplit(page.url).path == urlsplit(site_url).path + prefix + PROJECT
        assert page.locator("html").get_attribute("lang") == language
        assert page.locator("main table.registry-table td").first.inner_text().strip() == reference
        assert page.locator(f"a.md-select__link[hreflang='{language}']").get_attribute("aria-current") == "true"
    assert not page.log.errors, page.log.errors


@pytest.mark.parametrize("language", ["ar"])
def test_a_language_site_loads_without_errors_or_other_hosts(page, site_url, site_server, built_site, language):
    for path in ("", PROJECT, "ji/finances/", "downloads/"):
        page.log.clear()
        goto_ok(page, f"{site_url}{language}/{path}")
        if 'class="registry-chart"' in (built_site / language / path / "index.html").read_text(encoding="utf-8"):
            wait_for_charts(page, 1)
        assert not foreign_requests(page.log.requests, site_server.netloc)
        assert not [(u, s) for u, s in page.log.responses if s >= 400]
        assert not page.log.errors, page.log.errors


def test_an_arabic_project_page_renders_right_to_left(page, site_url, screenshot_dir):
    goto_ok(page, site_url + "ar/" + PROJECT)
    wait_for_charts(page, 1)
    assert page.evaluate("() => getComputedStyle(document.body).direction") == "rtl"
    # A record table reads from the right: its header cell stands right of its value.
    header = page.locator("main table.registry-table tbody tr").first.locator("th").bounding_box()
    value = page.locator("main table.registry-table tbody tr").first.locator("td").bounding_box()
    assert header["x"] > value["x"]
    # The navigation drawer and the content: the content's text starts at the right edge.
    article = page.locator("article h1").first
    box = article.bounding_box()
    align = page.evaluate("() => getComputedStyle(document.querySelector('article h1')).textAlign")
    assert align in ("start", "right") and box["width"] > 0
    # The chart: years from the right, the value axis on the right.
    layout = page.evaluate("() => { const p = document.querySelector('.registry-chart__plot[data-rendered]');"
                           " return {x: p._fullLayout.xaxis.range, side: p._fullLayout.yaxis.side}; }")
    assert layout["x"][0] > layout["x"][1] and layout["side"] == "right"  # the axis runs from the right
    page.screenshot(path=str(screenshot_dir / "ar-cdm-project-1000.png"), full_page=True)
    assert not page.log.errors, page.log.errors


def test_an_english_chart_runs_left_to_right(page, site_url):
    goto_ok(page, site_url + PROJECT)
    wait_for_charts(page, 1)
    layout = page.evaluate("() => { const p = document.querySelector('.registry-chart__plot[data-rendered]');"
                           " return {x: p._fullLayout.xaxis.range, side: p._fullLayout.yaxis.side,"
                           " height: p._fullLayout.height, left: p._fullLayout.margin.l,"
                           " legend: p._fullLayout.legend.orientation, bar: p._fullLayout.barmode}; }")
    assert layout["x"][0] < layout["x"][1] and layout["side"] == "left"
    # The shared layout (chart-defaults.json: height, margins) under the figure's own (a
    # horizontal legend, stacked bars).
    assert (layout["height"], layout["left"]) == (320, 70)
    assert (layout["legend"], layout["bar"]) == ("h", "stack")


@pytest.fixture(scope="module")
def ji_sites_url(ji_sites, serve_directory) -> str:
    return serve_directory(ji_sites).origin + "/"


def test_chinese_words_find_the_chinese_page(page, ji_sites_url, ji_sites):
    """Each word of the Chinese committee page's title that no other JI page's title holds,
    cut as a dictionary cuts it (jieba), finds the page in the Chinese site's search, also a
    word inside the title (委员会 in 联合执行监督委员会), not only its first."""
    def heading(path):
        return BeautifulSoup((ji_sites / "zh" / path / "index.html").read_text(encoding="utf-8"),
                             "html.parser").select_one("article h1").get_text(strip=True).rstrip("¶")

    title = heading("ji/committee")
    others = " ".join(heading(p.parent.relative_to(ji_sites / "zh").as_posix())
                      for p in (ji_sites / "zh" / "ji").glob("*/index.html") if p.parent.name != "committee")
    words = [w for w in jieba.cut(title) if re.fullmatch(r"[\u4e00-\u9fff]{2,}", w) and w not in others]
    assert len(words) >= 2 and not title.startswith(words[0]), (title, words)
    for word in words:
        goto_ok(page, ji_sites_url + "zh/")
        paths = search_results(page, word, lambda ps: "/zh/ji/committee/" in ps)
        assert all(p.startswith("/zh/") for p in paths), (word, paths)
        assert "/zh/ji/committee/" in paths, (word, paths)
    assert not page.log.errors, page.log.errors


@pytest.mark.parametrize("language", ["", "ar/"])  # the languages of the session's build
def test_pages_announce_the_atom_feeds_in_every_language(page, site_url, built_site, language):
    """Feed autodiscovery as a browser or feed reader sees it: the home page and the CDM
    overview link each feed the JSON API lists in their head, and each link resolves, from
    any language's pages, to the one Atom feed at the site's root."""
    import json
    from xml.etree import ElementTree

    listed = json.loads((built_site / "api" / "index.json").read_text(encoding="utf-8"))["feeds"]
    assert [f["path"] for f in listed] == ["api/feeds/releases.xml", "api/feeds/cdm-issuances.xml"]
    for path in ("", "cdm/"):
        goto_ok(page, f"{site_url}{language}{path}")
        links = page.eval_on_selector_all('head link[rel="alternate"][type="application/atom+xml"]',
                                          "links => links.map(l => [l.title, l.href])")
        assert [title for title, _ in links] == [f["title"] for f in listed]
        for (_, href), feed in zip(links, listed):
            assert urlsplit(href).path == urlsplit(site_url).path + feed["path"]
            response = page.request.get(href)
            assert response.ok, href
            assert ElementTree.fromstring(response.body()).tag == "{http://www.w3.org/2005/Atom}feed"
        # the theme fetches sitemap.xml beside every rel=alternate link: answered, not a 404
        assert not [(u, s) for u, s in page.log.responses if s >= 400] and not page.log.errors, page.log.errors
    record = BeautifulSoup((built_site / language / PROJECT / "index.html").read_text(encoding="utf-8"), "html.parser")
    assert not record.select('link[type="application/atom+xml"]')  # record pages: not in ~50,000 heads
