"""Load a validated data package into pandas DataFrames typed by its Table Schemas."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

# Table Schema type -> pandas dtype used while reading the CSV as text.
_NULLABLE_DTYPES = {
    "integer": "Int64",
    "number": "Float64",
}
# Table Schema's default true/false values.
_BOOLEANS = {"true": True, "True": True, "TRUE": True, "1": True,
             "false": False, "False": False, "FALSE": False, "0": False}


@dataclass
class DataPackage:
    """A data package: its descriptor, folder and one DataFrame per resource."""

    name: str
    root: Path
    descriptor: dict[str, Any]
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return self.descriptor.get("title", self.name)

    @property
    def licence(self) -> dict[str, Any]:
        """The package's own licence: the first of its licenses with a path (a URL); {} if none."""
        return next((item for item in self.descriptor.get("licenses", []) if item.get("path")), {})

    def resource(self, name: str) -> dict[str, Any]:
        for resource in self.descriptor["resources"]:
            if resource["name"] == name:
                return resource
        raise KeyError(f"package '{self.name}' has no resource '{name}'")

    def resource_path(self, name: str) -> Path:
        return self.root / self.resource(name)["path"]

    def fields(self, name: str) -> list[dict[str, Any]]:
        return self.resource(name)["schema"]["fields"]

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]


def read_descriptor(descriptor_path: Path) -> dict[str, Any]:
    with descriptor_path.open(encoding="utf-8") as handle:
        return json.load(handle)


def read_resource(path: Path, fields: list[dict[str, Any]]) -> pd.DataFrame:
    """Read one CSV resource with the column types its schema declares."""
    frame = pd.read_csv(
        path,
        dtype=str,
        keep_default_na=False,
        na_values=[""],
        encoding="utf-8",
    )
    for spec in fields:
        name, type_ = spec["name"], spec.get("type", "string")
        if name not in frame.columns:
            continue
        column = frame[name]
        if type_ in _NULLABLE_DTYPES:
            frame[name] = pd.to_numeric(column).astype(_NULLABLE_DTYPES[type_])
        elif type_ == "boolean":
            frame[name] = column.map(_BOOLEANS).astype("boolean")
        elif type_ == "date":
            frame[name] = pd.to_datetime(column, format="%Y-%m-%d")
        else:
            frame[name] = column.astype("string")
    return frame


def load_package(descriptor_path: Path) -> DataPackage:
    descriptor = read_descriptor(descriptor_path)
    package = DataPackage(descriptor["name"], descriptor_path.parent, descriptor)
    for resource in descriptor["resources"]:
        package.tables[resource["name"]] = read_resource(
            package.root / resource["path"], resource["schema"]["fields"]
        )
    return package
