"""Values stay values: whatever a cell holds reaches the page as inert, literal text."""

from __future__ import annotations

import html

import markdown
import pytest
from bs4 import BeautifulSoup
from markupsafe import Markup

from build_scripts.render.environment import make_environment
from build_scripts.paths import REPO_ROOT
from build_scripts.render.escape import escape_value, json_for_script, yaml_string

HOSTILE = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "[click](javascript:alert(1))",
    "![img](http://example.com/x.png)",
    "**bold** _em_ `code`",
    "# heading",
    "| a | b |\n|---|---|\n| c | d |",
    "!!! warning \"Injected\"\n    admonition",
    "{: .injected #id onclick=alert(1) }",
    ":smile: {{ 7*7 }} {% raw %}",
    "line one\n\n<div>escaped block</div>",
    "--8<-- \"/etc/passwd\"",
    "```\ncode fence\n```",
    "a\u202eb\u200bc",
    "x" * 5000,
    "- list item",
    "  + list item",
    "1. ordered item",
    "12) ordered item",
    "=== setext",
    "--- rule",
    ". dot",
    "2016-03-17 stays a date",
]
EXTENSIONS = ["toc", "tables", "attr_list", "admonition"]


def render(value: str) -> BeautifulSoup:
    escaped = escape_value(value)
    source = f"<table><tr><td>{escaped}</td></tr></table>\n\nText {escaped} end.\n\n- item {escaped}\n"
    return BeautifulSoup(markdown.markdown(source, extensions=EXTENSIONS), "html.parser")


@pytest.mark.parametrize("value", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_value_renders_as_literal_text(value):
    soup = render(value)
    # exactly the elements the template made, nothing injected
    assert [t.name for t in soup.find_all(True)] == ["table", "tr", "td", "p", "ul", "li"]
    expected = " ".join(value.split())
    for element in (soup.td, soup.p, soup.li):
        assert expected in " ".join(element.get_text().split())
    assert not soup.find_all(attrs={"onerror": True}) and not soup.find_all(attrs={"onclick": True})


def test_trusted_markup_passes_unchanged():
    assert escape_value(Markup("<b>x</b>")) == "<b>x</b>"


def test_missing_values_render_empty():
    import pandas as pd

    assert escape_value(None) == "" and escape_value(pd.NA) == "" and escape_value(float("nan")) == ""


def test_json_for_script_cannot_close_the_script_element():
    text = json_for_script({"title": "</script><script>alert(1)</script>", "amp": "&"})
    assert "<" not in text and ">" not in text and "&" not in text


def test_front_matter_value_is_one_safe_yaml_string():
    import yaml

    value = yaml_string('Title"\n---\ninjected: <b>yes</b> & \u202eevil')
    loaded = yaml.safe_load(f"title: {value}")
    # mkdocs-material prints the title unescaped: it is HTML-escaped, and reads as the same text
    assert loaded == {"title": "Title&quot; --- injected: &lt;b&gt;yes&lt;/b&gt; &amp; evil"}
    assert html.unescape(loaded["title"]) == 'Title" --- injected: <b>yes</b> & evil'


def test_templates_escape_by_default(tmp_path):
    environment = make_environment(REPO_ROOT / "site_src" / "templates")
    template = environment.from_string("{{ value }}|{{ value | label('tracks') }}")
    out = template.render(value="<i>*x*</i>")
    assert "<i>" not in out and "*" not in out
    assert html.unescape(out) == "<i>*x*</i>|<i>*x*</i>"


def test_front_matter_keeps_the_joiners_persian_and_indic_names_are_spelt_with():
    import yaml

    name = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645 \u0915\u094d\u200d\u0937 \u200fx\u200b\u202ey"
    title = yaml.safe_load(f"title: {yaml_string(name)}")["title"]
    assert title == "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645 \u0915\u094d\u200d\u0937 \u200fxy"
