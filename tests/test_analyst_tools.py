"""The downloads as an analyst opens them, with the stock tools: every format of every table of
the committed packages (CSV, JSON, SQLite, Parquet) holds the same values with the types the
Table Schema gives them; DuckDB reads the Parquet files; Datasette serves the SQLite database
with its metadata; the SQLite database indexes every foreign key.

The CSV files are read here with Python's csv module and converted by the Table Schema alone,
the Parquet files with DuckDB, the SQLite database with sqlite3: none of them through the
code that wrote them."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import json
import sqlite3
from pathlib import Path

import duckdb
import pytest

from build_scripts import downloads
from build_scripts.load import load_package

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ["ji", "cdm"]


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> dict[str, tuple[dict, Path]]:
    """Each committed package's downloads, written as the build writes them."""
    docs = tmp_path_factory.mktemp("docs")
    out = {}
    for name in PACKAGES:
        package = load_package(ROOT / "datapackages" / name / "datapackage.json")
        downloads.write_package_downloads(package, docs)
        out[name] = (package.descriptor, docs / "downloads")
    return out


def _typed(value: str, spec: dict):
    """A CSV cell as the Table Schema types it (missing: None); dates as ISO text."""
    if value == "":
        return None
    kind = spec.get("type", "string")
    if kind == "integer":
        return int(value)
    if kind == "number":
        return float(value)
    if kind == "boolean":
        if value in spec.get("trueValues", ["true", "True", "TRUE", "1"]):
            return True
        assert value in spec.get("falseValues", ["false", "False", "FALSE", "0"]), value
        return False
    return value


def _csv_rows(descriptor: dict, folder: Path, resource: dict) -> list[tuple]:
    fields = resource["schema"]["fields"]
    with (folder / descriptor["name"] / resource["path"]).open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == [f["name"] for f in fields]
        return [tuple(_typed(row[f["name"]], f) for f in fields) for row in reader]


def _iso(value):
    return value.isoformat() if isinstance(value, dt.date) else value


def _resources(written):
    return [(name, resource) for name, (descriptor, _) in written.items() for resource in descriptor["resources"]]


@pytest.mark.parametrize("package", PACKAGES)
def test_csv_json_sqlite_and_parquet_hold_the_same_values_and_types(written, package):
    descriptor, folder = written[package]
    database = sqlite3.connect(folder / f"{package}.sqlite")
    for resource in descriptor["resources"]:
        fields = resource["schema"]["fields"]
        names = [f["name"] for f in fields]
        expected = _csv_rows(descriptor, folder, resource)
        where = f"{package}/{resource['name']}"

        records = json.loads((folder / package / "json" / f"{resource['name']}.json").read_text(encoding="utf-8"))
        assert [tuple(r[n] for n in names) for r in records] == expected, f"{where}: JSON differs from the CSV"

        quoted = ", ".join(f'"{n}"' for n in names)
        rows = database.execute(f'SELECT {quoted} FROM "{resource["name"]}" ORDER BY rowid').fetchall()
        booleans = [i for i, f in enumerate(fields) if f.get("type") == "boolean"]
        rows = [tuple(bool(v) if i in booleans and v is not None else v for i, v in enumerate(row)) for row in rows]
        assert rows == expected, f"{where}: SQLite differs from the CSV"
        for spec in fields:  # declared and stored types as the schema's
            stored = {t for (t,) in database.execute(f'SELECT DISTINCT typeof("{spec["name"]}") FROM "{resource["name"]}"')}
            allowed = {"integer": {"integer"}, "number": {"real", "integer"}, "boolean": {"integer"}}.get(
                spec.get("type", "string"), {"text"})
            assert stored - {"null"} <= allowed, f"{where}.{spec['name']}: SQLite stores {stored}"

        parquet = folder / package / "parquet" / f"{resource['name']}.parquet"
        relation = duckdb.sql(f"SELECT * FROM read_parquet('{parquet}')")
        assert relation.columns == names, where
        types = {"integer": "BIGINT", "number": "DOUBLE", "boolean": "BOOLEAN", "date": "DATE"}
        assert [str(t) for t in relation.types] == [types.get(f.get("type", "string"), "VARCHAR") for f in fields], where
        assert [tuple(_iso(v) for v in row) for row in relation.fetchall()] == expected, f"{where}: Parquet differs"
    database.close()


def test_parquet_files_carry_their_table_schema(written):
    """Each Parquet file names its fields' types, titles and descriptions (key-value metadata
    "table_schema", as DuckDB's parquet_kv_metadata and pyarrow's read_metadata show it), and
    marks none of its columns as guessed."""
    descriptor, folder = written["cdm"]
    resource = next(r for r in descriptor["resources"] if r["name"] == "projects")
    path = folder / "cdm" / "parquet" / "projects.parquet"
    pairs = dict(duckdb.sql(f"SELECT decode(key), decode(value) FROM parquet_kv_metadata('{path}')").fetchall())
    fields = json.loads(pairs["table_schema"])["fields"]
    assert [(f["name"], f["type"], f.get("description")) for f in fields] == \
        [(f["name"], f.get("type", "string"), f.get("description")) for f in resource["schema"]["fields"]]


def test_duckdb_joins_the_parquet_files_on_their_keys(written):
    """An analyst's first query: units issued by host party, from the Parquet files alone,
    equal to the same sum over the CSV read by the Table Schema."""
    descriptor, folder = written["cdm"]
    parquet = folder / "cdm" / "parquet"
    by_duckdb = dict(duckdb.sql(
        f"SELECT p.host_party, sum(i.quantity) FROM read_parquet('{parquet / 'issuances.parquet'}') i "
        f"JOIN read_parquet('{parquet / 'projects.parquet'}') p USING (project_id) GROUP BY 1").fetchall())
    resources = {r["name"]: r for r in descriptor["resources"]}
    projects = {row[0]: row for row in _csv_rows(descriptor, folder, resources["projects"])}
    names = [f["name"] for f in resources["issuances"]["schema"]["fields"]]
    host = [f["name"] for f in resources["projects"]["schema"]["fields"]].index("host_party")
    expected: dict[str, int] = {}
    for row in _csv_rows(descriptor, folder, resources["issuances"]):
        record = dict(zip(names, row))
        party = projects[record["project_id"]][host]  # a foreign key: every issuance's project is listed
        expected[party] = expected.get(party, 0) + record["quantity"]
    assert by_duckdb == expected and len(expected) > 50


@pytest.mark.parametrize("package", PACKAGES)
def test_sqlite_indexes_every_foreign_key(written, package):
    descriptor, folder = written[package]
    database = sqlite3.connect(folder / f"{package}.sqlite")
    for resource in descriptor["resources"]:
        table = resource["name"]
        leading = set()
        for _, index, *_ in database.execute(f'PRAGMA index_list("{table}")'):
            columns = [row[2] for row in database.execute(f'PRAGMA index_info("{index}")')]
            leading |= {tuple(columns[:n]) for n in range(1, len(columns) + 1)}
        declared = {(row[3], row[2]) for row in database.execute(f'PRAGMA foreign_key_list("{table}")')}
        for key in resource["schema"].get("foreignKeys", []):
            columns = tuple([key["fields"]] if isinstance(key["fields"], str) else key["fields"])
            assert columns in leading, f"{package}.sqlite: no index on {table}({', '.join(columns)})"
            assert (columns[0], key["reference"]["resource"]) in declared, f"{table}: foreign key not declared"
    database.close()


def test_datasette_serves_the_database_with_its_metadata(written):
    """Datasette, as `datasette cdm.sqlite -m cdm.metadata.json` runs it: the licence, the
    source and the column descriptions on the table's page, the rows in its JSON."""
    from datasette.app import Datasette

    descriptor, folder = written["cdm"]
    metadata = json.loads((folder / "cdm.metadata.json").read_text(encoding="utf-8"))
    resource = next(r for r in descriptor["resources"] if r["name"] == "projects")

    async def visit():
        app = Datasette([str(folder / "cdm.sqlite")], metadata=metadata)
        await app.invoke_startup()
        page = await app.client.get("/cdm/projects")
        rows = await app.client.get("/cdm/projects.json?_shape=array&_size=3")
        return page, rows

    # In a thread of its own: a worker that ran a Playwright test has an event loop running.
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        page, rows = pool.submit(asyncio.run, visit()).result()
    assert page.status_code == 200 and rows.status_code == 200
    from bs4 import BeautifulSoup

    doc = BeautifulSoup(page.text, "html.parser")
    licence = doc.find("a", href=descriptor["licenses"][0]["path"])
    assert licence is not None and licence.get_text(strip=True) == descriptor["licenses"][0]["name"]
    assert "UNFCCC, CDM Registry public reports" in doc.get_text()
    described = {dt_.get_text(strip=True): dd.get_text(strip=True)
                 for dt_, dd in zip(doc.select("dl.column-descriptions dt"), doc.select("dl.column-descriptions dd"))}
    for spec in resource["schema"]["fields"]:
        assert described[spec["name"]] == spec["description"]
    assert len(rows.json()) == 3 and all(isinstance(r["project_id"], str) for r in rows.json())
