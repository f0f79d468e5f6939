"""Registry-integrity checks on CDM transactions (build_scripts/validate/checks/transactions.py).

Most tests run on a tiny SYNTHETIC CDM package: the real CDM descriptor (the same Table
Schemas) with made-up rows written by `Synthetic` below. None of these rows is data; they
exist only to pass or break one rule at a time. The last tests run the checks on the real,
committed CDM package (read only).
"""

from __future__ import annotations

import copy
import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from build_scripts.paths import REPO_ROOT
from build_scripts.validate import validate_package
from build_scripts.validate.checks import REGISTRY

CDM_DESCRIPTOR = REPO_ROOT / "datapackages" / "cdm" / "datapackage.json"
DOC = "synthetic-test-rows"
TRANSACTION_CHECKS = {c.slug for c in REGISTRY if c.run.__module__.endswith(".transactions")}
EXPECTED_SLUGS = {
    "cancellation-inside-issuance", "no-double-cancellation", "cancelled-within-issued",
    "monitoring-period-overlap", "issuance-after-registration", "cancellation-after-issuance",
    "issuing-party-is-host", "holdings-within-net-issuance", "transaction-fields",
}


# --- a SYNTHETIC CDM package -------------------------------------------------------------------

def _block(party, unit, period, start, end, project):
    return {"originating_party": party, "unit_type": unit, "commitment_period": str(period),
            "serial_start": str(start), "serial_end": str(end), "quantity": str(end - start + 1),
            "project_id": str(project), "source_document": DOC}


@dataclass
class Synthetic:
    """SYNTHETIC rows for a throwaway CDM package (made up for tests; not data)."""

    projects: list[dict] = field(default_factory=list)
    issuances: list[dict] = field(default_factory=list)
    voluntary: list[dict] = field(default_factory=list)
    administrative: list[dict] = field(default_factory=list)
    holdings: list[dict] = field(default_factory=list)
    acknowledged: list[dict] = field(default_factory=list)
    hosts: list[dict] | None = None  # project_hosts rows; None: derived from the projects' host_party

    def project(self, project_id, host, registered="", activity="PA"):
        self.projects.append({"project_id": str(project_id), "mechanism": "CDM", "activity_type": activity,
                              "title": f"SYNTHETIC test project {project_id}", "host_party": host,
                              "status": "registered", "registration_date": registered,
                              "source_document": DOC, "source_location": "synthetic test row"})
        return self

    def issue(self, party, unit, period, start, end, project, date, monitored=("", "")):
        row = _block(party, unit, period, start, end, project)
        row.update({"issuance_id": f"{party}-{unit}-{start}", "issuance_date": date,
                    "monitoring_period_start": monitored[0], "monitoring_period_end": monitored[1],
                    "transaction_type": "Issuance (1)", "transaction_status": "4 - Completed",
                    "source_location": "synthetic test row"})
        self.issuances.append(row)
        return self

    def cancel(self, party, unit, period, start, end, project, date):
        row = _block(party, unit, period, start, end, project)
        row.update({"cancellation_id": f"{party}-{unit}-{start}", "cancellation_date": date,
                    "transaction_type": "Cancellation (4)", "transaction_status": "4 - Completed",
                    "voluntary_cancellation_platform": "0", "source_location": "synthetic test row"})
        self.voluntary.append(row)
        return self

    def cancel_administratively(self, party, unit, period, start, end, project, date, total=None):
        row = _block(party, unit, period, start, end, project)
        row.update({"cancellation_id": f"{party}-{unit}-{start}", "cancellation_date": date,
                    "transaction_total": str(total if total is not None else end - start + 1),
                    "transaction_type": "Cancellation (4)", "transaction_status": "4 - Completed",
                    "reason": "SYNTHETIC test row", "source_location": "synthetic test row"})
        self.administrative.append(row)
        return self

    def hold(self, period, unit, quantity, as_of="2023-08-31"):
        self.holdings.append({"account_type": f"SYNTHETIC holding and pending accounts for CP{period}",
                              "commitment_period": str(period), "unit_type": unit, "quantity": str(quantity),
                              "as_of": as_of, "source_document": DOC, "source_location": "synthetic test row"})
        return self

    def write(self, root: Path) -> Path:
        """Write the package under root/datapackages/cdm and return its folder."""
        descriptor = copy.deepcopy(json.loads(CDM_DESCRIPTOR.read_text(encoding="utf-8")))
        descriptor["title"] = "SYNTHETIC test package"
        descriptor["source_discrepancies"] = self.acknowledged
        # the real sources, without their copies: this package holds no raw files
        descriptor["sources"] = [{k: v for k, v in source.items() if k not in ("path", "sha256")}
                                 for source in descriptor.get("sources", [])]
        folder = root / "datapackages" / "cdm"
        (folder / "data").mkdir(parents=True)
        hosts = [{"project_id": p["project_id"], "party_code": code, "position": str(n),
                  "source_document": DOC, "source_location": "synthetic test row"}
                 for p in self.projects for n, code in enumerate(p["host_party"].split(";"), start=1)]
        parties = sorted({r["originating_party"] for r in self.issuances + self.voluntary + self.administrative}
                         | {h["party_code"] for h in hosts})
        tables = {
            "documents": [{"document_id": DOC, "title": "SYNTHETIC test rows", "issuer": "tests",
                           "role": "source", "note": "Made-up rows for tests; not data."}],
            "parties": [{"party_code": p, "name": f"SYNTHETIC {p}", "source_document": DOC,
                         "source_location": "synthetic test row"} for p in parties],
            "entities": [],
            "projects": self.projects,
            "project_hosts": self.hosts if self.hosts is not None else hosts,
            "issuances": self.issuances,
            "voluntary_cancellations": self.voluntary,
            "administrative_cancellations": self.administrative,
            "holdings": self.holdings,
        }
        for resource in descriptor["resources"]:
            header = [f["name"] for f in resource["schema"]["fields"]]
            with (folder / resource["path"]).open("w", encoding="utf-8", newline="") as handle:
                writer = csv.DictWriter(handle, fieldnames=header, lineterminator="\n")
                writer.writeheader()
                writer.writerows({k: row.get(k, "") for k in header} for row in tables[resource["name"]])
        (folder / "datapackage.json").write_text(json.dumps(descriptor, indent=2), encoding="utf-8")
        return folder


def clean() -> Synthetic:
    """A SYNTHETIC package that passes every check (see the comments for what it exercises)."""
    s = Synthetic()
    s.project(1, "BR", "2010-01-01").project(2, "KE;UG", "2011-01-01", "PoA").project(3, "IN", "2012-06-01")
    # issuances.csv rows 2-8
    s.issue("BR", "CER", 1, 1, 1000, 1, "2011-01-10", ("2010-01-01", "2010-12-31"))
    s.issue("BR", "CER", 2, 1001, 1500, 1, "2014-03-01", ("2011-01-01", "2013-06-30"))
    s.issue("BR", "CER", 1, 1501, 1600, 1, "2014-03-01", ("2011-01-01", "2013-06-30"))  # same report, CP split
    s.issue("UG", "CER", 2, 1, 500, 2, "2015-01-01", ("2013-07-01", "2014-06-30"))  # second host Party
    s.issue("KE", "tCER", 1, 1, 200, 2, "2012-05-05", ("2011-01-01", "2011-12-31"))
    s.issue("IN", "CER", 2, 1, 300, 3, "2013-01-01", ("2012-06-01", "2012-12-31"))
    s.issue("IN", "CER", 2, 301, 400, 3, "2013-09-01", ("2012-12-31", "2013-05-31"))  # shares the boundary day
    # voluntary_cancellations.csv rows 2-5
    s.cancel("BR", "CER", 1, 1, 100, 1, "2012-01-01")
    s.cancel("BR", "CER", 1, 101, 200, 1, "2012-01-01")  # adjacent, not overlapping
    s.cancel("BR", "CER", 2, 1001, 1500, 1, "2014-03-01")  # a whole block, on its day of issuance
    s.cancel("KE", "tCER", 1, 1, 50, 2, "2013-01-01")
    # administrative_cancellations.csv row 2
    s.cancel_administratively("UG", "CER", 2, 1, 10, 2, "2015-02-01")
    # holdings.csv rows 2-5: CP1 CER net 1,100 - 200; CP2 CER net 1,400 - 510 (held exactly that)
    s.hold(1, "CER", 500).hold(2, "CER", 890).hold(1, "tCER", 0).hold(2, "AAU", 999_999)
    return s


def validate(folder: Path):
    return validate_package(folder / "datapackage.json", folder.parent.parent)


def transaction_problems(report, severity=None):
    return [p for p in report.problems if p.rule in TRANSACTION_CHECKS and (severity is None or p.severity == severity)]


# --- passing ---------------------------------------------------------------------------------------

def test_the_checks_are_registered_under_their_slugs():
    assert TRANSACTION_CHECKS == EXPECTED_SLUGS
    for check_ in REGISTRY:
        if check_.slug in TRANSACTION_CHECKS:
            assert check_.title and len(check_.description) > 80
            assert "DES" in check_.description  # names its Data Exchange Standards analogue, or says there is none


def test_clean_synthetic_package_passes_every_check(tmp_path):
    report = validate(clean().write(tmp_path))
    assert report.problems == [], [p.format() for p in report.problems]
    assert TRANSACTION_CHECKS <= set(report.checks_run)


def test_empty_tables_pass(tmp_path):
    report = validate(Synthetic().write(tmp_path))
    assert report.problems == [], [p.format() for p in report.problems]
    assert TRANSACTION_CHECKS <= set(report.checks_run)


def test_checks_skip_a_package_without_the_resources(ji_copy):
    """The JI package has (empty) issuances and projects but no cancellations or holdings."""
    report = validate_package(ji_copy / "datapackage.json", ji_copy.parent.parent)
    assert report.errors == []
    ran = set(report.checks_run) & TRANSACTION_CHECKS
    assert ran == {"monitoring-period-overlap", "issuance-after-registration", "issuing-party-is-host"}
    assert transaction_problems(report) == []


# --- failing: each case breaks one rule of the clean package ----------------------------------------

def _set(rows, number, **values):
    """Change the SYNTHETIC row at CSV line `number` (header = 1)."""
    row = rows[number - 2]
    row.update({k: str(v) for k, v in values.items()})
    if "serial_start" in values or "serial_end" in values:
        row["quantity"] = str(int(row["serial_end"]) - int(row["serial_start"]) + 1)
    if "serial_start" in values or "unit_type" in values:
        key = "issuance_id" if "issuance_id" in row else "cancellation_id"
        row[key] = f"{row['originating_party']}-{row['unit_type']}-{row['serial_start']}"


CASES = [
    # (id, edit, rule, file, row, field, words in the message)
    ("cancelled units never issued", lambda s: _set(s.voluntary, 3, serial_start=2001, serial_end=2100),
     "cancellation-inside-issuance", "voluntary_cancellations.csv", 3, "serial_start", "lie in no issuance block"),
    ("block spans two issuances", lambda s: _set(s.voluntary, 3, serial_start=950, serial_end=1000 + 40),
     "cancellation-inside-issuance", "voluntary_cancellations.csv", 3, "serial_end", "run past its last serial 1000"),
    ("other project", lambda s: _set(s.voluntary, 2, project_id=3),
     "cancellation-inside-issuance", "voluntary_cancellations.csv", 2, "project_id", "project_id is 3 but the issuance's is 1"),
    ("other unit type", lambda s: _set(s.voluntary, 5, unit_type="CER"),
     "cancellation-inside-issuance", "voluntary_cancellations.csv", 5, "unit_type", "unit_type is CER and the issuance's is tCER"),
    ("other commitment period", lambda s: _set(s.voluntary, 2, commitment_period=2),
     "cancellation-inside-issuance", "voluntary_cancellations.csv", 2, "commitment_period", "commitment_period is 2 but the issuance's is 1"),
    ("administrative without period", lambda s: _set(s.administrative, 2, commitment_period=""),
     "cancellation-inside-issuance", "administrative_cancellations.csv", 2, "commitment_period", "commitment_period is empty"),
    ("cancelled twice across tables", lambda s: s.cancel("UG", "CER", 2, 5, 20, 2, "2016-01-01"),
     "no-double-cancellation", "voluntary_cancellations.csv", 6, "serial_start", "already cancelled by administrative cancellation UG-CER-1"),
    ("more cancelled than issued", lambda s: (s.cancel("IN", "CER", 2, 1, 300, 3, "2013-02-01"),
                                              s.cancel("IN", "CER", 2, 2, 300, 3, "2013-03-01")),
     "cancelled-within-issued", "voluntary_cancellations.csv", 7, "quantity", "599 units are cancelled, more than the 400"),
    ("cancelled before issued", lambda s: _set(s.voluntary, 4, cancellation_date="2014-02-28"),
     "cancellation-after-issuance", "voluntary_cancellations.csv", 4, "cancellation_date", "before issuance BR-CER-1001"),
    ("issued before registration", lambda s: _set(s.projects, 4, registration_date="2013-06-01"),
     "issuance-after-registration", "issuances.csv", 7, "issuance_date", "before project 3 was registered on 2013-06-01"),
    ("issuing party not a host", lambda s: _set(s.projects, 3, host_party="KE;TZ"),
     "issuing-party-is-host", "issuances.csv", 5, "originating_party", "UG, which is not a host Party of project 2 (host: KE;TZ)"),
    ("more held than issued minus cancelled", lambda s: _set(s.holdings, 3, quantity=891),
     "holdings-within-net-issuance", "holdings.csv", 3, "quantity", "only 1,400 were issued and 510 cancelled"),
    ("block larger than its transaction", lambda s: _set(s.administrative, 2, transaction_total=5),
     "transaction-fields", "administrative_cancellations.csv", 2, "transaction_total", "more than its transaction total of 5"),
]


@pytest.mark.parametrize("edit, rule, file, row, field_, words", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_check_catches_a_broken_synthetic_package(tmp_path, edit, rule, file, row, field_, words):
    package = clean()
    edit(package)
    report = validate(package.write(tmp_path))
    assert not [p for p in report.errors if p.rule not in TRANSACTION_CHECKS], [p.format() for p in report.errors]
    matching = [p for p in report.errors if p.rule == rule]
    assert matching, f"expected a {rule} error, got {[p.format() for p in report.problems]}"
    problem = matching[0]
    assert (problem.path, problem.row, problem.field) == (f"datapackages/cdm/data/{file}", row, field_)
    assert words in problem.message, problem.message
    assert problem.hint and "source_discrepancies" in problem.hint
    assert problem.sources


def test_only_the_broken_rule_fails_where_rules_are_independent(tmp_path):
    package = clean()
    _set(package.holdings, 3, quantity=891)
    report = validate(package.write(tmp_path))
    assert {p.rule for p in report.problems} == {"holdings-within-net-issuance"}


def test_double_cancellation_found_behind_a_long_block(tmp_path):
    # SYNTHETIC: the third block overlaps the first (long) block, not its neighbour
    package = clean()
    package.voluntary[:2] = []
    package.cancel("BR", "CER", 1, 1, 500, 1, "2012-01-01")
    package.cancel("BR", "CER", 1, 10, 20, 1, "2012-01-01")
    package.cancel("BR", "CER", 1, 300, 400, 1, "2012-01-01")
    report = validate(package.write(tmp_path))
    problems = [p for p in report.errors if p.rule == "no-double-cancellation"]
    assert sorted(p.row for p in problems) == [5, 6]  # rows of BR-CER-10 and BR-CER-300
    assert all("BR-CER-1 " in p.message for p in problems)


def test_cancellation_inside_an_issuance_nested_in_a_longer_one(tmp_path):
    # SYNTHETIC: the cancelled block lies inside the long first issuance, not the nested second
    package = Synthetic().project(1, "BR", "2010-01-01")
    package.issue("BR", "CER", 1, 1, 1000, 1, "2011-01-10").issue("BR", "CER", 1, 10, 20, 1, "2011-01-10")
    package.cancel("BR", "CER", 1, 500, 600, 1, "2012-01-01")
    report = validate(package.write(tmp_path))
    assert [p.rule for p in report.errors] == ["serial-block-overlap"]  # the issuances overlap; the cancellation is fine


def test_acknowledged_source_discrepancy_is_a_finding(tmp_path):
    package = clean()
    _set(package.holdings, 3, quantity=891)
    package.acknowledged.append({"check": "holdings-within-net-issuance", "subject": "CP2-CER", "note": "test"})
    report = validate(package.write(tmp_path))
    assert report.errors == []
    assert [p.rule for p in report.findings] == ["holdings-within-net-issuance"]


def test_monitoring_period_overlap_is_a_warning_with_location(tmp_path):
    package = clean()
    _set(package.issuances, 8, monitoring_period_start="2012-12-01")  # partly inside 2012-06-01 to 2012-12-31
    report = validate(package.write(tmp_path))
    assert report.errors == []
    (problem,) = report.warnings
    assert (problem.rule, problem.path, problem.row, problem.field, problem.value) == (
        "monitoring-period-overlap", "datapackages/cdm/data/issuances.csv", 8, "monitoring_period_start", "2012-12-01")
    assert "IN-CER-1 (issuances.csv row 7)" in problem.message


def test_monitoring_period_inside_another_is_flagged_for_every_issuance_of_it(tmp_path):
    package = clean()
    # SYNTHETIC: two issuances (one per commitment period) of a period nested in an earlier one
    package.issue("BR", "CER", 1, 2001, 2100, 1, "2015-01-01", ("2012-03-01", "2012-04-30"))
    package.issue("BR", "CER", 2, 2101, 2200, 1, "2015-01-01", ("2012-03-01", "2012-04-30"))
    report = validate(package.write(tmp_path))
    assert report.errors == []
    assert [(p.rule, p.row) for p in report.warnings] == [("monitoring-period-overlap", 9), ("monitoring-period-overlap", 10)]
    assert all("2011-01-01 to 2013-06-30" in p.message for p in report.warnings)


# --- the real CDM package (read only) ----------------------------------------------------------------

@pytest.fixture(scope="module")
def real_cdm():
    return validate_package(CDM_DESCRIPTOR, REPO_ROOT)


def test_real_cdm_package_passes_the_transaction_checks(real_cdm):
    assert TRANSACTION_CHECKS <= set(real_cdm.checks_run)
    assert transaction_problems(real_cdm, "error") == []
    assert transaction_problems(real_cdm, "finding") == []


def test_real_cdm_monitoring_period_overlaps_are_the_known_warnings(real_cdm):
    # Three partial overlaps of distinct periods in two programmes of activities (8855, 9247),
    # on four issuance rows (row 11835 repeats the period of row 11613).
    warnings = transaction_problems(real_cdm, "warning")
    assert {p.rule for p in warnings} == {"monitoring-period-overlap"}
    assert sorted(p.row for p in warnings) == [11613, 11619, 11835, 12469]


def test_broken_copy_of_the_real_cdm_package(tmp_path):
    from tests.conftest import copy_repository
    from tests.helpers import edit_cell

    layout = copy_repository(tmp_path / "repo", packages=("cdm",))
    cdm = layout.datapackages / "cdm"
    row = edit_cell(cdm / "data" / "voluntary_cancellations.csv", {"cancellation_id": "BR-CER-57297956"},
                    "cancellation_date", "2000-01-01")
    report = validate_package(cdm / "datapackage.json", layout.root)
    (problem,) = report.errors
    assert (problem.rule, problem.path, problem.row, problem.field, problem.value) == (
        "cancellation-after-issuance", "datapackages/cdm/data/voluntary_cancellations.csv", row,
        "cancellation_date", "2000-01-01")


@pytest.mark.parametrize("change, resource, row, words", [
    (lambda hosts: hosts.pop(2), "project_hosts.csv", 3, "project 2: project_hosts lists KE (positions 1), but projects.host_party says KE;UG"),
    (lambda hosts: (hosts[1].update(position="2"), hosts[2].update(position="1")), "project_hosts.csv", 4,
     "project 2: project_hosts lists UG;KE (positions 1, 2)"),
    (lambda hosts: hosts[2].update(position="3"), "project_hosts.csv", 3, "(positions 1, 3)"),
    (lambda hosts: hosts.pop(0), "projects.csv", 2, "project 1: host_party is BR, but project_hosts has no row for it"),
])
def test_the_host_parties_table_must_agree_with_host_party(tmp_path, change, resource, row, words):
    """project_hosts and projects.host_party say the same thing (project-hosts-match): a host
    left out, an order changed, a position skipped or a project without rows is an error
    located in the file and row that differ."""
    package = clean()
    package.hosts = [{"project_id": p["project_id"], "party_code": code, "position": str(n),
                      "source_document": DOC, "source_location": "synthetic test row"}
                     for p in package.projects for n, code in enumerate(p["host_party"].split(";"), start=1)]
    assert validate(package.write(tmp_path / "clean")).valid
    change(package.hosts)
    report = validate(package.write(tmp_path / "broken"))
    (problem,) = [p for p in report.errors if p.rule == "project-hosts-match"]
    assert (problem.path, problem.row) == (f"datapackages/cdm/data/{resource}", row)
    assert words in problem.message, problem.message
