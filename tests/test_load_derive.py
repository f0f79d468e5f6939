"""Loading typed tables and the pure derivations behind the pages."""

from __future__ import annotations

import pandas as pd
import pytest

from build_scripts import derive
from build_scripts.load import load_package
from build_scripts.paths import REPO_ROOT

JI = REPO_ROOT / "datapackages" / "ji" / "datapackage.json"


@pytest.fixture(scope="module")
def ji():
    return load_package(JI)


def test_columns_typed_by_schema(ji):
    assert str(ji["finance_lines"]["amount_usd"].dtype) == "Float64"
    assert str(ji["committee_positions"]["seat_id"].dtype) == "Int64"
    assert pd.api.types.is_datetime64_any_dtype(ji["meetings"]["start_date"])
    # a printed dash is a missing amount, not zero
    dash = ji["finance_lines"][ji["finance_lines"]["as_printed"] == "-"]
    assert len(dash) == 5 and dash["amount_usd"].isna().all()


def test_every_resource_loaded_with_its_schema_columns(ji):
    for resource in ji.descriptor["resources"]:
        names = [f["name"] for f in resource["schema"]["fields"]]
        assert list(ji[resource["name"]].columns) == names


def test_committee_table_puts_member_and_alternate_side_by_side(ji):
    table = derive.committee_table(ji["committee_seats"], ji["committee_positions"], ji["people"])
    assert list(table["seat_id"]) == list(range(1, 11))
    seat2 = table[table["seat_id"] == 2].iloc[0]
    assert seat2["member_status"] == "vacant" and pd.isna(seat2["member_name"])
    assert seat2["alternate_name"] == "Carlos Fuller"
    seat7 = table[table["seat_id"] == 7].iloc[0]
    assert seat7["member_name"] == "Konrad Raeschke-Kessler" and seat7["member_note"] == "Chair"


def test_vacancies_and_constituency_counts(ji):
    assert derive.vacancy_count(ji["committee_positions"]) == 3
    counts = derive.seats_per_constituency(ji["committee_seats"])
    assert counts.to_dict() == {"annex-i-eit": 3, "non-annex-i": 3, "annex-i": 3, "sids": 1}


def test_track_matrix_keeps_source_order_and_tracks(ji):
    matrix = derive.track_matrix(ji["reported_figures"])
    assert list(matrix.columns) == ["track-1", "track-2", "all"]
    assert matrix.loc["erus_issued", "track-1"] + matrix.loc["erus_issued", "track-2"] == matrix.loc["erus_issued", "all"]
    assert matrix.index[0] == "projects_published"


def test_finance_lines_chart_amount_treats_dash_as_nil(ji):
    table = derive.finance_lines(ji["finance_lines"], "table-2")
    assert list(table["line_no"]) == [1, 2, 3, 4, 5]
    assert table["is_nil"].tolist() == [False, True, True, True, False]
    assert table["chart_amount"].tolist() == [5285401.0, 0.0, 0.0, 0.0, 5285401.0]
    assert table["citation"].iloc[0] == "FCCC/KP/CMP/2016/5, table 2, line 1"


def test_records_turn_missing_values_into_none(ji):
    rows = derive.records(ji["committee_positions"])
    vacant = [r for r in rows if r["status"] == "vacant"]
    assert len(vacant) == 3 and all(r["person_id"] is None for r in vacant)


def test_first_examples_for_data_dictionary(ji):
    examples = derive.first_examples(ji["meetings"])
    assert examples["start_date"] == "2016-03-17"
    assert derive.first_examples(ji["projects"])["project_id"] is None


def _typed(rows: list[dict]) -> list[list[tuple]]:
    return [[(key, type(value).__name__, value) for key, value in row.items()] for row in rows]


@pytest.mark.parametrize("package", ["ji", "cdm"])
def test_row_source_slices_equal_records_values_and_types(package):
    """Record pages are made from RowSource slices; they must be exactly derive.records,
    missing values as None and the same Python types (int, bool, str, Timestamp)."""
    loaded = load_package(REPO_ROOT / "datapackages" / package / "datapackage.json")
    for name, frame in loaded.tables.items():
        source = derive.RowSource(frame)
        assert _typed(source.rows(0, len(frame))) == _typed(derive.records(frame)), name
        middle = len(frame) // 2
        assert _typed(source.rows(middle, middle + 3)) == _typed(derive.records(frame.iloc[middle:middle + 3])), name
    frame = pd.DataFrame({"n": pd.array([1, None], dtype="Int64"), "x": [1.5, float("nan")],
                          "d": pd.to_datetime(["2020-01-02", None]), "b": pd.array([True, None], dtype="boolean"),
                          "s": pd.array(["a", None], dtype="string"), "l": [["a"], []]})
    assert _typed(derive.RowSource(frame).rows(0, 2)) == _typed(derive.records(frame))
    assert derive.RowSource(frame).rows(1, 2) == [{"n": None, "x": None, "d": None, "b": None, "s": None, "l": []}]
