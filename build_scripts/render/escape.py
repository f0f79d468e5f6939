"""The one escaping path from data to page.

Every value a template prints goes through `escape_value` (installed as the jinja2
environment's `finalize`, with autoescape on), so a CSV cell reaches the page as the same
literal, inert text: HTML is entity-escaped, and every character that Markdown or an
enabled Markdown extension gives meaning to is written as a numeric character reference,
which Python-Markdown leaves alone and the browser shows as the character itself. Line
breaks and other control characters become references too, so a value can never start a
new Markdown line or end an HTML block. Only template-made HTML (markupsafe.Markup) passes
unchanged.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from markupsafe import Markup

# Markdown, attribute lists, admonitions, emoji, tables, abbreviations, smart symbols,
# jinja2-like syntax in later passes: all of these characters are made inert.
_SPECIAL = set("&<>\"'`*_{}[]()#+-.!|~^=:\\$%@")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


def _reference(char: str) -> str:
    return f"&#{ord(char)};"


def escape_text(text: str) -> str:
    escaped = "".join(_reference(c) if c in _SPECIAL else c for c in text)
    return _CONTROL.sub(lambda m: _reference(m.group(0)), escaped)


def plain(value: Any) -> str:
    """A value as display text: missing values become an empty string."""
    if value is None:
        return ""
    try:
        if value is not None and not isinstance(value, str) and math.isnan(value):
            return ""
    except TypeError:
        pass
    if hasattr(value, "item"):
        value = value.item()
    if value.__class__.__name__ == "NAType":
        return ""
    return str(value)


def escape_value(value: Any) -> Markup:
    if isinstance(value, Markup):
        return value
    if value.__class__.__name__ in ("Undefined", "StrictUndefined"):
        return Markup("")
    return Markup(escape_text(plain(value)))


def json_for_script(data: Any) -> Markup:
    """JSON safe to embed in <script type="application/json">: no '<', '>' or '&' left raw."""
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return Markup(text)


def yaml_string(value: Any) -> Markup:
    """A front-matter scalar: JSON strings are valid YAML; markup characters removed."""
    text = re.sub(r"[<>\"&\\\x00-\x1f]", " ", plain(value))
    return Markup(json.dumps(" ".join(text.split()), ensure_ascii=False))
