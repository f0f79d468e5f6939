"""Compare two versions of the data packages: rows, schemas and totals.

    python -m build_scripts diff OLD NEW [--format text|markdown|json]

OLD and NEW are each one of:

- a folder: a single package folder (holding ``datapackage.json``), a ``datapackages`` folder
  (one sub-folder per package), or a repository checkout (holding ``datapackages/``); a path to a
  ``datapackage.json`` also works. A path that exists is always taken as a folder;
- otherwise a git revision of the repository at ``root`` (``main``, ``origin/main``, ``HEAD~1``,
  a SHA): ``datapackages/`` at that revision is extracted with ``git archive`` into a temporary
  folder (no network, the working tree is not touched). A revision without ``datapackages/``
  counts as having no packages. In a shallow CI checkout the base revision must be fetched first
  (``actions/checkout`` with ``fetch-depth: 0``, or ``git fetch origin main``).

Packages are matched by name (packages added and removed are reported), resources by name, rows
by the resource's primary key (a resource without one, or whose key columns are missing on a
side, is compared as a multiset of rows on the columns both sides have). Values are compared
after typing by the Table Schema, so ``1.50`` and ``1.5`` in a ``number`` field are equal. For each
resource the report gives the rows added, removed and changed, which fields changed (counts, and
up to ``examples`` rows with old -> new values), the schema changes (fields added, removed,
retyped, constraints, primary key) and how the totals moved: the sum of every numeric column named
``quantity``, ``value``, ``amount_usd`` or ``units*``, overall and per ``unit_type`` (or ``unit``)
where the resource has that column. A total that shrinks, or disappears, is flagged
"attention: total decreased" / "attention: total removed": registry totals should never shrink
without a note.

Exit codes of :func:`diff_command`: 0 the comparison ran, whether or not anything changed (a diff
is information, not a failure; the JSON report has ``summary.changed`` and
``summary.attention`` for a job that wants to act on them); 1 OLD or NEW cannot be read (not a
folder or revision, no data package in it, a missing or unparsable descriptor or CSV): the
returned text is then an error message naming which side and why, meant for stderr. A CSV whose
values do not fit its schema's types is still compared, as text, with a warning in the report.
2 an unknown format.
"""

from __future__ import annotations

import html
import json
import math
from decimal import Decimal
import re
import subprocess
import tarfile
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from build_scripts.load import read_descriptor, read_resource
from build_scripts.render.escape import markdown_cell as md_escape

EXIT_OK, EXIT_UNREADABLE, EXIT_USAGE = 0, 1, 2
FORMATS = ("text", "markdown", "json")
DEFAULT_EXAMPLES = 10

TOTAL_COLUMNS = ("quantity", "value", "amount_usd")
TOTAL_PREFIXES = ("units",)
GROUP_COLUMNS = ("unit_type", "unit")  # the first one a resource has also splits its totals
DECREASED, REMOVED = "total decreased", "total removed"
REPORT_FORMAT, REPORT_VERSION = "registry-data-diff", 1

_POS_OLD, _POS_NEW, _DUP, _MERGE = "__pos_old", "__pos_new", "__occurrence", "_merge"


class DiffInputError(Exception):
    """OLD or NEW cannot be read; the message says which and why."""


# --------------------------------------------------------------------------- inputs


@dataclass
class Side:
    """One side of the comparison: where it came from and its packages (name -> descriptor)."""

    role: str  # "OLD" or "NEW"
    spec: str
    kind: str  # "folder" or "git"
    path: Path
    commit: str | None = None
    packages: dict[str, Path] = field(default_factory=dict)
    note: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"spec": self.spec, "kind": self.kind, "path": str(self.path) if self.kind == "folder" else None,
                "commit": self.commit, "packages": sorted(self.packages, key=_package_order), "note": self.note}


def _package_order(name: str) -> tuple[bool, str]:
    """JI (the registry's first package) first, then by name, as the build orders them."""
    return (name != "ji", name)


def _git(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, check=False)


def _find_packages(folder: Path, role: str, spec: str) -> dict[str, Path]:
    if (folder / "datapackage.json").is_file():
        descriptors = [folder / "datapackage.json"]
    else:
        descriptors = (sorted(folder.glob("*/datapackage.json"))
                       or sorted(folder.glob("datapackages/*/datapackage.json")))
    if not descriptors:
        raise DiffInputError(
            f"cannot read {role} '{spec}': the folder {folder} holds no data package "
            "(expected datapackage.json, */datapackage.json or datapackages/*/datapackage.json)")
    packages: dict[str, Path] = {}
    for path in descriptors:
        descriptor = _read_descriptor(path, role, spec)
        name = str(descriptor.get("name") or path.parent.name)
        if name in packages:
            raise DiffInputError(f"cannot read {role} '{spec}': two packages are named '{name}' "
                                 f"({packages[name].parent} and {path.parent})")
        packages[name] = path
    return packages


def _read_descriptor(path: Path, role: str, spec: str) -> dict[str, Any]:
    try:
        descriptor = read_descriptor(path)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise DiffInputError(f"cannot read {role} '{spec}': {path}: {error}") from error
    if not isinstance(descriptor, dict) or not isinstance(descriptor.get("resources", []), list):
        raise DiffInputError(f"cannot read {role} '{spec}': {path} is not a data package descriptor")
    return descriptor


def _extract_revision(root: Path, role: str, spec: str, commit: str, dest: Path) -> Path | None:
    """Extract datapackages/ at `commit` under dest; None if the revision has no datapackages/."""
    tree = f"{commit}:./datapackages"
    if _git(root, "cat-file", "-t", tree).stdout.strip() != b"tree":
        return None
    archive = dest / "datapackages.tar"
    with archive.open("wb") as handle:
        result = subprocess.run(["git", "-C", str(root), "archive", "--format=tar", tree],
                                stdout=handle, stderr=subprocess.PIPE, check=False)
    if result.returncode != 0:
        raise DiffInputError(f"cannot read {role} '{spec}': git archive failed: "
                             f"{result.stderr.decode(errors='replace').strip()}")
    folder = dest / "datapackages"
    with tarfile.open(archive) as tar:
        tar.extractall(folder, filter="data")
    archive.unlink()
    return folder


def resolve_side(spec: str, role: str, root: Path, stack: ExitStack) -> Side:
    """A folder if `spec` exists as a path, else a git revision of `root` extracted into a
    temporary folder that lives as long as `stack`."""
    if not spec:
        raise DiffInputError(f"cannot read {role}: it is empty")
    path = Path(spec).expanduser()
    if path.exists():
        if path.is_file():
            if path.name != "datapackage.json":
                raise DiffInputError(f"cannot read {role} '{spec}': it is a file, not a folder or a datapackage.json")
            path = path.parent
        path = path.resolve()
        return Side(role, spec, "folder", path, packages=_find_packages(path, role, spec))
    if spec.startswith("-"):
        raise DiffInputError(f"cannot read {role} '{spec}': no such folder, and not a git revision")
    try:
        result = _git(root, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{spec}^{{commit}}")
    except OSError as error:  # no git at all
        raise DiffInputError(f"cannot read {role} '{spec}': no such folder, and git cannot run ({error})") from error
    if result.returncode != 0:
        detail = result.stderr.decode(errors="replace").strip()
        if detail:
            raise DiffInputError(f"cannot read {role} '{spec}': no such folder, and {root} is not usable as a git "
                                 f"repository ({detail})")
        raise DiffInputError(
            f"cannot read {role} '{spec}': no such folder, and no such git revision in {root}. "
            "In a shallow CI checkout, fetch it first (actions/checkout with fetch-depth: 0, "
            "or `git fetch origin <branch>`).")
    commit = result.stdout.decode().strip()
    workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="registry-diff-")))
    folder = _extract_revision(root, role, spec, commit, workdir)
    if folder is None:
        return Side(role, spec, "git", workdir, commit, {}, note=f"no datapackages/ folder at {spec}")
    packages = _find_packages(folder, role, spec) if any(folder.glob("*/datapackage.json")) else {}
    note = None if packages else f"no data package in datapackages/ at {spec}"
    return Side(role, spec, "git", folder, commit, packages, note)


@dataclass
class Resource:
    name: str
    schema: dict[str, Any]
    frame: pd.DataFrame
    warnings: list[str]

    @property
    def primary_key(self) -> list[str]:
        return _as_list(self.schema.get("primaryKey"))


@dataclass
class Package:
    name: str
    descriptor: dict[str, Any]
    resources: dict[str, Resource]


def _as_list(value: Any) -> list[str]:
    if not value:
        return []
    return [value] if isinstance(value, str) else [str(v) for v in value]


def load_side_package(descriptor_path: Path, role: str, spec: str) -> Package:
    """Read a package typed by its Table Schemas; values that do not fit their type are read as text."""
    descriptor = _read_descriptor(descriptor_path, role, spec)
    root = descriptor_path.parent
    resources: dict[str, Resource] = {}
    for position, resource in enumerate(descriptor.get("resources", [])):
        name = str(resource.get("name") or f"resource-{position + 1}")
        where = f"{role} '{spec}': package '{descriptor.get('name', root.name)}', resource '{name}'"
        schema = resource.get("schema") or {}
        if isinstance(schema, str):
            schema = _read_descriptor(root / schema, role, spec)
        paths = _as_list(resource.get("path"))
        if not paths:
            raise DiffInputError(f"cannot read {where}: it has no path (inline data is not supported)")
        fields = schema.get("fields", [])
        warnings: list[str] = []
        frames = []
        for relative in paths:
            path = root / relative
            try:
                frames.append(read_resource(path, fields))
            except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
                raise DiffInputError(f"cannot read {where}: {path}: {error}") from error
            except (ValueError, TypeError) as error:
                warnings.append(f"{relative}: values do not fit the schema's types ({error}); compared as text")
                frames.append(read_resource(path, []))
        frame = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
        resources[name] = Resource(name, schema, frame.reset_index(drop=True), warnings)
    return Package(str(descriptor.get("name") or root.name), descriptor, resources)


# --------------------------------------------------------------------------- values


def _canonical(series: pd.Series) -> pd.Series:
    """The value as comparable text, the same whatever the dtype: 5 == 5.0, dates as YYYY-MM-DD."""
    if pd.api.types.is_datetime64_any_dtype(series):
        return series.dt.strftime("%Y-%m-%d").astype("string")
    if pd.api.types.is_bool_dtype(series):
        return series.astype("string").str.lower()
    if pd.api.types.is_integer_dtype(series):
        return series.astype("string")
    if pd.api.types.is_float_dtype(series):
        values = series.astype("Float64")
        text = values.astype("string")
        integral = (values.notna() & (values % 1 == 0) & (values.abs() < 2**53)).fillna(False).to_numpy(bool)
        if integral.any():
            text[integral] = values[integral].astype("Int64").astype("string")
        return text
    return series.astype("string")


def _json_value(value: Any) -> Any:
    """A JSON-native value: None, bool, int, float, or str (dates as YYYY-MM-DD)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (float, np.floating)):
        if math.isnan(value):
            return None
        number = float(value)
        return int(number) if number.is_integer() and abs(number) < 2**53 else number
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d") if value == value.normalize() else value.isoformat()
    return str(value)


def _number(value: Any) -> Any:
    """A total as int, or float rounded to 6 decimals (sums of decimal figures carry float noise)."""
    value = _json_value(value)
    if isinstance(value, float):
        value = round(value, 6)
        return int(value) if value.is_integer() else value
    return value


def _rows(frame: pd.DataFrame, positions: list[int], columns: list[str]) -> list[dict[str, Any]]:
    if not len(positions):
        return []
    part = frame.iloc[positions]
    return [{c: _json_value(v) for c, v in zip(columns, row)} for row in part[columns].itertuples(index=False)]


# --------------------------------------------------------------------------- comparison


def _compare_rows(old: pd.DataFrame, new: pd.DataFrame, keys: list[str], examples: int) -> dict[str, Any]:
    """Match rows on `keys` (or on every common column when keys is empty: a multiset)."""
    common = [c for c in new.columns if c in old.columns]
    multiset = not keys
    match_on = common if multiset else keys
    result: dict[str, Any] = {"rows_added": 0, "rows_removed": 0, "rows_changed": 0, "fields_changed": {},
                              "duplicate_keys": {"old": 0, "new": 0},
                              "examples": {"added": [], "removed": [], "changed": []}}
    if not match_on:  # nothing in common: every row is new
        result.update(rows_added=len(new), rows_removed=len(old))
        for kind, frame in (("added", new), ("removed", old)):
            shown = list(range(min(examples, len(frame))))
            result["examples"][kind] = [{"key": {}, "row": r} for r in _rows(frame, shown, list(frame.columns))]
        return result
    canon_old = pd.DataFrame({c: _canonical(old[c]) for c in common}, index=range(len(old)))
    canon_new = pd.DataFrame({c: _canonical(new[c]) for c in common}, index=range(len(new)))
    left = canon_old[match_on].copy()
    right = canon_new[match_on].copy()
    # A repeated key (or, for a multiset, a repeated row) is matched occurrence by occurrence.
    left[_DUP] = left.groupby(match_on, dropna=False, sort=False).cumcount()
    right[_DUP] = right.groupby(match_on, dropna=False, sort=False).cumcount()
    if not multiset:
        result["duplicate_keys"] = {"old": int((left[_DUP] > 0).sum()), "new": int((right[_DUP] > 0).sum())}
    left[_POS_OLD] = np.arange(len(left))
    right[_POS_NEW] = np.arange(len(right))
    merged = left.merge(right, on=[*match_on, _DUP], how="outer", indicator=True, sort=False)
    added = np.sort(merged.loc[merged[_MERGE] == "right_only", _POS_NEW].astype(int).to_numpy())
    removed = np.sort(merged.loc[merged[_MERGE] == "left_only", _POS_OLD].astype(int).to_numpy())
    both = merged.loc[merged[_MERGE] == "both", [_POS_OLD, _POS_NEW]].astype(int).sort_values(_POS_NEW)
    result["rows_added"], result["rows_removed"] = len(added), len(removed)

    key_columns = keys if not multiset else []
    def key_of(frame: pd.DataFrame, positions: list[int]) -> list[dict[str, Any]]:
        return _rows(frame, positions, key_columns) if key_columns else [{} for _ in positions]

    for kind, frame, positions in (("added", new, added), ("removed", old, removed)):
        shown = list(positions[:examples])
        result["examples"][kind] = [{"key": k, "row": r}
                                    for k, r in zip(key_of(frame, shown), _rows(frame, shown, list(frame.columns)))]

    compared = [c for c in common if c not in match_on]
    if multiset or not compared or both.empty:
        return result
    pos_old, pos_new = both[_POS_OLD].to_numpy(), both[_POS_NEW].to_numpy()
    masks = {}
    for column in compared:
        a = canon_old[column].iloc[pos_old].reset_index(drop=True)
        b = canon_new[column].iloc[pos_new].reset_index(drop=True)
        same = a.eq(b).fillna(False).to_numpy(bool) | (a.isna() & b.isna()).to_numpy(bool)
        masks[column] = ~same
    changed = pd.DataFrame(masks)
    any_changed = changed.any(axis=1).to_numpy()
    result["rows_changed"] = int(any_changed.sum())
    counts = changed.sum()
    result["fields_changed"] = {c: int(counts[c]) for c in compared if counts[c]}
    rows = np.flatnonzero(any_changed)[:examples]
    old_rows = _rows(old, list(pos_old[rows]), list(old.columns))
    new_rows = _rows(new, list(pos_new[rows]), list(new.columns))
    keys_shown = key_of(new, list(pos_new[rows]))
    for index, row, before, after in zip(rows, keys_shown, old_rows, new_rows):
        fields = [c for c in compared if changed.at[index, c]]
        result["examples"]["changed"].append(
            {"key": row, "changes": [{"field": c, "old": before[c], "new": after[c]} for c in fields]})
    return result


def _schema_diff(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    old_fields = {f.get("name"): f for f in old.get("fields", [])}
    new_fields = {f.get("name"): f for f in new.get("fields", [])}
    type_of = lambda f: f.get("type", "string")  # noqa: E731
    diff: dict[str, Any] = {
        "fields_added": [{"name": n, "type": type_of(f)} for n, f in new_fields.items() if n not in old_fields],
        "fields_removed": [{"name": n, "type": type_of(f)} for n, f in old_fields.items() if n not in new_fields],
        "fields_retyped": [{"name": n, "old": type_of(old_fields[n]), "new": type_of(f)}
                           for n, f in new_fields.items() if n in old_fields and type_of(old_fields[n]) != type_of(f)],
        "constraints_changed": [{"name": n, "old": old_fields[n].get("constraints"), "new": f.get("constraints")}
                                for n, f in new_fields.items()
                                if n in old_fields and old_fields[n].get("constraints") != f.get("constraints")],
        "primary_key": None,
    }
    old_key, new_key = _as_list(old.get("primaryKey")), _as_list(new.get("primaryKey"))
    if old_key != new_key:
        diff["primary_key"] = {"old": old_key, "new": new_key}
    return diff


def _schema_changed(schema: dict[str, Any] | None) -> bool:
    return bool(schema) and any(bool(v) for v in schema.values())


def _is_total_column(name: str) -> bool:
    return name in TOTAL_COLUMNS or name.startswith(TOTAL_PREFIXES)


def _numeric(frame: pd.DataFrame | None, column: str) -> bool:
    if frame is None or column not in frame.columns:
        return False
    series = frame[column]
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def _attention(old: Any, new: Any) -> str | None:
    if old is not None and new is None:
        return REMOVED if old != 0 else None
    if old is not None and new is not None and new < old:
        return DECREASED
    return None


def _totals(old: pd.DataFrame | None, new: pd.DataFrame | None) -> list[dict[str, Any]]:
    """Sums of the total columns, overall and per unit_type/unit; a missing side is None."""
    columns = [c for c in [*(new.columns if new is not None else []), *(old.columns if old is not None else [])]
               if _is_total_column(c)]
    columns = [c for c in dict.fromkeys(columns) if _numeric(old, c) or _numeric(new, c)]
    totals = []
    for column in columns:
        old_total = _sum(old[column]) if _numeric(old, column) else None
        new_total = _sum(new[column]) if _numeric(new, column) else None
        totals.append(_total_entry(column, None, old_total, new_total))
        group = next((g for g in GROUP_COLUMNS
                      if any(f is not None and g in f.columns for f in (old, new))), None)
        if group is None:
            continue
        by_group = []
        for frame in (old, new):
            if _numeric(frame, column) and group in frame.columns:
                labels = _canonical(frame[group]).fillna("(empty)")
                sums = frame[column].groupby(labels.to_numpy(), sort=True).agg(_sum)
                by_group.append({str(k): _number(v) for k, v in sums.items()})
            else:
                by_group.append(None)
        labels = sorted(set(by_group[0] or {}) | set(by_group[1] or {}))
        for label in labels:
            before = None if by_group[0] is None else by_group[0].get(label, 0)
            after = None if by_group[1] is None else by_group[1].get(label, 0)
            totals.append(_total_entry(column, {"column": group, "value": label}, before, after))
    return totals


def _sum(series: pd.Series) -> Any:
    if pd.api.types.is_float_dtype(series):
        return _number(math.fsum(series.dropna().astype(float)))
    return _number(series.sum())


def _total_entry(column: str, group: dict[str, str] | None, old: Any, new: Any) -> dict[str, Any]:
    # Decimal on the shortest repr: 5126861582.32 - 5126861581.32 is 1, not 1.0000002
    change = _number(float(Decimal(str(new or 0)) - Decimal(str(old or 0))))
    return {"column": column, "group": group, "old": old, "new": new, "change": change,
            "attention": _attention(old, new)}


def _compare_resource(name: str, old: Resource | None, new: Resource | None, examples: int) -> dict[str, Any]:
    old_frame = old.frame if old is not None else None
    new_frame = new.frame if new is not None else None
    status = "added" if old is None else "removed" if new is None else None
    schema = _schema_diff(old.schema, new.schema) if old is not None and new is not None else None
    key = new.primary_key if new is not None else old.primary_key
    base_old = old_frame if old_frame is not None else new_frame.iloc[0:0]
    base_new = new_frame if new_frame is not None else old_frame.iloc[0:0]
    usable = bool(key) and all(k in base_old.columns and k in base_new.columns for k in key)
    if not usable and old is not None and new is not None and old.primary_key and \
            all(k in base_old.columns and k in base_new.columns for k in old.primary_key):
        key, usable = old.primary_key, True
    rows = _compare_rows(base_old, base_new, key if usable else [], examples)
    warnings = [*(old.warnings if old else []), *(new.warnings if new else [])]
    if key and not usable:
        warnings.append(f"primary key {', '.join(key)} is not in both versions: rows compared as a multiset")
    for side, count in rows.pop("duplicate_keys").items():
        if count:
            warnings.append(f"{count} repeated primary key value(s) in {side.upper()}: "
                            "matched occurrence by occurrence")
    if status is None:
        changed = rows["rows_added"] or rows["rows_removed"] or rows["rows_changed"] or _schema_changed(schema)
        status = "changed" if changed else "unchanged"
    return {
        "name": name,
        "status": status,
        "match": "primary key" if usable else "multiset",
        "primary_key": key if usable else [],
        "rows_old": None if old_frame is None else len(old_frame),
        "rows_new": None if new_frame is None else len(new_frame),
        "rows_added": rows["rows_added"],
        "rows_removed": rows["rows_removed"],
        "rows_changed": rows["rows_changed"],
        "fields_changed": rows["fields_changed"],
        "schema": schema,
        "totals": _totals(old_frame, new_frame),
        "examples": rows["examples"],
        "warnings": warnings,
    }


def _metadata_changes(old: dict[str, Any], new: dict[str, Any]) -> list[dict[str, Any]]:
    keys = [k for k in dict.fromkeys([*new, *old]) if k != "resources"]
    return [{"key": k, "old": old.get(k), "new": new.get(k)} for k in keys if old.get(k) != new.get(k)]


def _compare_package(name: str, old: Package | None, new: Package | None, examples: int) -> dict[str, Any]:
    old_resources = old.resources if old else {}
    new_resources = new.resources if new else {}
    names = list(dict.fromkeys([*new_resources, *old_resources]))
    resources = [_compare_resource(n, old_resources.get(n), new_resources.get(n), examples) for n in names]
    metadata = _metadata_changes(old.descriptor, new.descriptor) if old and new else []
    if old is None or new is None:
        status = "added" if old is None else "removed"
    else:
        status = "changed" if metadata or any(r["status"] != "unchanged" for r in resources) else "unchanged"
    return {"name": name, "status": status, "metadata_changes": metadata, "resources": resources}


def compare(old_side: Side, new_side: Side, examples: int = DEFAULT_EXAMPLES) -> dict[str, Any]:
    """The whole report as a JSON-ready dict (see render_json for its layout)."""
    names = sorted(set(old_side.packages) | set(new_side.packages), key=_package_order)
    packages = []
    for name in names:
        old = load_side_package(old_side.packages[name], "OLD", old_side.spec) if name in old_side.packages else None
        new = load_side_package(new_side.packages[name], "NEW", new_side.spec) if name in new_side.packages else None
        packages.append(_compare_package(name, old, new, examples))
    attention = [{"package": p["name"], "resource": r["name"],
                  **{k: t[k] for k in ("column", "group", "old", "new", "change")}, "reason": t["attention"]}
                 for p in packages for r in p["resources"] for t in r["totals"] if t["attention"]]
    resources = [r for p in packages for r in p["resources"]]
    summary = {
        "changed": any(p["status"] != "unchanged" for p in packages),
        "packages_compared": len(packages),
        "packages_added": sum(p["status"] == "added" for p in packages),
        "packages_removed": sum(p["status"] == "removed" for p in packages),
        "packages_changed": sum(p["status"] == "changed" for p in packages),
        "resources_compared": len(resources),
        "resources_changed": sum(r["status"] != "unchanged" for r in resources),
        "rows_added": sum(r["rows_added"] for r in resources),
        "rows_removed": sum(r["rows_removed"] for r in resources),
        "rows_changed": sum(r["rows_changed"] for r in resources),
        "attention": len(attention),
    }
    return {"format": REPORT_FORMAT, "version": REPORT_VERSION, "examples_per_list": examples,
            "old": old_side.as_json(), "new": new_side.as_json(), "summary": summary,
            "attention": attention, "packages": packages}


# --------------------------------------------------------------------------- rendering: shared


def _fmt_number(value: Any, signed: bool = False) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        text = f"{value:,.6f}".rstrip("0").rstrip(".")
    else:
        text = f"{value:,}"
    if signed and value > 0:
        text = "+" + text
    return text


def _fmt_value(value: Any, limit: int = 80) -> str:
    """A value for the text report: strings bare unless blank, padded or multi-line (then JSON-quoted)."""
    if value is None:
        return "(empty)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if not isinstance(value, str):
        return str(value)
    needs_quotes = value == "" or value != value.strip() or any(ch in value for ch in "\n\r\t") or " -> " in value
    text = json.dumps(value, ensure_ascii=False) if needs_quotes else value
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _fmt_key(key: dict[str, Any]) -> str:
    return ", ".join(f"{k}={_fmt_value(v)}" for k, v in key.items())


def _fmt_row(row: dict[str, Any], skip: dict[str, Any], limit: int = 160) -> str:
    text = ", ".join(f"{k}={_fmt_value(v, 40)}" for k, v in row.items() if k not in skip and v is not None)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _total_name(total: dict[str, Any]) -> str:
    group = total["group"]
    return total["column"] + (f" [{group['column']}={group['value']}]" if group else "")


def _rows_line(r: dict[str, Any]) -> str:
    return f"rows {_fmt_number(r['rows_old'])} -> {_fmt_number(r['rows_new'])}: " \
           f"{r['rows_added']:,} added, {r['rows_removed']:,} removed, {r['rows_changed']:,} changed"


def _shown_totals(r: dict[str, Any]) -> list[dict[str, Any]]:
    """Overall totals always; per-group totals only where they moved (or flag)."""
    return [t for t in r["totals"] if t["group"] is None or t["change"] != 0 or t["attention"]]


# --------------------------------------------------------------------------- rendering: text


def render_text(report: dict[str, Any]) -> str:
    s = report["summary"]
    lines = [f"Data diff: OLD {_side_label(report['old'])} -> NEW {_side_label(report['new'])}"]
    for side in ("old", "new"):
        if report[side]["note"]:
            lines.append(f"  note ({side.upper()}): {report[side]['note']}")
    if not s["changed"]:
        lines.append(f"No changes: {s['packages_compared']} package(s), "
                     f"{s['resources_compared']} resource(s) compared.")
        return "\n".join(lines) + "\n"
    lines.append(
        f"{s['packages_compared']} package(s) compared: {s['packages_changed']} changed, {s['packages_added']} added, "
        f"{s['packages_removed']} removed; {s['resources_changed']} resource(s) changed; rows: "
        f"{s['rows_added']:,} added, {s['rows_removed']:,} removed, {s['rows_changed']:,} changed")
    if report["attention"]:
        lines.append("")
        lines.append(f"!! ATTENTION: {len(report['attention'])} total(s) decreased or removed "
                     "(registry totals should not shrink without a note):")
        for a in report["attention"]:
            lines.append(f"!!   {a['package']}/{a['resource']} {_total_name(a)}: {_fmt_number(a['old'])} -> "
                         f"{_fmt_number(a['new'])} ({_fmt_number(a['change'], True)}) - attention: {a['reason']}")
    for package in report["packages"]:
        lines.append("")
        changed = [r for r in package["resources"] if r["status"] != "unchanged"]
        lines.append(f"== Package {package['name']}: {package['status']} "
                     f"({len(changed)} of {len(package['resources'])} resource(s) changed) ==")
        for m in package["metadata_changes"]:
            if all(isinstance(v, (str, int, float, bool, type(None))) for v in (m["old"], m["new"])):
                lines.append(f"  descriptor {m['key']}: {_fmt_value(m['old'])} -> {_fmt_value(m['new'])}")
            else:
                lines.append(f"  descriptor {m['key']}: changed")
        for r in changed:
            lines += _text_resource(r)
    return "\n".join(lines) + "\n"


def _side_label(side: dict[str, Any]) -> str:
    return f"{side['spec']} (git {side['commit'][:12]})" if side["kind"] == "git" else side["spec"]


def _text_resource(r: dict[str, Any]) -> list[str]:
    match = f"by primary key {', '.join(r['primary_key'])}" if r["match"] == "primary key" else "as a multiset of rows"
    lines = [f"  {r['name']} ({r['status']}): {_rows_line(r)} (matched {match})"]
    schema = r["schema"] or {}
    for f in schema.get("fields_added", []):
        lines.append(f"    schema: field added {f['name']} ({f['type']})")
    for f in schema.get("fields_removed", []):
        lines.append(f"    schema: field removed {f['name']} ({f['type']})")
    for f in schema.get("fields_retyped", []):
        lines.append(f"    schema: field retyped {f['name']}: {f['old']} -> {f['new']}")
    for f in schema.get("constraints_changed", []):
        lines.append(f"    schema: constraints of {f['name']}: {json.dumps(f['old'])} -> {json.dumps(f['new'])}")
    if schema.get("primary_key"):
        lines.append(f"    schema: primary key {schema['primary_key']['old']} -> {schema['primary_key']['new']}")
    for w in r["warnings"]:
        lines.append(f"    warning: {w}")
    if r["fields_changed"]:
        lines.append("    fields changed: " + ", ".join(f"{k} ({v:,})" for k, v in r["fields_changed"].items()))
    for t in _shown_totals(r):
        flag = f"   <-- ATTENTION: {t['attention']}" if t["attention"] else ""
        moved = f"{_fmt_number(t['change'], True)}" if t["change"] else "unchanged"
        lines.append(f"    total {_total_name(t)}: {_fmt_number(t['old'])} -> {_fmt_number(t['new'])} ({moved}){flag}")
    ex = r["examples"]
    for kind, mark, count in (("added", "+", r["rows_added"]), ("removed", "-", r["rows_removed"]),
                              ("changed", "~", r["rows_changed"])):
        if not ex[kind]:
            continue
        more = f" (first {len(ex[kind])} of {count:,})" if count > len(ex[kind]) else ""
        lines.append(f"    {kind}{more}:")
        for e in ex[kind]:
            if kind == "changed":
                changes = "; ".join(f"{c['field']}: {_fmt_value(c['old'])} -> {_fmt_value(c['new'])}"
                                    for c in e["changes"])
                lines.append(f"      {mark} {_fmt_key(e['key'])}: {changes}")
            else:
                key = _fmt_key(e["key"])
                lines.append(f"      {mark} {key + ': ' if key else ''}{_fmt_row(e['row'], e['key'])}")
    return lines


# --------------------------------------------------------------------------- rendering: markdown

def _md_value(value: Any, limit: int = 200) -> str:
    if value is None:
        return "_(empty)_"
    if isinstance(value, bool):
        value = "true" if value else "false"
    text = str(value)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return md_escape(text)


def _md_code(name: str) -> str:
    return "`" + re.sub(r"[`\r\n|]", " ", str(name)) + "`"


def _md_table(header: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header),
            *("| " + " | ".join(row) + " |" for row in rows)]


def _md_details(summary: str, body: list[str]) -> list[str]:
    return ["<details>", f"<summary>{summary}</summary>", "", *body, "", "</details>", ""]


def render_markdown(report: dict[str, Any]) -> str:
    s = report["summary"]
    old, new = report["old"], report["new"]
    lines = ["## Data changes", "",
             f"Comparing **OLD** {_md_side(old)} with **NEW** {_md_side(new)}.", ""]
    for side in ("old", "new"):
        if report[side]["note"]:
            lines += [f"Note ({side.upper()}): {md_escape(report[side]['note'])}", ""]
    if not s["changed"]:
        lines.append(f"**No changes** in {s['packages_compared']} package(s), {s['resources_compared']} resource(s).")
        return "\n".join(lines) + "\n"
    if report["attention"]:
        lines += [f"> ⚠️ **Attention: {len(report['attention'])} total(s) decreased or removed.** "
                  "Registry totals should not shrink without a note.", ">"]
        for a in report["attention"]:
            lines.append(f"> - {_md_code(a['package'] + '/' + a['resource'])} {md_escape(_total_name(a))}: "
                         f"{_fmt_number(a['old'])} → {_fmt_number(a['new'])} (**{_fmt_number(a['change'], True)}**, "
                         f"attention: {a['reason']})")
        lines.append("")
    lines += _md_table(["Package", "Status", "Resources changed", "Rows added", "Rows removed", "Rows changed"], [
        [_md_code(p["name"]), p["status"],
         f"{sum(r['status'] != 'unchanged' for r in p['resources'])} of {len(p['resources'])}",
         f"{sum(r['rows_added'] for r in p['resources']):,}", f"{sum(r['rows_removed'] for r in p['resources']):,}",
         f"{sum(r['rows_changed'] for r in p['resources']):,}"] for p in report["packages"]])
    lines.append("")
    for package in report["packages"]:
        if package["status"] == "unchanged":
            continue
        lines += [f"### Package {_md_code(package['name'])} ({package['status']})", ""]
        if package["metadata_changes"]:
            lines += _md_table(["Descriptor key", "Old", "New"], [
                [_md_code(m["key"]), _md_meta(m["old"]), _md_meta(m["new"])] for m in package["metadata_changes"]])
            lines.append("")
        for r in package["resources"]:
            if r["status"] != "unchanged":
                lines += _md_resource(r)
    return "\n".join(lines) + "\n"


def _md_side(side: dict[str, Any]) -> str:
    if side["kind"] == "git":
        return f"{_md_code(side['spec'])} (git {_md_code(side['commit'][:12])})"
    return _md_code(side["spec"])


def _md_meta(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return "_(changed)_"
    return _md_value(value)


def _md_resource(r: dict[str, Any]) -> list[str]:
    match = f"matched by primary key {', '.join(_md_code(k) for k in r['primary_key'])}" \
        if r["match"] == "primary key" else "compared as a multiset of rows"
    lines = [f"#### {_md_code(r['name'])} ({r['status']})", "",
             f"Rows {_fmt_number(r['rows_old'])} → {_fmt_number(r['rows_new'])}: **{r['rows_added']:,} added**, "
             f"**{r['rows_removed']:,} removed**, **{r['rows_changed']:,} changed** ({match}).", ""]
    if r["fields_changed"]:
        lines += ["Fields changed: " + ", ".join(f"{_md_code(k)} ({v:,})" for k, v in r["fields_changed"].items()), ""]
    for w in r["warnings"]:
        lines += [f"Warning: {md_escape(w)}", ""]
    schema = r["schema"] or {}
    schema_rows = [[_md_code(f["name"]), "added", "", md_escape(f["type"])] for f in schema.get("fields_added", [])]
    schema_rows += [[_md_code(f["name"]), "removed", md_escape(f["type"]), ""]
                    for f in schema.get("fields_removed", [])]
    schema_rows += [[_md_code(f["name"]), "retyped", md_escape(f["old"]), md_escape(f["new"])]
                    for f in schema.get("fields_retyped", [])]
    schema_rows += [[_md_code(f["name"]), "constraints", md_escape(json.dumps(f["old"])),
                     md_escape(json.dumps(f["new"]))]
                    for f in schema.get("constraints_changed", [])]
    if schema.get("primary_key"):
        pk = schema["primary_key"]
        schema_rows.append(["_(primary key)_", "changed", md_escape(", ".join(pk["old"])),
                            md_escape(", ".join(pk["new"]))])
    if schema_rows:
        lines += ["Schema changes:", "", *_md_table(["Field", "Change", "Old", "New"], schema_rows), ""]
    totals = _shown_totals(r)
    if totals:
        lines += _md_table(["Total", "Old", "New", "Change", "Flag"], [
            [md_escape(_total_name(t)), _fmt_number(t["old"]), _fmt_number(t["new"]), _fmt_number(t["change"], True),
             f"⚠️ **attention: {t['attention']}**" if t["attention"] else ""] for t in totals])
        lines.append("")
    ex = r["examples"]
    key_columns = r["primary_key"]
    for kind, count in (("added", r["rows_added"]), ("removed", r["rows_removed"])):
        if ex[kind]:
            columns = list(ex[kind][0]["row"])
            body = _md_table([md_escape(c) for c in columns],
                             [[_md_value(e["row"].get(c)) for c in columns] for e in ex[kind]])
            lines += _md_details(f"Rows {kind} ({_shown(len(ex[kind]), count)})", body)
    if ex["changed"]:
        body = _md_table([*(md_escape(k) for k in key_columns), "Field", "Old", "New"], [
            [*(_md_value(e["key"].get(k)) for k in key_columns), md_escape(c["field"]),
             _md_value(c["old"]), _md_value(c["new"])]
            for e in ex["changed"] for c in e["changes"]])
        lines += _md_details(f"Rows changed ({_shown(len(ex['changed']), r['rows_changed'])})", body)
    return lines


def _shown(shown: int, count: int) -> str:
    return f"{count:,}" if shown >= count else f"first {shown:,} of {count:,}"


# --------------------------------------------------------------------------- rendering: json


def render_json(report: dict[str, Any]) -> str:
    """The report as JSON. Keys come in a fixed order (format, version, examples_per_list, old,
    new, summary, attention, packages; each package: name, status, metadata_changes, resources;
    each resource: name, status, match, primary_key, rows_old, rows_new, rows_added,
    rows_removed, rows_changed, fields_changed, schema, totals, examples, warnings); row values
    in example rows follow the CSV's column order. Packages: JI first, then by name; resources in
    the NEW descriptor's order, then removed ones."""
    return json.dumps(report, indent=2, ensure_ascii=False) + "\n"


RENDERERS = {"text": render_text, "markdown": render_markdown, "json": render_json}


def diff_command(old: str, new: str, root: Path, fmt: str = "text", *,
                 examples: int = DEFAULT_EXAMPLES) -> tuple[str, int]:
    """Compare OLD with NEW; return (report or error message, exit code). See the module docstring."""
    if fmt not in RENDERERS:
        return f"error: unknown format '{fmt}' (choose from {', '.join(FORMATS)})\n", EXIT_USAGE
    try:
        with ExitStack() as stack:
            root = Path(root).resolve()
            old_side = resolve_side(old, "OLD", root, stack)
            new_side = resolve_side(new, "NEW", root, stack)
            report = compare(old_side, new_side, max(0, examples))
    except DiffInputError as error:
        return f"error: {error}\n", EXIT_UNREADABLE
    return RENDERERS[fmt](report), EXIT_OK
