"""Domain checks: small named rules over whole tables, vectorised with pandas.

Each check has a slug, a title and a description (shown on the methodology page, marked
with N_ and translated where the page is made), the resources it needs, and a function that
yields located Problems. A check runs only when its package has every resource it needs.
A problem the site can publish (a finding, a warning) is given its message as a Text
(errors.text: a template marked with N_ and its values) so that the site can translate it.

A disagreement between figures that the source document itself states is not our error.
The package acknowledges each one it has confirmed against the source under
`source_discrepancies` in datapackage.json; an acknowledged disagreement is published as a
finding (severity "finding"), an unacknowledged one stops the build (it may be a typo).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

import pandas as pd

from build_scripts.errors import Problem, Text
from build_scripts.load import DataPackage


@dataclass(frozen=True)
class CheckContext:
    package: DataPackage
    repo_root: Path

    def path(self, resource: str) -> str:
        absolute = self.package.resource_path(resource).resolve()
        try:
            return str(absolute.relative_to(self.repo_root.resolve()))
        except ValueError:
            return str(absolute)

    def problem(self, slug: str, resource: str | None, message: str | Text, **kw: Any) -> Problem:
        if isinstance(message, Text):
            kw["text"] = message
            message = message.english()
        return Problem(
            rule=slug,
            message=message,
            package=self.package.name,
            resource=resource,
            path=self.path(resource) if resource else str(self.package.root / "datapackage.json"),
            **kw,
        )

    def discrepancy(self, slug: str, subject: str, resource: str, message: str | Text, **kw: Any) -> Problem:
        """A disagreement between stated figures: a finding if acknowledged, else an error."""
        acknowledged = {
            (entry.get("check"), entry.get("subject"))
            for entry in self.package.descriptor.get("source_discrepancies", [])
        }
        if (slug, subject) in acknowledged:
            return self.problem(slug, resource, message, severity="finding", **kw)
        return self.problem(
            slug, resource, message,
            hint=(f"Compare the figures with the source. If they are transcribed wrongly, correct them; "
                  f"if the source itself states them, add {{\"check\": \"{slug}\", \"subject\": "
                  f"\"{subject}\", \"note\": \"...\"}} to source_discrepancies in datapackage.json."),
            **kw,
        )


@dataclass(frozen=True)
class Check:
    slug: str
    title: str
    description: str
    resources: tuple[str, ...]
    run: Callable[[CheckContext], Iterable[Problem]]


REGISTRY: list[Check] = []


def check(slug: str, title: str, description: str, resources: tuple[str, ...]):
    """Register a check function under a slug."""

    def register(function: Callable[[CheckContext], Iterable[Problem]]):
        if any(existing.slug == slug for existing in REGISTRY):
            raise ValueError(f"duplicate check slug {slug!r}")
        REGISTRY.append(Check(slug, title, description, resources, function))
        return function

    return register


def csv_row(frame: pd.DataFrame, index: Any) -> int:
    """The CSV line number of a DataFrame row read by load.read_resource (header = 1)."""
    return int(frame.index.get_loc(index)) + 2


def applicable(check_: Check, package: DataPackage) -> bool:
    return all(name in package.tables for name in check_.resources)


@dataclass(frozen=True)
class CheckRun:
    """One check run on one package: how many records it covered and what it found."""

    slug: str
    records: int
    problems: tuple[Problem, ...]

    def count(self, severity: str) -> int:
        return sum(1 for p in self.problems if p.severity == severity)


def covered_records(check_: Check, package: DataPackage) -> int:
    """Rows of the resources the check reads (all resources for package-wide checks)."""
    names = check_.resources or tuple(package.tables)
    return sum(len(package[name]) for name in names)


def run_checks(package: DataPackage, repo_root: Path) -> list[CheckRun]:
    context = CheckContext(package, repo_root)
    runs: list[CheckRun] = []
    for check_ in REGISTRY:
        if not applicable(check_, package):
            continue
        runs.append(CheckRun(check_.slug, covered_records(check_, package), tuple(check_.run(context))))
    return runs


# Importing the modules registers their checks, in this order.
from build_scripts.validate.checks import integrity, identifiers, serials, reconciliation, committee, transactions  # noqa: E402,F401,I001
