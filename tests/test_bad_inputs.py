"""The bad-input corpus: broken copies of the real JI package, each reported with its exact rule and location.

Every case copies the JI package (tests.conftest.copy_repository), breaks it with one small
mutation and asserts that build_scripts.validate.validate_package reports the expected rule
at the expected file (repository-relative), row and field. A case's stage says which step
catches it:

  limits  build_scripts.validate.limits.check_limits, which runs before frictionless and
          stops validation (these cases are also run against check_limits directly);
  schema  the stock frictionless validation;
  domain  the domain checks (build_scripts.validate.checks).

Hostile inputs cost no time to make: the 300 MB file is sparse (seek + write), the 1,000-deep
descriptor is a few kilobytes. Cases marked `hazardous` would make frictionless hang (a FIFO,
a 300 MB file of NUL bytes) or take seconds and hundreds of megabytes (a 50 MB line); they run
through validate_package only once check_limits is wired into it.
"""

from __future__ import annotations

import csv
import functools
import gzip
import hashlib
import json
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest

from build_scripts.errors import ValidationFailed
from build_scripts.paths import REPO_ROOT, Layout
from build_scripts.site import build_site
from build_scripts.validate import validate_package
from build_scripts.validate.limits import MAX_PROBLEMS_PER_FILE, Limits, check_limits
from tests.conftest import copy_repository
from tests.helpers import edit_cell, edit_descriptor, read_rows, write_rows

JI = "datapackages/ji/"
DATA = JI + "data/"
DESCRIPTOR = JI + "datapackage.json"

LIMIT_RULES = {
    "descriptor-too-large", "descriptor-too-deep", "package-error", "too-many-resources", "invalid-path",
    "remote-path", "path-outside-package", "missing-file", "file-too-large", "package-too-large", "empty-file",
    "binary-file", "not-utf8", "line-too-long", "too-many-columns", "too-many-rows", "cell-too-large",
    "unclosed-quote", "stray-quote", "malformed-csv", "invalid-name", "unsafe-path-characters",
}


# --- mutations: small, declarative edits of a package copy ---------------------------


def _data(ji: Path, file: str) -> Path:
    return ji / "data" / file


def lines(file: str, change: Callable[[list[bytes]], None]):
    """Edit the raw lines (bytes, without line breaks) of a data file."""

    def mutate(ji: Path) -> None:
        path = _data(ji, file)
        content = path.read_bytes().split(b"\n")
        change(content)
        path.write_bytes(b"\n".join(content))

    return mutate


def line(file: str, number: int, change: Callable[[bytes], bytes]):
    """Edit line `number` (1-based, header = 1) of a data file."""

    def edit(content: list[bytes]) -> None:
        content[number - 1] = change(content[number - 1])

    return lines(file, edit)


def cell(file: str, match: dict[str, str], field: str, value: str):
    return lambda ji: edit_cell(_data(ji, file), match, field, value)


def content(file: str, make: Callable[[bytes], bytes]):
    """Replace a data file's bytes by make(old bytes)."""

    def mutate(ji: Path) -> None:
        path = _data(ji, file)
        path.write_bytes(make(path.read_bytes()))

    return mutate


def descriptor(change: Callable[[dict], None]):
    return lambda ji: edit_descriptor(ji, change)


def descriptor_text(change: Callable[[str], str]):
    def mutate(ji: Path) -> None:
        path = ji / "datapackage.json"
        path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8")

    return mutate


def resource_path(name: str, value: str):
    def change(package: dict) -> None:
        next(r for r in package["resources"] if r["name"] == name)["path"] = value

    return descriptor(change)


def resource_name(position: int, value):
    def change(package: dict) -> None:
        package["resources"][position]["name"] = value

    return descriptor(change)


def package_name(value):
    return descriptor(lambda package: package.update(name=value))


def source_path(value):
    """A second source whose copy in the package is `value` (the JI package has one source)."""
    return descriptor(lambda package: package["sources"].append({"title": "Hostile source", "path": value}))


def renamed_file(name: str, new: str):
    """Rename the file of resource `name` to `new` (relative to the package) and point the resource at it."""

    def mutate(ji: Path) -> None:
        resource = next(r for r in json.loads((ji / "datapackage.json").read_text())["resources"] if r["name"] == name)
        (ji / resource["path"]).rename(ji / new)
        resource_path(name, new)(ji)

    return mutate


def raw_symlink_outside(ji: Path) -> None:
    """Replace the JI package's raw source file by a symbolic link to a file outside the package folder."""
    raw = ji / "raw" / "FCCC-KP-CMP-2016-5.zh.txt"
    outside = ji.parent.parent / "outside.txt"
    outside.write_bytes(raw.read_bytes())
    raw.chmod(0o644)
    raw.unlink()
    raw.symlink_to(outside)


def sparse_file(file: str, size: int):
    """Grow a data file to `size` bytes without writing them: a hole, then one line break."""

    def mutate(ji: Path) -> None:
        with _data(ji, file).open("r+b") as handle:
            handle.seek(size - 1)
            handle.write(b"\n")

    return mutate


def long_line(file: str, size: int):
    """The header, then one line of `size` characters and no line break."""

    def mutate(ji: Path) -> None:
        path = _data(ji, file)
        header = path.read_bytes().split(b"\n")[0]
        with path.open("wb") as handle:
            handle.write(header + b"\n")
            block = b"x" * (1 << 20)
            for _ in range(size // len(block)):
                handle.write(block)
            handle.write(b"x" * (size % len(block)))

    return mutate


def symlink_outside(file: str):
    """Replace a data file by a symbolic link to a copy outside the package folder."""

    def mutate(ji: Path) -> None:
        path = _data(ji, file)
        outside = ji.parent.parent / "outside.csv"
        outside.write_bytes(path.read_bytes())
        path.unlink()
        path.symlink_to(outside)

    return mutate


def fifo(file: str):
    def mutate(ji: Path) -> None:
        path = _data(ji, file)
        path.unlink()
        os.mkfifo(path)

    return mutate


def unlink(file: str):
    return lambda ji: _data(ji, file).unlink()


def cp1252(file: str, text: str):
    """Write `text` in Windows-1252 wherever it occurs, as a spreadsheet on Windows would."""
    return content(file, lambda data: data.replace(text.encode("utf-8"), text.encode("cp1252")))


def raw_file_altered(ji: Path) -> None:
    raw = ji / "raw" / "FCCC-KP-CMP-2016-5.zh.txt"
    raw.chmod(0o644)  # the raw copies are read-only
    raw.write_bytes(raw.read_bytes() + b"\n")


def synthetic_issuances(blocks: list[tuple[int, int, int]]):
    """SYNTHETIC test records, not data: one made-up project and ERU blocks in the JI package's
    (empty) issuances resource."""

    def mutate(ji: Path) -> None:
        projects = _data(ji, "projects.csv")
        header = projects.read_text(encoding="utf-8").splitlines()[0].split(",")
        project = dict.fromkeys(header, "")
        project.update({"project_id": "TEST-1", "mechanism": "JI", "track": "track-2",
                        "title": "Synthetic test project", "host_party": "UA", "source_document": "FCCC/KP/CMP/2016/5",
                        "source_location": "synthetic test row"})
        write_rows(projects, [project], header)
        issuances = _data(ji, "issuances.csv")
        header = issuances.read_text(encoding="utf-8").splitlines()[0].split(",")
        rows = []
        for number, (start, end, quantity) in enumerate(blocks, 1):
            row = dict.fromkeys(header, "")
            row.update({"issuance_id": f"T{number}", "project_id": "TEST-1", "originating_party": "UA",
                        "unit_type": "ERU", "commitment_period": "1", "serial_start": str(start),
                        "serial_end": str(end), "quantity": str(quantity), "issuance_date": "2012-01-01",
                        "source_document": "FCCC/KP/CMP/2016/5", "source_location": "synthetic test row"})
            rows.append(row)
        write_rows(issuances, rows, header)

    return mutate


def duplicate_line(file: str, number: int):
    return lines(file, lambda content: content.insert(len(content) - 1, content[number - 1]))


def nest(depth: int):
    """A descriptor with a key nested `depth` arrays deep, on line 2."""
    return descriptor_text(lambda text: '{\n  "deep": ' + "[" * depth + "]" * depth + "," + text[1:])


def extra_resources(count: int):
    def change(package: dict) -> None:
        package["resources"] += [{"name": f"extra-{i}", "path": "data/meetings.csv"} for i in range(count)]

    return descriptor(change)


# --- the corpus -----------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    id: str
    mutate: Callable[[Path], object]
    rule: str
    path: str  # repository-relative
    row: int | None
    field: str | None
    stage: str  # "limits", "schema" or "domain"
    hazardous: bool = False  # only through validate_package once check_limits is wired in

    def __str__(self) -> str:
        return self.id


CASES = [
    # malformed CSV
    Case("unbalanced-quote", line("meetings.csv", 2, lambda b: b.replace(b"JISC-38,JISC,", b'JISC-38,"JISC,')),
         "unclosed-quote", DATA + "meetings.csv", 2, "body", "limits"),
    Case("text-after-closing-quote",
         line("meetings.csv", 2, lambda b: b.replace(b"JISC-38,JISC,", b'JISC-38,"JISC"x,')),
         "stray-quote", DATA + "meetings.csv", 2, "body", "limits"),
    Case("extra-cell", line("meetings.csv", 3, lambda b: b + b",extra"),
         "extra-cell", DATA + "meetings.csv", 3, None, "schema"),
    Case("missing-cell", line("meetings.csv", 3, lambda b: b.rsplit(b",", 1)[0]),
         "missing-cell", DATA + "meetings.csv", 3, "source_location", "schema"),
    Case("blank-row", lines("meetings.csv", lambda content: content.insert(2, b"")),
         "blank-row", DATA + "meetings.csv", 3, None, "schema"),
    Case("header-mismatch", line("meetings.csv", 1, lambda b: b.replace(b"start_date", b"starts")),
         "incorrect-label", DATA + "meetings.csv", None, "start_date", "schema"),
    # files and bytes
    Case("cp1252-bytes", cp1252("people.csv", "Benoît"), "not-utf8", DATA + "people.csv", 3, "name", "limits"),
    Case("missing-file", unlink("meetings.csv"), "missing-file", DATA + "meetings.csv", None, None, "limits"),
    Case("empty-file", content("meetings.csv", lambda _: b""),
         "empty-file", DATA + "meetings.csv", None, None, "limits"),
    Case("binary-file-named-csv", content("meetings.csv", gzip.compress),
         "binary-file", DATA + "meetings.csv", 1, None, "limits"),
    Case("huge-cell-200000-chars",
         line("meetings.csv", 3, lambda b: b.replace(b",Bonn,", b"," + b"B" * 200_000 + b",")),
         "cell-too-large", DATA + "meetings.csv", 3, "city", "limits"),
    Case("too-many-columns", line("meetings.csv", 1, lambda b: b + b"".join(b",extra_%d" % i for i in range(300))),
         "too-many-columns", DATA + "meetings.csv", 1, None, "limits"),
    Case("sparse-300-mb-file", sparse_file("meetings.csv", 300_000_000),
         "file-too-large", DATA + "meetings.csv", None, None, "limits", hazardous=True),
    Case("single-50-mb-line", long_line("meetings.csv", 50_000_000),
         "line-too-long", DATA + "meetings.csv", 2, None, "limits", hazardous=True),
    Case("fifo-instead-of-file", fifo("meetings.csv"), "missing-file", DATA + "meetings.csv", None, None, "limits",
         hazardous=True),
    # the descriptor
    Case("broken-descriptor-json",  # the comma after line 2 removed: JSON expects it on line 3
         descriptor_text(lambda t: t.replace('"tabular-data-package",', '"tabular-data-package"', 1)),
         "package-error", DESCRIPTOR, 3, None, "limits"),
    Case("descriptor-nested-1000-deep", nest(1000), "descriptor-too-deep", DESCRIPTOR, 2, None, "limits"),
    Case("descriptor-2-mb", descriptor(lambda d: d.update(description="x" * 2_000_000)),
         "descriptor-too-large", DESCRIPTOR, None, None, "limits"),
    Case("221-resources", extra_resources(200), "too-many-resources", DESCRIPTOR, None, None, "limits"),
    Case("path-escapes-package", resource_path("meetings", "../../etc/passwd"),
         "path-outside-package", DESCRIPTOR, None, "path", "limits"),
    Case("absolute-path", resource_path("meetings", "/etc/passwd"),
         "path-outside-package", DESCRIPTOR, None, "path", "limits"),
    Case("symlink-out-of-package", symlink_outside("meetings.csv"),
         "path-outside-package", DESCRIPTOR, None, "path", "limits"),
    # a URL that fails at once if anything ever fetched it (the discard port of this machine)
    Case("url-path", resource_path("meetings", "http://127.0.0.1:9/meetings.csv"),
         "remote-path", DESCRIPTOR, None, "path", "limits"),
    # names and paths that would land outside the build folder or raw in HTML
    Case("source-path-escapes-package", source_path("../../../../etc/passwd"),
         "path-outside-package", DESCRIPTOR, None, "sources[1].path", "limits"),
    Case("source-symlink-out-of-package", raw_symlink_outside,
         "path-outside-package", DESCRIPTOR, None, "sources[0].path", "limits"),
    Case("source-url", source_path("http://127.0.0.1:9/report.xlsx"),
         "remote-path", DESCRIPTOR, None, "sources[1].path", "limits"),
    Case("resource-name-escapes", resource_name(0, "../../../escaped"),
         "invalid-name", DESCRIPTOR, None, "resources[0].name", "limits"),
    Case("package-name-escapes", package_name("../../x"), "invalid-name", DESCRIPTOR, None, "name", "limits"),
    Case("html-in-resource-path", renamed_file("recommendations", 'data/r"><img src=x onerror="window.__pwned=1">.csv'),
         "unsafe-path-characters", DESCRIPTOR, None, "path", "limits"),
    # types and constraints (frictionless)
    Case("date-type", cell("meetings.csv", {"meeting_id": "JISC-38"}, "start_date", "17/03/2016"),
         "type-error", DATA + "meetings.csv", 2, "start_date", "schema"),
    Case("integer-type", cell("meetings.csv", {"meeting_id": "JISC-38"}, "number", "thirty-eight"),
         "type-error", DATA + "meetings.csv", 2, "number", "schema"),
    Case("number-type", cell("finance_lines.csv", {"table_id": "table-2", "line_no": "1"}, "amount_usd", "lots"),
         "type-error", DATA + "finance_lines.csv", 2, "amount_usd", "schema"),
    Case("enum-constraint", cell("committee_positions.csv", {"seat_id": "1", "role": "member"}, "status", "retired"),
         "constraint-error", DATA + "committee_positions.csv", 2, "status", "schema"),
    Case("pattern-constraint", cell("meetings.csv", {"meeting_id": "JISC-38"}, "country", "Germany"),
         "constraint-error", DATA + "meetings.csv", 2, "country", "schema"),
    Case("minimum-constraint", cell("elections.csv", {"election_id": "cmp-12-annex-i"}, "members", "-1"),
         "constraint-error", DATA + "elections.csv", 3, "members", "schema"),
    Case("duplicate-primary-key", duplicate_line("committee_positions.csv", 2),
         "primary-key", DATA + "committee_positions.csv", 22, None, "schema"),
    Case("broken-foreign-key", cell("committee_positions.csv", {"seat_id": "1", "role": "member"}, "person_id",
                                    "veneta-borikov"),
         "foreign-key", DATA + "committee_positions.csv", 2, "person_id", "schema"),
    # domain checks
    Case("date-after-as-of", cell("meetings.csv", {"meeting_id": "JISC-39"}, "end_date", "2016-09-22"),
         "dates-not-after-as-of", DATA + "meetings.csv", 3, "end_date", "domain"),
    Case("track-totals", cell("reported_figures.csv", {"figure_id": "all-erus-issued"}, "value", "871893628"),
         "track-totals", DATA + "reported_figures.csv", 14, "value", "domain"),
    Case("finance-arithmetic",
         cell("finance_lines.csv", {"table_id": "table-3", "line_no": "3"}, "amount_usd", "226188"),
         "finance-table-arithmetic", DATA + "finance_lines.csv", 9, "amount_usd", "domain"),
    Case("accreditation-counts", cell("reported_figures.csv", {"figure_id": "ies-ever-accredited"}, "value", "15"),
         "accreditation-counts", DATA + "reported_figures.csv", 15, "value", "domain"),
    Case("vacant-seat-names-person", cell("committee_positions.csv", {"seat_id": "8", "role": "alternate"},
                                          "person_id", "carola-borja"),
         "committee-seat-positions", DATA + "committee_positions.csv", 17, "person_id", "domain"),
    Case("serial-blocks-overlap", synthetic_issuances([(1, 100, 100), (200, 300, 101), (50, 60, 11)]),
         "serial-block-overlap", DATA + "issuances.csv", 4, "serial_start", "domain"),
    Case("raw-file-altered", raw_file_altered, "raw-file-checksum", DATA + "documents.csv", 2, "sha256", "domain"),
]

LIMIT_CASES = [case for case in CASES if case.stage == "limits"]
OTHER_CASES = [case for case in CASES if case.stage != "limits"]


def test_corpus_is_well_formed():
    assert len(CASES) >= 25
    assert len({case.id for case in CASES}) == len(CASES)
    assert all(case.stage in {"limits", "schema", "domain"} for case in CASES)
    assert all(case.rule in LIMIT_RULES for case in LIMIT_CASES)


@functools.cache
def limits_wired() -> bool:
    """Whether validate_package runs check_limits first: probe it with an empty CSV file."""
    with tempfile.TemporaryDirectory() as tmp:
        package = Path(tmp) / "datapackages" / "probe"
        package.mkdir(parents=True)
        (package / "t.csv").write_bytes(b"")
        (package / "datapackage.json").write_text(json.dumps({
            "name": "probe", "resources": [{"name": "t", "path": "t.csv", "schema": {"fields": [{"name": "a"}]}}]}))
        report = validate_package(package / "datapackage.json", Path(tmp))
        return any(p.rule == "empty-file" for p in report.errors)


def broken_copy(tmp_path: Path, case: Case) -> Layout:
    layout = copy_repository(tmp_path / "repo", packages=("ji",))
    case.mutate(layout.datapackages / "ji")
    return layout


def located(problems) -> list[tuple]:
    return [(p.rule, p.path, p.row, p.field) for p in problems]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_validate_package_reports_rule_and_location(case: Case, tmp_path: Path):
    if case.hazardous and not limits_wired():
        pytest.skip("frictionless would hang or take seconds and hundreds of MB on this input until check_limits "
                    "runs first in validate_package")
    layout = broken_copy(tmp_path, case)
    start = time.perf_counter()
    report = validate_package(layout.datapackages / "ji" / "datapackage.json", layout.root)
    seconds = time.perf_counter() - start
    expected = (case.rule, case.path, case.row, case.field)
    assert expected in located(report.errors), (
        f"expected {expected}, got:\n" + "\n".join(p.format() for p in report.problems))
    problem = next(p for p in report.errors if located([p])[0] == expected)
    assert problem.hint and problem.message
    assert case.path in problem.format()
    if case.stage == "limits":
        # check_limits stopped validation: nothing from frictionless or the domain checks
        assert {p.rule for p in report.errors} <= LIMIT_RULES and report.checks_run == []
        assert located(report.errors)[0] == expected
    elif case.stage == "domain":
        assert report.checks_run  # the schema was valid
    assert seconds < 10


@pytest.mark.parametrize("case", LIMIT_CASES, ids=str)
def test_check_limits_reports_rule_and_location(case: Case, tmp_path: Path):
    layout = broken_copy(tmp_path, case)
    start = time.perf_counter()
    problems = check_limits(layout.datapackages / "ji" / "datapackage.json", layout.root)
    seconds = time.perf_counter() - start
    assert problems, "check_limits found nothing"
    assert located(problems)[0] == (case.rule, case.path, case.row, case.field), "\n".join(p.format() for p in problems)
    assert all(p.severity == "error" and p.hint and p.package == "ji" for p in problems)
    assert seconds < 5


@pytest.mark.parametrize("case", OTHER_CASES, ids=str)
def test_check_limits_leaves_schema_and_domain_errors_to_later_steps(case: Case, tmp_path: Path):
    layout = broken_copy(tmp_path, case)
    assert check_limits(layout.datapackages / "ji" / "datapackage.json", layout.root) == []


# --- check_limits in detail -----------------------------------------------------------


@pytest.mark.parametrize("package", ["ji", "cdm"])
def test_real_packages_are_within_the_limits(package):
    start = time.perf_counter()
    assert check_limits(REPO_ROOT / "datapackages" / package / "datapackage.json", REPO_ROOT) == []
    assert time.perf_counter() - start < 5


@pytest.fixture
def ji(tmp_path: Path) -> Path:
    return copy_repository(tmp_path / "repo", packages=("ji",)).datapackages / "ji"


def limits_of(ji: Path, limits: Limits | None = None):
    return check_limits(ji / "datapackage.json", ji.parent.parent, limits)


@pytest.mark.parametrize("ending", [b"\r\n", b"\n"])
def test_utf8_bom_and_line_endings_are_accepted(ji: Path, ending: bytes):
    """Decision: a UTF-8 byte order mark is accepted (spreadsheets write one; frictionless and pandas
    skip it), and so are CRLF line endings."""
    for name in ("meetings.csv", "people.csv"):
        path = _data(ji, name)
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", ending))
    assert limits_of(ji) == []
    report = validate_package(ji / "datapackage.json", ji.parent.parent)
    assert report.errors == [], [p.format() for p in report.errors]
    assert list(report.loaded["meetings"].columns)[0] == "meeting_id"


def test_not_utf8_names_byte_offset_and_line(ji: Path):
    cp1252("people.csv", "Benoît")(ji)
    data = _data(ji, "people.csv").read_bytes()
    offset = data.index(b"\xee")
    (problem,) = limits_of(ji)
    assert (problem.rule, problem.row, problem.field, problem.value) == ("not-utf8", 3, "name", offset)
    assert f"byte offset {offset:,}" in problem.message and "line 3" in problem.message and "0xee" in problem.message


def test_not_utf8_after_the_first_megabyte_and_a_bom(ji: Path):
    path = _data(ji, "people.csv")
    rows = read_rows(path)
    extra = [rows[0] | {"person_id": f"filler-{n}", "name": "x" * 200} for n in range(6_000)]
    write_rows(path, rows + extra)
    text = path.read_bytes()
    assert len(text) > 1_100_000
    path.write_bytes(b"\xef\xbb\xbf" + text + "zoë,Zoë,Ms.,Zoë,FCCC/KP/CMP/2016/5,p\n".encode("cp1252"))
    (problem,) = limits_of(ji)
    assert problem.rule == "not-utf8"
    assert problem.value == 3 + len(text) + 2  # the BOM, the rows, "zo"
    assert (problem.row, problem.field) == (len(rows) + len(extra) + 2, "person_id")


def test_nul_byte_after_the_first_megabyte(ji: Path):
    path = _data(ji, "recommendations.csv")
    data = path.read_bytes()
    header, rest = data.split(b"\n", 1)
    copies = 1_100_000 // len(rest) + 1
    # duplicate rows are a schema problem, not a limits one: only the NUL matters here
    path.write_bytes(header + b"\n" + rest * copies + b"abc,\x00def\n")
    (problem,) = limits_of(ji)
    rows_before = 1 + rest.count(b"\n") * copies
    assert (problem.rule, problem.row, problem.field) == ("binary-file", rows_before + 1, "annex")
    assert problem.value == len(header) + 1 + len(rest) * copies + 4


def test_nul_byte_in_the_first_megabyte_wins_over_bad_utf8(ji: Path):
    _data(ji, "meetings.csv").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    (problem,) = limits_of(ji)
    assert (problem.rule, problem.row, problem.value) == ("binary-file", 3, 8)


def _unclosed_quote_before_many_lines(ji: Path) -> None:
    """A quote opened in row 2 of meetings.csv, then 5,000 more lines (400 KB) without quotes."""
    path = _data(ji, "meetings.csv")
    header, first, second = path.read_bytes().rstrip(b"\n").split(b"\n")
    path.write_bytes(b"\n".join([header, first.replace(b"JISC-38,JISC,", b'JISC-38,"JISC,')] + [second] * 5_000))


def test_unclosed_quote_in_a_large_file_stops_at_the_cell_limit(ji: Path):
    _unclosed_quote_before_many_lines(ji)
    (problem,) = limits_of(ji)
    assert (problem.rule, problem.row, problem.field) == ("cell-too-large", 2, "body")
    assert "quote" in problem.message


def test_unclosed_quote_runs_into_the_row_limit_when_cells_may_be_long(ji: Path):
    _unclosed_quote_before_many_lines(ji)
    (problem,) = limits_of(ji, Limits(max_cell_chars=1_000_000, max_line_chars=100_000))
    assert (problem.rule, problem.row, problem.field) == ("line-too-long", 2, "body")
    assert "quote" in problem.message


def test_blank_line_flood_stops_at_the_row_limit(ji: Path):
    path = _data(ji, "meetings.csv")
    path.write_bytes(path.read_bytes() + b"\n" * 5_000_000)
    start = time.perf_counter()
    (problem,) = limits_of(ji, Limits(max_rows=100_000))
    assert (problem.rule, problem.row) == ("too-many-rows", 100_001)
    assert time.perf_counter() - start < 5


def test_too_many_columns_in_a_data_row(ji: Path):
    line("meetings.csv", 3, lambda b: b + b",x" * 300)(ji)
    (problem,) = limits_of(ji)
    assert (problem.rule, problem.row, problem.field, problem.value) == ("too-many-columns", 3, None, 309)


def test_problems_per_file_are_capped(ji: Path):
    path = _data(ji, "meetings.csv")
    header = path.read_bytes().split(b"\n")[0]
    path.write_bytes(header + b"\n" + (b"x," * 300 + b"\n") * 50)
    problems = limits_of(ji)
    assert len(problems) == MAX_PROBLEMS_PER_FILE
    assert [p.row for p in problems] == list(range(2, 2 + MAX_PROBLEMS_PER_FILE))
    assert "validate again" in problems[-1].message


def test_descriptor_nested_100000_deep_is_refused_fast(ji: Path):
    nest(100_000)(ji)
    start = time.perf_counter()
    (problem,) = limits_of(ji)
    assert (problem.rule, problem.path, problem.row) == ("descriptor-too-deep", DESCRIPTOR, 2)
    assert time.perf_counter() - start < 2


def test_brackets_inside_strings_do_not_count_as_nesting(ji: Path):
    descriptor(lambda d: d.update(description='[[[[ {{{{ \\" ' * 100))(ji)
    assert limits_of(ji, Limits(max_json_depth=10)) == []


def test_descriptor_not_utf8(ji: Path):
    path = ji / "datapackage.json"
    title = "Joint Implementation (JI)"  # on line 4
    path.write_bytes(path.read_bytes().replace(title.encode(), (title + " é").encode("cp1252"), 1))
    (problem,) = limits_of(ji)
    assert (problem.rule, problem.path, problem.row) == ("package-error", DESCRIPTOR, 4)


@pytest.mark.parametrize("path, rule", [
    ("data\\..\\..\\x.csv", "path-outside-package"),
    ("C:\\data\\meetings.csv", "path-outside-package"),
    ("file:///etc/passwd", "remote-path"),
    ("//example.org/meetings.csv", "remote-path"),
    (["data/meetings.csv", "data/people.csv"], "invalid-path"),
    ("", "invalid-path"),
])
def test_unsafe_or_unusable_resource_paths(ji: Path, path, rule):
    resource_path("meetings", path)(ji)
    (problem,) = limits_of(ji)
    assert (problem.rule, problem.path, problem.resource, problem.field, problem.value) == (
        rule, DESCRIPTOR, "meetings", "path", path)


def test_inline_data_resource_has_no_path(ji: Path):
    descriptor(lambda d: d["resources"][0].pop("path"))(ji)
    (problem,) = limits_of(ji)
    assert (problem.rule, problem.resource) == ("invalid-path", "documents")


@pytest.mark.parametrize("path, rule", [
    ("../../../../etc/passwd", "path-outside-package"),
    ("/etc/passwd", "path-outside-package"),
    ("raw\\..\\..\\secret.txt", "path-outside-package"),
    ("raw/../../ji/raw/FCCC-KP-CMP-2016-5.zh.txt", "path-outside-package"),  # '..', even if it comes back
    ("C:\\raw\\report.xlsx", "path-outside-package"),
    ("https://example.org/report.xlsx", "remote-path"),
    ("//example.org/report.xlsx", "remote-path"),
    ('raw/"><img src=x onerror=alert(1)>.txt', "unsafe-path-characters"),
    ("raw/report 2023.xlsx", "unsafe-path-characters"),
    (["raw/a.xlsx", "raw/b.xlsx"], "invalid-path"),
    ("", "invalid-path"),
    (5, "invalid-path"),
])
def test_unsafe_or_unusable_source_paths(ji: Path, path, rule):
    source_path(path)(ji)
    (problem,) = limits_of(ji)
    assert (problem.rule, problem.path, problem.resource, problem.field, problem.value) == (
        rule, DESCRIPTOR, None, "sources[1].path", path)
    assert problem.hint and "Hostile source" in problem.message


def test_source_path_through_a_symlink_out_of_the_package(ji: Path):
    raw_symlink_outside(ji)
    (problem,) = limits_of(ji)
    assert (problem.rule, problem.path, problem.field, problem.value) == (
        "path-outside-package", DESCRIPTOR, "sources[0].path", "raw/FCCC-KP-CMP-2016-5.zh.txt")
    assert "symbolic link" in problem.message


def test_sources_without_a_path_are_accepted(ji: Path):
    """A source the package holds no copy of (a web page, a printed report) has no path."""
    descriptor(lambda d: d["sources"].extend([{"title": "A web page"}, {"title": "No copy", "path": None}]))(ji)
    assert limits_of(ji) == []


@pytest.mark.parametrize("name, reason", [
    ("../../x", "'/'"),
    ("..", "does not start with a lowercase letter or a digit"),
    (".hidden", "does not start with a lowercase letter or a digit"),
    ("-x", "does not start with a lowercase letter or a digit"),
    ("JI", "'J', 'I'"),
    ("ji\n", "'\\n'"),
    ("ji x", "' '"),
    ("", "is empty"),
    (None, "is missing"),
    (7, "is not text (int)"),
])
def test_invalid_package_names(ji: Path, name, reason):
    if name is None:
        descriptor(lambda d: d.pop("name"))(ji)
    else:
        package_name(name)(ji)
    (problem,) = limits_of(ji)
    assert (problem.rule, problem.path, problem.resource, problem.field, problem.value) == (
        "invalid-name", DESCRIPTOR, None, "name", name)
    assert problem.message.startswith("the package name ") and reason in problem.message
    assert problem.hint


@pytest.mark.parametrize("name", ["../../../escaped", "..", "data/meetings", "Meetings", "_x", "a\\b", "",
                                  None, ["meetings"]])
def test_invalid_resource_names(ji: Path, name):
    position = next(i for i, r in enumerate(json.loads((ji / "datapackage.json").read_text())["resources"])
                    if r["name"] == "meetings")
    if name is None:
        descriptor(lambda d: d["resources"][position].pop("name"))(ji)
    else:
        resource_name(position, name)(ji)
    (problem,) = limits_of(ji)
    assert (problem.rule, problem.path, problem.resource, problem.field, problem.value) == (
        "invalid-name", DESCRIPTOR, None, f"resources[{position}].name", name)
    assert problem.message.startswith(f"the name of resource {position + 1} ") and problem.hint


@pytest.mark.parametrize("name", ["ji.v2", "cdm-2023_x", "0ji", "ji."])
def test_valid_names(ji: Path, name):
    """Lowercase letters, digits, '.', '-' and '_' after a letter or digit (the Frictionless
    rule); a package's name is also its folder's."""
    resource_name(0, name)(ji)
    assert limits_of(ji) == []
    package_name(name)(ji)
    renamed = ji.rename(ji.parent / name)
    assert limits_of(renamed) == []


@pytest.mark.parametrize("path, shown", [
    ('data/r"><img src=x onerror="window.__pwned=1">.csv', "'\"', '>', '<', ' ', '='"),
    ("data/meetings 2016.csv", "' '"),
    ("data/réunions.csv", "'é'"),
    ("data\\meetings.csv", "'\\\\'"),
    ("data/meetings.csv?raw=1", "'?', '='"),
    ("data/<script>.csv", "'<', '>'"),
])
def test_unsafe_path_characters_in_resource_paths(ji: Path, path, shown):
    renamed_file("meetings", path)(ji)
    (problem,) = limits_of(ji)
    assert (problem.rule, problem.path, problem.resource, problem.field, problem.value) == (
        "unsafe-path-characters", DESCRIPTOR, "meetings", "path", path)
    assert problem.message.endswith(shown), problem.message
    assert "Rename the file" in problem.hint


def test_real_packages_follow_the_name_and_path_rules():
    """Every name and path of the real descriptors, and every file of the real packages, passes the
    rules of invalid-name and unsafe-path-characters."""
    name, path = re.compile(r"[a-z0-9][a-z0-9._-]*"), re.compile(r"[A-Za-z0-9._/-]+")
    descriptors = sorted((REPO_ROOT / "datapackages").glob("*/datapackage.json"))
    assert {d.parent.name for d in descriptors} >= {"ji", "cdm"}
    for descriptor_path in descriptors:
        package = json.loads(descriptor_path.read_text(encoding="utf-8"))
        assert name.fullmatch(package["name"])
        for resource in package["resources"]:
            assert name.fullmatch(resource["name"]) and path.fullmatch(resource["path"]), resource["name"]
        for source in package.get("sources", []):
            assert source.get("path") is None or path.fullmatch(source["path"]), source["path"]
        for file in descriptor_path.parent.rglob("*"):
            assert path.fullmatch(file.relative_to(descriptor_path.parent).as_posix()), file


def test_folder_instead_of_file(ji: Path):
    _data(ji, "meetings.csv").unlink()
    _data(ji, "meetings.csv").mkdir()
    (problem,) = limits_of(ji)
    assert (problem.rule, problem.path) == ("missing-file", DATA + "meetings.csv") and "folder" in problem.message


def test_package_too_large_is_found_without_reading(ji: Path):
    sparse_file("meetings.csv", 150_000_000)(ji)
    sparse_file("people.csv", 150_000_000)(ji)
    start = time.perf_counter()
    (problem,) = limits_of(ji, Limits(max_package_bytes=250_000_000))
    assert (problem.rule, problem.path) == ("package-too-large", DESCRIPTOR)
    assert time.perf_counter() - start < 1


def test_sparse_300_mb_file_is_refused_without_reading_it(ji: Path):
    sparse_file("meetings.csv", 300_000_000)(ji)
    start = time.perf_counter()
    (problem,) = limits_of(ji)
    assert (problem.rule, problem.value) == ("file-too-large", 300_000_000)
    assert time.perf_counter() - start < 1


def test_limits_from_environment(ji: Path, monkeypatch):
    monkeypatch.setenv("REGISTRY_MAX_FILE_BYTES", "5_000")
    monkeypatch.setenv("REGISTRY_MAX_COLUMNS", "12")
    limits = Limits()
    assert (limits.max_file_bytes, limits.max_columns) == (5_000, 12)
    assert Limits(max_file_bytes=9_000).max_file_bytes == 9_000  # an explicit value wins
    rules = {(p.rule, p.path) for p in limits_of(ji)}
    assert ("file-too-large", DATA + "recommendations.csv") in rules
    assert ("too-many-columns", DATA + "projects.csv") in rules  # 17 columns
    monkeypatch.setenv("REGISTRY_MAX_FILE_BYTES", "lots")
    with pytest.raises(ValueError, match="REGISTRY_MAX_FILE_BYTES"):
        Limits()
    monkeypatch.delenv("REGISTRY_MAX_FILE_BYTES")
    with pytest.raises(ValueError, match="max_columns"):
        Limits(max_columns=0)


def test_every_limit_is_documented_with_its_environment_variable():
    from build_scripts.validate import limits

    for name, env, default, meaning in Limits.documentation():
        assert env == "REGISTRY_" + name.upper()
        assert env in limits.__doc__ and f"{default:,}" in limits.__doc__ and f"\n{name}: " in limits.__doc__
        assert getattr(Limits(), name) == default or env in os.environ
    for rule in LIMIT_RULES:
        assert rule in limits.__doc__


def test_check_limits_restores_the_csv_field_size_limit(ji: Path):
    before = csv.field_size_limit()
    line("meetings.csv", 3, lambda b: b.replace(b",Bonn,", b"," + b"B" * 200_000 + b","))(ji)
    assert limits_of(ji)
    assert csv.field_size_limit() == before


# --- a failed build keeps the previous site -------------------------------------------


@pytest.fixture(scope="module")
def built_ji(tmp_path_factory: pytest.TempPathFactory) -> Layout:
    layout = copy_repository(tmp_path_factory.mktemp("bad-inputs") / "repo", packages=("ji",))
    build_site(layout, strict=True)
    return layout


def file_hashes(folder: Path) -> dict[str, str]:
    return {str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(folder.rglob("*")) if path.is_file()}


BUILD_BREAKERS = [case for case in CASES if case.id in {"date-type", "missing-file", "date-after-as-of",
                                                       "binary-file-named-csv", "source-path-escapes-package",
                                                       "resource-name-escapes"}]


@pytest.mark.parametrize("case", BUILD_BREAKERS, ids=str)
def test_failed_build_leaves_the_previous_site_byte_identical(built_ji: Layout, tmp_path: Path, case: Case):
    shutil.copytree(built_ji.root, tmp_path / "repo", symlinks=True)
    layout = Layout(tmp_path / "repo")
    before = file_hashes(layout.site)
    assert "index.html" in before
    entries = sorted(p.name for p in layout.root.iterdir()), sorted(p.name for p in layout.build.iterdir())
    case.mutate(layout.datapackages / "ji")
    with pytest.raises(ValidationFailed) as failed:
        build_site(layout, strict=True)
    rules = {p.rule for p in failed.value.problems if p.severity == "error"}
    if case.stage != "limits" or limits_wired():
        assert case.rule in rules
    assert file_hashes(layout.site) == before
    assert not (layout.root / "site.previous").exists()
    assert not (layout.build / "site.next").exists() and not (layout.build / "docs.next").exists()
    assert (sorted(p.name for p in layout.root.iterdir()), sorted(p.name for p in layout.build.iterdir())) == entries



def test_hostile_names_and_paths_are_refused_before_anything_is_written(tmp_path: Path):
    """The reproductions of the security review: a source path that would publish a file of the
    runner, a resource name and a package name that would write outside the build folder, a path
    that would land raw in HTML. Validation refuses them all; the build writes nothing, anywhere."""
    layout = copy_repository(tmp_path / "repo", packages=("ji",))
    (tmp_path / "secret.txt").write_text("RUNNER SECRET\n")
    ji = layout.datapackages / "ji"
    source_path("../../../secret.txt")(ji)
    resource_name(0, "../../../../escaped")(ji)
    package_name("../../x")(ji)
    renamed_file("recommendations", 'data/r"><img src=x onerror="window.__pwned=1">.csv')(ji)
    before = file_hashes(tmp_path), sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*"))
    with pytest.raises(ValidationFailed) as failed:
        build_site(layout, strict=True)
    assert sorted((p.rule, p.field) for p in failed.value.problems) == [
        ("invalid-name", "name"), ("invalid-name", "resources[0].name"),
        ("path-outside-package", "sources[1].path"), ("unsafe-path-characters", "path")]
    assert all(p.path == DESCRIPTOR for p in failed.value.problems)
    assert (file_hashes(tmp_path), sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*"))) == before
    assert not layout.build.exists() and not layout.site.exists()


def test_downloads_refuse_a_path_leading_out_of_their_folder(tmp_path: Path):
    """Defence in depth: downloads.py checks every file it reads or writes, whatever validation let through."""
    from build_scripts.downloads import UnsafePath, _inside, _zip_name

    folder = tmp_path / "downloads"
    (folder / "ji").mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    (folder / "ji" / "link").symlink_to(tmp_path / "elsewhere")
    assert _inside(folder, "ji/json/meetings.json") == folder / "ji" / "json" / "meetings.json"
    assert _inside(folder, "ji/data/./meetings.csv") == folder / "ji" / "data" / "meetings.csv"
    for escaping in ["../secret.txt", "ji/../../secret.txt", "/etc/passwd", str(tmp_path / "x"), "ji/link/x.json",
                     ".", ""]:
        with pytest.raises(UnsafePath, match="refusing"):
            _inside(folder, escaping)
    assert issubclass(UnsafePath, ValueError)
    assert _zip_name("ji/data/meetings.csv") == "ji/data/meetings.csv"
    for name in ["ji/../../secret.txt", "../ji/x", "/ji/x", "ji//x", "ji/./x", "ji\\..\\x", "C:/x"]:
        with pytest.raises(UnsafePath, match="zip entry name"):
            _zip_name(name)


def test_downloads_of_an_unvalidated_package_write_nothing(tmp_path: Path):
    """A package loaded without validation, with a source path leading to a file of the runner:
    write_package_downloads refuses before it writes its first file."""
    from build_scripts.downloads import UnsafePath, write_package_downloads
    from build_scripts.load import load_package

    layout = copy_repository(tmp_path / "repo", packages=("ji",))
    (tmp_path / "secret.txt").write_text("RUNNER SECRET\n")
    source_path("../../../secret.txt")(layout.datapackages / "ji")
    package = load_package(layout.datapackages / "ji" / "datapackage.json")
    docs = tmp_path / "docs"
    with pytest.raises(UnsafePath, match="secret.txt"):
        write_package_downloads(package, docs)
    assert not docs.exists()


def test_huge_cell_reports_its_length(ji: Path):
    line("meetings.csv", 3, lambda b: b.replace(b",Bonn,", b"," + b"B" * 200_000 + b","))(ji)
    (problem,) = limits_of(ji)
    assert (problem.rule, problem.row, problem.field, problem.value) == ("cell-too-large", 3, "city", 200_000)


def test_unusable_csv_dialect_is_reported(ji: Path):
    descriptor(lambda d: d["resources"][0].update(dialect={"delimiter": '"'}))(ji)
    problems = limits_of(ji)
    assert [(p.rule, p.path) for p in problems] == [("malformed-csv", DATA + "documents.csv")]


def test_a_source_whose_copy_is_missing_is_reported_not_crashed_on(ji_copy):
    """The downloads copy every source file: a missing one is a located error, not a crash."""
    edit_descriptor(ji_copy, lambda d: d["sources"].append({"title": "Gone", "path": "raw/gone.txt"}))
    problems = check_limits(ji_copy / "datapackage.json", REPO_ROOT)
    position = len(json.loads((ji_copy / "datapackage.json").read_text(encoding="utf-8"))["sources"]) - 1
    assert [(p.rule, p.field, p.value) for p in problems] == [("missing-file", f"sources[{position}].path", "raw/gone.txt")]


def test_a_package_copied_under_another_folder_is_refused(tmp_path):
    """The site and the downloads know a package by its name: a copy of ji under datapackages/jj
    would replace the real one."""
    layout = copy_repository(tmp_path / "repo", packages=("ji",))
    shutil.copytree(layout.datapackages / "ji", layout.datapackages / "jj")
    problems = check_limits(layout.datapackages / "jj" / "datapackage.json", layout.root)
    assert [(p.rule, p.path, p.field, p.value) for p in problems] == [
        ("invalid-name", "datapackages/jj/datapackage.json", "name", "ji")]
    assert check_limits(layout.datapackages / "ji" / "datapackage.json", layout.root) == []
