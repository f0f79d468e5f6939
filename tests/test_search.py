"""The search index (build_scripts/search.py): what Pagefind is given to index, and what the
build publishes. How readers find pages with it, in Chromium: tests/browser/test_search.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from build_scripts import search
from build_scripts.paths import REPO_ROOT
from build_scripts.search import Record, arabic_normal, han_characters, record_stub, searchable_page


def test_arabic_letters_are_folded_as_lucene_s_arabic_normalizer_folds_them():
    assert arabic_normal("الإشراف") == "الاشراف"   # alef with hamza below
    assert arabic_normal("أمانة") == "امانه"       # alef with hamza above, teh marbuta
    assert arabic_normal("آلية") == "اليه"         # alef with madda
    assert arabic_normal("مستوى") == "مستوي"       # alef maksura
    assert arabic_normal("اللجنـــة") == "اللجنه"   # tatweel
    assert arabic_normal("اللَّجْنَةُ") == "اللجنه"   # harakat
    assert arabic_normal("JISC 2016") == "JISC 2016"


def test_han_characters_are_listed_once_each_in_order():
    assert han_characters("东道缔约方和缔约方 Party 2016") == "东 道 缔 约 方 和"
    assert han_characters("no Han text") == ""


PAGE = ('<html lang="{lang}"><body><nav>menu words</nav><article class="md-content__inner md-typeset">'
        '<h1>{title}<a class="headerlink" href="#x">&para;</a></h1><p>{body}</p></article></body></html>')


def test_a_page_is_searched_by_its_article_only():
    marked = BeautifulSoup(searchable_page(PAGE.format(lang="en", title="Committee", body="Words"), "en"), "html.parser")
    (body,) = marked.select("[data-pagefind-body]")
    assert body.name == "article" and body.h1.get_text().startswith("Committee")
    assert not marked.select("[data-pagefind-meta]")  # English needs no search-only field
    assert searchable_page("<html><body><p>no article</p></body></html>", "en") is None


def test_a_chinese_page_carries_its_han_characters_one_by_one():
    text = searchable_page(PAGE.format(lang="zh", title="联合执行监督委员会", body="东道缔约方 &amp; 缔约方"), "zh")
    field = BeautifulSoup(text, "html.parser").select_one('[data-pagefind-meta="han"]')
    assert field.has_attr("hidden") and field.has_attr("data-pagefind-ignore")
    assert field.get_text().split() == list("联合执行监督委员会东道缔约方")


def test_an_arabic_page_carries_the_normal_forms_of_its_words_that_have_another():
    text = searchable_page(PAGE.format(lang="ar", title="لجنة الإشراف", body="مستوى الأمانة كتاب"), "ar")
    field = BeautifulSoup(text, "html.parser").select_one('[data-pagefind-meta="normal"]')
    assert field.get_text().split() == ["لجنه", "الاشراف", "مستوي", "الامانه"]  # not كتاب: one form


HOSTILE = '<script>alert(1)</script> & <img src=x onerror=alert(2)> "quoted"'


def test_a_record_stub_holds_its_values_as_text():
    record = Record("cdm/projects/7/", "cdm/projects", "7", HOSTILE, ["IN", "India", "DNV"], ["IN"], units=56704038)
    page = BeautifulSoup(record_stub(record), "html.parser")
    assert page.html["lang"] == search.NEUTRAL
    assert not page.select("script, img")
    assert page.h1.get_text() == HOSTILE
    meta = {span["data-pagefind-meta"]: span["data-value"] for span in page.select("span[data-pagefind-meta]")}
    assert meta == {"kind[data-value]": "cdm/projects", "id[data-value]": "7", "parties[data-value]": "IN",
                    "units[data-value]": "56704038"}
    # No filter of Pagefind's own (it writes filters in a hash map's order): its bundle's kind is the filter.
    assert not page.select("[data-pagefind-filter]")
    assert page.select_one("[data-pagefind-body] p").get_text() == "7 IN India DNV 7_id"  # id_word: an exact id search


def test_a_group_page_holds_each_record_as_a_section_with_its_values_as_text():
    """Language-neutral records are indexed RECORDS_PER_PAGE to a page: each a section under a
    heading "r<position>" (a Pagefind sub-result), the page's meta naming each record's page,
    id, parties and units in section order; hostile titles stay text."""
    listed = [Record("cdm/projects/7/", "cdm/projects", "7", HOSTILE, ["IN", "India", "DNV"], ["IN"], units=56704038),
              Record("cdm/projects/8/", "cdm/projects", "8", "Second", ["BR"], ["BR", "AR"])]
    page = BeautifulSoup(search.group_page(listed), "html.parser")
    assert page.html["lang"] == search.NEUTRAL and not page.select("script, img")
    headings = page.select("[data-pagefind-body] h2")
    assert [(h["id"], h.get_text()) for h in headings] == [("r0", HOSTILE), ("r1", "Second")]
    assert [h.find_next_sibling("p").get_text() for h in headings] == ["7 IN India DNV 7_id", "8 BR 8_id"]
    meta = {span["data-pagefind-meta"]: span["data-value"] for span in page.select("span[data-pagefind-meta]")}
    assert meta["kind[data-value]"] == "cdm/projects"
    assert json.loads(meta["records[data-value]"]) == [["cdm/projects/7/", "7", "IN", 56704038], ["cdm/projects/8/", "8", "BR AR", None]]
    assert not page.select("[data-pagefind-filter]")
    with pytest.raises(ValueError):  # one collection to a page
        search.group_page(listed + [Record("cdm/does/x/", "cdm/does", "X", "X", [], [])])


def test_a_host_party_record_is_written_in_each_language_s_own_index(built_site):
    found = search.records(built_site, ["en", "zh", "ar"])
    china = {r.language: r for r in found if r.kind == "cdm/parties" and r.id == "CN"}
    assert {code: r.title for code, r in china.items()} == {"en": "China", "zh": "中国", "ar": "الصين"}
    assert all(r.url == "cdm/parties/cn/" for r in china.values())
    zh = BeautifulSoup(record_stub(china["zh"]), "html.parser")
    assert zh.html["lang"] == "zh" and zh.select_one('[data-pagefind-meta="han"]').get_text() == "中 国"
    neutral = [r for r in found if r.language == search.NEUTRAL]
    assert {r.kind for r in neutral} == {"cdm/projects", "cdm/does"}
    known = next(r for r in neutral if r.url == "cdm/projects/1000/")
    assert known.title.startswith("Hangyeong") and "KR" in known.words and known.parties == ["KR"]


def _entry(bundle: Path) -> dict:
    return json.loads((bundle / "pagefind-entry.json").read_text(encoding="utf-8"))


def test_the_site_publishes_one_bundle_per_kind_of_result(built_site):
    """Each language's pages bundle holds its own pages (not the record pages: their words
    are in the records' bundles), its host parties bundle every party named in the language,
    and the projects' and DOEs' bundles every record once, language-neutral; search.js
    merges them in the order bundles() gives, each bundle's kind its filter."""
    api = json.loads((built_site / "api" / "index.json").read_text(encoding="utf-8"))
    collections = {c["name"]: c["count"] for p in api["packages"] for c in p["collections"]}

    def is_record(relative: Path) -> bool:
        return len(relative.parts) > 3 and relative.parts[0] == "cdm" and relative.parts[1] in collections

    english = [p for p in built_site.rglob("index.html") if p.relative_to(built_site).parts[0] not in ("ar", "api", "search")
               and not is_record(p.relative_to(built_site))]
    assert search.bundles(built_site) == [
        search.Bundle(search.PAGE_KIND, search.PAGES_BUNDLE, False), search.Bundle("cdm/projects", "search/cdm/projects", True),
        search.Bundle("cdm/parties", "search/cdm/parties", False), search.Bundle("cdm/does", "search/cdm/does", True)]
    for code, root in (("en", built_site), ("ar", built_site / "ar")):
        pages = _entry(root / search.PAGES_BUNDLE)["languages"]
        parties = _entry(root / "search" / "cdm" / "parties")["languages"]
        assert list(pages) == list(parties) == [code]
        assert (pages[code]["page_count"], parties[code]["page_count"]) == (len(english), collections["parties"])
        assert not (root / "search" / "cdm" / "projects").exists() or root == built_site
    for name in ("projects", "does"):
        records = _entry(built_site / "search" / "cdm" / name)["languages"]
        groups = -(-collections[name] // search.RECORDS_PER_PAGE)  # the records, RECORDS_PER_PAGE to a page
        assert records == {search.NEUTRAL: records[search.NEUTRAL]} and records[search.NEUTRAL]["page_count"] == groups
        listed = [r for f in search.read_fragments(built_site / "search" / "cdm" / name) for r in json.loads(f["meta"]["records"])]
        assert len(listed) == len({r[0] for r in listed}) == collections[name]
    # No bundle has filters of its own (Pagefind writes them in a different order in each build).
    assert not list(built_site.rglob("search/**/filter/*"))
    # Pagefind's own interfaces are not published (the site has its own: search.js).
    assert not list(built_site.rglob("pagefind-ui*")) and not list(built_site.rglob("pagefind-highlight*"))


def test_the_files_search_js_fetches_ahead_of_pagefind_are_where_it_looks(built_site):
    """search.js warm(): each bundle's entry names its metadata (pagefind.<hash>.pf_meta) and,
    for a pages bundle, its WebAssembly (wasm.<name>.pagefind): a Pagefind that names them
    otherwise fails here, not silently in readers' browsers."""
    script = (REPO_ROOT / "site_src" / "docs" / "assets" / "javascripts" / "search.js").read_text(encoding="utf-8")
    assert '"pagefind." + index.hash + ".pf_meta"' in script and '"wasm." + (index.wasm || "unknown") + ".pagefind"' in script
    for bundle in [root / b.path for b in search.bundles(built_site) for root in ((built_site,) if b.shared else (built_site, built_site / "ar"))]:
        for index in _entry(bundle)["languages"].values():
            assert (bundle / f"pagefind.{index['hash']}.pf_meta").is_file(), bundle
            if bundle.name == "pages":
                assert (bundle / f"wasm.{index['wasm'] or 'unknown'}.pagefind").is_file(), bundle


def test_the_records_index_holds_what_finds_a_project_not_its_tables(built_site):
    """A project's section of its group's fragment (what a result fetches) holds its title, id
    and parties, not the record page's tables: serial numbers are not searched; the group's
    meta gives its page and units issued."""
    fragments = search.read_fragments(built_site / "search" / "cdm" / "projects")
    (group,) = [f for f in fragments if any(r[0] == "cdm/projects/1000/" for r in json.loads(f["meta"]["records"]))]
    listed = json.loads(group["meta"]["records"])
    position = next(n for n, r in enumerate(listed) if r[0] == "cdm/projects/1000/")
    (anchor,) = [a for a in group["anchors"] if a["id"] == f"{search.SECTION_PREFIX}{position}"]
    assert anchor["element"] == "h2" and anchor["text"].startswith("Hangyeong")
    explorer = json.loads((built_site / "downloads" / "cdm" / "explorer.json").read_text(encoding="utf-8"))
    row = dict(zip(explorer["columns"], next(r for r in explorer["rows"] if r[0] == "1000")))
    assert listed[position][1:] == ["1000", "KR", row["units_issued"]] and not group["filters"]
    assert "KR" in group["content"] and "1000_id" in group["content"] and "77245220" not in group["content"]
    assert len(listed) <= search.RECORDS_PER_PAGE


def test_no_search_index_of_the_theme_is_published(built_site):
    """The theme's lunr index (the whole site's text, fetched by every page) is gone."""
    assert not (built_site / "search" / "search_index.json").exists()
    home = (built_site / "index.html").read_text(encoding="utf-8")
    assert "search_index.json" not in home and 'data-md-component="search"' not in home


def test_a_pagefind_failure_stops_the_build_naming_it(tmp_path, monkeypatch):
    (tmp_path / "site").mkdir()
    with pytest.raises(search.SearchIndexFailed, match="Pagefind could not index the site:\nsearch/pages: exit 1"):
        search.index_site(tmp_path / "site", ["en"], tmp_path / "work")
