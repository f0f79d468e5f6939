"""The jinja2 environment shared by every generated page, with its formatting filters."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd
import yaml
from markupsafe import Markup

from build_scripts import i18n
from build_scripts.render.escape import escape_html_value, escape_value, plain, yaml_string

LABELS_DIR = Path(__file__).parent


@lru_cache(maxsize=None)
def labels(language: str = "en") -> dict[str, dict[str, str]]:
    with (LABELS_DIR / f"labels.{language}.yml").open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def label(key: Any, group: str) -> str:
    """The words for a code in the data (labels.en.yml), in the language being built."""
    text = plain(key)
    english = labels("en").get(group, {}).get(text, text)
    return i18n.current().gettext(english) if english else english


def number(value: Any, decimals: int = 0) -> str:
    if plain(value) == "":
        return ""
    return i18n.current().number(value, decimals)


def amount(value: Any) -> str:
    """Whole numbers without decimals, others with two."""
    if plain(value) == "":
        return ""
    value = float(value)
    return number(value, 0 if value == int(value) else 2)


def long_date(value: Any) -> str:
    if plain(value) == "":
        return ""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value)
    if isinstance(value, pd.Timestamp):
        value = value.date()
    return i18n.current().long_date(value)


def iso_date(value: Any) -> str:
    if plain(value) == "":
        return ""
    if isinstance(value, (pd.Timestamp, dt.date)):
        return value.strftime("%Y-%m-%d")
    return plain(value)


def year_month(value: Any) -> str:
    text = plain(value)
    return i18n.current().year_month(dt.date.fromisoformat(text + "-01")) if text else ""


def country(code: Any, published: Any = None) -> str:
    """A party's name: as the source publishes it in English, CLDR's name in other languages."""
    return i18n.current().country(plain(code), plain(published))


def language_name(code: Any) -> str:
    """A language's name in the language being built (CLDR): 'zh' -> 'Chinese', '中文' in Chinese."""
    text = plain(code)
    return i18n.current().locale.languages.get(text, text) if text else ""


def as_published(value: Any, language: str = i18n.SOURCE_LANGUAGE, escape=escape_value) -> Markup:
    """A data value shown as its source published it (a project title, a methodology code),
    marked with its language on pages in another language."""
    text = escape(value)
    current = i18n.current()
    if not text or current.language == language:
        return text
    # On a right-to-left page, left-to-right data keeps its punctuation at its own end.
    direction = ' dir="ltr"' if current.direction == "rtl" and language != "ar" else ""
    return Markup(f'<span lang="{language}"{direction}>') + text + Markup("</span>")


def _gettext(message: str, /, **values: Any) -> Markup:
    """{% trans %} and _() in templates: the translated message (template text, trusted),
    its placeholders filled with values escaped by the one escaping path (escape_value)."""
    text = Markup(i18n.current().gettext(message))
    return text % {name: escape_value(value) for name, value in values.items()}


def _ngettext(singular: str, plural: str, count: int, /, **values: Any) -> Markup:
    text = Markup(i18n.current().ngettext(singular, plural, count))
    return text % {"num": escape_value(count), **{name: escape_value(value) for name, value in values.items()}}


def _gettext_html(message: str, /, **values: Any) -> Markup:
    """_gettext for HTML no Markdown pass reads (escape_html_value)."""
    text = Markup(i18n.current().gettext(message))
    return text % {name: escape_html_value(value) for name, value in values.items()}


def _ngettext_html(singular: str, plural: str, count: int, /, **values: Any) -> Markup:
    text = Markup(i18n.current().ngettext(singular, plural, count))
    return text % {"num": escape_html_value(count), **{name: escape_html_value(value) for name, value in values.items()}}


def figure_text(row: dict) -> str:
    """'871,893,629 ERUs', 'more than 2,500,000,000 tonnes CO2 equivalent', 'USD 972,454.32'."""
    value = amount(row["value"])
    if row["unit"] == "USD":
        figure = i18n._("USD %(amount)s", amount=value)
    else:
        figure = i18n._("%(amount)s %(unit)s", amount=value, unit=label(row["unit"], "units"))
    qualifier = label(row["qualifier"], "qualifiers")
    return i18n._("%(qualifier)s %(figure)s", qualifier=qualifier, figure=figure) if qualifier else figure


def relative_root(page_path: str) -> str:
    """Prefix from a page's URL (directory URLs) back to the site root, for raw HTML links."""
    parts = Path(page_path).with_suffix("").parts
    depth = len(parts) - (1 if parts[-1] == "index" else 0)
    return "../" * depth


def docs_root(page_path: str) -> str:
    """Prefix from a page's Markdown file back to the docs folder, for Markdown links (which
    mkdocs checks and rewrites)."""
    return "../" * (len(Path(page_path).parts) - 1)


def make_environment(templates: Path, html: bool = False) -> jinja2.Environment:
    """The templates' environment. html=True: for templates whose output no Markdown pass
    reads (*.html.j2, a record page's article): values escaped for HTML alone."""
    escape = escape_html_value if html else escape_value
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates)),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
        finalize=escape,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters.update(
        label=label,
        number=number,
        amount=amount,
        long_date=long_date,
        year_month=year_month,
        iso_date=iso_date,
        figure_text=figure_text,
        yaml=yaml_string,
        plain=plain,
    )
    published = (lambda value, language=i18n.SOURCE_LANGUAGE: as_published(value, language, escape)) if html else as_published
    environment.filters.update(country=country, as_published=published, language_name=language_name)
    environment.newstyle_gettext = True  # type: ignore[attr-defined]
    gettext, ngettext = (_gettext_html, _ngettext_html) if html else (_gettext, _ngettext)
    environment.globals.update(Markup=Markup, gettext=gettext, ngettext=ngettext, _=gettext,
                               lang=i18n.current().language, direction=i18n.current().direction)
    return environment


# The theme overrides' own words (site_src/overrides): given to mkdocs per language as
# config.extra.language.words (the theme's templates are not rendered by this environment).
THEME_MESSAGES = {
    "view_source": i18n.N_("View the source file of this page: %(path)s"),
    "edit": i18n.N_("Edit this page: %(path)s"),
    "switch_to_dark": i18n.N_("Switch to dark mode"),
    "switch_to_light": i18n.N_("Switch to light mode"),
    # The header's search (assets/javascripts/search.js): a record result's kind, its more button
    # and its one failure.
    "search_project": i18n.N_("CDM project %(id)s"),
    "search_party": i18n.N_("Host party"),
    "search_doe": i18n.N_("DOE"),
    "search_more": i18n.N_("Show more results"),
    # the count while more results follow (records come in groups: the total is known at the end)
    "search_first": i18n.N_("First %(count)s results"),
    "search_failed": i18n.N_("The search could not be loaded."),
    # a project result's units, the kind filter's name and buttons
    "search_units": i18n.N_("%(units)s units issued"),
    "search_filter": i18n.N_("Kind"),
    "search_all": i18n.N_("All"),
    "search_projects": i18n.N_("Projects"),
    "search_parties": i18n.N_("Host parties"),
    "search_does": i18n.N_("DOEs"),
    "search_pages": i18n.N_("Pages"),
}


def theme_messages() -> dict[str, str]:
    return {key: i18n.current().gettext(message) for key, message in THEME_MESSAGES.items()}
