"""The site's messages: extract them, update every language's catalog, check the catalogs.

    python -m build_scripts messages          # extract, then update every catalog
    python -m build_scripts messages --check  # report what is missing (make test does too)

Messages come from the templates ({% trans %}, _()), the Python code (_(), N_()), the labels
of data codes (render/labels.en.yml) and mkdocs.yml (site name, nav titles, toggles). They
are written to site_src/locales/messages.pot, and merged into each enabled language's
site_src/locales/<language>/LC_MESSAGES/messages.po: new messages arrive untranslated (the
check then fails until a translator fills them in), removed ones are dropped. No fuzzy
guessing: a changed English message is a new message.

A catalog passes the check when every message has a translation that keeps the message's
%(placeholders)s, Markdown link targets and HTML tags (translators may move them, not drop
or add them).
"""

from __future__ import annotations

import io
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import yaml
from babel import Locale
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po, write_po

from build_scripts import i18n
from build_scripts.paths import Layout

JINJA_OPTIONS = {"extensions": "jinja2.ext.i18n", "trim_blocks": "True", "lstrip_blocks": "True",
                 "newstyle_gettext": "True"}
KEYWORDS = {**DEFAULT_KEYWORDS, "N_": None}
PROJECT = "JI & CDM transparency registry"
LINK_TARGET = re.compile(r"\]\(([^)\s]+)\)")
HTML_TAG = re.compile(r"</?([a-zA-Z][a-zA-Z0-9]*)\b")
CODE = Path(__file__).parent
LABELS = CODE / "render" / "labels.en.yml"


@dataclass(frozen=True)
class CatalogProblem:
    file: str
    language: str
    msgid: str
    rule: str  # missing | fuzzy | plural-forms | placeholders | links | tags | stale-template | obsolete
    detail: str = ""

    def __str__(self) -> str:
        message = self.msgid if len(self.msgid) <= 80 else self.msgid[:77] + "..."
        return f"{self.file}: [{self.language}] {self.rule}: {message!r}" + (f" ({self.detail})" if self.detail else "")


def template_path(layout: Layout) -> Path:
    return layout.locales / "messages.pot"


def extract(layout: Layout) -> Catalog:
    """Every message of the site, with where it is used (file names, no line numbers: a
    moved line does not change the catalogs)."""
    catalog = Catalog(project=PROJECT, fuzzy=False)
    sources = [
        (layout.templates, [("**.j2", "jinja2.ext:babel_extract")], {"**.j2": JINJA_OPTIONS}, "site_src/templates"),
        (CODE, [("**.py", "python")], {}, "build_scripts"),  # the code that builds (not a copy's)
    ]
    for folder, method_map, options_map, prefix in sources:
        for filename, _lineno, message, _comments, _context in extract_from_dir(
                str(folder), method_map, options_map, keywords=KEYWORDS, strip_comment_tags=True):
            if message:
                _add(catalog, message, f"{prefix}/{filename}")
    labels = yaml.safe_load(LABELS.read_text(encoding="utf-8"))
    for group in labels.values():
        for text in group.values():
            if text:
                _add(catalog, str(text), "build_scripts/render/labels.en.yml")
    for text in mkdocs_messages(layout.mkdocs_yml):
        _add(catalog, text, "mkdocs.yml")
    return catalog


def _add(catalog: Catalog, message, location: str) -> None:
    if isinstance(message, tuple):  # ngettext: (singular, plural, ...)
        message = tuple(m for m in message if m is not None)[:2]
        if len(message) == 1:
            message = message[0]
    existing = catalog.get(message)
    if existing is not None:
        if (location, None) not in existing.locations:
            existing.locations.append((location, None))
    else:
        catalog.add(message, locations=[(location, None)])


def mkdocs_messages(path: Path) -> list[str]:
    """The words of mkdocs.yml a reader sees: site name, description, copyright, nav titles,
    the colour toggles' names (site.py translates them per language)."""
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    texts = [" ".join(str(config[key]).split()) for key in ("site_name", "site_description", "copyright") if config.get(key)]
    texts += [scheme["toggle"]["name"] for scheme in config.get("theme", {}).get("palette", [])
              if isinstance(scheme, dict) and "toggle" in scheme]

    def walk(nav) -> None:
        for entry in nav or []:
            if isinstance(entry, dict):
                (title, value), = entry.items()
                texts.append(title)
                if isinstance(value, list):
                    walk(value)
    walk(config.get("nav"))
    return texts


def write_template(catalog: Catalog, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=100, omit_header=False, sort_output=True, include_lineno=False)
    path.write_bytes(_without_dates(buffer.getvalue()))


def _without_dates(data: bytes) -> bytes:
    """Catalog headers carry creation dates: dropped, so extraction is reproducible."""
    return re.sub(rb'"(POT-Creation-Date|PO-Revision-Date): [^"]*\\n"\n', b"", data)


def read(path: Path, language: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=language)


def update(layout: Layout) -> dict[str, tuple[int, int]]:
    """Extract, write the template, merge it into every enabled language's catalog (creating
    missing catalogs). Returns language -> (messages, translated)."""
    template = extract(layout)
    write_template(template, template_path(layout))
    summary = {}
    for language in i18n.enabled_languages(layout.locales)[1:]:
        path = i18n.catalog_path(layout.locales, language)
        if path.exists():
            catalog = read(path, language)
        else:
            catalog = Catalog(locale=Locale.parse(language), project=PROJECT, fuzzy=False)
        catalog.update(template, no_fuzzy_matching=True, update_header_comment=False)
        catalog.obsolete.clear()
        write_template(catalog, path)
        translated = sum(1 for m in catalog if m.id and _translated(m.string) and not m.fuzzy)
        summary[language] = (sum(1 for m in catalog if m.id), translated)
    return summary


def _translated(string) -> bool:
    """A translation, with every plural form where the message has them."""
    return bool(string) and (all(string) if isinstance(string, tuple) else True)


def check(layout: Layout) -> list[CatalogProblem]:
    """Everything that keeps the catalogs from being complete and faithful."""
    problems = []
    template = extract(layout)
    committed = template_path(layout)
    ids = {m.id for m in template if m.id}
    pot = committed.relative_to(layout.root).as_posix()
    if not committed.exists():
        problems.append(CatalogProblem(pot, "-", "", "stale-template", "missing: run make messages"))
    else:
        old = {m.id for m in read(committed) if m.id}
        for msgid in sorted(ids - old, key=str):
            problems.append(CatalogProblem(pot, "-", str(msgid), "stale-template", "new message: run make messages"))
        for msgid in sorted(old - ids, key=str):
            problems.append(CatalogProblem(pot, "-", str(msgid), "stale-template", "no longer used: run make messages"))
    for language in i18n.enabled_languages(layout.locales)[1:]:
        path = i18n.catalog_path(layout.locales, language)
        name = path.relative_to(layout.root).as_posix()
        if not path.exists():
            problems.append(CatalogProblem(name, language, "", "missing", "no catalog: run make messages"))
            continue
        catalog = read(path, language)
        for message in template:
            if not message.id:
                continue
            found = catalog.get(message.id)
            if found is None or not _translated(found.string):
                problems.append(CatalogProblem(name, language, str(message.id), "missing"))
                continue
            if isinstance(message.id, tuple) and len(found.string) != catalog.num_plurals:
                problems.append(CatalogProblem(name, language, str(message.id), "plural-forms",
                                               f"{len(found.string)} forms, the language has {catalog.num_plurals}"))
            if found.fuzzy:
                problems.append(CatalogProblem(name, language, str(message.id), "fuzzy", "review and remove the fuzzy flag"))
            originals = message.id if isinstance(message.id, tuple) else (message.id,)
            translations = found.string if isinstance(found.string, tuple) else (found.string,)
            for translation in translations:
                problems += faithfulness(name, language, originals[0], translation)
    return problems


def faithfulness(file: str, language: str, original: str, translation: str) -> list[CatalogProblem]:
    """A translation keeps the original's placeholders, link targets and HTML tags."""
    problems = []
    for rule, pattern in (("placeholders", i18n.PLACEHOLDER), ("links", LINK_TARGET), ("tags", HTML_TAG)):
        want, got = Counter(pattern.findall(original)), Counter(pattern.findall(translation))
        if want != got:
            lost, extra = sorted((want - got).elements()), sorted((got - want).elements())
            detail = "; ".join(part for part in (f"dropped {', '.join(lost)}" if lost else "",
                                                 f"added {', '.join(extra)}" if extra else "") if part)
            problems.append(CatalogProblem(file, language, original, rule, detail))
    return problems
