"""Downloads: each package as a zip and each file on its own, with sizes and SHA-256.

Besides the data package itself (zip, descriptor, CSV files, raw sources) every package is
also written, from the typed DataFrames, as:

* JSON, one file per resource (``<package>/json/<resource>.json``): an array of objects with
  keys in schema field order, dates as ISO strings, missing values as null;
* an XLSX workbook (``<package>.xlsx``): a README sheet, then one sheet per resource with a
  bold, frozen header row and typed cells;
* a SQLite database (``<package>.sqlite``): one table per resource with column types, primary
  and foreign keys from the Table Schemas, an index on every foreign key, plus ``_resources``
  and ``_sources`` tables; beside it, ``<package>.metadata.json``, Datasette's metadata
  (title, licence, source, table and column descriptions: ``datasette cdm.sqlite -m
  cdm.metadata.json``);
* Parquet, one file per resource (``<package>/parquet/<resource>.parquet``), written by DuckDB
  from the CSV with the Table Schema's types (integer BIGINT, number DOUBLE, boolean, date,
  anything else text) and the Table Schema in its key-value metadata, zstd-compressed.

Every file is reproducible: the same data gives the same bytes and the same checksum (zip
entries sorted with fixed timestamps, workbook properties and zip dates fixed, database
rebuilt with VACUUM).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import tempfile
import zipfile
from pathlib import Path
from typing import IO, Any, Iterator

import duckdb
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from build_scripts.i18n import N_
from build_scripts.load import DataPackage
from build_scripts.paths import is_plain_relative

_FIXED_TIME = (1980, 1, 1, 0, 0, 0)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class UnsafePath(ValueError):
    """A file name from a descriptor that would read or write outside its folder. Validation
    (check_limits) refuses such names first; this is the second line of defence."""


def _inside(folder: Path, relative: str | Path) -> Path:
    """folder / relative, provided that it resolves to a path inside folder (symbolic links
    followed); UnsafePath otherwise: an absolute path, '..' leading out, a link pointing
    elsewhere, or folder itself ('', '.')."""
    target = folder / relative
    base = folder.resolve()
    try:
        resolved = target.resolve()
    except (OSError, RuntimeError, ValueError) as exc:  # a symlink loop, a NUL byte
        raise UnsafePath(f"'{relative}' cannot be resolved inside {folder} ({exc}): refusing to use it") from None
    if base not in resolved.parents:
        raise UnsafePath(f"'{relative}' leads outside {folder} (to {resolved}): refusing to read or write it; "
                         "is the package validated?")
    return target


def _zip_name(name: str) -> str:
    """A zip entry name: a plain relative path (paths.is_plain_relative: no zip-slip)."""
    if not is_plain_relative(name):
        raise UnsafePath(f"zip entry name '{name}' is not a plain relative path: refusing to write it")
    return name


def _package_files(package: DataPackage) -> list[tuple[str, Path]]:
    """(path relative to the package folder, '/'-separated; the file) of the descriptor, the
    resource files and the raw sources, in descriptor order and without repeats."""
    paths = ["datapackage.json"]
    paths += [r["path"] for r in package.descriptor["resources"]]
    paths += [s["path"] for s in package.descriptor.get("sources", []) if s.get("path")]
    files: dict[str, Path] = {}
    for path in paths:
        file = _inside(package.root, path)
        files.setdefault(file.relative_to(package.root).as_posix(), file)
    return list(files.items())


def _write_zip(package: DataPackage, target: Path) -> None:
    """The package as one zip with datapackage.json at its root, so that stock tools open the
    zip as a data package (`frictionless validate cdm-datapackage.zip` checks every resource;
    with the descriptor in a folder it found one CSV and said VALID)."""
    files = [(_zip_name(relative), path)
             for relative, path in sorted(_package_files(package), key=lambda item: item[1])]
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, path in files:
            info = zipfile.ZipInfo(name, _FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, path.read_bytes())


# ---------------------------------------------------------------------------------------
# Typed columns shared by the JSON, XLSX and SQLite writers.

def _fields(package: DataPackage, resource: dict) -> list[dict]:
    frame = package[resource["name"]]
    return [f for f in resource["schema"]["fields"] if f["name"] in frame.columns]


# Rows converted to Python values at a time: the writers stream, so a registry with millions
# of rows never holds them all as Python objects (at 10x the CDM that took 1.3 GB).
CHUNK_ROWS = 50_000


def _column_chunks(package: DataPackage, resource: dict, size: int = CHUNK_ROWS) -> Iterator[list[list[Any]]]:
    """The columns, CHUNK_ROWS rows at a time, as lists of plain Python values: int, float,
    bool, str or None. Dates become ISO strings ``YYYY-MM-DD``; a missing value, None."""
    frame = package[resource["name"]]
    fields = _fields(package, resource)
    for start in range(0, len(frame), size):
        part = frame.iloc[start:start + size]
        columns = []
        for spec in fields:
            column = part[spec["name"]]
            if spec.get("type") == "date" and str(column.dtype).startswith("datetime64"):
                column = column.dt.strftime("%Y-%m-%d")
            columns.append(column.to_numpy(dtype=object, na_value=None).tolist())
        yield columns


def _fixed_datetime(package: DataPackage) -> dt.datetime:
    """The package's as_of date at midnight, or 1980-01-01 when it has none."""
    try:
        return dt.datetime.combine(dt.date.fromisoformat(str(package.descriptor.get("as_of"))), dt.time())
    except ValueError:
        return dt.datetime(*_FIXED_TIME)


# ---------------------------------------------------------------------------------------
# JSON

def _write_json(package: DataPackage, resource: dict, target: Path) -> None:
    """An array of objects, one per line, keys in schema field order."""
    names = [f["name"] for f in _fields(package, resource)]
    with target.open("w", encoding="utf-8", newline="\n") as out:
        separator = "[\n"
        for columns in _column_chunks(package, resource):
            for row in zip(*columns):
                out.write(separator + json.dumps(dict(zip(names, row)), ensure_ascii=False, allow_nan=False))
                separator = ",\n"
        out.write("[]\n" if separator == "[\n" else "\n]\n")


# ---------------------------------------------------------------------------------------
# Parquet

# Table Schema types as DuckDB's (Parquet's) types; a type not listed (yearmonth, datetime,
# any) as the text the CSV holds.
_PARQUET_TYPES = {"integer": "BIGINT", "number": "DOUBLE", "boolean": "BOOLEAN", "date": "DATE"}


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _write_parquet(package: DataPackage, resource: dict, target: Path) -> None:
    """One resource as a Parquet file, written by DuckDB from the package's CSV file with the
    Table Schema's types (_PARQUET_TYPES; no type guessed), rows in the CSV's order, and the
    resource's Table Schema (names, types, titles, descriptions) as the file's key-value
    metadata "table_schema". One thread: the same data gives the same bytes."""
    fields = _fields(package, resource)
    columns = ", ".join(f"{_sql_text(f['name'])}: {_sql_text(_PARQUET_TYPES.get(f.get('type', 'string'), 'VARCHAR'))}"
                        for f in fields)
    schema = json.dumps({"fields": [{k: f[k] for k in ("name", "type", "title", "description") if f.get(k)}
                                    for f in fields]}, ensure_ascii=False)
    boolean = next((f for f in fields if f.get("type") == "boolean"), {})
    if boolean and (boolean.get("trueValues") or boolean.get("falseValues")):
        raise ValueError(f"{package.name}/{resource['name']}: custom trueValues/falseValues are not written to Parquet")
    source = _inside(package.root, resource["path"])
    connection = duckdb.connect(config={"threads": 1})
    try:
        connection.execute(
            f"COPY (SELECT * FROM read_csv({_sql_text(str(source))}, header = true, auto_detect = false, "
            f"delim = ',', quote = '\"', escape = '\"', nullstr = '', dateformat = '%Y-%m-%d', "
            f"columns = {{{columns}}})) TO {_sql_text(str(target))} "
            f"(FORMAT parquet, COMPRESSION zstd, KV_METADATA {{table_schema: {_sql_text(schema)}}})")
    finally:
        connection.close()


# ---------------------------------------------------------------------------------------
# XLSX

_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def _sheet_names(names: list[str], reserved: set[str]) -> dict[str, str]:
    """Sheet names of at most 31 characters, unique (case-insensitively, as Excel wants)."""
    taken = {name.lower() for name in reserved}
    result = {}
    for name in names:
        base = _SHEET_FORBIDDEN.sub("_", name)[:31] or "sheet"
        candidate, counter = base, 2
        while candidate.lower() in taken:
            suffix = f"~{counter}"
            candidate, counter = base[:31 - len(suffix)] + suffix, counter + 1
        taken.add(candidate.lower())
        result[name] = candidate
    return result


def _xlsx_text(value: str) -> str:
    return ILLEGAL_CHARACTERS_RE.sub("", value)


def _xlsx_cell(sheet, value: Any, font: Font | None = None) -> WriteOnlyCell:
    """A cell that keeps strings as text (never a formula, even when they start with '=')."""
    cell = WriteOnlyCell(sheet, value=_xlsx_text(value) if isinstance(value, str) else value)
    if isinstance(value, str):
        cell.data_type = "s"
    if font is not None:
        cell.font = font
    return cell


def _readme_sheet(workbook: Workbook, package: DataPackage, sheet_names: dict[str, str]) -> None:
    sheet = workbook.create_sheet("README")
    bold, wrap = Font(bold=True), Alignment(wrap_text=True, vertical="top")
    for letter, width in zip("ABCDE", (28, 40, 12, 60, 70)):
        sheet.column_dimensions[letter].width = width

    def row(*values: Any, header: bool = False) -> None:
        cells = []
        for index, value in enumerate(values):
            cell = _xlsx_cell(sheet, value, bold if header or index == 0 else None)
            if isinstance(value, str) and len(value) > 40:
                cell.alignment = wrap
            cells.append(cell)
        sheet.append(cells)

    descriptor = package.descriptor
    row(package.title, header=True)
    row()
    row("Package", package.name)
    row("Description", descriptor.get("description", ""))
    if descriptor.get("version"):
        row("Version", descriptor["version"])
    row("As of", descriptor.get("as_of", ""))
    for licence in descriptor.get("licenses", []):
        row("Licence", licence.get("title") or licence.get("name", ""), licence.get("name", ""),
            licence.get("path", ""))
    row("Generated from", "datapackage.json and its CSV files; field meanings are in the descriptor's Table Schemas")
    row()
    row("Sources", header=True)
    row("Title", "Path", "As of", "SHA-256", header=True)
    for source in descriptor.get("sources", []):
        row(source.get("title", ""), source.get("path", ""), source.get("as_of", ""), source.get("sha256", ""))
    row()
    row("Resources", header=True)
    row("Name", "Title", "Rows", "Description", "Sheet", header=True)
    for resource in descriptor["resources"]:
        row(resource["name"], resource.get("title", ""), len(package[resource["name"]]),
            resource.get("description", ""), sheet_names[resource["name"]])


_EXCEL_EPOCH = dt.date(1899, 12, 30)


def _xml_text(value: str) -> str:
    value = _xlsx_text(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    space = ' xml:space="preserve"' if value[:1].isspace() or value[-1:].isspace() else ""
    return f"<t{space}>{value}</t>"


def _sheet_rows_xml(package: DataPackage, resource: dict, date_style: int, out: IO[str]) -> str:
    """Write the data rows of a resource sheet as SpreadsheetML to out; return the sheet's
    last cell.

    openpyxl takes about ten seconds for the CDM package's 700,000 cells; writing the rows
    directly takes a fraction of that. Numbers are numeric cells, dates numeric cells with the
    workbook's date style, booleans boolean cells, text inline strings; missing values are
    left out.
    """
    fields = _fields(package, resource)
    first = 2
    for columns in _column_chunks(package, resource):
        cells_by_column = []
        for index, (spec, values) in enumerate(zip(fields, columns), start=1):
            letter, type_ = get_column_letter(index), spec.get("type", "string")
            if type_ in ("integer", "number"):
                cells = [None if v is None else f'<c r="{letter}{r}"><v>{v!r}</v></c>'
                         for r, v in enumerate(values, start=first)]
            elif type_ == "boolean":
                cells = [None if v is None else f'<c r="{letter}{r}" t="b"><v>{int(v)}</v></c>'
                         for r, v in enumerate(values, start=first)]
            elif type_ == "date":
                cells = [None if v is None else
                         f'<c r="{letter}{r}" s="{date_style}"><v>{(dt.date.fromisoformat(v) - _EXCEL_EPOCH).days}</v></c>'
                         for r, v in enumerate(values, start=first)]
            else:
                cells = [None if v is None else f'<c r="{letter}{r}" t="inlineStr"><is>{_xml_text(v)}</is></c>'
                         for r, v in enumerate(values, start=first)]
            cells_by_column.append(cells)
        for r, row in enumerate(zip(*cells_by_column), start=first):
            out.write(f'<row r="{r}">' + "".join(c for c in row if c is not None) + "</row>")
        first += len(columns[0]) if columns else 0
    rows = len(package[resource["name"]])
    return f"{get_column_letter(max(len(fields), 1))}{rows + 1}"


def _resource_sheet(workbook: Workbook, package: DataPackage, resource: dict, title: str) -> Any:
    """The sheet with its bold header row, frozen; the data rows are added after saving."""
    sheet = workbook.create_sheet(title)
    fields = _fields(package, resource)
    for index, spec in enumerate(fields, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(10, min(60, len(spec["name"]) + 2))
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    sheet.append([_xlsx_cell(sheet, spec["name"], bold) for spec in fields])
    return sheet


def _normalise_ooxml(data: bytes, stamp: dt.datetime, sheet_rows: dict[str, tuple[Path, str]], out: Path) -> None:
    """Re-write a saved workbook into out: add the data rows (streamed from the files they
    were written to), fix zip entry dates and document dates."""
    iso = stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    with zipfile.ZipFile(io.BytesIO(data)) as source, \
            zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "docProps/core.xml":
                text = content.decode("utf-8")
                for tag in ("dcterms:created", "dcterms:modified"):
                    text = re.sub(rf"(<{tag}[^>]*>)[^<]*(</{tag}>)", rf"\g<1>{iso}\g<2>", text)
                content = text.encode("utf-8")
            info = zipfile.ZipInfo(item.filename, _FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            if item.filename in sheet_rows:
                rows, last = sheet_rows[item.filename]
                text = content.decode("utf-8")
                dimension = f'<dimension ref="A1:{last}" />'
                if "<dimension " in text:
                    text = re.sub(r'<dimension ref="[^"]*"\s*/>', dimension, text, count=1)
                else:
                    text = text.replace("<sheetViews>", dimension + "<sheetViews>", 1)
                head, tail = text.split("</sheetData>", 1)
                with target.open(info, "w") as entry, rows.open("rb") as streamed:
                    entry.write(head.encode("utf-8"))
                    shutil.copyfileobj(streamed, entry, 1 << 20)
                    entry.write(("</sheetData>" + tail).encode("utf-8"))
                continue
            target.writestr(info, content)


def _write_xlsx(package: DataPackage, target: Path) -> None:
    workbook = Workbook(write_only=True)
    stamp = _fixed_datetime(package)
    workbook.properties.title = package.title
    workbook.properties.creator = "Carbon registry transparency project"
    workbook.properties.created = stamp
    resources = package.descriptor["resources"]
    sheet_names = _sheet_names([r["name"] for r in resources], {"README"})
    _readme_sheet(workbook, package, sheet_names)
    sheet_rows = {}
    with tempfile.TemporaryDirectory(prefix="xlsx-", dir=target.parent) as scratch:
        for position, resource in enumerate(resources):
            sheet = _resource_sheet(workbook, package, resource, sheet_names[resource["name"]])
            # Registers openpyxl's date style (yyyy-mm-dd) and gives its index for the date cells.
            date_style = WriteOnlyCell(sheet, value=dt.date(2000, 1, 1)).style_id
            # openpyxl numbers the sheets in workbook order when it saves them.
            path = f"xl/worksheets/sheet{workbook.worksheets.index(sheet) + 1}.xml"
            rows = Path(scratch) / f"{position}.xml"
            with rows.open("w", encoding="utf-8") as out:
                last = _sheet_rows_xml(package, resource, date_style, out)
            sheet_rows[path] = (rows, last)
        buffer = io.BytesIO()
        workbook.save(buffer)
        _normalise_ooxml(buffer.getvalue(), stamp, sheet_rows, target)


# ---------------------------------------------------------------------------------------
# SQLite

_SQL_TYPES = {"integer": "INTEGER", "number": "REAL", "boolean": "INTEGER", "date": "TEXT", "string": "TEXT"}


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _dependency_order(resources: list[dict]) -> list[dict]:
    """Resources ordered so that every table comes after the tables it references."""
    by_name = {r["name"]: r for r in resources}
    ordered: list[dict] = []
    state: dict[str, str] = {}

    def visit(resource: dict) -> None:
        name = resource["name"]
        if state.get(name) == "done":
            return
        if state.get(name) == "visiting":
            raise ValueError(f"foreign keys of '{name}' form a cycle")
        state[name] = "visiting"
        for key in resource["schema"].get("foreignKeys", []):
            parent = key["reference"].get("resource") or name
            if parent != name and parent in by_name:
                visit(by_name[parent])
        state[name] = "done"
        ordered.append(resource)

    for resource in resources:
        visit(resource)
    return ordered


def _create_table(resource: dict, present: set[str]) -> str:
    schema = resource["schema"]
    lines = []
    for spec in schema["fields"]:
        if spec["name"] not in present:
            continue
        column = f"{_quote(spec['name'])} {_SQL_TYPES.get(spec.get('type', 'string'), 'TEXT')}"
        constraints = spec.get("constraints", {})
        if constraints.get("required"):
            column += " NOT NULL"
        if constraints.get("unique"):
            column += " UNIQUE"
        lines.append(column)
    if schema.get("primaryKey"):
        lines.append(f"PRIMARY KEY ({', '.join(map(_quote, _as_list(schema['primaryKey'])))})")
    for key in schema.get("foreignKeys", []):
        parent = key["reference"].get("resource") or resource["name"]
        lines.append(f"FOREIGN KEY ({', '.join(map(_quote, _as_list(key['fields'])))}) "
                     f"REFERENCES {_quote(parent)} ({', '.join(map(_quote, _as_list(key['reference']['fields'])))})")
    return f"CREATE TABLE {_quote(resource['name'])} (\n  " + ",\n  ".join(lines) + "\n)"


def _index_statement(table: str, columns: list[str], unique: bool) -> str:
    """CREATE [UNIQUE] INDEX on table(columns), named after them ("<table>__<columns>", "__key"
    for a unique parent key)."""
    name = f"{table}__{'__'.join(columns)}" + ("__key" if unique else "")
    return (f"CREATE {'UNIQUE ' if unique else ''}INDEX IF NOT EXISTS {_quote(name)} ON {_quote(table)} "
            f"({', '.join(map(_quote, columns))})")


def _parent_key_indexes(resources: list[dict]) -> list[str]:
    """Unique indexes for referenced columns that are neither a primary key nor unique.

    SQLite needs a parent key to be unique; the data package validates that it is.
    """
    by_name = {r["name"]: r for r in resources}
    statements = []
    for resource in resources:
        for key in resource["schema"].get("foreignKeys", []):
            parent = key["reference"].get("resource") or resource["name"]
            columns = _as_list(key["reference"]["fields"])
            schema = by_name[parent]["schema"]
            unique = {f["name"] for f in schema["fields"] if f.get("constraints", {}).get("unique")}
            if columns == _as_list(schema.get("primaryKey", [])) or (len(columns) == 1 and columns[0] in unique):
                continue
            statement = _index_statement(parent, columns, unique=True)
            if statement not in statements:
                statements.append(statement)
    return statements


def _foreign_key_indexes(resources: list[dict]) -> list[str]:
    """An index on every foreign key's columns, unless they lead the table's primary key
    (SQLite indexes that already): joins from a child table, and Datasette's "links from other
    tables", do not scan the child table."""
    statements = []
    for resource in resources:
        schema = resource["schema"]
        primary = _as_list(schema.get("primaryKey", []))
        for key in schema.get("foreignKeys", []):
            columns = _as_list(key["fields"])
            if primary[:len(columns)] == columns:
                continue
            statement = _index_statement(resource["name"], columns, unique=False)
            if statement not in statements:
                statements.append(statement)
    return statements


def _write_sqlite(package: DataPackage, target: Path) -> None:
    temporary = target.with_name(target.name + ".tmp")
    for leftover in (temporary, Path(f"{temporary}-journal")):
        leftover.unlink(missing_ok=True)
    resources = package.descriptor["resources"]
    connection = sqlite3.connect(temporary, isolation_level=None)
    try:
        connection.execute("PRAGMA foreign_keys = ON")
        connection.execute("PRAGMA journal_mode = DELETE")
        connection.execute("BEGIN")
        for resource in _dependency_order(resources):
            present = set(package[resource["name"]].columns)
            connection.execute(_create_table(resource, present))
        for statement in _parent_key_indexes(resources):
            connection.execute(statement)
        for resource in _dependency_order(resources):
            fields = _fields(package, resource)
            if not fields:
                continue
            for columns in _column_chunks(package, resource):
                for position, spec in enumerate(fields):
                    if spec.get("type") == "boolean":
                        columns[position] = [None if v is None else int(v) for v in columns[position]]
                connection.executemany(
                    f"INSERT INTO {_quote(resource['name'])} ({', '.join(_quote(f['name']) for f in fields)}) "
                    f"VALUES ({', '.join('?' for _ in fields)})",
                    zip(*columns),
                )
        connection.execute("CREATE TABLE _resources (name TEXT PRIMARY KEY, title TEXT, description TEXT, "
                           "path TEXT, rows INTEGER NOT NULL)")
        connection.executemany("INSERT INTO _resources VALUES (?, ?, ?, ?, ?)", [
            (r["name"], r.get("title"), r.get("description"), r.get("path"), len(package[r["name"]]))
            for r in resources
        ])
        connection.execute("CREATE TABLE _sources (title TEXT, path TEXT, sha256 TEXT, as_of TEXT, attribution TEXT)")
        connection.executemany("INSERT INTO _sources VALUES (?, ?, ?, ?, ?)", [
            (s.get("title"), s.get("path"), s.get("sha256"), s.get("as_of"), s.get("attribution"))
            for s in package.descriptor.get("sources", [])
        ])
        for statement in _foreign_key_indexes(resources):
            connection.execute(statement)
        problems = connection.execute("PRAGMA foreign_key_check").fetchall()
        if problems:
            raise ValueError(f"package '{package.name}': foreign key violations in SQLite: {problems[:5]}")
        connection.execute("COMMIT")
        connection.execute("VACUUM")
    finally:
        connection.close()
    os.replace(temporary, target)


def datasette_metadata(package: DataPackage) -> dict:
    """Datasette's metadata for the package's database (https://docs.datasette.io/en/stable/metadata.html):
    title, description, licence and source, and each table's and column's description from the
    descriptor, under the database's name (the file's stem, the package's name)."""
    licence = package.licence
    sources = package.descriptor.get("sources", [])
    tables = {}
    for resource in package.descriptor["resources"]:
        columns = {f["name"]: f.get("description") or f.get("title") or "" for f in _fields(package, resource)}
        tables[resource["name"]] = {key: value for key, value in (
            ("title", resource.get("title")), ("description", resource.get("description")),
            ("columns", {k: v for k, v in columns.items() if v})) if value}
    return {key: value for key, value in (
        ("title", package.title), ("description", package.descriptor.get("description")),
        ("license", licence.get("name")), ("license_url", licence.get("path")),
        ("source", "; ".join(dict.fromkeys(re.sub(r"^Source:\s*", "", s["attribution"])
                                           for s in sources if s.get("attribution"))) or None),
        ("databases", {package.name: {"tables": tables}})) if value}


def _entry(path: Path, docs: Path, kind: str, message: str, rows: int | None = None, **values: str) -> dict:
    """One file of the listing. Its description is a message (translated on each language's
    downloads page) with the package's or resource's title as published; "title" is the
    English description (the API index)."""
    return {
        "kind": kind,
        "title": message % values,
        "message": message,
        "params": values,
        "href": path.relative_to(docs / "downloads").as_posix(),
        "name": path.name,
        "bytes": path.stat().st_size,
        "sha256": _sha256(path),
        "rows": rows,
    }


def write_downloads(packages: list[DataPackage], docs: Path) -> list[dict]:
    """Write every download under docs/downloads and return their listing."""
    return [write_package_downloads(package, docs) for package in packages]


def write_package_downloads(package: DataPackage, docs: Path) -> dict:
    """One package's downloads (zip, xlsx, sqlite, CSV, JSON, raw sources) and their listing.

    Every file read or written is checked with _inside before the first one is written: a
    name from the descriptor that leads out of its folder raises UnsafePath."""
    out = docs / "downloads"
    folder = _inside(out, package.name)
    zip_path = _inside(out, f"{package.name}-datapackage.zip")
    xlsx_path = _inside(out, f"{package.name}.xlsx")
    sqlite_path = _inside(out, f"{package.name}.sqlite")
    metadata_path = _inside(out, f"{package.name}.metadata.json")
    copies = [(path, _inside(folder, relative)) for relative, path in _package_files(package)]
    json_folder = _inside(folder, "json")
    json_paths = {r["name"]: _inside(json_folder, f"{r['name']}.json") for r in package.descriptor["resources"]}
    parquet_folder = _inside(folder, "parquet")
    parquet_paths = {r["name"]: _inside(parquet_folder, f"{r['name']}.parquet") for r in package.descriptor["resources"]}
    folder.mkdir(parents=True, exist_ok=True)
    _write_zip(package, zip_path)
    entries = [_entry(zip_path, docs, "zip", N_("%(title)s (data package: datapackage.json, CSV files, raw sources)"),
                      title=package.title)]
    _write_xlsx(package, xlsx_path)
    entries.append(_entry(xlsx_path, docs, "xlsx", N_("Excel workbook: a README sheet, then one sheet per table")))
    _write_sqlite(package, sqlite_path)
    entries.append(_entry(sqlite_path, docs, "sqlite",
                          N_("SQLite database: one table per resource with primary and foreign keys (opens in Datasette)")))
    metadata_path.write_text(json.dumps(datasette_metadata(package), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    entries.append(_entry(metadata_path, docs, "datasette",
                          N_("Datasette metadata for the SQLite database: title, licence, source, table and column descriptions")))
    for path, target in copies:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    entries.append(_entry(folder / "datapackage.json", docs, "descriptor", N_("Descriptor with Table Schemas")))
    json_folder.mkdir(exist_ok=True)
    parquet_folder.mkdir(exist_ok=True)
    for resource in package.descriptor["resources"]:
        title, rows = resource.get("title", resource["name"]), len(package[resource["name"]])
        entries.append(_entry(_inside(folder, resource["path"]), docs, "csv", "%(title)s", rows=rows, title=title))
        json_path = json_paths[resource["name"]]
        _write_json(package, resource, json_path)
        entries.append(_entry(json_path, docs, "json", N_("%(title)s (JSON)"), rows=rows, title=title))
        parquet_path = parquet_paths[resource["name"]]
        _write_parquet(package, resource, parquet_path)
        entries.append(_entry(parquet_path, docs, "parquet", N_("%(title)s (Parquet)"), rows=rows, title=title))
    for source in package.descriptor.get("sources", []):
        if source.get("path"):
            entries.append(_entry(_inside(folder, source["path"]), docs, "raw", N_("Raw source: %(title)s"),
                                  title=source["title"]))
    return {"package": package.name, "title": package.title, "files": entries}
