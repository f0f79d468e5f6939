"""Validation: the stock frictionless schema validation, then the domain checks.

`validate_package` reads and checks everything before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from build_scripts.errors import Problem
from build_scripts.load import DataPackage, load_package
from build_scripts.validate.checks import CheckRun, run_checks
from build_scripts.validate.limits import check_limits
from build_scripts.validate.schema import foreign_key_problems, large, validate_schema


@dataclass
class ValidationReport:
    package: str
    descriptor_path: Path
    problems: list[Problem] = field(default_factory=list)
    runs: list[CheckRun] = field(default_factory=list)
    loaded: DataPackage | None = None

    @property
    def checks_run(self) -> list[str]:
        return [run.slug for run in self.runs]

    def run(self, slug: str) -> CheckRun | None:
        return next((run for run in self.runs if run.slug == slug), None)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def findings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "finding"]

    @property
    def valid(self) -> bool:
        return not self.errors


def validate_package(descriptor_path: Path, repo_root: Path) -> ValidationReport:
    """Limits first (sizes, paths, encodings: fast, bounded reads of hostile files), then the
    schema; domain checks only on a package whose schema is valid."""
    report = ValidationReport(descriptor_path.parent.name, descriptor_path, check_limits(descriptor_path, repo_root))
    if report.errors:
        return report
    deferred = large(descriptor_path)  # foreign keys checked on the loaded tables
    report.problems.extend(validate_schema(descriptor_path, repo_root, foreign_keys=not deferred))
    if report.errors:
        return report
    package = load_package(descriptor_path)
    if deferred:
        report.problems.extend(foreign_key_problems(package, descriptor_path, repo_root))
        if report.errors:
            return report
    report.package = package.name
    report.loaded = package
    report.runs = run_checks(package, repo_root)
    report.problems.extend(p for run in report.runs for p in run.problems)
    return report
