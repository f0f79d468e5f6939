"""Validation: every check passes on the real data and catches a broken copy, with a location."""

from __future__ import annotations

from pathlib import Path

import pytest

from build_scripts.validate import validate_package
from build_scripts.validate.checks import REGISTRY
from tests.helpers import edit_cell, edit_descriptor, write_rows

ROOT_REL = "datapackages/ji/data/"


def validate(package_dir: Path):
    return validate_package(package_dir / "datapackage.json", package_dir.parent.parent)


def test_real_packages_are_valid_and_every_check_runs_on_one_of_them(ji_copy):
    from build_scripts.paths import REPO_ROOT

    ji = validate(ji_copy)
    cdm = validate_package(REPO_ROOT / "datapackages" / "cdm" / "datapackage.json", REPO_ROOT)
    assert ji.errors == [] and cdm.errors == []
    assert set(ji.checks_run) | set(cdm.checks_run) == {c.slug for c in REGISTRY}


def test_real_package_findings_are_the_acknowledged_source_discrepancies(ji_copy):
    report = validate(ji_copy)
    assert sorted(p.rule for p in report.findings) == ["committee-elections", "finance-carry-over-adjustment"]
    carry = next(p for p in report.findings if p.rule == "finance-carry-over-adjustment")
    assert "5,427,533.68" in carry.message and "5,285,401.00" in carry.message
    assert carry.sources  # both figures cited


def test_check_slugs_are_unique_and_documented():
    slugs = [c.slug for c in REGISTRY]
    assert len(slugs) == len(set(slugs))
    assert all(c.title and len(c.description) > 40 for c in REGISTRY)


def _break(ji: Path, file: str, match: dict, field: str, value: str) -> int:
    return edit_cell(ji / "data" / file, match, field, value)


# (description, edit -> returns expected row, expected rule, file, field)
CASES = [
    ("track total", lambda ji: _break(ji, "reported_figures.csv", {"figure_id": "all-erus-issued"}, "value", "871893628"),
     "track-totals", "reported_figures.csv", "value"),
    ("accreditation", lambda ji: _break(ji, "reported_figures.csv", {"figure_id": "ies-ever-accredited"}, "value", "15"),
     "accreditation-counts", "reported_figures.csv", "value"),
    ("verifications", lambda ji: _break(ji, "reported_figures.csv", {"figure_id": "track-2-verifications-published"}, "value", "130"),
     "verification-counts", "reported_figures.csv", "value"),
    ("correction", lambda ji: _break(ji, "corrections.csv", {"correction_id": "verifications-final-in-2015-report"}, "corrected_value", "127"),
     "corrections-applied", "corrections.csv", "corrected_value"),
    ("finance balance", lambda ji: _break(ji, "finance_lines.csv", {"table_id": "table-3", "line_no": "3"}, "amount_usd", "226188"),
     "finance-table-arithmetic", "finance_lines.csv", "amount_usd"),
    ("finance total", lambda ji: _break(ji, "finance_lines.csv", {"table_id": "table-2", "line_no": "5"}, "amount_usd", "5285400"),
     "finance-table-arithmetic", "finance_lines.csv", "amount_usd"),
    ("approximate", lambda ji: _break(ji, "reported_figures.csv", {"figure_id": "balance-end-of-period-approx"}, "value", "4800000"),
     "approximate-figures", "reported_figures.csv", "value"),
    ("meeting after as-of", lambda ji: _break(ji, "meetings.csv", {"meeting_id": "JISC-39"}, "end_date", "2016-09-22"),
     "dates-not-after-as-of", "meetings.csv", "end_date"),
    ("meeting reversed", lambda ji: _break(ji, "meetings.csv", {"meeting_id": "JISC-38"}, "start_date", "2016-03-19"),
     "date-ranges-ordered", "meetings.csv", "end_date"),
    ("vacant with person", lambda ji: _break(ji, "committee_positions.csv", {"seat_id": "8", "role": "alternate"}, "person_id", "carola-borja"),
     "committee-seat-positions", "committee_positions.csv", "person_id"),
    ("two positions", lambda ji: _break(ji, "committee_positions.csv", {"seat_id": "10", "role": "alternate"}, "person_id", "izabela-zborowska"),
     "committee-one-position-per-person", "committee_positions.csv", "person_id"),
    ("resigned still serving", lambda ji: (_break(ji, "committee_positions.csv", {"seat_id": "6", "role": "alternate"}, "status", "serving"),
                                           _break(ji, "committee_positions.csv", {"seat_id": "6", "role": "alternate"}, "person_id", "chebet-maikut"))[0] and 3,
     "committee-resignations", "committee_events.csv", "person_id"),
    ("officer without seat", lambda ji: _break(ji, "officers.csv", {"officer_id": "jisc-vice-chair-2016"}, "person_id", "carola-borja"),
     "committee-officers-hold-seats", "officers.csv", "person_id"),
    ("elections", lambda ji: _break(ji, "elections.csv", {"election_id": "cmp-12-non-annex-i"}, "members", "2"),
     "committee-elections", "elections.csv", "members"),
    ("constituency seats", lambda ji: _break(ji, "constituencies.csv", {"constituency": "sids"}, "seats", "2"),
     "committee-constituency-seats", "constituencies.csv", "seats"),
]


@pytest.mark.parametrize("edit, rule, file, field", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_check_catches_broken_copy_with_location(ji_copy, edit, rule, file, field):
    row = edit(ji_copy)
    report = validate(ji_copy)
    matching = [p for p in report.errors if p.rule == rule]
    assert matching, f"expected a {rule} error, got {[p.format() for p in report.problems]}"
    problem = matching[0]
    assert problem.path == ROOT_REL + file
    assert problem.row == row
    assert problem.field == field
    assert problem.hint
    assert file in problem.format() and f"row {row}" in problem.format()


def test_unacknowledged_source_discrepancy_is_an_error(ji_copy):
    edit_descriptor(ji_copy, lambda d: d.pop("source_discrepancies"))
    report = validate(ji_copy)
    rules = sorted(p.rule for p in report.errors)
    assert rules == ["committee-elections", "finance-carry-over-adjustment"]
    assert all("source_discrepancies" in p.hint for p in report.errors)


def test_acknowledging_a_discrepancy_turns_it_into_a_finding(ji_copy):
    _break(ji_copy, "reported_figures.csv", {"figure_id": "all-erus-issued"}, "value", "871893628")
    edit_descriptor(ji_copy, lambda d: d["source_discrepancies"].append(
        {"check": "track-totals", "subject": "erus_issued", "note": "test"}))
    report = validate(ji_copy)
    assert report.errors == []
    assert "track-totals" in {p.rule for p in report.findings}


def test_raw_file_altered(ji_copy):
    raw = ji_copy / "raw" / "FCCC-KP-CMP-2016-5.zh.txt"
    raw.write_bytes(raw.read_bytes() + b"\n")
    report = validate(ji_copy)
    problems = [p for p in report.errors if p.rule == "raw-file-checksum"]
    assert len(problems) == 2  # documents.csv and the package's sources both disagree
    assert problems[0].path == ROOT_REL + "documents.csv" and problems[0].row == 2 and problems[0].field == "sha256"


def _synthetic_issuances(ji: Path, blocks: list[tuple[int, int, int]]) -> None:
    """SYNTHETIC test records (not data): one project and some ERU blocks."""
    project_header = (ji / "data" / "projects.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
    project = dict.fromkeys(project_header, "")
    project.update({"project_id": "TEST-1", "mechanism": "JI", "track": "track-2", "title": "Synthetic test project",
                    "host_party": "UA", "source_document": "FCCC/KP/CMP/2016/5", "source_location": "synthetic test row"})
    write_rows(ji / "data" / "projects.csv", [project], project_header)
    header = (ji / "data" / "issuances.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
    rows = []
    for number, (start, end, quantity) in enumerate(blocks, 1):
        rows.append({"issuance_id": f"T{number}", "project_id": "TEST-1", "originating_party": "UA", "unit_type": "ERU",
                     "commitment_period": "1", "serial_start": str(start), "serial_end": str(end),
                     "quantity": str(quantity), "issuance_date": "2012-01-01", "monitoring_period_start": "",
                     "monitoring_period_end": "", "entity_id": "", "source_document": "FCCC/KP/CMP/2016/5",
                     "source_location": "synthetic test row"})
    write_rows(ji / "data" / "issuances.csv", rows, header)


def test_serial_blocks_valid_when_disjoint(ji_copy):
    _synthetic_issuances(ji_copy, [(1, 100, 100), (101, 150, 50), (500, 500, 1)])
    assert validate(ji_copy).errors == []


def test_serial_block_overlap_located(ji_copy):
    _synthetic_issuances(ji_copy, [(1, 100, 100), (200, 300, 101), (50, 60, 11)])
    problems = [p for p in validate(ji_copy).errors if p.rule == "serial-block-overlap"]
    assert [(p.row, p.field) for p in problems] == [(4, "serial_start")]
    assert "reaches 100" in problems[0].message


def test_serial_block_overlap_found_behind_a_long_block(ji_copy):
    # the third block overlaps the first (long) block, not its immediate predecessor
    _synthetic_issuances(ji_copy, [(1, 1000, 1000), (10, 20, 11), (500, 600, 101)])
    problems = [p for p in validate(ji_copy).errors if p.rule == "serial-block-overlap"]
    assert sorted(p.row for p in problems) == [3, 4]


def test_serial_block_quantity_mismatch(ji_copy):
    _synthetic_issuances(ji_copy, [(1, 100, 99)])
    problems = [p for p in validate(ji_copy).errors if p.rule == "serial-block-length"]
    assert [(p.row, p.field, p.value) for p in problems] == [(2, "quantity", 99)]


# Schema errors come from the stock frictionless validation, located the same way.

def test_type_error_located(ji_copy):
    row = _break(ji_copy, "meetings.csv", {"meeting_id": "JISC-38"}, "start_date", "17/03/2016")
    report = validate(ji_copy)
    (problem,) = report.errors
    assert (problem.rule, problem.path, problem.row, problem.field, problem.value) == (
        "type-error", ROOT_REL + "meetings.csv", row, "start_date", "17/03/2016")
    assert "YYYY-MM-DD" in problem.hint


def test_foreign_key_error_located(ji_copy):
    row = _break(ji_copy, "committee_positions.csv", {"seat_id": "1", "role": "member"}, "person_id", "veneta-borikov")
    report = validate(ji_copy)
    problems = [p for p in report.errors if p.rule == "foreign-key"]
    assert [(p.path, p.row, p.field) for p in problems] == [(ROOT_REL + "committee_positions.csv", row, "person_id")]


def test_constraint_error_located(ji_copy):
    row = _break(ji_copy, "committee_positions.csv", {"seat_id": "1", "role": "member"}, "status", "retired")
    problems = validate(ji_copy).errors
    assert [(p.rule, p.row, p.field, p.value) for p in problems] == [("constraint-error", row, "status", "retired")]


def test_broken_descriptor_json(ji_copy):
    (ji_copy / "datapackage.json").write_text("{ not json", encoding="utf-8")
    (problem,) = validate(ji_copy).errors
    assert problem.rule == "package-error" and problem.path.endswith("datapackage.json")


def test_domain_checks_do_not_run_on_schema_invalid_package(ji_copy):
    _break(ji_copy, "finance_lines.csv", {"table_id": "table-3", "line_no": "3"}, "amount_usd", "lots")
    report = validate(ji_copy)
    assert report.checks_run == [] and {p.rule for p in report.errors} == {"type-error"}


def test_stock_frictionless_cli_validates_the_committed_package():
    import subprocess
    import sys

    from build_scripts.paths import REPO_ROOT

    frictionless = Path(sys.executable).parent / "frictionless"
    result = subprocess.run([str(frictionless), "validate", "datapackages/ji/datapackage.json"],
                            cwd=REPO_ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-2000:]
    assert "VALID" in result.stdout
