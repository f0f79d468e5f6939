"""Accessibility in the browser: axe-core (npm, pinned in tests/browser/js/package-lock.json,
injected into the page) on the key pages in light and dark schemes; the search dialog, the
footer and links in running text fixed over the stock theme; keyboard use of charts."""

from __future__ import annotations

from pathlib import Path

import pytest

from build_scripts.paths import REPO_ROOT
from tests.browser.conftest import open_page
from tests.browser.test_browser import goto_ok, slug, wait_for_charts

pytestmark = pytest.mark.browser

AXE = REPO_ROOT / "tests" / "browser" / "js" / "node_modules" / "axe-core" / "axe.min.js"
AUDITED = ["", "cdm/explorer/", "cdm/projects/1000/", "ji/finances/", "ji/committee/", "ji/status/", "cdm/parties/",
           "ar/", "ar/cdm/projects/1000/"]  # right to left too
BLOCKING = ("serious", "critical")


def run_axe(page) -> list[dict]:
    if not AXE.is_file():
        pytest.fail(f"{AXE} is missing: run `make test` (it runs npm ci in tests/browser/js)", pytrace=False)
    page.add_script_tag(path=str(AXE))
    return page.evaluate("""async () => {
        const result = await axe.run(document, {resultTypes: ['violations']});
        return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map(n => n.target.join(' ') + ': ' + n.failureSummary)}));
    }""")


@pytest.fixture(params=["light", "dark"])
def scheme_page(request, browser):
    context, page = open_page(browser)
    page.emulate_media(color_scheme=request.param)
    yield page
    context.close()


@pytest.mark.parametrize("path", AUDITED, ids=slug)
def test_axe_finds_no_serious_or_critical_violation(scheme_page, site_url, path):
    goto_ok(scheme_page, site_url + path)
    if path == "cdm/explorer/":
        scheme_page.locator("#cdm-explorer tbody tr").first.wait_for()
    violations = [v for v in run_axe(scheme_page) if v["impact"] in BLOCKING]
    assert violations == [], "\n".join(f"{v['id']} ({v['impact']}): {v['help']}\n  " + "\n  ".join(v["nodes"][:5])
                                       for v in violations)


@pytest.mark.parametrize("path", ["", "cdm/projects/1000/", "ar/"], ids=slug)
def test_axe_finds_nothing_serious_on_a_phone(narrow_page, site_url, path):
    """The header at a phone's width shows controls the desktop header hides (the search
    button among them): a label with an aria-label there failed axe, and Lighthouse's
    accessibility score, only on a phone."""
    goto_ok(narrow_page, site_url + path)
    violations = [v for v in run_axe(narrow_page) if v["impact"] in BLOCKING]
    assert violations == [], "\n".join(f"{v['id']} ({v['impact']}): {v['help']}\n  " + "\n  ".join(v["nodes"][:5])
                                       for v in violations)


def test_axe_reports_a_violation_it_is_shown(page, site_url):
    """The audit can fail: a nameless button and grey-on-grey text are reported."""
    goto_ok(page, site_url)
    page.evaluate("""() => {
        const main = document.querySelector('article');
        main.insertAdjacentHTML('beforeend',
          '<button id="nameless"></button><p id="faint" style="color:#777;background:#888">faint</p>');
    }""")
    ids = {v["id"] for v in run_axe(page) if v["impact"] in BLOCKING}
    assert {"button-name", "color-contrast"} <= ids


def test_the_search_dialog_has_a_name(page, site_url):
    goto_ok(page, site_url)
    assert page.locator(".md-search[role=dialog]").get_attribute("aria-label") == "Search"


@pytest.mark.parametrize("path", ["ji/finances/", "cdm/"], ids=slug)
def test_charts_have_text_alternatives_reachable_by_keyboard(page, site_url, built_site, path):
    """Each chart names itself (role=img, named by the chart's title), and its data table can be
    reached with Tab."""
    goto_ok(page, site_url + path)
    figures = page.locator("figure.registry-chart")
    count = figures.count()
    assert count > 0
    wait_for_charts(page, count)
    for index in range(count):
        figure = figures.nth(index)
        plot = figure.locator("[role=img]")
        title = figure.locator(".registry-chart__title").text_content().strip()
        assert plot.count() == 1 and title
        # The accessible name assistive technology reads: the title, by aria-labelledby.
        assert figure.get_by_role("img", name=title, exact=True).count() == 1
        region = figure.locator(".registry-table-scroll[tabindex='0']")
        assert region.count() >= 1
    # Tab from the top reaches every chart's table region.
    reached = set()
    for _ in range(400):
        page.keyboard.press("Tab")
        label = page.evaluate("() => document.activeElement.closest('figure.registry-chart') ? "
                              "document.activeElement.closest('figure.registry-chart').id : null")
        if label:
            reached.add(label)
        if len(reached) == count:
            break
    assert len(reached) == count
