"""Property-based tests (hypothesis): arbitrary Unicode and arbitrary bytes through the
renderers, the loaders and the importers. Nothing crashes, and a value always reaches the
page as inert, literal text.

Profiles: "dev" (the default) and "ci" (chosen when the environment variable CI is set:
derandomized, no example database, failures printed with a reproduction blob). Every test
keeps its own max_examples small enough for the whole file to run in well under a minute
on two cores; run more examples locally with e.g.
`pytest tests/test_properties.py --hypothesis-seed=... -p no:randomly` or by raising a test's
`settings(max_examples=...)`.

Rendering goes through the site's real pipeline: the jinja2 environment of the site
(make_environment: autoescape, finalize=escape_value), then mkdocs' own Page.render with
the markdown_extensions and their configs read from mkdocs.yml by mkdocs' config machinery
(toc with permalink, tables, attr_list, admonition, md_in_html, and fenced_code, which mkdocs
always adds), mkdocs' internal tree processors included (raw-HTML anchors, relative links,
anchors, title). Only the theme and the search plugin, which work on the HTML afterwards,
are left out.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import html
import io
import json
import math
import os
import re
import tempfile
from pathlib import Path

import pandas as pd
import pytest
import yaml
from bs4 import BeautifulSoup
from bs4.element import CData, Comment, Declaration, Doctype, ProcessingInstruction
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from build_scripts.importers import SourceError, countries, parsing
from build_scripts.paths import REPO_ROOT
from build_scripts.render.environment import make_environment
from build_scripts.render.escape import close_bidi, escape_text, escape_value, json_for_script, yaml_string
from build_scripts.render.slugs import SlugError, slug, unique_slugs
from build_scripts.validate import validate_package
from build_scripts.validate.limits import check_limits

settings.register_profile("ci", derandomize=True, database=None, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


# --- strategies -------------------------------------------------------------------------

# Any text a UTF-8 file can hold: every code point but the surrogates (category Cs), which
# cannot be encoded to UTF-8, so no CSV, workbook or descriptor can bring one in.
CHARACTERS = st.characters(codec="utf-8")
ANY_TEXT = st.text(CHARACTERS)
# Pieces that mean something to HTML, Markdown, its extensions, YAML, JSON or CSV, so that
# hostile combinations come up far more often than in uniformly random text.
FRAGMENTS = [
    "<", ">", "&", '"', "'", "`", "*", "_", "{", "}", "[", "]", "(", ")", "|", "\\", "!", "#", ":", "~",
    "^", "$", "%", "@", "-", "+", ".", "=", "/", ";", ",", " ", "  ", "    ", "\t", "\n", "\r", "\r\n",
    "\x00", "\x02", "\x03", "\x0b", "\x0c", "\x1c", "\x7f", "\x80", "\x85", "\x9f", "\xa0", "\u2028",
    "\u2029", "\u200b", "\u202e", "\ufeff", "\ufffe", "\uffff", "\U0001f600", "1.", "12)", "- ", "+ ",
    "===", "---", "***", "```", "~~~", "!!! note", "{: .x #y onclick=alert(1) }", "<script>",
    "</script>", "<!--", "-->", "<![CDATA[", "<?php", "<img src=x onerror=alert(1)>", "javascript:",
    "[a](javascript:alert(1))", "![i](x.png)", "<http://x.y>", "&#60;", "&lt;", "&amp;", "&#x3c;",
    "{{ 7*7 }}", "{% raw %}", "%(x)s", "\x02wzxhzdk:0\x03", "klzzwxh:1", "::", "title: x", "- [ ]",
]
HOSTILE_TEXT = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(CHARACTERS, max_size=3)),
                        max_size=12).map("".join)
# Whitespace first: what a value at the start of a Markdown line does with its indentation.
INDENTED_TEXT = st.builds(str.__add__, st.text(alphabet=" \t\u00a0\u3000", min_size=1, max_size=6), HOSTILE_TEXT)
TEXT = st.one_of(ANY_TEXT, HOSTILE_TEXT, INDENTED_TEXT)


# --- rendering: jinja2 -> Markdown (mkdocs, the site's extensions) -> HTML ------------

# The places a value goes in the site's templates: a heading (changelog.md.j2, with the toc
# permalink), a cell of an HTML table (the record tables), a paragraph, a paragraph starting
# with the value (data-dictionary.md.j2, changelog.md.j2), a list item and a cell of a
# Markdown pipe table (api.md.j2).
PAGE = """\
## Heading {{ value }}

<table><tr><td>{{ value }}</td></tr></table>

Text {{ value }} end.

{{ value }} starts this line.

- item {{ value }}

| Column |
|---|
| {{ value }} |
"""
# (element, its attributes) in document order: exactly what the template makes.
PAGE_ELEMENTS = [("h2", ["id"]), ("a", ["class", "href", "title"]), ("table", []), ("tr", []), ("td", []),
                 ("p", []), ("p", []), ("ul", []), ("li", []), ("table", []), ("thead", []), ("tr", []),
                 ("th", []), ("tbody", []), ("tr", []), ("td", [])]
# The escaping paths a value takes in templates: printed, as_published, a translated message's
# placeholder.
EXPRESSIONS = ["value", "value | as_published", '_("%(v)s", v=value)']


@functools.cache
def _mkdocs():
    """mkdocs' configuration of the site (mkdocs.yml) and a page to render Markdown with."""
    from mkdocs.config import load_config
    from mkdocs.structure.files import File, Files
    from mkdocs.structure.pages import Page

    folder = tempfile.TemporaryDirectory(prefix="properties-mkdocs-")
    docs = Path(folder.name) / "docs"
    docs.mkdir()
    config = load_config(str(REPO_ROOT / "mkdocs.yml"), docs_dir=str(docs), site_dir=str(Path(folder.name) / "site"))
    assert {"toc", "tables", "attr_list", "admonition", "md_in_html", "fenced_code"} <= set(config.markdown_extensions)
    page_file = File("page.md", config.docs_dir, config.site_dir, config.use_directory_urls)
    return folder, config, Files([page_file]), Page(None, page_file, config)


def markdown_to_html(source: str) -> BeautifulSoup:
    _, config, files, page = _mkdocs()
    page.markdown = source
    page.render(config, files)
    return BeautifulSoup(page.content, "html.parser")


@functools.cache
def environment():
    return make_environment(REPO_ROOT / "site_src" / "templates")


def render_value(value, expression: str = "value") -> BeautifulSoup:
    source = environment().from_string(PAGE.replace("{{ value }}", "{{ " + expression + " }}")).render(value=value)
    return markdown_to_html(source)


def as_parsed(text: str) -> str:
    """`text` as an HTML parser reads it back from escape_text's character references (HTML
    standard, "numeric character reference end state"; bs4 and browsers do the same): a
    reference to U+0000 gives U+FFFD, and one to a C1 control U+0080-U+009F gives the
    Windows-1252 character of that byte where Windows-1252 has one (&#128; is '€'). Every
    other character comes back as itself. escape_text turns all of these into references,
    so they always reach the parser as references."""
    out = []
    for char in text:
        if char == "\x00":
            out.append("\ufffd")
        elif "\x80" <= char <= "\x9f":
            try:
                out.append(bytes([ord(char)]).decode("cp1252"))
            except UnicodeDecodeError:  # 0x81, 0x8d, 0x8f, 0x90, 0x9d: as themselves
                out.append(char)
        else:
            out.append(char)
    return "".join(out)


def collapse(text: str) -> str:
    """Whitespace runs as one space, none at the ends ('whitespace' as str.split sees it).

    Needed because Markdown strips the whitespace at the ends of a heading, a paragraph, a
    list item and a table cell, and the value's own leading or trailing whitespace (a space,
    U+00A0, U+3000, or a line break or tab the parser read back from its reference) lands
    there. Inside the text nothing else changes."""
    return " ".join(text.split())


DANGEROUS_URL = re.compile(r"^\s*(javascript|vbscript|data):", re.IGNORECASE)


def assert_rendered_as_text(soup: BeautifulSoup, value: str) -> None:
    """The page holds exactly the template's elements and attributes, nothing executable,
    and the value as its text in every place."""
    elements = soup.find_all(True)
    assert [(e.name, sorted(e.attrs)) for e in elements] == PAGE_ELEMENTS, "an element or attribute was injected"
    for element in elements:
        for name, attribute in element.attrs.items():
            assert not name.lower().startswith("on"), f"event handler {name}={attribute!r}"
            if name.lower() in ("href", "src", "action", "formaction", "xlink:href"):
                assert not DANGEROUS_URL.match(str(attribute)), f"{name}={attribute!r}"
    assert not soup.find_all(string=lambda s: isinstance(s, (Comment, CData, Declaration, Doctype,
                                                              ProcessingInstruction))), "markup was injected"
    heading, permalink = soup.h2, soup.h2.a
    assert re.fullmatch(r"[a-z0-9_-]+", heading["id"]) and permalink["href"] == "#" + heading["id"]
    assert permalink["class"] == ["headerlink"] and permalink.get_text() == "¶"
    permalink.extract()
    shown = as_parsed(close_bidi(value))  # with the closers of bidi controls it leaves open
    tds, paragraphs = soup.find_all("td"), soup.find_all("p")
    for element, expected in [(heading, "Heading " + shown), (tds[0], shown), (paragraphs[0], f"Text {shown} end."),
                              (paragraphs[1], f"{shown} starts this line."), (soup.li, "item " + shown),
                              (soup.th, "Column"), (tds[1], shown)]:
        assert collapse(element.get_text()) == collapse(expected), element.name


BIDI_TEXT = st.text(st.one_of(CHARACTERS, st.sampled_from("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")))


def balanced(text: str) -> bool:
    """Every embedding or override is closed by a PDF, every isolate by a PDI, in order."""
    stack = []
    for char in text:
        if char in "\u202a\u202b\u202d\u202e\u2066\u2067\u2068":
            stack.append("\u2069" if char in "\u2066\u2067\u2068" else "\u202c")
        elif char in "\u202c\u2069" and stack and stack[-1] == char:
            stack.pop()
        elif char == "\u2069" and "\u2069" in stack:  # a PDI also closes what was opened in its isolate
            del stack[len(stack) - 1 - stack[::-1].index("\u2069"):]
    return not stack


@settings(max_examples=300)
@given(BIDI_TEXT)
@example("Wind\u202e reversed")
@example("x\u2067y\u202ez")
def test_a_value_leaves_no_bidi_control_open(value):
    closed = close_bidi(value)
    assert closed.startswith(value) and set(closed[len(value):]) <= {"\u202c", "\u2069"}
    assert balanced(closed)
    assert close_bidi(closed) == closed


@settings(max_examples=200)
@given(TEXT, st.sampled_from(EXPRESSIONS))
@example("<script>alert(1)</script>", "value")
@example("    indented code?", "value")
@example("1. \u0085x\x80\x00", "value")
def test_any_text_renders_as_literal_text_through_jinja_markdown_and_html(value, expression):
    assert_rendered_as_text(render_value(value, expression), value)


@pytest.mark.parametrize("raw", [
    "<script>alert(1)</script>", '<img src=x onerror="alert(1)">', "[click](javascript:alert(1))",
    "**bold**", "a | b", "    code", "&lt;b&gt;", "x {: onclick=alert(1) }", "\x80",
])
def test_the_assertion_fails_on_unescaped_values(raw):
    """Not vacuous: the same check fails when a value reaches Markdown unescaped."""
    soup = markdown_to_html(PAGE.replace("{{ value }}", raw))
    with pytest.raises(AssertionError):
        assert_rendered_as_text(soup, raw)


SCALARS = st.one_of(TEXT, st.integers(), st.floats(), st.none(), st.booleans(), st.dates(), st.datetimes())
SPECIAL = set("&<>\"'`*_{}[]|\\!#:~^$%@")


@settings(max_examples=300)
@given(SCALARS)
def test_finalize_escapes_every_printed_value(value):
    """{{ value }} in the site's environment: every markup character and every control
    character is a numeric reference, whatever the value's type, and the references give
    the value back."""
    out = environment().from_string("{{ value }}").render(value=value)
    bare = re.sub(r"&#[0-9]+;", "", out)
    assert not SPECIAL & set(bare), out
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in bare), out
    if isinstance(value, str):
        assert out == escape_text(value) == escape_value(value)
    expected = "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)
    # A bidirectional control the value leaves open is closed at its end (escape.close_bidi).
    expected = close_bidi(expected)
    # Read back as an HTML parser reads references (bs4 itself would also turn a text of
    # only whitespace into one space).
    assert re.sub(r"&#([0-9]+);", lambda m: as_parsed(chr(int(m.group(1)))), out) == as_parsed(expected)


# --- front matter -----------------------------------------------------------------------

FORBIDDEN_IN_YAML_VALUE = set('\n\r<>"')
SPACED_IN_FRONT_MATTER = re.compile("[\x00-\x1f\x7f-\x9f]")
DROPPED_FROM_FRONT_MATTER = re.compile("[\u200b\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufffe\uffff]")


@settings(max_examples=300)
@given(TEXT)
@example("a\x80b")
@example('<b onclick="x">&amp;</b>')
def test_yaml_string_is_one_plain_yaml_string_of_the_literal_text(value):
    loaded = yaml.safe_load(f"title: {yaml_string(value)}")
    assert isinstance(loaded, dict) and list(loaded) == ["title"]
    title = loaded["title"]
    # mkdocs-material prints it unescaped into <title> and an attribute: no markup, no quote
    assert isinstance(title, str) and not FORBIDDEN_IN_YAML_VALUE & set(title)
    assert re.fullmatch(r"([^&]|&(amp|lt|gt|quot|#x27);)*", title)
    # and the browser shows the value's own characters, white space collapsed
    shown = DROPPED_FROM_FRONT_MATTER.sub("", SPACED_IN_FRONT_MATTER.sub(" ", value))
    assert html.unescape(title) == " ".join(shown.split())
    assert json.loads(str(yaml_string(value))) == title  # the JSON string is the YAML value


@settings(max_examples=100)
@given(TEXT, TEXT)
def test_front_matter_of_a_record_page_is_always_read_by_mkdocs(title, description):
    """The site's front_matter macro, fed as a record page feeds it (a translated message
    holding the value, unescaped): mkdocs reads it as front matter, never as page text."""
    from mkdocs.utils.meta import get_data

    template = environment().from_string(
        '{% import "_macros.md.j2" as m %}'
        '{% set t = _("CDM project %(id)s: %(title)s", id="1", title=title) %}'
        "{{ m.front_matter(t.unescape(), description) }}\n\n# Body\n")
    body, meta = get_data(template.render(title=title, description=description))
    assert body == "# Body\n", body
    assert sorted(meta) == ["charts", "description", "title"]
    assert meta["title"].startswith("CDM project 1:") and isinstance(meta["description"], str)


# --- chart labels ------------------------------------------------------------------------

@settings(max_examples=300)
@given(TEXT)
@example('<b>x</b> <a href="javascript:alert(1)">y</a> &amp;')
def test_a_chart_label_holds_no_tag_and_reads_back_as_the_same_text(value):
    from build_scripts.render.escape import plotly_text

    label = plotly_text(value)
    assert "<" not in label and ">" not in label
    assert html.unescape(label) == value


# --- Atom feeds --------------------------------------------------------------------------

@settings(max_examples=300)
@given(TEXT)
@example("bell\x07 <b>&amp;</b> \ufffe")
def test_feed_text_is_always_well_formed_xml_holding_the_same_text(value):
    import xml.etree.ElementTree as ET

    from build_scripts.render.escape import xml_text

    element = ET.fromstring(f"<summary>{xml_text(value)}</summary>")  # raises if not XML
    kept = re.sub("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]", "", value)
    assert (element.text or "") == kept.replace("\r\n", "\n").replace("\r", "\n")


# --- JSON in <script> -------------------------------------------------------------------

JSON_DATA = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False), TEXT),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(TEXT, inner, max_size=4)),
    max_leaves=12)


@settings(max_examples=300)
@given(JSON_DATA)
@example({"title": "</script><script>alert(1)</script>", "x": "\u2028&"})
def test_json_for_script_cannot_end_the_script_and_round_trips(data):
    text = str(json_for_script(data))
    assert not set("<>&\u2028\u2029") & set(text)
    assert json.loads(text) == data


# --- slugs ------------------------------------------------------------------------------

SLUG = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
IDENTIFIERS = st.one_of(TEXT, st.text(alphabet="aAbB01-_ ./\\é\u212a", max_size=6))


@settings(max_examples=300)
@given(IDENTIFIERS)
@example("..")
@example("\u212a")  # KELVIN SIGN lowercases to an ASCII 'k'
def test_slug_is_a_safe_file_name_or_a_slug_error(identifier):
    try:
        name = slug(identifier)
    except SlugError:
        assert not re.search(r"[a-z0-9]", identifier.lower())
        return
    assert SLUG.fullmatch(name), name
    assert slug(name) == name


@settings(max_examples=300)
@given(st.lists(IDENTIFIERS, max_size=8))
@example(["A-1", "a 1"])
def test_unique_slugs_never_give_two_identifiers_one_slug(identifiers):
    try:
        mapping = unique_slugs(identifiers, "record")
    except SlugError:
        # only when an identifier has no slug, or two different ones share a slug
        names = {}
        for identifier in identifiers:
            try:
                names.setdefault(slug(identifier), set()).add(identifier)
            except SlugError:
                return
        assert any(len(group) > 1 for group in names.values())
        return
    assert set(mapping) == set(identifiers)
    assert len(set(mapping.values())) == len(mapping)
    assert all(SLUG.fullmatch(name) for name in mapping.values())


# --- loaders and limits -----------------------------------------------------------------

LIMIT_RULES = {
    "descriptor-too-large", "descriptor-too-deep", "package-error", "too-many-resources", "invalid-path",
    "remote-path", "path-outside-package", "missing-file", "file-too-large", "package-too-large", "empty-file",
    "binary-file", "not-utf8", "line-too-long", "too-many-columns", "too-many-rows", "cell-too-large",
    "unclosed-quote", "stray-quote", "malformed-csv",
}
DATA_REL = "datapackages/tiny/data/notes.csv"
DESCRIPTOR_REL = "datapackages/tiny/datapackage.json"


def tiny_package(root: Path, content: bytes) -> Path:
    """A one-resource package (an integer id and a string value) whose CSV holds `content`."""
    package = root / "datapackages" / "tiny"
    (package / "data").mkdir(parents=True)
    descriptor = {"profile": "tabular-data-package", "name": "tiny", "resources": [{
        "name": "notes", "path": "data/notes.csv", "profile": "tabular-data-resource", "format": "csv",
        "mediatype": "text/csv", "encoding": "utf-8",
        "schema": {"fields": [{"name": "id", "type": "integer"}, {"name": "value", "type": "string"}],
                   "primaryKey": "id"}}]}
    (package / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    (package / "data" / "notes.csv").write_bytes(content)
    return package / "datapackage.json"


BYTE_PIECES = [b'"', b",", b"\r", b"\n", b"\r\n", b"\xef\xbb\xbf", b"\x00", b"\xff", b"\xc3", b"\xa9", b"a",
               b"1", b" ", b"id,value\n", b'""', "é€\u2028".encode()]
ANY_BYTES = st.one_of(
    st.binary(max_size=200),
    st.lists(st.one_of(st.sampled_from(BYTE_PIECES), st.binary(max_size=3)), max_size=30).map(b"".join),
    st.lists(st.one_of(st.sampled_from(BYTE_PIECES), st.binary(max_size=3)), max_size=30).map(
        lambda pieces: b"id,value\n" + b"".join(pieces)),
)


def assert_located(problems, lines: int, rows_required: bool = False) -> None:
    """Each problem names its rule, its file and, in the CSV file, its row (any row between
    the header and the end), unless it is a problem of the whole file (empty-file) or, from
    frictionless, of the header (missing-label, extra-label...: the header row; frictionless
    names the field, but not for a blank label, b'\\x01,,'). rows_required: check_limits,
    whose problems in a file all have a row."""
    for problem in problems:
        assert problem.rule and problem.message and problem.path in (DATA_REL, DESCRIPTOR_REL), problem
        if problem.row is not None:
            assert 1 <= problem.row <= lines, problem
        if problem.path == DATA_REL and problem.rule != "empty-file":
            header = problem.rule.endswith("-label") and not rows_required
            assert problem.row is not None or header, problem


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(ANY_BYTES)
@example(b'id,value\n1,"abc"def\n')
def test_check_limits_never_raises_and_locates_every_problem(content):
    with tempfile.TemporaryDirectory() as folder:
        problems = check_limits(tiny_package(Path(folder), content), Path(folder))
    assert isinstance(problems, list)
    assert all(p.rule in LIMIT_RULES and p.severity == "error" for p in problems)
    assert_located(problems, content.count(b"\n") + content.count(b"\r") + 2, rows_required=True)


@settings(max_examples=30, suppress_health_check=[HealthCheck.too_slow])
@given(ANY_BYTES)
@example(b"\x01,,")
def test_validation_of_arbitrary_bytes_never_raises(content):
    with tempfile.TemporaryDirectory() as folder:
        report = validate_package(tiny_package(Path(folder), content), Path(folder))
    assert report.valid or report.errors
    assert_located(report.errors, content.count(b"\n") + content.count(b"\r") + 2)


@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(TEXT, min_size=1, max_size=3))
@example(["x\ry"])
@example(["\r"])
def test_csv_cells_are_read_back_exactly_or_reported(cells):
    """Cells written by the csv module (UTF-8, LF line endings, as the repository's CSVs):
    the validation passes and the loader gives back the strings the file holds (an empty
    cell is a missing value, <NA>), or it reports located problems. It never raises.

    "The strings the file holds" are what the csv module reads back: they are the cells
    written, except that csv.writer with lineterminator="\\n" leaves a cell holding a
    lone CR unquoted (['\\r'] is written as '1,\\r\\n', which every reader reads as an
    empty cell and a CRLF line ending)."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["id", "value"])
    writer.writerows([i, cell] for i, cell in enumerate(cells, 1))
    content = buffer.getvalue().encode("utf-8")
    held = list(csv.reader(io.StringIO(content.decode("utf-8"), newline="")))
    if "\r" not in "".join(cells):
        assert held[1:] == [[str(i), cell] for i, cell in enumerate(cells, 1)]
    with tempfile.TemporaryDirectory() as folder:
        report = validate_package(tiny_package(Path(folder), content), Path(folder))
    if report.valid:
        values = report.loaded["notes"]["value"].tolist()
        assert [None if v is pd.NA else v for v in values] == [row[1] or None for row in held[1:]]
    else:
        assert_located(report.errors, content.count(b"\n") + content.count(b"\r") + 2)


# --- importers --------------------------------------------------------------------------

# Digits of any script: '\\d' in a regular expression matches them, pandas cannot read them.
DIGITS = st.text(alphabet="0123456789٠١٢٣٤٥٦٧٨٩０１", min_size=1, max_size=25)
NUMBERISH = st.builds(lambda lead, digits, tail: f"{lead}{digits}{tail}", st.sampled_from(["", " ", "-", "\u00a0"]),
                      st.one_of(DIGITS, st.from_regex(r"\A[0-9]{1,3}(,[0-9]{3}){0,7}\Z")),
                      st.sampled_from(["", ".0", ".00", " ", ".5", "e3"]))
BIG_INTEGERS = st.one_of(st.integers(0, 10**6), st.integers(0, 10**25), st.integers(-(10**25), 10**25))
DATEISH = st.builds(lambda d, m, y, sep: f"{d}{sep}{m}{sep}{y}", st.integers(-1, 40).map(str) | DIGITS,
                    st.integers(-1, 14).map(str) | DIGITS, st.integers(0, 100_000).map(str) | DIGITS,
                    st.sampled_from(["/", "-", ""]))
SERIALISH = st.builds(lambda a, b: f"{a} - {b}", BIG_INTEGERS | NUMBERISH, BIG_INTEGERS | NUMBERISH)
IDENTIFIERISH = st.builds(lambda p, n: f"{p}-{n}", st.sampled_from(["BR", "ZA", "br", "Bé", "B", ""]), NUMBERISH)
EXCEL_DATEISH = st.one_of(BIG_INTEGERS, st.integers(-200_000, 200_000), st.floats(), st.floats(-2e5, 2e5),
                          st.datetimes(), st.dates(), DATEISH)
CELLS = st.one_of(
    st.none(), TEXT, BIG_INTEGERS, st.floats(), st.booleans(), st.datetimes(), st.dates(), st.times(),
    NUMBERISH, DATEISH, SERIALISH, IDENTIFIERISH,
    st.sampled_from(["CER", "tCER", " lCER ", "1", "2", 1, 2.0, "Yes", "No", "BR", "br"]),
)


def frame_of(cells: list) -> pd.DataFrame:
    """A frame as sources.RawTable.frame makes it: object cells, source_row, the file name."""
    frame = pd.DataFrame({"v": cells}, dtype=object)
    frame["source_row"] = pd.array(range(2, len(cells) + 2), dtype="Int64")
    frame.attrs["file"] = "report.xlsx"
    return frame


def is_int64(series) -> bool:
    return str(series.dtype) == "Int64"


def check_integers(result):
    assert is_int64(result) and (result.dropna() >= 0).all()


def check_dates(result):
    assert str(result.dtype).startswith("datetime64") and (result.dropna() == result.dropna().dt.normalize()).all()


def check_serials(result):
    assert list(result.columns) == ["serial_start", "serial_end"]
    assert is_int64(result["serial_start"]) and is_int64(result["serial_end"])
    assert (result["serial_start"] <= result["serial_end"]).all()


def check_strings(pattern: str):
    def check(result):
        assert all(isinstance(v, str) and re.fullmatch(pattern, v) for v in result.tolist()), result.tolist()
    return check


def check_party_projects(result):
    check_strings(r"[A-Z]{2}")(result["originating_party"])
    check_strings(r"[0-9]+")(result["project_id"])


# name: (the call, the check of its result, cells of the kind the column holds; any cell
# (CELLS) is drawn as often as one of these).
PARSERS = {
    "integers": (lambda f: parsing.integers(f, "v", "Units"), check_integers,
                 st.one_of(NUMBERISH, BIG_INTEGERS, st.floats(0, 1e20))),
    "integers-optional": (lambda f: parsing.integers(f, "v", "Units", required=False), check_integers,
                          st.one_of(NUMBERISH, BIG_INTEGERS, st.none())),
    "excel_dates": (lambda f: parsing.excel_dates(f, "v", "Completion date"), check_dates, EXCEL_DATEISH),
    "excel_dates-optional": (lambda f: parsing.excel_dates(f, "v", "Completion date", ("%d/%m/%y", "%d/%m/%Y"),
                                                           required=False), check_dates, EXCEL_DATEISH),
    "csv_dates": (lambda f: parsing.csv_dates(f, "v", "Issuance date", ("%d/%m/%y", "%d/%m/%Y"), required=False),
                  check_dates, DATEISH),
    "serial_ranges": (lambda f: parsing.serial_ranges(f, "v", "SERIAL RANGE"), check_serials, SERIALISH),
    "project_numbers": (lambda f: parsing.project_numbers(f, "v", "Project number"), check_strings(r"[0-9]+"),
                        st.one_of(NUMBERISH, DIGITS, BIG_INTEGERS, st.floats(0, 1e6))),
    "party_projects": (lambda f: parsing.party_projects(f, "v", "Project Identifier"), check_party_projects,
                       IDENTIFIERISH),
    "commitment_periods": (lambda f: parsing.commitment_periods(f, "v", "CP"),
                           lambda r: is_int64(r) and set(r.tolist()) <= {1, 2},
                           st.sampled_from(["1", "2", " 2 ", 1, 2.0, "٢", "1.00", 3])),
    "unit_types": (lambda f: parsing.unit_types(f, "v", "Unit Type"), check_strings(r"CER|tCER|lCER"),
                   st.sampled_from(["CER", "tCER", " lCER ", "cer", "ERU"])),
    "party_codes": (lambda f: parsing.party_codes(f, "v", "PARTY CODE"), check_strings(r"[A-Z]{2}"),
                    st.text(alphabet="ABzÉＡ ", min_size=1, max_size=3)),
}


@pytest.mark.parametrize("name", list(PARSERS))
@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_cell_parsers_return_their_type_or_raise_source_error(name, data):
    """Arbitrary cells of a workbook or CSV column (str, int, float with nan and inf,
    datetime, date, time, bool, None): the parser returns its documented type, or raises
    SourceError naming the file and column. Never another exception."""
    parse, check, plausible = PARSERS[name]
    cells = data.draw(st.lists(st.one_of(plausible, CELLS), min_size=1, max_size=3), label="cells")
    try:
        result = parse(frame_of(cells))
    except SourceError as error:
        assert str(error).startswith("report.xlsx: column '")
        return
    assert len(result) == len(cells)
    assert check(result) is not False


@settings(max_examples=200)
@given(st.lists(CELLS, min_size=1, max_size=4))
def test_text_and_blank_never_raise(cells):
    series = frame_of(cells)["v"]
    text, blank = parsing.text(series), parsing.blank(series)
    assert str(text.dtype) == "string" and str(blank.dtype) in ("bool", "boolean")
    assert all(v is pd.NA or (v == v.strip() and v) for v in text.tolist())


TITLE_ROWS = st.lists(st.one_of(
    TEXT,
    st.builds(lambda lead, day, month, year: f"{lead} as at {day} {month} {year}", TEXT,
              st.integers(0, 99), st.sampled_from(["August", "june", "Foo", "SEPTEMBER", "Sept", "\u212aay", "ſep"]),
              st.integers(0, 9999).map(lambda y: f"{y:04d}")),
), max_size=3)


@settings(max_examples=200)
@given(TITLE_ROWS)
@example(["Voluntary Cancellations as at 31 August 2023"])
def test_as_at_date_returns_a_date_none_or_source_error(rows):
    try:
        found = parsing.as_at_date(rows)
    except SourceError:
        return
    assert found is None or isinstance(found, dt.date)


@settings(max_examples=200)
@given(st.lists(st.one_of(TEXT, st.sampled_from(["Brazil", "Côte d`Ivoire", "Iran (Islamic Republic of)",
                                                 "the Gambia", "Korea, Republic of", "  CHINA "])), max_size=4))
def test_country_names_map_to_alpha2_codes_or_raise_source_error(names):
    for name in names:
        assert isinstance(countries.normalise(name), str)
    try:
        codes = countries.codes_for(names, "registered.csv")
    except SourceError as error:
        assert str(error).startswith("registered.csv: country name(s) not found")
        return
    assert set(codes) == set(names) and all(re.fullmatch(r"[A-Z]{2}", code) for code in codes.values())
