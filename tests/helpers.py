"""Small helpers for editing CSV files of a package copy in tests."""

from __future__ import annotations

import csv
import json
from pathlib import Path


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def write_rows(path: Path, rows: list[dict[str, str]], fieldnames: list[str] | None = None) -> None:
    fieldnames = fieldnames or list(rows[0].keys())
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fieldnames, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def edit_cell(path: Path, match: dict[str, str], field: str, value: str) -> int:
    """Set `field` to `value` in the row matching `match`; return the CSV line number (header = 1)."""
    rows = read_rows(path)
    for position, row in enumerate(rows):
        if all(row[k] == v for k, v in match.items()):
            row[field] = value
            write_rows(path, rows)
            return position + 2
    raise AssertionError(f"no row matching {match} in {path}")


def edit_descriptor(package_dir: Path, change) -> None:
    path = package_dir / "datapackage.json"
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    change(descriptor)
    path.write_text(json.dumps(descriptor, indent=2, ensure_ascii=False), encoding="utf-8")
