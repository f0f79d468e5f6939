"""Find the official reports in a folder and read their raw rows, recognising each by its layout.

A layout (layouts.yml) is recognised by its header row; rows above the header are title
rows, rows below it are data rows until a footer row ('Total') or the end. Row numbers are
1-based positions in the raw sheet or file, header and title rows counted, as a person
sees them in a spreadsheet program.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from build_scripts.importers import MissingSource, SourceError, UnrecognisedLayout

CONFIG = Path(__file__).with_name("layouts.yml")
READABLE = {".csv", ".xlsx", ".xlsm"}


@cache
def config() -> dict[str, Any]:
    return yaml.safe_load(CONFIG.read_text(encoding="utf-8"))


def layouts() -> dict[str, dict[str, Any]]:
    return config()["layouts"]


def normalise(label: Any) -> str:
    return " ".join(str(label).split()).casefold() if label is not None else ""


@dataclass
class RawTable:
    """One recognised source file: its rows as read, the header and where the data is."""

    path: Path
    layout: str
    rows: list[tuple[Any, ...]]  # every row of the sheet or file, row 1 first
    header_row: int  # 1-based
    column_index: dict[str, int]  # importer's column name -> 0-based position
    sheet: str | None = None
    encoding: str | None = None
    data_end: int = 0  # last data row (1-based)
    footer: tuple[Any, ...] | None = None
    footer_row: int | None = None
    notes: list[str] = field(default_factory=list)  # text of the rows after the footer

    @property
    def spec(self) -> dict[str, Any]:
        return layouts()[self.layout]

    @property
    def title_rows(self) -> list[str]:
        return [" ".join(str(v) for v in row if v not in (None, "")) for row in self.rows[: self.header_row - 1]]

    def sha256(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()

    def frame(self) -> pd.DataFrame:
        """The data rows as a DataFrame of the layout's columns plus source_row (1-based)."""
        body = self.rows[self.header_row: self.data_end]
        numbers = range(self.header_row + 1, self.data_end + 1)
        width = max(self.column_index.values()) + 1
        kept = [(n, tuple(row) + (None,) * (width - len(row))) for n, row in zip(numbers, body)
                if any(v not in (None, "") and not (isinstance(v, str) and not v.strip()) for v in row)]
        data = {name: [row[i] for _, row in kept] for name, i in self.column_index.items()}
        frame = pd.DataFrame(data, dtype=object)
        frame["source_row"] = pd.array([n for n, _ in kept], dtype="Int64")
        frame.attrs["file"] = self.path.name
        return frame


def _match_header(rows: list[tuple[Any, ...]], layout: str, within: int) -> tuple[int, dict[str, int]] | None:
    spec = layouts()[layout]
    wanted = {normalise(label): name for name, label in spec["columns"].items()}
    for number, row in enumerate(rows[:within], start=1):
        labels = {normalise(v): i for i, v in enumerate(row) if normalise(v)}
        if len(labels) == sum(1 for v in row if normalise(v)) and set(labels) == set(wanted):
            return number, {wanted[label]: i for label, i in labels.items()}
    return None


def _decode(data: bytes) -> tuple[str, str]:
    """Text of a CSV file: UTF-8 (with or without BOM), else Windows-1252."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1252"), "cp1252"


def _csv_rows(path: Path) -> tuple[list[tuple[Any, ...]], str]:
    try:
        text, encoding = _decode(path.read_bytes())
    except UnicodeDecodeError as exc:
        raise SourceError(f"{path.name}: neither UTF-8 nor Windows-1252 text ({exc})") from exc
    return [tuple(row) for row in csv.reader(io.StringIO(text, newline=""))], encoding


def _sheets(path: Path) -> list[tuple[str, list[tuple[Any, ...]]]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several kinds on a broken file
        raise SourceError(f"{path.name}: cannot be opened as an xlsx workbook ({exc})") from exc
    try:
        sheets = []
        for sheet in workbook.worksheets:
            sheet.reset_dimensions()  # the stored dimension can be wrong; read every row
            sheets.append((sheet.title, [tuple(row) for row in sheet.iter_rows(values_only=True)]))
        return sheets
    finally:
        workbook.close()


def _expected(format_: str) -> str:
    lines = [f"  {name}: header row with the columns {list(spec['columns'].values())}"
             for name, spec in layouts().items() if spec["format"] == format_]
    return "\n".join(lines)


def recognise(path: Path) -> RawTable:
    """Read a file and find which layout it has; UnrecognisedLayout if none."""
    within = config()["header_within"]
    format_ = "csv" if path.suffix.lower() == ".csv" else "xlsx"
    candidates = [name for name, spec in layouts().items() if spec["format"] == format_]
    if format_ == "csv":
        rows, encoding = _csv_rows(path)
        found = [("", rows, encoding)]
    else:
        found = [(title, rows, None) for title, rows in _sheets(path)]
    for sheet, rows, encoding in found:
        for layout in candidates:
            match = _match_header(rows, layout, within)
            if match:
                table = RawTable(path, layout, rows, match[0], match[1], sheet or None, encoding)
                _find_end(table)
                return table
    seen = [f"{('sheet ' + repr(sheet) + ', ') if sheet else ''}{_likely_header(rows[:within])}"
            for sheet, rows, _ in found if rows]
    raise UnrecognisedLayout(
        f"{path.name}: not one of the known {format_} report layouts (no header row found in the first "
        f"{within} rows). Expected one of:\n{_expected(format_)}\nFound: {'; '.join(seen) or 'an empty file'}"
    )


def _likely_header(rows: list[tuple[Any, ...]]) -> str:
    """The row with the most filled cells, to show what a file has instead of a known header."""
    filled = [[v for v in row if v not in (None, "")] for row in rows]
    number = max(range(len(filled)), key=lambda i: (len(filled[i]), -i))
    return f"row {number + 1}: {filled[number]}"


def _find_end(table: RawTable) -> None:
    """Data rows end at the footer row ('Total' in the first column) or at the last row."""
    labels = {normalise(label) for label in table.spec.get("footer_labels", [])}
    table.data_end = len(table.rows)
    for number in range(table.header_row + 1, len(table.rows) + 1):
        row = table.rows[number - 1]
        first = next((v for v in row if v not in (None, "")), None)
        if isinstance(first, str) and normalise(first) in labels:
            table.data_end, table.footer, table.footer_row = number - 1, row, number
            table.notes = [" ".join(str(v) for v in r if v not in (None, ""))
                           for r in table.rows[number:] if any(v not in (None, "") for v in r)]
            break
    while table.data_end > table.header_row and not any(
            v not in (None, "") for v in table.rows[table.data_end - 1]):
        table.data_end -= 1


def discover(source_dir: Path) -> dict[str, RawTable]:
    """Every required report in source_dir, by layout. Files of other kinds (README.md) are ignored."""
    if not source_dir.is_dir():
        raise MissingSource(f"{source_dir}: no such folder")
    found: dict[str, RawTable] = {}
    for path in sorted(p for p in source_dir.iterdir() if p.is_file() and p.suffix.lower() in READABLE):
        table = recognise(path)
        if table.layout in found:
            raise UnrecognisedLayout(f"{path.name} and {found[table.layout].path.name} both have the "
                                     f"{table.layout} layout: keep only one release of each report in {source_dir}")
        found[table.layout] = table
    missing = [name for name in layouts() if name not in found]
    if missing:
        raise MissingSource(
            f"{source_dir}: no file with the layout of " + ", ".join(missing) + ". Expected:\n"
            + "\n".join(f"  {name} ({layouts()[name]['format']}): columns {list(layouts()[name]['columns'].values())}"
                        for name in missing)
        )
    return found


def slug(path: Path) -> str:
    """Document id of a raw file: its name without extension, lower case, '-' between words."""
    return re.sub(r"[^a-z0-9]+", "-", path.stem.lower()).strip("-")


def date_in_name(path: Path) -> str | None:
    """'2023-08-31' or '2025-04' from a file name, if it has one."""
    match = re.search(r"(\d{4}-\d{2}(?:-\d{2})?)(?!\d)", path.stem)
    return match.group(1) if match else None


def iso(value: dt.date | pd.Timestamp | None) -> str | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).date().isoformat()


@dataclass
class Extract:
    """A report read into a typed table, with what the report says about itself."""

    table: RawTable
    frame: pd.DataFrame
    as_of: str | None = None  # ISO date (or year-month) the report describes
    as_of_basis: str = ""  # where as_of comes from, for the documents note
    warnings: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)  # format-specific facts (e.g. published names)

    @property
    def document_id(self) -> str:
        return slug(self.table.path)


def check_footer_total(extract: Extract, column: str, computed: int, what: str) -> None:
    """Compare a footer's cached total (if the workbook holds one) with the sum of the rows."""
    table = extract.table
    if table.footer is None:
        return
    value = table.footer[table.column_index[column]] if table.column_index[column] < len(table.footer) else None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if int(value) != computed:
            extract.warnings.append(f"{table.path.name}: the footer total at row {table.footer_row} is "
                                    f"{int(value):,} but the {what} add up to {computed:,}")
        else:
            extract.extra["footer_total_checked"] = int(value)
