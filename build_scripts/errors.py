"""Validation problems as data with a location (after frictionless' errors/cell.py).

A Problem names the file, row, field, rule and value, says what is wrong and how to fix
it, and renders the same way in the terminal, in the CI summary and as JSON.
"""

from __future__ import annotations

import json
import dataclasses
from dataclasses import asdict, dataclass
from typing import Any, Iterable, Literal

Severity = Literal["error", "warning", "finding"]


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
        data = asdict(self)
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
