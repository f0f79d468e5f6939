"""Validation problems as data with a location (after frictionless' errors/cell.py).

A Problem names the file, row, field, rule and value, says what is wrong and how to fix
it, and renders the same way in the terminal, in the CI summary and as JSON.

A problem the site publishes (a finding, a warning) also carries its message as a Text: a
message template (msgid, marked with N_, with %(name)s placeholders) and its values, so the
site shows it in the language being built (`site_message`); `message` stays its English
rendering, the text of the terminal and the CI summary.
"""

from __future__ import annotations

import json
import dataclasses
from dataclasses import dataclass
from typing import Any, Iterable, Literal, Mapping

from build_scripts import i18n

Severity = Literal["error", "warning", "finding"]


@dataclass(frozen=True)
class Figure:
    """A number in a message: written with `spec` (a format spec) in the English message, in
    the digits and separators of the site's language (with `decimals`) on other pages."""

    value: Any
    spec: str = ","
    decimals: int = 0

    def __str__(self) -> str:
        return format(self.value, self.spec)

    def localized(self) -> str:
        return i18n.current().number(self.value, self.decimals)


@dataclass(frozen=True)
class Term:
    """A word of our own inside a message (marked with N_ where it is written), translated
    with the message: 'voluntary cancellation', 'empty'."""

    text: str

    def __str__(self) -> str:
        return self.text

    def localized(self) -> str:
        return i18n.current().gettext(self.text)


@dataclass(frozen=True)
class Label:
    """A code of the data inside a message ('annex-i'): the code in the terminal's message,
    its words (render/labels.en.yml, translated) on the site."""

    code: str
    group: str

    def __str__(self) -> str:
        return self.code

    def __format__(self, spec: str) -> str:
        return format(self.code, spec)

    def localized(self) -> str:
        from build_scripts.render.environment import label
        return label(self.code, self.group)


@dataclass(frozen=True)
class Text:
    """A message template (a msgid marked with N_, with %(name)s placeholders) and its values
    (identifiers and dates as they are, Figures, Terms)."""

    template: str
    values: Mapping[str, Any]

    def english(self) -> str:
        return self.template % {name: format(value, "") for name, value in self.values.items()}

    @property
    def has_labels(self) -> bool:
        """Codes in the terminal's message become words on the site, in English too."""
        return any(isinstance(value, Label) for value in self.values.values())

    def translated(self) -> str:
        """In the language being built (i18n.use): the translated template, Figures in the
        language's number format, Terms translated."""
        values = {name: value.localized() if isinstance(value, (Figure, Term, Label)) else format(value, "")
                  for name, value in self.values.items()}
        return i18n.current().gettext(self.template) % values


def text(template: str, **values: Any) -> Text:
    """A message to translate: text(N_("issuance %(issuance)s is dated %(date)s"), issuance=..., date=...)."""
    return Text(template, values)


@dataclass(frozen=True)
class Problem:
    """One problem found in a data package.

    severity "error": our data is wrong and the build stops.
    severity "warning": worth a maintainer's look (e.g. overlapping monitoring periods of one
    project); not fatal unless validation runs with --strict.
    severity "finding": the source document disagrees with itself; published, not fatal.
    """

    rule: str  # slug of the check or frictionless error type, e.g. "finance-table-sums"
    message: str
    package: str
    resource: str | None = None
    path: str | None = None  # file relative to the repository root
    row: int | None = None  # 1-based line number in the CSV, header = 1
    field: str | None = None
    value: Any = None
    hint: str | None = None
    severity: Severity = "error"
    sources: tuple[str, ...] = dataclasses.field(default_factory=tuple)
    # The message as a template and values, for the site's other languages (None: the
    # message is shown in English; problems that stop the build are never published).
    text: Text | None = dataclasses.field(default=None, compare=False, repr=False)

    @property
    def site_message(self) -> str:
        """The message in the language the site is being built in (i18n.use); `message`
        itself when building English or when the problem has no template."""
        if self.text is None or (i18n.current().is_source and not self.text.has_labels):
            return self.message
        return self.text.translated()

    def location(self) -> str:
        parts = [self.path or self.package]
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.field:
            parts.append(f"field '{self.field}'")
        return ", ".join(parts)

    def format(self) -> str:
        text = f"{self.location()}: [{self.rule}] {self.message}"
        value = self.value.item() if hasattr(self.value, "item") else self.value
        if value is not None and value != "":
            text += f" (value: {value!r})"
        if self.hint:
            text += f"\n    how to fix: {self.hint}"
        return text

    def to_dict(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "text"}
        data["sources"] = list(self.sources)
        data["value"] = None if self.value is None else str(self.value)
        return data


class ValidationFailed(Exception):
    """Raised when a package has errors; carries every problem found."""

    def __init__(self, problems: Iterable[Problem], reports: list | None = None):
        self.problems = list(problems)
        self.reports = reports or []  # the ValidationReports, when a whole validation failed
        errors = [p for p in self.problems if p.severity == "error"]
        super().__init__(f"{len(errors)} validation error(s)")


def problems_to_json(problems: Iterable[Problem]) -> str:
    return json.dumps([p.to_dict() for p in problems], indent=2, ensure_ascii=False)
