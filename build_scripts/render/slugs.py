"""Record identifiers that become file names and URLs: slugged, checked, never colliding.

A record page's address is made from its identifier: `cdm/does/<slug>/`, with the record's
JSON at `api/cdm/does/<slug>.json`. `slug` keeps lowercase ASCII letters and digits joined by
single hyphens, so no slug can hold a dot, a slash or '..', be absolute, or be empty.

Validation refuses, with the file, row, field and value, an identifier that would be unsafe
as a path as written (absolute, a '..' or '.' segment, a slash, a backslash, a colon (a
drive or a URL scheme) or a control character), that has no letter or digit to make a slug from, or whose slug is reserved
('index', the address of the folder's list page) (`path_problem`), and two
identifiers that make the same slug (`slug_collisions`: 'TUV SUD' and 'tuv-sud', or names
differing only in case). The page writer checks every output path again (pages.output_path).
"""

from __future__ import annotations

import re
from typing import Iterable

import pandas as pd

_UNSAFE = re.compile(r"[^a-z0-9]+")

# Identifiers that become file names and URLs: (package, resource) -> (field, folder of the
# record pages under the package's own folder, e.g. cdm/does/<slug>/). render/cdm_pages.py
# makes these pages (tests/test_hostile.py checks the built folders match this table).
PUBLISHED_IDENTIFIERS: dict[tuple[str, str], tuple[str, str]] = {
    ("cdm", "projects"): ("project_id", "projects"),
    ("cdm", "parties"): ("party_code", "parties"),
    ("cdm", "entities"): ("entity_id", "does"),
}

# Slugs a record cannot have: the list page of each record folder is <folder>/index.md.
RESERVED = frozenset({"index"})

_ABSOLUTE = re.compile(r"^(?:[/\\]|[A-Za-z]:)")
_DOT_SEGMENT = re.compile(r"(?:^|[/\\])\.{1,2}(?:$|[/\\])")
_SEPARATOR_OR_CONTROL = re.compile(r"[/\\:\x00-\x1f\x7f-\x9f]")


class SlugError(ValueError):
    """An identifier cannot become a safe, unique file name."""


def slug(identifier: str) -> str:
    """Lowercase ASCII letters and digits joined by single hyphens; no dots, slashes or '..'."""
    text = _UNSAFE.sub("-", str(identifier).lower()).strip("-")
    if not text:
        raise SlugError(f"identifier {identifier!r} has no letters or digits to make a file name from")
    return text


def path_problem(identifier: str) -> str | None:
    """Why `identifier` must not name a file or URL as written, or None when it may."""
    text = str(identifier)
    if _ABSOLUTE.match(text):
        return "it is an absolute path"
    if _DOT_SEGMENT.search(text):
        return "it holds a '.' or '..' path segment, which would leave its folder"
    if _SEPARATOR_OR_CONTROL.search(text):
        return "it holds a slash, a backslash, a colon or a control character"
    try:
        name = slug(text)
    except SlugError:
        return "it has no ASCII letter or digit to make a file name from"
    if name in RESERVED:
        return f"its address '{name}' is the list page of its folder"
    return None


def slugs(identifiers: pd.Series) -> pd.Series:
    """`slug` of every identifier, vectorised ('' where there is none)."""
    return (identifiers.astype("string").str.lower().str.replace(_UNSAFE.pattern, "-", regex=True)
            .str.strip("-").fillna(""))


def slug_collisions(identifiers: pd.Series) -> list[tuple[object, object, str]]:
    """(index, index of the first identifier with the same slug, slug) for every identifier
    whose slug an earlier, different identifier already has. Equal identifiers are not
    reported here: they are a primary-key error."""
    names = slugs(identifiers)
    frame = pd.DataFrame({"identifier": identifiers.astype("string"), "slug": names})
    frame = frame[frame["slug"].ne("")].drop_duplicates(["identifier", "slug"])
    repeated = frame[frame["slug"].duplicated(keep=False)]
    collisions = []
    for name, group in repeated.groupby("slug", sort=False):
        first = group.index[0]
        collisions.extend((index, first, str(name)) for index in group.index[1:])
    return collisions


def unique_slugs(identifiers: Iterable[str], what: str) -> dict[str, str]:
    """Map each identifier to its slug; two identifiers with the same slug are an error."""
    seen: dict[str, str] = {}
    mapping: dict[str, str] = {}
    for identifier in identifiers:
        name = slug(identifier)
        if name in RESERVED:
            raise SlugError(f"{what} {identifier!r} would be published as {name!r}, the address of the list page")
        if name in seen and seen[name] != identifier:
            raise SlugError(f"{what} {seen[name]!r} and {identifier!r} would both be published as {name!r}")
        seen[name] = identifier
        mapping[identifier] = name
    return mapping
