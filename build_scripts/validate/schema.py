"""The stock frictionless validation of a package, as located Problems."""

from __future__ import annotations

import json
from pathlib import Path

from frictionless import Package, system

from build_scripts.errors import Problem

# How to fix each kind of frictionless error, in a maintainer's words.
HINTS = {
    "type-error": "Write the value in the field's type and format (dates as YYYY-MM-DD, numbers without thousands separators).",
    "constraint-error": "Change the value so it meets the field's constraint (see the data dictionary).",
    "missing-cell": "The row has fewer cells than the header: add the missing cells (empty cells need a comma).",
    "extra-cell": "The row has more cells than the header: quote values that contain commas.",
    "blank-row": "Delete the empty row.",
    "primary-key": "Each row needs a unique key: change or remove the duplicate.",
    "unique-error": "The field must be unique: change or remove the duplicate.",
    "foreign-key": "The value must exist in the referenced resource: add that row there or correct the reference.",
    "incorrect-label": "The CSV header must match the schema's field names, in order.",
    "missing-label": "Add the missing column to the CSV header.",
    "extra-label": "Remove the column or add it to the schema.",
    "duplicate-label": "Rename or remove the duplicated column.",
    "scheme-error": "The file named in 'path' does not exist: fix the path or add the file.",
    "encoding-error": "Save the file as UTF-8.",
    "source-error": "The file cannot be read as CSV: check quoting and line endings.",
}


def _relative(path: Path, repo_root: Path) -> str:
    try:
        return str(path.resolve().relative_to(repo_root.resolve()))
    except ValueError:
        return str(path)


def validate_schema(descriptor_path: Path, repo_root: Path) -> list[Problem]:
    package_name = descriptor_path.parent.name
    descriptor_rel = _relative(descriptor_path, repo_root)
    try:
        json.loads(descriptor_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return [Problem("package-error", f"datapackage.json cannot be read: {exc}", package_name,
                        path=descriptor_rel, hint="Fix the JSON syntax of the descriptor.")]
    with system.use_context(trusted=False):
        try:
            report = Package(str(descriptor_path)).validate()
        except Exception as exc:  # frictionless raises FrictionlessError on bad descriptors
            return [Problem("package-error", str(exc), package_name, path=descriptor_rel,
                            hint="Fix the descriptor so it is a valid Tabular Data Package.")]
    problems: list[Problem] = []
    for error in report.errors:
        problems.append(Problem(error.type, error.message, package_name, path=descriptor_rel,
                                hint=HINTS.get(error.type)))
    for task in report.tasks:
        resource_path = descriptor_path.parent / task.place if task.place else None
        for error in task.errors:
            problems.append(
                Problem(
                    rule=error.type,
                    message=f"{error.title.lower()}: {error.note}" if error.note else error.title,
                    package=package_name,
                    resource=task.name,
                    path=_relative(resource_path, repo_root) if resource_path else descriptor_rel,
                    row=getattr(error, "row_number", None),
                    field=getattr(error, "field_name", None)
                    or ", ".join(getattr(error, "field_names", None) or []) or None,
                    value=getattr(error, "cell", None),
                    hint=HINTS.get(error.type),
                )
            )
    return problems
