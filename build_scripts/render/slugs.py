"""Record identifiers that become file names and URLs: slugged, checked, never colliding."""

from __future__ import annotations

import re
from typing import Iterable

_UNSAFE = re.compile(r"[^a-z0-9]+")


class SlugError(ValueError):
    """An identifier cannot become a safe, unique file name."""


def slug(identifier: str) -> str:
    """Lowercase ASCII letters and digits joined by single hyphens; no dots, slashes or '..'."""
    text = _UNSAFE.sub("-", str(identifier).lower()).strip("-")
    if not text:
        raise SlugError(f"identifier {identifier!r} has no letters or digits to make a file name from")
    return text


def unique_slugs(identifiers: Iterable[str], what: str) -> dict[str, str]:
    """Map each identifier to its slug; two identifiers with the same slug are an error."""
    seen: dict[str, str] = {}
    mapping: dict[str, str] = {}
    for identifier in identifiers:
        name = slug(identifier)
        if name in seen and seen[name] != identifier:
            raise SlugError(f"{what} {seen[name]!r} and {identifier!r} would both be published as {name!r}")
        seen[name] = identifier
        mapping[identifier] = name
    return mapping
