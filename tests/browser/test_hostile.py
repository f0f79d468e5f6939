"""Issue 9 in Debian's Chromium: the hostile-value corpus (tests/hostile.py), imported,
validated and built (the session fixture hostile_build), opened in a real browser. No
injected script runs (every one would set window.__pwned or open a dialog), no injected
element appears (every one has an id starting `inj-`), and each value is shown as the same
literal text: on its page, in the page title, in the search results, in a chart's labels and
in the project explorer. The page never scrolls sideways, however long the value.
"""

from __future__ import annotations

import pytest

from urllib.parse import urlsplit

from tests.hostile import (CORPUS, PROJECT_TYPES, RECOMMENDATION_LOCATION, RECOMMENDATION_SUMMARY, collapse,
                            displayed, in_front_matter)

from .conftest import open_page
from .test_browser import foreign_requests

pytestmark = pytest.mark.browser

# After load: whether a script ran, what the corpus added, the shown title, the page's width.
INSPECT = """() => ({
  pwned: window.__pwned === undefined ? null : String(window.__pwned),
  injected: Array.from(document.querySelectorAll('[id^="inj-"], iframe, object, embed'))
    .map(e => e.outerHTML.slice(0, 80)),
  handlers: Array.from(document.querySelectorAll('*')).flatMap(e => Array.from(e.attributes)
    .filter(a => a.name.startsWith('on') && a.value.includes('__pwned')).map(a => e.tagName + ' ' + a.name)),
  title: document.title,
  heading: document.querySelector('article h1') ? document.querySelector('article h1').textContent : null,
  overflow: document.documentElement.scrollWidth - window.innerWidth,
})"""


@pytest.fixture(scope="module")
def hostile_url(hostile_build, serve_directory) -> str:
    layout, _ = hostile_build
    return serve_directory(layout.site).origin + "/"


@pytest.fixture(scope="module")
def references(hostile_build) -> dict[str, str]:
    return hostile_build[1]


def visit(page, url: str) -> dict:
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(url, wait_until="load")
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    # hover, focus and click every element of the page: an injected handler would fire now
    page.eval_on_selector_all("body *", """elements => elements.forEach(e => {
      for (const type of ['mouseover', 'focus', 'click']) e.dispatchEvent(new Event(type));
    })""")
    # (focus on the search box loads the search, as a reader's would: let it arrive)
    page.wait_for_load_state("networkidle")
    state = page.evaluate(INSPECT)
    state["dialogs"] = dialogs
    state["overflow"] = overflow  # as loaded: the events may open the navigation drawer
    return state


def assert_inert(state: dict, page=None) -> None:
    assert state["pwned"] is None, f"an injected script ran: window.__pwned = {state['pwned']!r}"
    assert state["dialogs"] == []
    assert state["injected"] == [] and state["handlers"] == []
    if page is not None:  # nothing the corpus names (evil.example, javascript:) was requested
        origin = urlsplit(page.url).netloc
        assert foreign_requests(page.log.requests, origin) == []


@pytest.mark.parametrize("key", list(CORPUS))
def test_a_hostile_project_title_is_inert_literal_text_in_the_browser(browser, hostile_url, references, key):
    context, page = open_page(browser, {"width": 375, "height": 812})
    try:
        state = visit(page, f"{hostile_url}cdm/projects/{references[key]}/")
        assert_inert(state, page)
        assert collapse(state["heading"].removesuffix("¶")) == displayed(CORPUS[key])
        assert state["title"].startswith(f"CDM project {references[key]}: {in_front_matter(CORPUS[key])}")
        shown = page.locator("article th", has_text="Title").locator("xpath=following-sibling::td").inner_text()
        assert collapse(shown) == displayed(CORPUS[key])
        assert state["overflow"] <= 0, f"the page scrolls sideways by {state['overflow']} px on a phone"
        assert not page.log.errors and not page.log.failed
    finally:
        context.close()


def test_the_cdm_overview_chart_labels_show_a_hostile_project_type_as_text(page, hostile_url):
    state = visit(page, f"{hostile_url}cdm/")
    assert_inert(state, page)
    figures = page.locator("figure.registry-chart")
    for index in range(figures.count()):  # plotly.js loads when a chart nears the viewport
        figures.nth(index).scroll_into_view_if_needed()
    page.wait_for_function("n => document.querySelectorAll('div.registry-chart__plot[data-rendered=\"true\"]')"
                           ".length >= n", arg=figures.count())
    labels = page.eval_on_selector_all(".js-plotly-plot .ytick text, .js-plotly-plot .xtick text",
                                       "texts => texts.map(t => t.textContent)")
    assert displayed(PROJECT_TYPES["Wind"]) in labels, [label for label in labels if "Wind" in label]
    assert page.locator(".js-plotly-plot svg a, .js-plotly-plot svg [id^='inj-']").count() == 0
    assert page.evaluate("() => window.__pwned") is None
    assert not page.log.errors


def test_a_hostile_summary_edited_by_pull_request_is_inert_on_the_ji_page(page, hostile_url):
    state = visit(page, f"{hostile_url}ji/recommendations/")
    assert_inert(state, page)
    text = collapse(page.locator("article").inner_text())
    assert displayed(RECOMMENDATION_SUMMARY) in text and displayed(RECOMMENDATION_LOCATION) in text


def test_searching_for_hostile_titles_shows_them_as_text(page, hostile_url):
    page.goto(hostile_url + "cdm/")
    page.keyboard.press("/")
    field = page.locator("input.md-search__input")
    field.wait_for(state="visible")
    field.press_sequentially("onerror", delay=15)
    page.locator(".md-search-result__item").first.wait_for(state="visible", timeout=8000)
    page.wait_for_timeout(300)
    state = page.evaluate(INSPECT)
    state["dialogs"] = []
    assert_inert(state)
    titles = [collapse(t) for t in page.locator(".md-search-result__article h1").all_inner_texts()]
    assert displayed(CORPUS["img-onerror"]) in titles


def test_the_explorer_shows_hostile_titles_as_text(page, hostile_url):
    page.goto(hostile_url + "cdm/explorer/")
    page.locator('#cdm-explorer[data-ready="true"]').wait_for(state="attached")
    page.get_by_label("Search projects", exact=True).fill("__pwned")
    page.wait_for_timeout(300)
    titles = page.eval_on_selector_all("#cdm-explorer tbody td.cdm-explorer__title", "tds => tds.map(t => t.textContent)")
    assert CORPUS["script"] in titles and CORPUS["img-onerror"] in titles
    state = page.evaluate(INSPECT)
    state["dialogs"] = []
    assert_inert(state)
