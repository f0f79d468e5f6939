"""The site's languages: message catalogs, and numbers, dates and country names per locale.

Every word of the interface is an English message (msgid) in a template, in Python code
(`_("...")`) or a label in render/labels.en.yml; its translations live in gettext catalogs,
site_src/locales/<language>/LC_MESSAGES/messages.po (read with Babel), never in templates.
`make messages` extracts the messages into site_src/locales/messages.pot and merges them
into every catalog; tests/test_i18n.py fails when a catalog lacks a translation or a
translation drops a placeholder, a link or a tag.

Numbers, dates and country names come from CLDR through Babel. A message may hold named
placeholders, %(name)s, filled in after translation. A message about a count has plural
forms (`{% trans count=n %}...{% pluralize %}...{% endtrans %}`, `ngettext`): as many as
the language's CLDR plural rule has (the catalog's Plural-Forms: one in Chinese, two in
English, French and Spanish, three in Russian, six in Arabic), chosen by that rule.

The language being built is process-wide (`use(language)`), so Python code that makes page
text (chart titles, continuation notes) translates with `_` like the templates do.
"""

from __future__ import annotations

import datetime as dt
import gettext as _gettext_module
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator

import yaml
from babel import Locale
from babel.dates import format_date, format_skeleton
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

from build_scripts.paths import REPO_ROOT

DEFAULT_LOCALES = REPO_ROOT / "site_src" / "locales"
SOURCE_LANGUAGE = "en"
# CLDR locale for each language's formats: English as the UN writes it (31 August 2016).
FORMAT_LOCALE = {"en": "en_GB"}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


class LanguageError(Exception):
    """A language setting or catalog the build cannot use."""


def enabled_languages(locales: Path = DEFAULT_LOCALES) -> list[str]:
    """The languages the site is built in (site_src/locales/languages.yml); the first is
    published at the site's root, the others under /<code>/."""
    path = locales / "languages.yml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise LanguageError(f"{path}: {exc}") from exc
    codes = data.get("languages")
    if not isinstance(codes, list) or not codes or not all(isinstance(c, str) for c in codes):
        raise LanguageError(f"{path}: 'languages' must be a list of language codes, the default first")
    if codes[0] != SOURCE_LANGUAGE:
        raise LanguageError(f"{path}: the first language must be {SOURCE_LANGUAGE!r}, the language of the messages")
    for code in codes:
        try:
            Locale.parse(code)
        except (ValueError, TypeError) as exc:
            raise LanguageError(f"{path}: {code!r} is not a CLDR locale: {exc}") from exc
    if len(set(codes)) != len(codes):
        raise LanguageError(f"{path}: a language is listed twice")
    return codes


def catalog_path(locales: Path, language: str) -> Path:
    return locales / language / "LC_MESSAGES" / "messages.po"


# English's plural rule (gettext's C expression), as the messages are written.
SOURCE_PLURAL = "(n != 1)"


@lru_cache(maxsize=32)
def _read_catalog(path: str, mtime: float) -> tuple[dict[str, str | tuple[str, ...]], str]:
    with open(path, "rb") as handle:
        catalog = read_po(handle)
    messages: dict[str, str | tuple[str, ...]] = {}
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        if isinstance(message.id, (list, tuple)):
            forms = tuple(message.string)
            if forms and all(forms):
                messages[message.id[0]] = forms
        elif message.string:
            messages[message.id] = message.string
    return messages, catalog.plural_expr


def read_catalog(locales: Path, language: str) -> dict[str, str | tuple[str, ...]]:
    """msgid -> translation (a tuple of plural forms for plural messages); untranslated and
    fuzzy entries are left out (the English text shows, and the completeness test fails)."""
    if language == SOURCE_LANGUAGE:
        return {}
    return _read_catalog(*_catalog_key(locales, language))[0]


def plural_rule(locales: Path, language: str) -> str:
    """The catalog's plural rule (its Plural-Forms header, else CLDR's for the language)."""
    if language == SOURCE_LANGUAGE:
        return SOURCE_PLURAL
    return _read_catalog(*_catalog_key(locales, language))[1]


def _catalog_key(locales: Path, language: str) -> tuple[str, float]:
    path = catalog_path(locales, language)
    if not path.exists():
        raise LanguageError(f"{path}: no message catalog for the enabled language {language!r}")
    return str(path), path.stat().st_mtime


@lru_cache(maxsize=16)
def _plural_function(expression: str):
    """gettext's plural expression (C syntax, as in a catalog's Plural-Forms) -> n -> form index."""
    return _gettext_module.c2py(expression)


@dataclass
class Translator:
    """One language: its messages and its CLDR formats."""

    language: str = SOURCE_LANGUAGE
    messages: dict[str, Any] = field(default_factory=dict)
    plural_expr: str = SOURCE_PLURAL

    def __post_init__(self) -> None:
        try:
            self._plural = _plural_function(self.plural_expr)
        except ValueError as exc:
            raise LanguageError(f"{self.language}: plural rule {self.plural_expr!r}: {exc}") from exc
        self.locale = Locale.parse(FORMAT_LOCALE.get(self.language, self.language))
        sample = format_decimal(-1234567.5, locale=self.locale)  # the symbols Babel uses: "-1,234,567.5"
        self._minus, self._group, self._decimal = sample[:sample.index("1")], sample[-6], sample[-2]
        self.direction = Locale.parse(self.language).text_direction
        self.name = Locale.parse(self.language).display_name  # the language's own name: "中文"

    @property
    def is_source(self) -> bool:
        return self.language == SOURCE_LANGUAGE

    def gettext(self, message: str) -> str:
        translated = self.messages.get(message)
        return translated if isinstance(translated, str) else message

    def ngettext(self, singular: str, plural: str, count: int) -> str:
        """The form of a message for count, by the language's plural rule (English's: the
        singular for 1, else the plural)."""
        forms = self.messages.get(singular)
        if isinstance(forms, tuple):
            return forms[min(self._plural(int(count)), len(forms) - 1)]
        return singular if count == 1 else plural

    def number(self, value: float, decimals: int = 0) -> str:
        """Grouped digits in the locale's symbols (the same as babel.numbers.format_decimal
        with the pattern's grouping; tests compare them), made fast: record pages print many."""
        text = f"{float(value):,.{decimals}f}"
        if self.is_source or (self._group == "," and self._decimal == "."):
            return text if self._minus == "-" else text.replace("-", self._minus)
        return text.replace(",", "\x00").replace(".", self._decimal).replace("\x00", self._group).replace("-", self._minus)

    def long_date(self, value: dt.date) -> str:
        return _long_date(self.locale, value)

    def year_month(self, value: dt.date) -> str:
        return _year_month(self.locale, value)

    def country(self, code: Any, published: Any = None) -> str:
        """A party's name: as published in the source language, CLDR's name in the others."""
        if self.is_source and published:
            return str(published)
        name = self.locale.territories.get(str(code or "").upper()) if code else None
        return name or str(published or code or "")


@lru_cache(maxsize=4096)
def _long_date(locale: Locale, value: dt.date) -> str:
    return format_date(value, "long", locale=locale)


@lru_cache(maxsize=1024)
def _year_month(locale: Locale, value: dt.date) -> str:
    return format_skeleton("yMMMM", value, locale=locale)


_CURRENT = Translator()


def current() -> Translator:
    return _CURRENT


@contextmanager
def use(translator: Translator) -> Iterator[Translator]:
    """Make translator the language of `_` (and of the templates' filters) while building."""
    global _CURRENT
    saved, _CURRENT = _CURRENT, translator
    try:
        yield translator
    finally:
        _CURRENT = saved


def translator(language: str, locales: Path = DEFAULT_LOCALES) -> Translator:
    return Translator(language, read_catalog(locales, language), plural_rule(locales, language))



def _(message: str, /, **values: Any) -> str:
    """Translate a message of Python code and fill in its %(name)s placeholders."""
    text = _CURRENT.gettext(message)
    return text % values if values else text


def N_(message: str) -> str:
    """Mark a message for extraction where it is translated later (a label)."""
    return message
