"""Country names (as the UNFCCC publishes them) to ISO 3166-1 alpha-2 codes, and English names.

The index is built from reference data, not typed in: every pycountry (ISO 3166-1) name,
official name and common name, every English territory name of CLDR (Babel), and for ISO
names written 'Korea, Republic of' the natural order 'Republic of Korea'. A published name
is normalised before lookup:

- apostrophe-like characters (` ' ’ ‘ ´) become one apostrophe ('Côte d`Ivoire');
- 'X (Y)' becomes 'X, Y' ('Iran (Islamic Republic of)' -> ISO's 'Iran, Islamic Republic of');
- case, accents' composition, repeated spaces and a leading 'The' are ignored.

The few UN names that still fail are in country_aliases.yml (commented).
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from pathlib import Path
from typing import Iterable

import pycountry
import yaml
from babel import Locale

from build_scripts.importers import SourceError

ALIASES = Path(__file__).with_name("country_aliases.yml")
APOSTROPHES = re.compile(r"[`´‘’ʼ]")


def normalise(name: str) -> str:
    text = unicodedata.normalize("NFC", name)
    text = APOSTROPHES.sub("'", text)
    text = re.sub(r"^(.*?)\s*\((.+)\)\s*$", r"\1, \2", text)
    text = " ".join(text.split()).casefold()
    return re.sub(r"^the\s+", "", text)


def natural_order(name: str) -> str | None:
    """'Korea, Republic of' -> 'Republic of Korea'; 'Congo, The Democratic Republic of the' -> '... Congo'."""
    if ", " not in name:
        return None
    head, tail = name.split(", ", 1)
    return f"{tail} {head}"


@cache
def aliases() -> dict[str, str]:
    return {normalise(k): v for k, v in yaml.safe_load(ALIASES.read_text(encoding="utf-8"))["aliases"].items()}


@cache
def index() -> dict[str, str]:
    """Normalised name -> alpha-2 code; names that two codes share are left out."""
    candidates: dict[str, set[str]] = {}

    def add(name: str | None, code: str) -> None:
        if name:
            candidates.setdefault(normalise(name), set()).add(code)

    for country in pycountry.countries:
        code = country.alpha_2
        for attribute in ("name", "official_name", "common_name"):
            name = getattr(country, attribute, None)
            add(name, code)
            add(natural_order(name) if name else None, code)
    for code, name in Locale("en").territories.items():
        if len(code) == 2 and code.isalpha() and pycountry.countries.get(alpha_2=code):
            add(name, code)
    return {name: next(iter(codes)) for name, codes in candidates.items() if len(codes) == 1}


def to_code(name: str) -> str | None:
    key = normalise(name)
    return index().get(key) or aliases().get(key)


def codes_for(names: Iterable[str], file: str) -> dict[str, str]:
    """Code of every name; SourceError listing every name that cannot be mapped."""
    codes = {name: to_code(name) for name in names}
    unknown = sorted(name for name, code in codes.items() if code is None)
    if unknown:
        raise SourceError(f"{file}: country name(s) not found in ISO 3166-1 (pycountry) or CLDR: "
                          f"{', '.join(map(repr, unknown))}. If a name is a UN form that no normalisation rule "
                          f"reaches, add it to {ALIASES.name} with a comment.")
    return codes  # type: ignore[return-value]


def used_aliases(names: Iterable[str]) -> dict[str, str]:
    """The published names that needed the alias list."""
    return {name: aliases()[normalise(name)] for name in names
            if normalise(name) not in index() and normalise(name) in aliases()}


def english_name(code: str) -> str | None:
    """English short name: pycountry's common name, else its ISO name in natural order
    ('Congo, The Democratic Republic of the' -> 'Democratic Republic of the Congo')."""
    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        return None
    common = getattr(country, "common_name", None)
    if common:
        return common
    natural = natural_order(country.name)
    return re.sub(r"^The ", "", natural) if natural else country.name
