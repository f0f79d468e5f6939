"""A corpus of hostile values, and a repository copy that carries them from the sources to
the site (issue 9: values stay values, paths stay inside).

Every value would do something if a renderer let it through: run a script (each sets
`window.__pwned`), add an element (each element it would add has an id starting `inj-`),
turn into Markdown or extension markup, a jinja2 expression, a link to `javascript:`, or
break the table, the front matter or the line it is printed in. The tests (test_hostile.py,
browser/test_hostile.py) prove each one reaches the page as the same literal text.

The values enter the way data enters the project:
- by import: project titles in the registered-projects list, DOE names and project types in
  the issuances-by-project report (UNFCCC CSV files, as the CDM importer reads them);
- by pull request: a recommendation's summary edited in datapackages/ji/data/*.csv.
This data is synthetic (labelled here and in the titles it writes): it is built only in a
temporary folder and never published.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
import shutil
from pathlib import Path

import pandas as pd

from build_scripts.importers import import_cdm
from build_scripts.paths import REPO_ROOT, Layout

MARKER = "__pwned"  # every script in the corpus sets window.__pwned
INJECTED_ID = "inj-"  # every element the corpus would add has an id starting with this

CORPUS: dict[str, str] = {
    "script": "<script>window.__pwned = 'script'</script>",
    "img-onerror": '<img id="inj-img" src="x" onerror="window.__pwned = \'img\'">',
    "svg-onload": '<svg id="inj-svg" onload="window.__pwned = \'svg\'"><circle r="9"/></svg>',
    "iframe": '<iframe id="inj-iframe" src="javascript:window.__pwned = \'iframe\'"></iframe>',
    "javascript-link": '<a id="inj-a" href="javascript:window.__pwned = \'a\'">click me</a>',
    "entity-obfuscated-link": '<a id="inj-ent" href="jav&#x09;ascript:window.__pwned=1">x</a>',
    "data-url": '<object id="inj-object" data="data:text/html,<script>window.__pwned=1</script>"></object>',
    "style": "<style>body { display: none }</style><link id=\"inj-link\" rel=\"stylesheet\" href=\"//evil.example/x.css\">",
    "attribute-break": '" onmouseover="window.__pwned = 1" data-x="',
    "single-quote-break": "' autofocus onfocus='window.__pwned = 1' x='",
    "markdown-link": "[click me](javascript:window.__pwned=1) and [ref][1]\n\n[1]: javascript:alert(1)",
    "markdown-image": '![alt](x" onerror="window.__pwned=1) ![](https://evil.example/pixel.png)',
    "autolink": "<javascript:window.__pwned=1> <https://evil.example/> www.evil.example",
    "emphasis-code": "**bold** __strong__ *em* _em_ `code` ~~struck~~ ==marked== ^^ins^^",
    "heading": "# Injected heading {#inj-heading}",
    "table": "| a | b |\n|---|---|\n| <b id=\"inj-table\">x</b> | y |",
    "list-and-rule": "- item\n1. item\n\n---\n\n> quote",
    "code-fence": "```html\n<b id=\"inj-fence\">fenced</b>\n```",
    "indented-code": "    four spaces then code",
    "admonition": "!!! danger \"Injected\"\n    <b id=\"inj-admonition\">x</b>",
    "attribute-list": "text{: #inj-attr onclick=\"window.__pwned=1\" }\n{: .md-button #inj-attr2 }",
    "md-in-html": '<div markdown="1" id="inj-mdhtml">**bold**</div>',
    "html-block-escape": '</td></tr></table></div><div id="inj-block" onmouseover="window.__pwned=1">x</div><!--',
    "footnote-abbr": "x[^1]\n\n[^1]: <b id=\"inj-footnote\">y</b>\n\n*[HTML]: Hyper",
    "jinja": "{{ 7*7 }} {{ config.items() }} {% for x in range(3) %}loop{% endfor %} {# comment #} {% raw %}",
    "macros": "{{ macros_info() }} {% include 'base.html' %}",
    "snippets": '--8<-- "/etc/passwd"\n;--8<-- "mkdocs.yml"',
    "emoji": ":smile: :material-alert: :fontawesome-brands-github:",
    "entities": "&lt;b&gt; &amp;amp; &#60;script&#62; &nbsp; &#x202E;",
    "bidi-zero-width": "abc\u202edcba\u202c \u2066isolated\u2069 zero\u200bwidth\u200d\ufeffbom",
    "bidi-unclosed": "Wind\u202e reversed \u2067isolate \u202bembedding",  # would reverse what follows
    "control-characters": "bell\x07 escape\x1b[31m delete\x7f next-line\x85 tab\there",
    "front-matter": "x\n---\ntitle: injected\n---\n",
    "template-comment": "<!-- comment --> <![CDATA[ x ]]> <?php echo 1 ?>",
    "long": "Long value " + "ABCDEFGHIJ" * 2000,  # 20,011 characters, no space to wrap at
}

# DOE names become page addresses (cdm/does/<slug>/): hostile, but path-safe and distinct.
DOE_NAMES: dict[str, str] = {
    "LGAI": '<img id="inj-doe" src="x" onerror="window.__pwned=1">',
    "RINA": "{{ 7*7 }} **DOE** [x](#evil) `code` { #inj-doe2 }",  # no colon: refused in a name
}
# A project type becomes a chart label (plotly reads pseudo-HTML in labels) and a table cell.
PROJECT_TYPES: dict[str, str] = {
    "Wind": '<b id="inj-type">Wind</b> <a href="javascript:window.__pwned=1">x</a> &amp;',
}
# The JI recommendation edited by pull request, and its new summary and source location.
RECOMMENDATION = "annex-i-para-4"
RECOMMENDATION_SUMMARY = CORPUS["html-block-escape"] + " " + CORPUS["table"] + " " + CORPUS["script"]
RECOMMENDATION_LOCATION = CORPUS["javascript-link"] + " " + CORPUS["bidi-unclosed"]
# A JI finance line's label (table-2, line 1), edited by pull request.
FINANCE_LABEL = CORPUS["markdown-link"] + " " + CORPUS["img-onerror"]
# Descriptor text edited by pull request: shown on the data dictionary page.
DOCUMENTS_DESCRIPTION = CORPUS["html-block-escape"] + " " + CORPUS["admonition"]
FIELD_DESCRIPTION = CORPUS["attribute-break"] + " " + CORPUS["jinja"] + " " + CORPUS["code-fence"]

SOURCE = REPO_ROOT / "tests" / "fixtures" / "cdm" / "source"
REGISTERED = "cdm-registered-project-activities-2025-04.csv"
BY_PROJECT = "cdm-issuances-by-project-2023-06.csv"
FIRST_REF = 90001  # references of the rows added to carry the whole corpus (synthetic)


def expected(value: str) -> str:
    """The value as the importer keeps it: trimmed (parsing.text), nothing else."""
    return value.strip()


def write_registered(folder: Path) -> dict[str, str]:
    """The registered-projects slice with the corpus as project titles, one per project, in
    UTF-8 (the importer reads UTF-8 or cp1252). Returns {corpus key: project reference}."""
    path = folder / REGISTERED
    rows = list(csv.reader(io.StringIO(path.read_bytes().decode("cp1252"), newline="")))
    header, data = rows[0], rows[1:]
    title, ref = header.index("Project title"), header.index("Ref")
    template = next(row for row in data if row[0][:1].isdigit())  # a registered (dated) row
    # the slice's own projects (with issuances: they reach the feeds, the DOE and party
    # pages) get the corpus' titles too, in turn
    values = [CORPUS[key] for key in sorted(CORPUS, key=lambda key: key != "control-characters")]
    for position, row in enumerate(data):
        row[title] = values[position % len(values)]
    references = {}
    for position, (key, value) in enumerate(CORPUS.items()):
        row = list(template)
        row[title] = value
        row[ref] = str(FIRST_REF + position)
        data.append(row)
        references[key] = str(int(row[ref]))
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows([header, *data])
    return references


def write_by_project(folder: Path, doe_names: dict[str, str] = DOE_NAMES,
                     project_types: dict[str, str] = PROJECT_TYPES) -> None:
    """The issuances-by-project report (UTF-8 with a BOM, CRLF, as UNFCCC publishes it) with
    DOE names and project types renamed ({old: new})."""
    path = folder / BY_PROJECT
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))
    header = rows[0]
    doe, kind = header.index("DOE"), header.index("Project type (UNEP DTU)")
    for row in rows[1:]:
        row[doe] = doe_names.get(row[doe], row[doe])
        row[kind] = project_types.get(row[kind], row[kind])
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle, lineterminator="\r\n").writerows(rows)


def zero_holdings(package: Path) -> None:
    """The fixture slices hold a few projects' issuances, not all the units the holdings
    report counts: zero the holdings so the cross-table rules hold for the slice."""
    path = package / "data" / "holdings.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    for column in frame.columns:
        if column.endswith("units") or column in ("quantity", "units"):
            frame[column] = "0"
    frame.to_csv(path, index=False, lineterminator="\n")


def hostile_repository(root: Path, copy_repository) -> tuple[Layout, dict[str, str]]:
    """A repository copy whose CDM package is imported from the hostile sources and whose JI
    package has one hostile summary. Returns the layout and {corpus key: project id}."""
    layout = copy_repository(root, packages=("ji",))
    sources = root / "hostile-sources"
    shutil.copytree(SOURCE, sources)
    references = write_registered(sources)
    write_by_project(sources)
    import_cdm(sources, layout.datapackages / "cdm")
    zero_holdings(layout.datapackages / "cdm")
    ji = layout.datapackages / "ji"
    edit(ji / "data" / "recommendations.csv", {"recommendation_id": RECOMMENDATION},
         {"summary": RECOMMENDATION_SUMMARY, "source_location": RECOMMENDATION_LOCATION})
    edit(ji / "data" / "finance_lines.csv", {"table_id": "table-2", "line_no": "1"}, {"label": FINANCE_LABEL})
    descriptor = json.loads((ji / "datapackage.json").read_text(encoding="utf-8"))
    documents = next(r for r in descriptor["resources"] if r["name"] == "documents")
    documents["description"] = DOCUMENTS_DESCRIPTION
    documents["schema"]["fields"][0]["description"] = FIELD_DESCRIPTION
    (ji / "datapackage.json").write_text(json.dumps(descriptor, indent=2, ensure_ascii=False), encoding="utf-8")
    return layout, references


def edit(path: Path, match: dict[str, str], values: dict[str, str]) -> None:
    """Set `values` in the one row of a CSV file matching `match`, as a pull request would."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    rows = frame[list(match)].eq(pd.Series(match)).all(axis=1)
    assert rows.sum() == 1, (path, match)
    for field, value in values.items():
        frame.loc[rows, field] = value
    frame.to_csv(path, index=False, lineterminator="\n")


# --- what the tests look for ---------------------------------------------------------------

_C1_SHOWN_AS = {code: html.unescape(f"&#{code};") for code in range(0x80, 0xA0)}
_FRONT_MATTER_SPACED = re.compile("[\x00-\x1f\x7f-\x9f]")
_FRONT_MATTER_DROPPED = re.compile("[\u200b\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
_URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "srcset", "poster", "xlink:href"}


def displayed(value: str) -> str:
    """The text a browser shows for a value printed as character references, white space
    collapsed: C1 controls are read as Windows-1252 (the HTML standard's rule for
    &#128;-&#159;, which html.parser follows too); other characters are themselves."""
    text = "".join(_C1_SHOWN_AS.get(ord(char), char) for char in expected(value))
    return collapse(text)


def in_front_matter(value: str) -> str:
    """The text of a value in a page's title or description: a record page's title is a
    translated message holding the value as character references, read back as text
    (markupsafe's unescape drops C0 controls and reads C1 as Windows-1252, as a browser
    would show them), then render/escape.yaml_string turns the other controls into spaces,
    drops bidirectional and zero-width characters and collapses white space."""
    text = "".join(_C1_SHOWN_AS.get(ord(char), char) for char in expected(value))
    text = re.sub("[\x01-\x08\x0b\x0e-\x1f\x7f]", "", text)
    return collapse(_FRONT_MATTER_DROPPED.sub("", _FRONT_MATTER_SPACED.sub(" ", text)))


def collapse(text: str) -> str:
    """White space collapsed, and the bidirectional closers (PDF, PDI) the escaping adds to
    a value that leaves a control open dropped (`balanced` checks those)."""
    return " ".join(text.replace("\u202c", "").replace("\u2069", "").split())


def balanced(text: str) -> bool:
    """Whether every bidirectional embedding, override (closed by PDF) and isolate (closed by
    PDI) opened in `text` is closed in it, in order."""
    stack = []
    for char in text:
        if char in "\u202a\u202b\u202d\u202e":
            stack.append("\u202c")
        elif char in "\u2066\u2067\u2068":
            stack.append("\u2069")
        elif char in "\u202c\u2069":
            if not stack or stack[-1] != char:
                return False
            stack.pop()
    return not stack


def injected_markup(soup) -> list[str]:
    """What the corpus would have added to a parsed page, described: elements with an `inj-`
    id, event handlers or URLs that run the corpus' scripts, scripts, styles, frames and
    objects it brought. Empty when every value stayed text."""
    found = []
    for element in soup.find_all(True):
        where = f"<{element.name}>"
        if str(element.get("id", "")).startswith(INJECTED_ID):
            found.append(f"{where} with id {element['id']!r}")
        for name, value in element.attrs.items():
            value = " ".join(value) if isinstance(value, list) else str(value)
            squeezed = re.sub(r"[\s\x00-\x1f]", "", html.unescape(value)).lower()
            if name.lower().startswith("on") and MARKER in value:
                found.append(f"{where} {name}={value[:60]!r}")
            if name.lower() in _URL_ATTRIBUTES and (squeezed.startswith(("javascript:", "data:text/html"))
                                                    or "evil.example" in squeezed):
                found.append(f"{where} {name}={value[:60]!r}")
        if element.name == "script" and element.get("type", "text/javascript") in ("text/javascript", "module") \
                and MARKER in element.get_text():
            found.append(f"{where} running {element.get_text()[:60]!r}")
        if element.name == "style" and "display: none" in element.get_text() and "body" in element.get_text():
            found.append(f"{where} {element.get_text()[:60]!r}")
        if element.name in ("iframe", "object", "embed"):
            found.append(where)
    return found
