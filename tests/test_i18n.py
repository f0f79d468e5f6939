"""The registry in several languages: catalogs, locale formats, per-language sites."""

from __future__ import annotations

import json

import datetime as dt
import random
import re
from pathlib import Path
from urllib.parse import urljoin

import pytest
from babel import Locale
from babel.dates import format_date
from babel.numbers import format_decimal
from babel.messages.catalog import Catalog
from bs4 import BeautifulSoup

from build_scripts import i18n, messages
from build_scripts.paths import REPO_ROOT, Layout
from build_scripts.render.environment import make_environment
from build_scripts.site import BuildFailed, PENDING, build_site
from tests.conftest import PUBLISHED, copy_repository

LANGUAGES = i18n.enabled_languages()
OTHERS = LANGUAGES[1:]


# --- catalogs ---------------------------------------------------------------------------------

def test_every_message_is_translated_faithfully_in_every_language():
    """The catalog-completeness check: every message used by a template, the Python code, a
    label or mkdocs.yml has a translation in every enabled language that keeps its
    placeholders, link targets and tags; the committed template is up to date."""
    problems = messages.check(Layout(REPO_ROOT))
    assert not problems, f"{len(problems)} catalog problem(s), first: " + "; ".join(map(str, problems[:10]))


def test_six_un_languages_are_enabled():
    assert set(LANGUAGES) == {"en", "zh", "ru", "fr", "es", "ar"}
    assert LANGUAGES[0] == "en"


@pytest.mark.parametrize("translation, rule, detail", [
    ("Voir [la page](downloads/index.md) : les unités", "placeholders", "dropped units"),
    ("Voir [la page](downloads/index.md) : %(units)s %(units)s", "placeholders", "added units"),
    ("Voir la page : %(units)s", "links", "dropped downloads/index.md"),
    ("<strong>Voir</strong> [la page](downloads/index.md) %(units)s", "tags", "added strong, strong"),
])
def test_a_translation_that_drops_or_adds_a_placeholder_link_or_tag_is_refused(translation, rule, detail):
    original = "See [the page](downloads/index.md): %(units)s"
    problems = messages.faithfulness("fr.po", "fr", original, translation)
    assert [(p.rule, p.detail) for p in problems] == [(rule, detail)]
    assert problems[0].file == "fr.po" and problems[0].msgid == original


def test_the_check_names_the_catalog_language_and_message_of_a_missing_translation(tmp_path):
    layout = copy_repository(tmp_path / "repo", packages=("ji",))
    path = i18n.catalog_path(layout.locales, "fr")
    catalog = messages.read(path, "fr")
    victim = next(m for m in catalog if m.id and m.string)
    victim.string = ""
    messages.write_template(catalog, path)
    problems = [p for p in messages.check(layout) if p.language == "fr"]
    assert [(p.rule, p.msgid, p.file) for p in problems] == [
        ("missing", victim.id, "site_src/locales/fr/LC_MESSAGES/messages.po")]


@pytest.mark.parametrize("language, counts", [
    # n -> the CLDR plural category's form: Russian one/few/many, Arabic zero/one/two/few/many/other
    ("ru", {1: 0, 21: 0, 2: 1, 4: 1, 22: 1, 5: 2, 11: 2, 12: 2, 111: 2}),
    ("ar", {0: 0, 1: 1, 2: 2, 3: 3, 10: 3, 103: 3, 11: 4, 99: 4, 100: 5, 102: 5}),
    ("fr", {0: 0, 1: 0, 2: 1}),
    ("zh", {1: 0, 2: 0, 5: 0}),
])
def test_a_count_takes_the_plural_form_the_language_s_rule_gives(language, counts):
    translator = i18n.translator(language)
    forms = translator.messages["%(num)s error"]
    assert len(forms) == len(set(counts.values()))  # every form of the language is exercised
    for count, form in counts.items():
        assert translator.ngettext("%(num)s error", "%(num)s errors", count) == forms[form], (language, count)
    environment = make_environment(i18n.DEFAULT_LOCALES.parent / "templates")
    with i18n.use(translator):
        rendered = environment.from_string("{{ ngettext('%(num)s error', '%(num)s errors', n) }}").render(n=21)
    assert rendered == forms[counts.get(21, translator._plural(21))] % {"num": 21}


def test_english_plurals_in_the_built_pages(ji_sites):
    """The findings page counts in the right form: '1 finding in the source', '2 warnings'."""
    text = BeautifulSoup((ji_sites / "findings" / "index.html").read_text(encoding="utf-8"), "html.parser").get_text(" ")
    assert "(s)" not in text
    counts = re.findall(r"(\d+) (findings?|warnings?|errors?) ", text)
    assert counts
    for number, word in counts:
        assert word.endswith("s") == (int(number) != 1), (number, word)


def test_a_plural_message_without_all_its_forms_is_refused(tmp_path):
    layout = copy_repository(tmp_path / "repo", packages=("ji",))
    path = i18n.catalog_path(layout.locales, "ru")
    catalog = messages.read(path, "ru")
    victim = next(m for m in catalog if isinstance(m.id, tuple))
    victim.string = victim.string[:2]
    messages.write_template(catalog, path)
    problems = {(p.rule, p.msgid) for p in messages.check(layout) if p.language == "ru"}
    assert ("plural-forms", str(victim.id)) in problems or ("missing", str(victim.id)) in problems


def test_a_new_message_in_a_template_makes_the_committed_template_stale(tmp_path):
    layout = copy_repository(tmp_path / "repo", packages=("ji",))
    template = layout.templates / "sources.md.j2"
    template.write_text(template.read_text(encoding="utf-8") + "\n{{ _(\"A sentence nobody translated\") }}\n", encoding="utf-8")
    problems = messages.check(layout)
    assert ("stale-template", "A sentence nobody translated") in {(p.rule, p.msgid) for p in problems}
    assert {p.language for p in problems if p.rule == "missing"} == set(OTHERS)


def test_a_language_that_is_not_enabled_is_refused_by_the_build(tmp_path):
    layout = copy_repository(tmp_path / "repo", packages=("ji",))
    with pytest.raises(BuildFailed, match="languages.yml"):
        build_site(layout, settings=PUBLISHED, languages=["en", "de"])


# --- locale formats ---------------------------------------------------------------------------

@pytest.mark.parametrize("language", LANGUAGES)
def test_numbers_are_formatted_as_babel_formats_them(language):
    translator = i18n.Translator(language)
    generator = random.Random(language)
    values = [0, 7, 999, 1000, 12345, -12345, 871893629, 2_500_000_000]
    values += [generator.randrange(-10**10, 10**10) for _ in range(200)]
    for value in values:
        assert translator.number(value) == format_decimal(value, locale=translator.locale, decimal_quantization=False), value
    for value in [0.5, 972454.32, 1234.05, -0.25]:
        assert translator.number(value, 2) == format_decimal(value, format="#,##0.00", locale=translator.locale)


@pytest.mark.parametrize("language", LANGUAGES)
def test_dates_and_country_names_come_from_cldr(language):
    translator = i18n.Translator(language)
    day = dt.date(2016, 8, 31)
    assert translator.long_date(day) == format_date(day, "long", locale=translator.locale)
    if language == "en":
        assert translator.country("RU", "Russian Federation") == "Russian Federation"  # as the UNFCCC publishes it
    else:
        assert translator.country("RU", "Russian Federation") == Locale.parse(language).territories["RU"]
        assert translator.country("RU", "Russian Federation") != "Russian Federation"


# --- a site in every language (JI only: quick) ----------------------------------------------------

def _root(site: Path, language: str) -> Path:
    return site if language == LANGUAGES[0] else site / language


def _soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def _pages(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("index.html") if not any(part in LANGUAGES for part in p.relative_to(root).parts[:1]))


def test_every_language_has_every_page_with_its_lang_and_direction(ji_sites):
    english = {p.relative_to(ji_sites) for p in _pages(ji_sites)}
    assert len(english) > 10
    for language in LANGUAGES:
        root = _root(ji_sites, language)
        assert {p.relative_to(root) for p in _pages(root)} == english, language
        for path in [root / "index.html", root / "ji" / "status" / "index.html", root / "about" / "index.html"]:
            soup = _soup(path)
            assert soup.html["lang"] == language
            assert soup.body["dir"] == Locale.parse(language).text_direction
    assert _soup(ji_sites / "ar" / "index.html").body["dir"] == "rtl"


def test_the_language_switcher_links_the_same_page_in_every_language(ji_sites):
    for language in LANGUAGES:
        root = _root(ji_sites, language)
        for path in _pages(root):
            links = _soup(path).select("a.md-select__link[hreflang]")
            assert [a["hreflang"] for a in links] == LANGUAGES, path
            for link in links:
                target = Path(urljoin(str(path.parent) + "/", link["href"])) / "index.html"
                assert target.resolve() == (_root(ji_sites, link["hreflang"]) / path.relative_to(root)).resolve(), (path, link["href"])
            current = [a["hreflang"] for a in links if a.get("aria-current") == "true"]
            assert current == [language]


def test_every_local_link_and_asset_of_every_language_exists(ji_sites):
    """A language's pages link to the default language's downloads, record JSON and assets
    (one copy of each): every relative href and src must reach a file."""
    missing = []
    for path in ji_sites.rglob("*.html"):
        if path.name == "404.html":
            continue
        for element in _soup(path).select("[href], [src], [data-plotly]"):
            for attribute in ("href", "src", "data-plotly"):
                value = element.get(attribute)
                if not value or re.match(r"^[a-z][a-z0-9+.-]*:|^#|^/", value):
                    continue
                target = Path(urljoin(str(path.parent) + "/", value.split("#")[0].split("?")[0]))
                if target.is_dir():
                    target = target / "index.html"
                if not target.exists():
                    missing.append(f"{path.relative_to(ji_sites)}: {attribute}={value}")
    assert not missing, f"{len(missing)} broken link(s): {missing[:10]}"
    for language in OTHERS:  # no second copy of the data
        assert not list((ji_sites / language).rglob("*.csv")), language
        assert not (ji_sites / language / "api" / "index.json").exists()


def test_interface_words_are_translated_and_data_is_marked_as_published(ji_sites):
    english = _soup(ji_sites / "ji" / "status" / "index.html")
    for language in OTHERS:
        page = _soup(ji_sites / language / "ji" / "status" / "index.html")
        assert page.h1.get_text(strip=True) != english.h1.get_text(strip=True), language
        nav = [a.get_text(strip=True) for a in page.select("nav.md-nav--primary a.md-nav__link")]
        assert nav and nav != [a.get_text(strip=True) for a in english.select("nav.md-nav--primary a.md-nav__link")]
        marked = page.select('main [lang="en"]')
        assert marked, f"{language}: no data value marked as published in English"
        translator = i18n.translator(language)
        # the charts' titles too
        titles = [t.get_text(strip=True) for t in page.select(".registry-chart__title")]
        english_titles = [t.get_text(strip=True) for t in english.select(".registry-chart__title")]
        assert titles and len(titles) == len(english_titles)
        assert all(t != e for t, e in zip(titles, english_titles)), (language, titles)
        assert translator.language == language


def test_a_page_whose_translation_is_pending_says_so_in_its_language_and_links_to_english(ji_sites):
    for language in OTHERS:
        translated = REPO_ROOT / "site_src" / "locales" / language / "docs" / "about.md"
        page = _soup(ji_sites / language / "about" / "index.html")
        if translated.exists():
            assert not page.select("main .admonition.note a[href$='../about/']")
            continue
        notice = page.select_one("main .admonition.note")
        expected = i18n.translator(language).gettext(PENDING).split("[")[0].strip()
        assert notice is not None and expected in notice.get_text(" ", strip=True), language
        link = notice.select_one("a")
        target = Path(urljoin(str(ji_sites / language / "about") + "/", link["href"])) / "index.html"
        assert target.resolve() == (ji_sites / "about" / "index.html").resolve()
        assert page.select_one('main div[lang="en"][dir="ltr"]') is not None


def test_each_language_has_its_own_search_index_in_its_language(ji_sites):
    """One search bundle per language, at its root, holding that language's pages, every one
    in its language; the Chinese pages with their Han characters one by one
    (build_scripts/search.py)."""
    from build_scripts import search

    counts = set()
    for language in LANGUAGES:
        bundle = _root(ji_sites, language) / search.PAGES_BUNDLE
        entry = json.loads((bundle / "pagefind-entry.json").read_text(encoding="utf-8"))["languages"]
        assert list(entry) == [language]
        fragments = search.read_fragments(bundle)
        assert len(fragments) == entry[language]["page_count"]
        counts.add(len(fragments))
        committee = next(f for f in fragments if f["url"] == "/ji/committee/")
        expected = BeautifulSoup((_root(ji_sites, language) / "ji" / "committee" / "index.html").read_text(encoding="utf-8"),
                                 "html.parser").select_one("article h1").get_text(strip=True).rstrip("¶")
        assert committee["meta"]["title"] == expected
        if language == "zh":
            assert set(search.han_characters(expected).split()) <= set(committee["meta"]["han"].split())
    assert len(counts) == 1, "every language has the same pages"


def test_the_arabic_record_pages_median_is_within_a_fifth_of_the_english_one(built_site):
    """Issue #19's budget (make bench reports it for every language): no language's median
    record page more than 20% above the English median, on the real data's Arabic build (the
    session's other language). The same pages in both: every project page exists in each."""
    import statistics

    english = sorted((built_site / "cdm" / "projects").glob("*/index.html"))
    arabic = [built_site / "ar" / page.relative_to(built_site) for page in english]
    assert len(english) > 8000 and all(page.exists() for page in arabic)
    median = lambda pages: statistics.median(page.stat().st_size for page in pages)  # noqa: E731
    assert median(arabic) <= 1.2 * median(english), (median(arabic), median(english))
