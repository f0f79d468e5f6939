"""The header search in Chromium: Pagefind's index (build_scripts/search.py) through the site's
own script (assets/javascripts/search.js), as readers in each language type.

Queries come from the site's own words: the Chinese terms of the JISC report as the JI package
holds them, the title of each language's committee page (Russian, French and Spanish in
another inflection, Arabic in other letter forms), a project's id and title, a party code."""

from __future__ import annotations

import csv
import json
import re
from urllib.parse import urljoin, urlsplit

import pytest
from babel.numbers import format_decimal
from bs4 import BeautifulSoup

from build_scripts import search
from build_scripts.paths import REPO_ROOT
from tests.browser.test_accessibility import BLOCKING, run_axe
from tests.browser.test_browser import goto_ok, search_results

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def ji_sites_url(ji_sites, serve_directory) -> str:
    return serve_directory(ji_sites).origin + "/"


def _search_requests(page) -> list[str]:
    return [u for u in page.log.requests if "/search/" in urlsplit(u).path]


def _heading(site, path: str) -> str:
    page = BeautifulSoup((site / path / "index.html").read_text(encoding="utf-8"), "html.parser")
    return page.select_one("article h1").get_text(" ", strip=True).rstrip("¶").strip()


def _status(page) -> str:
    return page.locator("#registry-search-status").inner_text()


# --- cost to a reader -----------------------------------------------------------------------


@pytest.mark.parametrize("path", ["cdm/projects/1000/", "ar/cdm/explorer/"])
def test_a_page_fetches_nothing_for_search_until_the_reader_searches(page, site_url, path):
    goto_ok(page, site_url + path)
    page.wait_for_timeout(300)
    assert _search_requests(page) == [], "search files fetched on page load"
    search_results(page, "Hangyeong", lambda paths: any(p.endswith("/cdm/projects/1000/") for p in paths))
    fetched = _search_requests(page)
    assert any(u.endswith("/search/pages/pagefind.js") for u in fetched), fetched
    assert any("/search/cdm/projects/" in u for u in fetched), fetched
    assert not [u for u in fetched if u.endswith(".json") and "search_index" in u]
    assert not page.log.errors, page.log.errors


# --- what readers type ----------------------------------------------------------------------


@pytest.mark.parametrize("query,first", [("1000", "cdm/projects/1000/"), ("100", "cdm/projects/100/"),
                                         ("kr", "cdm/parties/kr/")])
def test_an_id_typed_whole_puts_its_record_first(page, site_url, query, first):
    """Pagefind matches words as prefixes (1000 also finds 10008); the record whose id was
    typed whole comes first, the others after it."""
    goto_ok(page, site_url)
    target = urlsplit(site_url).path + first
    # the exact hit and the prefix matches after it (they arrive in turn)
    paths = search_results(page, query, lambda ps: len(ps) > 1 and ps[0] == target)
    assert paths and paths[0] == target, (query, paths, _status(page))
    assert len(paths) > 1, "the prefix matches follow the exact one"


def test_an_english_title_is_found_from_the_arabic_site_and_links_there(page, site_url, built_site):
    title = _heading(built_site, "cdm/projects/1000")
    goto_ok(page, site_url + "ar/")
    target = urlsplit(site_url).path + "ar/cdm/projects/1000/"
    paths = search_results(page, title.split()[0], lambda ps: target in ps)
    assert target in paths, paths
    item = page.locator(".md-search-result__item", has=page.locator(f'a[href="{target}"]'))
    assert item.locator("h1").get_attribute("lang") == "en"  # the title as published
    line = item.locator("p").inner_text()
    assert "كوريا" in line  # its host party, named in Arabic
    # and its units issued, written as the Arabic record page writes numbers (Babel, Latin digits)
    explorer = json.loads((built_site / "downloads" / "cdm" / "explorer.json").read_text(encoding="utf-8"))
    row = dict(zip(explorer["columns"], next(r for r in explorer["rows"] if r[0] == "1000")))
    assert format_decimal(row["units_issued"], locale="ar") in line, line


def _paths_shown(page) -> list[str]:
    hrefs = page.eval_on_selector_all("#registry-search-results a.md-search-result__link", "links => links.map(a => a.getAttribute('href'))")
    return [urlsplit(urljoin(page.url, h)).path for h in hrefs]


def test_the_kind_filter_keeps_one_kind_of_result(page, site_url):
    root = urlsplit(site_url).path
    goto_ok(page, site_url)
    paths = search_results(page, "Korea", lambda ps: any("/cdm/projects/" in p for p in ps))
    assert {p.split("/")[2] for p in paths if p.startswith(root + "cdm/")} >= {"projects"}, paths
    group = page.get_by_role("group", name="Kind")
    assert group.get_by_role("button", name="All").get_attribute("aria-pressed") == "true"
    for label, prefix in (("Host parties", root + "cdm/parties/"), ("Projects", root + "cdm/projects/")):
        button = group.get_by_role("button", name=label)
        button.click()
        assert button.get_attribute("aria-pressed") == "true"
        page.wait_for_function("prefix => { const links = [...document.querySelectorAll('#registry-search-results a')];"
                               " return links.length > 0 && links.every(a => new URL(a.href).pathname.startsWith(prefix)); }",
                               arg=prefix, timeout=10_000)
        assert all(p.startswith(prefix) for p in _paths_shown(page))
        if label == "Host parties":
            assert root + "cdm/parties/kr/" in _paths_shown(page)
    assert group.get_by_role("button", name="All").get_attribute("aria-pressed") == "false"


def _arabic_variants(word: str) -> list[str]:
    """The same word as readers may type it: in normal form (no hamza on alef, heh for teh
    marbuta), with tatweel, and with harakat."""
    folded = search.arabic_normal(word)
    return [folded, word[:2] + "\u0640" + word[2:], "".join(c + "\u064e" for c in word)]


def test_arabic_letter_forms_find_the_arabic_page(page, ji_sites_url, ji_sites):
    words = [w for w in _heading(ji_sites, "ar/ji/committee").split() if len(w) > 3 and search.arabic_normal(w) != w]
    assert words, "a word of the title with another form"
    for word in words[:1]:
        for typed in _arabic_variants(word):
            goto_ok(page, ji_sites_url + "ar/")
            paths = search_results(page, typed, lambda ps: "/ar/ji/committee/" in ps)
            assert "/ar/ji/committee/" in paths, (word, typed, paths, _status(page))
            assert all(p.startswith("/ar/") for p in paths), paths
    assert not page.log.errors, page.log.errors


# Another inflection of the committee page's first title word, as a reader writes it.
INFLECTIONS = {"ru": lambda w: w.lower() + "ом", "fr": lambda w: w.lower() + "s", "es": lambda w: w.lower() + "s"}


@pytest.mark.parametrize("language", sorted(INFLECTIONS))
def test_inflected_words_find_the_page_in_their_language(page, ji_sites_url, ji_sites, language):
    word = _heading(ji_sites, f"{language}/ji/committee").split()[0]
    typed = INFLECTIONS[language](word)
    goto_ok(page, ji_sites_url + f"{language}/")
    target = f"/{language}/ji/committee/"
    paths = search_results(page, typed, lambda ps: target in ps)
    assert target in paths, (word, typed, paths, _status(page))
    assert all(p.startswith(f"/{language}/") for p in paths), paths


def _report_terms() -> list[str]:
    """The report's own Chinese labels of the finance tables (the JI package's label_as_printed),
    without the figures and spaces the report prints among them."""
    with (REPO_ROOT / "datapackages" / "ji" / "data" / "finance_lines.csv").open(encoding="utf-8") as handle:
        labels = [row["label_as_printed"] for row in csv.DictReader(handle)]
    runs = [run for label in labels for run in re.findall(r"[\u4e00-\u9fff]{2,}", label)]
    return list(dict.fromkeys(runs))


def test_the_report_s_chinese_terms_find_the_chinese_finances_page(page, ji_sites_url, ji_sites):
    """Typed without spaces, as a Chinese reader types: found whatever the browser's word
    segmenter makes of them (search.js and the index both take Han text character by character)."""
    shown = (ji_sites / "zh" / "ji" / "finances" / "index.html").read_text(encoding="utf-8")
    terms = [t for t in _report_terms() if t in shown][:4]
    assert len(terms) >= 2, terms
    for term in terms:
        goto_ok(page, ji_sites_url + "zh/")
        paths = search_results(page, term, lambda ps: "/zh/ji/finances/" in ps)
        assert "/zh/ji/finances/" in paths, (term, paths, _status(page))
    assert not page.log.errors, page.log.errors


def test_a_chinese_term_finds_no_record_by_one_of_its_characters(page, site_url, built_site):
    """缔约方 ("Party") shares 约 with 约旦 (Jordan): no record comes back for a character alone."""
    goto_ok(page, site_url)
    page.keyboard.press("/")
    page.locator("input.md-search__input").press_sequentially("缔约方")
    page.wait_for_function("() => !/^(Type|Initializing)/.test(document.getElementById('registry-search-status').textContent)")
    page.wait_for_timeout(500)
    hrefs = page.eval_on_selector_all("a.md-search-result__link", "links => links.map(a => a.getAttribute('href'))")
    assert not [h for h in hrefs if "/cdm/parties/jo/" in h or "/cdm/projects/" in h], hrefs


# --- behaviour ------------------------------------------------------------------------------


def test_a_query_typed_while_the_index_loads_is_answered(page, site_url):
    """On a slow connection the reader types before the index has arrived: the query is
    searched once it has, and the answer replaces the loading notice."""
    goto_ok(page, site_url + "ji/projects/")
    session = page.context.new_cdp_session(page)
    session.send("Network.enable")
    session.send("Network.emulateNetworkConditions",
                 {"offline": False, "latency": 600, "downloadThroughput": 200_000, "uploadThroughput": 100_000})
    page.keyboard.press("/")
    page.locator("input.md-search__input").press_sequentially("Zborowska", delay=5)
    target = urlsplit(site_url).path + "ji/committee/"
    page.locator(f'a.md-search-result__link[href="{target}"]').wait_for(timeout=30_000)
    assert re.fullmatch(r"1 matching document|[\d,]+ matching documents", _status(page)), _status(page)


def test_keys_open_move_through_follow_and_close_the_search(page, site_url):
    goto_ok(page, site_url + "ji/status/")
    field = page.locator("input.md-search__input")
    toggle = page.locator("#__search")
    paths = search_results(page, "Zborowska", lambda ps: bool(ps))
    assert toggle.is_checked()
    assert re.fullmatch(r"\d+ matching documents?|1 matching document", _status(page)), _status(page)
    assert page.locator("#registry-search-status").get_attribute("role") == "status"
    page.keyboard.press("ArrowDown")
    focused = page.evaluate("() => document.activeElement.getAttribute('href')")
    assert urlsplit(urljoin(page.url, focused)).path == paths[0]
    page.keyboard.press("ArrowUp")
    assert field.evaluate("e => e === document.activeElement")
    page.keyboard.press("Escape")
    assert not toggle.is_checked() and not field.evaluate("e => e === document.activeElement")
    # "/" opens it again, the query kept; Enter follows the first result.
    page.keyboard.press("/")
    assert toggle.is_checked() and field.input_value() == "Zborowska"
    page.keyboard.press("Enter")
    page.wait_for_url(urljoin(page.url, paths[0]))


def test_the_search_opens_from_the_header_button_on_a_phone(narrow_page, site_url):
    page = narrow_page
    goto_ok(page, site_url + "cdm/")
    page.locator('label.md-header__button[for="__search"]').click()
    field = page.locator("input.md-search__input")
    field.wait_for(state="visible")
    page.wait_for_function("() => document.activeElement && document.activeElement.matches('input.md-search__input')")
    field.press_sequentially("Uzbekistan", delay=10)
    target = urlsplit(site_url).path + "cdm/parties/uz/"
    result = page.locator(f'a.md-search-result__link[href="{target}"]')
    result.wait_for(state="visible", timeout=10_000)
    box = result.bounding_box()
    assert box and box["width"] > 200 and box["y"] >= 0


@pytest.mark.parametrize("path,scheme", [("", "light"), ("ar/", "dark")])
def test_axe_finds_nothing_serious_in_the_open_search(page, site_url, path, scheme):
    page.emulate_media(color_scheme=scheme)
    goto_ok(page, site_url + path)
    search_results(page, "hydro", lambda ps: len(ps) >= 5)
    violations = [v for v in run_axe(page) if v["impact"] in BLOCKING]
    assert violations == [], "\n".join(f"{v['id']}: " + "\n  ".join(v["nodes"][:5]) for v in violations)
