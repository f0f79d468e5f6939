"""Serialise the built tables and the descriptor, check them against the schemas, then write.

`render` turns everything into bytes (nothing touches the disk); `write` copies the raw
files (when importing from another folder) and replaces data/*.csv and datapackage.json.
Output is deterministic: fixed column and row order, ISO dates, no timestamps.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from build_scripts.importers import ImportFailed, UnrecognisedLayout
from build_scripts.importers.package import Built
from build_scripts.importers.sources import READABLE, Extract, RawTable, layouts, recognise

TEMPLATE = Path(__file__).with_name("cdm_package.yml")
ATTRIBUTION = "Source: UNFCCC, CDM Registry public reports"
RESOURCE_DEFAULTS = {"profile": "tabular-data-resource", "format": "csv", "mediatype": "text/csv", "encoding": "utf-8"}


@cache
def template() -> dict[str, Any]:
    return yaml.safe_load(TEMPLATE.read_text(encoding="utf-8"))


def descriptor(built: Built, extracts: dict[str, Extract]) -> dict[str, Any]:
    """The package descriptor: the template's schemas with the `use:` fields expanded, plus the
    dates and checksums of the sources."""
    base = copy.deepcopy(template())
    common = base.pop("common_fields")
    documents = built.tables["documents"].set_index("document_id")
    base["as_of"] = built.as_of
    base["source_dates"] = {extracts[layout].document_id: extracts[layout].as_of for layout in layouts()}
    base["sources"] = [{
        "title": row["title"],
        "path": row["path"],
        "sha256": row["sha256"],
        "as_of": base["source_dates"][document_id],
        "attribution": ATTRIBUTION,
    } for document_id, row in documents.iterrows()]
    resources = []
    for spec in base["resources"]:
        fields = []
        for field in spec["schema"]["fields"]:
            if "use" in field:
                merged = copy.deepcopy(common[field["use"]])
                merged.update({k: v for k, v in field.items() if k != "use"})
                field = merged
            fields.append(field)
        schema = {"fields": fields, **{k: v for k, v in spec["schema"].items() if k != "fields"}}
        resources.append({"name": spec["name"], "path": f"data/{spec['name']}.csv", "title": spec["title"],
                          "description": " ".join(spec["description"].split()), **RESOURCE_DEFAULTS,
                          "schema": schema})
    base["resources"] = resources
    dates = {layout: extracts[layout].as_of or "undated" for layout in layouts()}
    base["description"] = " ".join(base["description"].split()).format(as_of=built.as_of, **dates)
    for licence in base["licenses"]:
        licence["title"] = " ".join(licence["title"].split())
    return base


def to_text(frame: pd.DataFrame, fields: list[dict[str, Any]]) -> pd.DataFrame:
    """Every column as the text the CSV holds ('' for missing)."""
    out = {}
    for field in fields:
        name, type_ = field["name"], field.get("type", "string")
        column = frame[name]
        if type_ == "date":
            text = pd.to_datetime(column).dt.strftime("%Y-%m-%d")
        elif type_ == "integer":
            text = column.astype("Int64").astype("string")
        elif type_ == "boolean":
            # 1/0: valid Table Schema booleans that build_scripts.load reads as numbers, then booleans
            text = column.astype("boolean").map({True: "1", False: "0"})
        else:
            text = column.astype("string")
        out[name] = text.astype("string").fillna("")
    return pd.DataFrame(out)


def check_contract(texts: dict[str, pd.DataFrame], package: dict[str, Any]) -> None:
    """Required, unique, enum, pattern, primary and foreign keys, before anything is written."""
    problems = []
    for resource in package["resources"]:
        name, schema = resource["name"], resource["schema"]
        frame = texts[name]
        for field in schema["fields"]:
            column, rules = frame[field["name"]], field.get("constraints", {})
            present = column.ne("")
            checks = {
                "required": ~present if rules.get("required") else None,
                "unique": present & column.duplicated(keep=False) if rules.get("unique") else None,
                "enum": present & ~column.isin([str(v) for v in rules["enum"]]) if "enum" in rules else None,
                "pattern": present & ~column.str.fullmatch(rules["pattern"]) if "pattern" in rules else None,
            }
            for rule, bad in checks.items():
                if bad is not None and bad.any():
                    value = column[bad].iloc[0]
                    problems.append(f"{name}.{field['name']}: {int(bad.sum())} value(s) break '{rule}' "
                                    f"(first: {value!r} in CSV row {int(bad.to_numpy().argmax()) + 2})")
        key = schema.get("primaryKey")
        if key:
            keys = [key] if isinstance(key, str) else key
            duplicated = frame.duplicated(keys)
            if duplicated.any():
                problems.append(f"{name}: primary key {keys} is not unique ({int(duplicated.sum())} duplicate(s))")
        for foreign in schema.get("foreignKeys", []):
            column, target = foreign["fields"], foreign["reference"]
            values = frame[column][frame[column].ne("")]
            known = texts[target["resource"]][target["fields"]]
            missing = values[~values.isin(known)]
            if len(missing):
                problems.append(f"{name}.{column}: {len(missing)} value(s) not in {target['resource']}."
                                f"{target['fields']} (first: {missing.iloc[0]!r})")
    if problems:
        raise ImportFailed("the imported tables do not meet the package's schema; nothing was written:\n  "
                           + "\n  ".join(problems))


def render(built: Built, extracts: dict[str, Extract]) -> dict[str, bytes]:
    """Every output file (path relative to the package folder -> bytes)."""
    package = descriptor(built, extracts)
    texts = {}
    for resource in package["resources"]:
        frame = built.tables[resource["name"]]
        names = [f["name"] for f in resource["schema"]["fields"]]
        if list(frame.columns) != names:
            raise ImportFailed(f"{resource['name']}: built columns {list(frame.columns)} are not the schema's {names}")
        texts[resource["name"]] = to_text(frame, resource["schema"]["fields"])
    check_contract(texts, package)
    outputs = {resource["path"]: texts[resource["name"]].to_csv(index=False, lineterminator="\n").encode("utf-8")
               for resource in package["resources"]}
    outputs["datapackage.json"] = (json.dumps(package, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    return outputs


def _replace(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_name(path.name + ".importing")
    staging.write_bytes(data)
    os.replace(staging, path)


def write(outputs: dict[str, bytes], tables: dict[str, RawTable], source_dir: Path,
          package_dir: Path) -> tuple[list[str], list[str]]:
    """Copy the raw files into package_dir/raw (unless they are read from there), then write the
    outputs. Returns the raw files copied and the superseded raw files removed."""
    raw = package_dir / "raw"
    names = {table.path.name for table in tables.values()}
    for name in sorted(names):
        if not re.fullmatch(r"[A-Za-z0-9._-]+", name):
            raise ImportFailed(f"{name}: raw file names may hold only letters, digits, '.', '_' and '-'; rename it")
    copied, removed = [], []
    if not (raw.exists() and source_dir.resolve() == raw.resolve()):
        raw.mkdir(parents=True, exist_ok=True)
        for table in sorted(tables.values(), key=lambda t: t.path.name):
            target = raw / table.path.name
            if not target.exists() or target.read_bytes() != table.path.read_bytes():
                shutil.copyfile(table.path, target)
                copied.append(table.path.name)
        readme = source_dir / "README.md"
        if readme.is_file() and (not (raw / "README.md").exists()
                                 or (raw / "README.md").read_bytes() != readme.read_bytes()):
            shutil.copyfile(readme, raw / "README.md")
            copied.append("README.md")
        for old in sorted(raw.iterdir()):
            if old.is_file() and old.suffix.lower() in READABLE and old.name not in names:
                try:
                    recognise(old)
                except UnrecognisedLayout:
                    continue
                old.unlink()
                removed.append(old.name)
    for relative, data in outputs.items():
        _replace(package_dir / relative, data)
    return copied, removed
