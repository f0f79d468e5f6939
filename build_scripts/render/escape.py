"""The one escaping path from data to page.

Every value a template prints goes through `escape_value` (installed as the jinja2
environment's `finalize`, with autoescape on), so a CSV cell reaches the page as the same
literal, inert text: HTML is entity-escaped, and every character that Markdown or an
enabled Markdown extension gives meaning to is written as a numeric character reference,
which Python-Markdown leaves alone and the browser shows as the character itself. Line
breaks and other control characters become references too, so a value can never start a
new Markdown line or end an HTML block. Only template-made HTML (markupsafe.Markup) passes
unchanged.

The other places a value reaches a reader have their function here too, so that there is
one module to read and test (tests/test_escape.py, test_properties.py, test_hostile.py):
`yaml_string` (page titles and descriptions, which the theme prints unescaped),
`json_for_script` (JSON inside <script>), `plotly_text` (chart labels and hover text, which
plotly.js reads as pseudo-HTML), `xml_text` (the Atom feeds) and `markdown_cell` (the
validation report and data diff shown in a pull request's job summary).
"""

from __future__ import annotations

import html
import json
import math
import re
from typing import Any
from xml.sax.saxutils import escape as xml_escape

from markupsafe import Markup

# Characters with inline meaning in Markdown or an enabled extension (emphasis, code, links,
# attribute lists, tables, admonitions, HTML) are always made inert. Characters that only
# mean something at the start of a line (list, heading and rule markers) are made inert at
# the start of a value: a value can never start a line, since line breaks are escaped too.
_SPECIAL = "&<>\"'`*_{}[]|\\!#:~^$%@"
_CONTROL = [*range(0x00, 0x20), *range(0x7F, 0xA0), *range(0x200B, 0x2010), *range(0x202A, 0x202F),
            *range(0x2060, 0x206A), 0xFEFF]
# One C-level pass (str.translate) per value: record pages print ~100 values each.
_TABLE = {code: f"&#{code};" for code in [*map(ord, _SPECIAL), *_CONTROL]}
_BLOCK_START = re.compile(r"(\s*)([-+.=]|\d+[.)])")


def _reference(char: str) -> str:
    return f"&#{ord(char)};"


# Bidirectional embeddings, overrides and isolates, and what closes each: an unclosed
# right-to-left override in a value would reverse the template's text after it.
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
_OPENS = {"\u202a": "\u202c", "\u202b": "\u202c", "\u202d": "\u202c", "\u202e": "\u202c",
          "\u2066": "\u2069", "\u2067": "\u2069", "\u2068": "\u2069"}


def close_bidi(text: str) -> str:
    """`text` with the bidirectional controls it leaves open closed at its end (UAX #9: a PDF
    closes the last embedding or override, a PDI the last isolate and everything opened in
    it), so that a value cannot change the direction of the text printed after it."""
    if text.isascii() or not _BIDI.search(text):
        return text
    stack: list[str] = []  # the closer of each open control
    isolates: list[int] = []  # where each open isolate sits in stack: linear, however nested
    for char in _BIDI.findall(text):
        closer = _OPENS.get(char)
        if closer:
            if closer == "\u2069":
                isolates.append(len(stack))
            stack.append(closer)
        elif char == "\u202c":
            if stack and stack[-1] == "\u202c":
                stack.pop()
        elif isolates:  # a PDI
            del stack[isolates.pop():]
    return text + "".join(reversed(stack))


def escape_text(text: str) -> str:
    escaped = close_bidi(text).translate(_TABLE)
    marker = _BLOCK_START.match(escaped)
    if marker:
        escaped = marker.group(1) + marker.group(2)[:-1] + _reference(marker.group(2)[-1]) + escaped[marker.end():]
    if escaped.startswith(" "):  # indentation: a value starting a line with 4 spaces would be a code block
        stripped = escaped.lstrip(" ")
        escaped = "&#32;" * (len(escaped) - len(stripped)) + stripped
    return escaped


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
    kind = value.__class__
    if kind is str:  # the common case first: record pages print ~100 values each
        return Markup(escape_text(value))
    if kind is int:
        return Markup(str(value))
    if isinstance(value, Markup):
        return value
    if value.__class__.__name__ in ("Undefined", "StrictUndefined"):
        return Markup("")
    return Markup(escape_text(plain(value)))


# HTML that no Markdown pass reads (a record page's article, build_scripts/mkdocs_hooks.py):
# only what HTML gives meaning to, and controls, become references; Markdown's characters stay.
_HTML_TABLE = {code: f"&#{code};" for code in [*map(ord, "&<>\"'"), *_CONTROL]}


def escape_html_value(value: Any) -> Markup:
    """escape_value for HTML read by the browser alone: the same literal, inert text, with
    fewer references (a record page's article prints hundreds of values)."""
    kind = value.__class__
    if kind is int:
        return Markup(str(value))
    if isinstance(value, Markup):
        return value
    if kind is not str:
        if value.__class__.__name__ in ("Undefined", "StrictUndefined"):
            return Markup("")
        value = plain(value)
    return Markup(close_bidi(value).translate(_HTML_TABLE))


def json_for_script(data: Any) -> Markup:
    """JSON safe to embed in <script type="application/json">: no '<', '>' or '&' left raw."""
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return Markup(text)


def yaml_string(value: Any) -> Markup:
    """A front-matter scalar (page title, description): one line of literal text.

    mkdocs-material prints `page.meta.title` and `page.meta.description` into <title>, the
    header and <meta name="description"> without escaping them, so the value is HTML-escaped
    here (quotes included) and the browser shows the same characters the cell holds. Line
    breaks, runs of white space and control characters become one space; bidirectional
    controls and the zero-width space are dropped, and so are the characters YAML refuses to
    read (C1 controls, U+FFFE, U+FFFF: mkdocs would then show the whole front matter as page
    text); ZWNJ, ZWJ and the direction marks stay. The result is a JSON string, which is a valid YAML scalar."""
    # A translated message (Markup) holds its values as character references: read them back.
    source = value.unescape() if isinstance(value, Markup) else plain(value)
    text = " ".join(source.translate(_FRONT_MATTER_DROPPED).split())
    return Markup(json.dumps(html.escape(text, quote=True), ensure_ascii=False))


# Controls become spaces (a tab or line break separates words); the zero-width space and word
# joiners, bidirectional embeddings, overrides and isolates, the byte order mark and the
# non-characters U+FFFE, U+FFFF vanish. Kept: ZWNJ and ZWJ (U+200C, U+200D), which Persian,
# Urdu and Indic scripts spell with, and the direction marks LRM and RLM, which close nothing.
_SPACED = [*range(0x00, 0x20), *range(0x7F, 0xA0)]
_INVISIBLE = [0x200B, *range(0x202A, 0x202F), *range(0x2060, 0x2065), *range(0x2066, 0x206A), 0xFEFF, 0xFFFE, 0xFFFF]
_FRONT_MATTER_DROPPED = {**{code: " " for code in _SPACED}, **{code: None for code in _INVISIBLE}}


def plotly_text(value) -> str:
    """A label as plotly.js shows it literally. plotly.js reads a few HTML tags (<b>, <a href>,
    <br>, <span style>) and entities in every label and hover text it draws, so '&', '<' and
    '>' become entities, which it draws as the characters themselves: a name from the data
    can neither style a chart nor add a link to it."""
    return html.escape(str(value), quote=False)


# Characters XML 1.0 cannot hold at all, not even as a character reference (C0 controls but
# tab and line breaks, lone surrogates, U+FFFE, U+FFFF): a feed holding one is not XML, and
# every feed reader refuses the whole feed. They are dropped from the feeds' text.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value: str) -> str:
    """Text for an XML element: escaped, with the characters XML cannot hold dropped."""
    return xml_escape(_NOT_XML.sub("", value))


_GFM_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def markdown_cell(value: Any) -> str:
    """Text for a cell of a GitHub Markdown table (the validation report and the data diff
    in a pull request's job summary, which maintainers read): HTML escaped, so a value
    cannot add markup or fake a heading; Markdown specials and `|` backslash-escaped; line
    breaks as <br>."""
    text = html.escape(plain(value), quote=False)
    text = _GFM_SPECIAL.sub(r"\\\1", text)
    return re.sub(r"\r\n|\r|\n", "<br>", text)
