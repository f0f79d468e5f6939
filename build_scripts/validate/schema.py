"""The stock frictionless validation of a package, as located Problems.

frictionless validates row by row (~30,000 rows/s) on one core. A large package is split by
resource across processes (one per core, largest files first), each validating its
resources with Package.validate(name=...) so that foreign keys are still checked against
the whole package; a small one is validated in this process, where starting workers would
cost more than it saves. Either way the problems come out in resource order.

In a large package, frictionless' foreign-key lookups (a third of its time: each worker
reads every referenced table row by row) are left out here and checked afterwards on the
loaded tables, vectorised, by foreign_key_problems: the same rule, rows, fields, values and
message (a test compares the two on the same broken data). One difference: they are
reported once the rest of the schema checks pass, not beside a type error.
"""

from __future__ import annotations

import copy
import json
import os
from concurrent.futures import ProcessPoolExecutor
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


# Below this many bytes of resource files, one process validates the whole package.
PARALLEL_FROM_BYTES = 50_000_000


def _groups(descriptor_path: Path, descriptor, workers: int) -> tuple[list[list[str]], int]:
    """Resource names split into `workers` groups of similar total size (largest first), and
    the total size; no groups when the descriptor is not a plain list of named resources (the
    serial path then reports what is wrong with it)."""
    try:
        resources = descriptor["resources"]
        sizes = []
        for resource in resources:
            path = descriptor_path.parent / str(resource["path"])
            sizes.append((path.stat().st_size if path.is_file() else 0, str(resource["name"])))
    except (KeyError, TypeError, OSError, ValueError):
        return [], 0
    groups: list[list[str]] = [[] for _ in range(workers)]
    loads = [0] * workers
    for size, name in sorted(sizes, key=lambda item: -item[0]):
        lightest = loads.index(min(loads))
        groups[lightest].append(name)
        loads[lightest] += size
    return [g for g in groups if g], sum(loads)


def large(descriptor_path: Path) -> bool:
    """Whether the package is validated across processes, its foreign keys checked afterwards."""
    try:
        descriptor = json.loads(descriptor_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return False
    groups, total = _groups(descriptor_path, descriptor, 2)
    return len(groups) >= 2 and total >= PARALLEL_FROM_BYTES


def _without_foreign_keys(descriptor: dict) -> dict:
    stripped = copy.deepcopy(descriptor)
    for resource in stripped.get("resources", []):
        if isinstance(resource, dict) and isinstance(resource.get("schema"), dict):
            resource["schema"].pop("foreignKeys", None)
    return stripped


def _validate_resources(descriptor_path: str, repo_root: str, names: list[str] | None,
                        descriptor: dict | None = None) -> list[Problem]:
    """Problems of the named resources (None: the whole package), in this process.
    descriptor: validate this (e.g. without foreign keys) instead of the file's own."""
    path = Path(descriptor_path)
    package_name = path.parent.name
    descriptor_rel = _relative(path, Path(repo_root))
    with system.use_context(trusted=False):
        try:
            package = Package(descriptor_path) if descriptor is None else Package(descriptor, basepath=str(path.parent))
            reports = [package.validate()] if names is None else [package.validate(name=n) for n in names]
        except Exception as exc:  # frictionless raises FrictionlessError on bad descriptors
            return [Problem("package-error", str(exc), package_name, path=descriptor_rel,
                            hint="Fix the descriptor so it is a valid Tabular Data Package.")]
    problems: list[Problem] = []
    for report in reports:
        problems.extend(_report_problems(report, path, Path(repo_root), package_name, descriptor_rel))
    return problems


def validate_schema(descriptor_path: Path, repo_root: Path, workers: int | None = None,
                    foreign_keys: bool = True) -> list[Problem]:
    """foreign_keys=False: leave the foreign keys to foreign_key_problems (large packages)."""
    package_name = descriptor_path.parent.name
    descriptor_rel = _relative(descriptor_path, repo_root)
    try:
        descriptor = json.loads(descriptor_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return [Problem("package-error", f"datapackage.json cannot be read: {exc}", package_name,
                        path=descriptor_rel, hint="Fix the JSON syntax of the descriptor.")]
    workers = workers or min(os.cpu_count() or 1, 8)
    groups, total = _groups(descriptor_path, descriptor, workers)
    checked = None if foreign_keys or not isinstance(descriptor, dict) else _without_foreign_keys(descriptor)
    if workers < 2 or len(groups) < 2 or total < PARALLEL_FROM_BYTES:
        return _validate_resources(str(descriptor_path), str(repo_root), None, checked)
    with ProcessPoolExecutor(max_workers=len(groups)) as pool:
        results = list(pool.map(_validate_resources, [str(descriptor_path)] * len(groups),
                                [str(repo_root)] * len(groups), groups, [checked] * len(groups)))
    problems = [p for result in results for p in result]
    package_level = [p for p in problems if p.resource is None]
    if package_level:  # the descriptor itself is invalid: every worker said so; say it once
        return list({(p.rule, p.message): p for p in package_level}.values())
    order = {r["name"]: i for i, r in enumerate(descriptor["resources"])}
    return sorted(problems, key=lambda p: order.get(p.resource, len(order)))  # stable within a resource


def _report_problems(report, descriptor_path: Path, repo_root: Path, package_name: str, descriptor_rel: str) -> list[Problem]:
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


# As frictionless stops a resource's task: at most this many errors each.
LIMIT_ERRORS = 1000


def foreign_key_problems(package, descriptor_path: Path, repo_root: Path) -> list[Problem]:
    """The foreign keys of every resource, checked on the loaded tables: a row whose key
    cells are not all empty must match a row of the referenced table. Reported as frictionless
    reports them (rule "foreign-key", row, fields, message), in resource and row order; a
    cell in the message as frictionless prints it (str of the typed value)."""
    import pandas as pd

    from build_scripts.validate.checks import csv_row

    descriptor_rel = _relative(descriptor_path, repo_root)
    problems: list[Problem] = []
    for resource in package.descriptor["resources"]:
        frame = package.tables.get(resource["name"])
        found: list[tuple[int, int, Problem]] = []
        for order, key in enumerate(resource.get("schema", {}).get("foreignKeys", [])):
            fields = [key["fields"]] if isinstance(key["fields"], str) else list(key["fields"])
            reference = key["reference"]
            parent_name = reference.get("resource") or resource["name"]
            parent_fields = [reference["fields"]] if isinstance(reference["fields"], str) else list(reference["fields"])
            parent = package.tables.get(parent_name)
            if frame is None or parent is None:
                continue
            child = frame[fields]
            considered = child.notna().any(axis=1)
            keys = pd.MultiIndex.from_frame(parent[parent_fields].astype(object).where(parent[parent_fields].notna(), None))
            values = pd.MultiIndex.from_frame(child.astype(object).where(child.notna(), None))
            missing = considered.to_numpy() & ~values.isin(keys)
            path = package.resource_path(resource["name"])
            for position in missing.nonzero()[0][:LIMIT_ERRORS]:
                cells = ["None" if v is None else str(v.date()) if isinstance(v, pd.Timestamp) else str(v)
                         for v in values[position]]
                note = (f'for "{", ".join(fields)}": values "{", ".join(cells)}" not found in the lookup table '
                        f'"{parent_name}" as "{", ".join(parent_fields)}"')
                found.append((int(position), order, Problem(
                    "foreign-key", f"foreignkey error: {note}", package.name, resource=resource["name"],
                    path=_relative(path, repo_root) if path else descriptor_rel, row=csv_row(frame, frame.index[position]),
                    field=", ".join(fields), hint=HINTS["foreign-key"])))
        problems += [problem for _, _, problem in sorted(found, key=lambda item: item[:2])][:LIMIT_ERRORS]
    return problems
