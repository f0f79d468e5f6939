"""The generated downloads of the real JI package: JSON, XLSX and SQLite, and reproducibility."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import sqlite3
from pathlib import Path

import openpyxl
import pytest

from build_scripts.downloads import write_downloads
from build_scripts.load import load_package
from build_scripts.paths import REPO_ROOT

JI = REPO_ROOT / "datapackages" / "ji" / "datapackage.json"


@pytest.fixture(scope="module")
def ji():
    return load_package(JI)


@pytest.fixture(scope="module")
def written(ji, tmp_path_factory):
    docs = tmp_path_factory.mktemp("docs")
    listing = write_downloads([ji], docs)
    return docs / "downloads", listing


def _typed(value: str, type_: str):
    """A CSV cell as the value its JSON twin must hold."""
    if value == "":
        return None
    if type_ == "integer":
        return int(value)
    if type_ == "number":
        return float(value)
    if type_ == "boolean":
        return value.lower() in ("true", "1")
    return value  # strings, and dates already in ISO form


def _resources_with_rows(ji):
    resources = [r for r in ji.descriptor["resources"] if len(ji[r["name"]])]
    assert resources
    return resources


def test_listing_orders_zip_xlsx_sqlite_descriptor_then_csv_json_and_parquet(ji, written):
    out, listing = written
    kinds = [f["kind"] for f in listing[0]["files"]]
    assert kinds[:5] == ["zip", "xlsx", "sqlite", "datasette", "descriptor"]
    names = [r["name"] for r in ji.descriptor["resources"]]
    assert kinds[5:5 + 3 * len(names)] == ["csv", "json", "parquet"] * len(names)
    for entry in listing[0]["files"]:
        path = out / entry["href"]
        assert path.stat().st_size == entry["bytes"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"]
    json_entries = [f for f in listing[0]["files"] if f["kind"] == "json"]
    assert [f["href"] for f in json_entries] == [f"ji/json/{name}.json" for name in names]
    assert [f["rows"] for f in json_entries] == [len(ji[name]) for name in names]
    parquet_entries = [f for f in listing[0]["files"] if f["kind"] == "parquet"]
    assert [f["href"] for f in parquet_entries] == [f"ji/parquet/{name}.parquet" for name in names]


def test_json_equals_csv_rows(ji, written):
    out, _ = written
    for resource in ji.descriptor["resources"]:
        fields = resource["schema"]["fields"]
        with (ji.root / resource["path"]).open(encoding="utf-8", newline="") as handle:
            expected = [{f["name"]: _typed(row[f["name"]], f.get("type", "string")) for f in fields}
                        for row in csv.DictReader(handle)]
        text = (out / "ji" / "json" / f"{resource['name']}.json").read_text(encoding="utf-8")
        records = json.loads(text)
        assert records == expected, resource["name"]
        for record in records:
            assert list(record) == [f["name"] for f in fields]  # schema order
    figures = json.loads((out / "ji" / "json" / "reported_figures.json").read_text(encoding="utf-8"))
    types = {f["name"]: f.get("type") for f in ji.fields("reported_figures")}
    numeric = [n for n, t in types.items() if t in ("integer", "number")]
    assert numeric and any(isinstance(r[n], (int, float)) for r in figures for n in numeric)


def test_xlsx_has_readme_and_a_typed_sheet_per_resource(ji, written):
    out, _ = written
    workbook = openpyxl.load_workbook(out / "ji.xlsx")
    resources = ji.descriptor["resources"]
    assert workbook.sheetnames[0] == "README"
    assert len(workbook.sheetnames) == len(resources) + 1
    assert len(set(n.lower() for n in workbook.sheetnames)) == len(workbook.sheetnames)
    assert all(len(name) <= 31 for name in workbook.sheetnames)

    readme = "\n".join(str(v) for row in workbook["README"].iter_rows(values_only=True) for v in row if v is not None)
    assert ji.title in readme and ji.descriptor["as_of"] in readme
    for source in ji.descriptor["sources"]:
        assert source["sha256"] in readme and source["path"] in readme
    for resource in resources:
        assert resource["name"] in readme and resource["description"] in readme

    for resource, sheet_name in zip(resources, workbook.sheetnames[1:]):
        sheet = workbook[sheet_name]
        fields = resource["schema"]["fields"]
        header = [cell.value for cell in sheet[1]]
        assert header == [f["name"] for f in fields]
        assert all(cell.font.b for cell in sheet[1])
        assert sheet.freeze_panes == "A2"
        frame = ji[resource["name"]]
        assert sheet.max_row == len(frame) + 1, resource["name"]
        for position, spec in enumerate(fields, start=1):
            values = [row[0] for row in sheet.iter_rows(min_row=2, min_col=position, max_col=position, values_only=True)]
            present = [v for v in values if v is not None]
            assert len(present) == int(frame[spec["name"]].notna().sum())
            type_ = spec.get("type", "string")
            if type_ == "integer":
                assert all(isinstance(v, int) for v in present)
            elif type_ == "number":
                assert all(isinstance(v, (int, float)) for v in present)
            elif type_ == "date":
                assert all(isinstance(v, (dt.date, dt.datetime)) for v in present)
                expected = [d.date() for d in frame[spec["name"]].dropna()]
                assert [v.date() if isinstance(v, dt.datetime) else v for v in present] == expected
            else:
                assert all(isinstance(v, str) for v in present)
                assert present == frame[spec["name"]].dropna().tolist()


def test_sqlite_tables_keys_and_metadata(ji, written):
    out, _ = written
    connection = sqlite3.connect(out / "ji.sqlite")
    try:
        connection.execute("PRAGMA foreign_keys = ON")
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        names = [r["name"] for r in ji.descriptor["resources"]]
        assert tables == set(names) | {"_resources", "_sources"}
        for resource in ji.descriptor["resources"]:
            name = resource["name"]
            assert connection.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] == len(ji[name])
            columns = connection.execute(f'PRAGMA table_info("{name}")').fetchall()
            assert [c[1] for c in columns] == [f["name"] for f in resource["schema"]["fields"]]
            sql_types = {"integer": "INTEGER", "number": "REAL", "date": "TEXT", "boolean": "INTEGER"}
            assert [c[2] for c in columns] == [sql_types.get(f.get("type"), "TEXT") for f in resource["schema"]["fields"]]
            primary = resource["schema"].get("primaryKey")
            primary = [primary] if isinstance(primary, str) else primary
            assert [c[1] for c in sorted(columns, key=lambda c: c[5]) if c[5]] == primary
            keys = connection.execute(f'PRAGMA foreign_key_list("{name}")').fetchall()
            assert {row[2] for row in keys} == {k["reference"]["resource"] for k in resource["schema"].get("foreignKeys", [])}
        assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert dict(connection.execute("SELECT name, rows FROM _resources")) == {n: len(ji[n]) for n in names}
        assert [r[0] for r in connection.execute("SELECT sha256 FROM _sources")] == [
            s["sha256"] for s in ji.descriptor["sources"]]

        # A date is stored as ISO text; a duplicate primary key and a dangling reference are rejected.
        resource = next(r for r in _resources_with_rows(ji)
                        if any(f.get("type") == "date" for f in r["schema"]["fields"]))
        date_field = next(f["name"] for f in resource["schema"]["fields"] if f.get("type") == "date")
        stored = connection.execute(f'SELECT "{date_field}" FROM "{resource["name"]}" '
                                    f'WHERE "{date_field}" IS NOT NULL LIMIT 1').fetchone()[0]
        assert dt.date.fromisoformat(stored).isoformat() == stored
        row = connection.execute("SELECT * FROM documents LIMIT 1").fetchone()
        with pytest.raises(sqlite3.IntegrityError):
            connection.execute(f"INSERT INTO documents VALUES ({', '.join('?' * len(row))})", row)
        figure = connection.execute("SELECT * FROM reported_figures LIMIT 1").fetchone()
        columns = [c[1] for c in connection.execute('PRAGMA table_info("reported_figures")')]
        dangling = list(figure)
        dangling[columns.index("figure_id")] = "no-such-figure-" + "x" * 8
        dangling[columns.index("source_document")] = "NO/SUCH/DOCUMENT"
        with pytest.raises(sqlite3.IntegrityError):
            connection.execute(f"INSERT INTO reported_figures VALUES ({', '.join('?' * len(dangling))})", dangling)
    finally:
        connection.close()


def _digests(out: Path) -> dict[str, str]:
    return {p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(out.rglob("*")) if p.is_file()}


def test_every_generated_file_is_byte_reproducible(ji, written, tmp_path):
    out, _ = written
    write_downloads([load_package(JI)], tmp_path)
    first, second = _digests(out), _digests(tmp_path / "downloads")
    assert first == second
    generated = [name for name in first if name.endswith((".xlsx", ".sqlite", ".zip")) or "/json/" in name]
    assert {"ji.xlsx", "ji.sqlite", "ji-datapackage.zip"} <= set(generated)
    assert not [name for name in first if name.endswith(".tmp")]
    # Writing again over existing files gives the same bytes too.
    write_downloads([ji], tmp_path)
    assert _digests(tmp_path / "downloads") == first
