"""The CDM importer: slices of the real UNFCCC files against golden CSVs, each quirk of the
sources, layout recognition, and the measured facts of the full package in datapackages/cdm.

Fixtures: tests/fixtures/cdm/ (NOTES.md says where the slices come from and how they were cut).
Regenerate the golden CSVs after an intended change with UPDATE_GOLDEN=1.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook

from build_scripts.importers import (ImportFailed, ImportSummary, MissingSource, SourceError, UnrecognisedLayout,
                                     countries, import_cdm, parsing)
from build_scripts.importers.sources import discover, recognise
from build_scripts.load import load_package
from build_scripts.paths import REPO_ROOT

FIXTURES = REPO_ROOT / "tests" / "fixtures" / "cdm"
SOURCE = FIXTURES / "source"
GOLDEN = FIXTURES / "golden"
PACKAGE = REPO_ROOT / "datapackages" / "cdm"
RAW = PACKAGE / "raw"
RESOURCES = ["documents", "parties", "entities", "projects", "project_hosts", "issuances", "voluntary_cancellations",
             "administrative_cancellations", "holdings"]
REGISTERED = "cdm-registered-project-activities-2025-04.csv"
BY_PROJECT = "cdm-issuances-by-project-2023-06.csv"
ISSUANCE_REPORT = "cdm-registry-issuance-report-2023-08-31.xlsx"


# --- the slices ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ImportSummary]:
    """The fixture slices imported once into a fresh package folder."""
    package = tmp_path_factory.mktemp("cdm") / "cdm"
    summary = import_cdm(SOURCE, package)
    return package, summary


@pytest.fixture(scope="module")
def tables(imported) -> dict[str, pd.DataFrame]:
    package, _ = imported
    return {name: pd.read_csv(package / "data" / f"{name}.csv", dtype=str, keep_default_na=False)
            for name in RESOURCES}


def _source_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "source"
    shutil.copytree(SOURCE, folder)
    return folder


@pytest.mark.parametrize("resource", RESOURCES)
def test_slices_import_to_the_golden_csvs(imported, resource: str) -> None:
    package, _ = imported
    written = (package / "data" / f"{resource}.csv").read_bytes()
    golden = GOLDEN / f"{resource}.csv"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_bytes(written)
    assert written == golden.read_bytes(), f"{resource}.csv differs from {golden.relative_to(REPO_ROOT)}"


def test_importing_twice_gives_identical_bytes(tmp_path: Path, imported) -> None:
    first, _ = imported
    second = tmp_path / "cdm"
    import_cdm(SOURCE, second)
    again = import_cdm(second / "raw", second)  # the default usage: re-import from the committed raw copies
    assert again.copied == [] and again.removed == []
    for relative in ["datapackage.json"] + [f"data/{name}.csv" for name in RESOURCES]:
        assert (first / relative).read_bytes() == (second / relative).read_bytes(), relative


def test_raw_files_are_copied_unaltered(imported) -> None:
    package, summary = imported
    for source in SOURCE.iterdir():
        assert (package / "raw" / source.name).read_bytes() == source.read_bytes()
    assert sorted(summary.copied) == sorted(p.name for p in SOURCE.iterdir())


def test_csvs_are_plain_utf8_with_newline_endings(imported) -> None:
    package, _ = imported
    for name in RESOURCES:
        data = (package / "data" / f"{name}.csv").read_bytes()
        assert b"\r" not in data and not data.startswith(b"\xef\xbb\xbf")
        data.decode("utf-8")
        assert not data.startswith(b",")  # no index column


def test_fixture_package_passes_stock_frictionless_validation(imported) -> None:
    from frictionless import Package, system

    package, _ = imported
    with system.use_context(trusted=False):
        report = Package(str(package / "datapackage.json")).validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:10]


def test_descriptor_schemas_match_the_committed_package(imported) -> None:
    """The committed datapackages/cdm was written by the current importer's schemas."""
    import json

    package, _ = imported
    fixture = json.loads((package / "datapackage.json").read_text(encoding="utf-8"))
    committed = json.loads((PACKAGE / "datapackage.json").read_text(encoding="utf-8"))
    assert fixture["resources"] == committed["resources"]
    assert fixture["licenses"] == committed["licenses"]
    assert fixture["as_of"] == committed["as_of"] == "2023-08-31"
    assert all(s["attribution"] == "Source: UNFCCC, CDM Registry public reports" for s in fixture["sources"])
    assert [s["sha256"] for s in fixture["sources"]] == list(pd.read_csv(package / "data" / "documents.csv")["sha256"])


def test_field_names_are_those_of_the_ji_package(imported) -> None:
    """Same concepts, same field names: projects, entities and documents exactly; issuances add
    the transaction type and status before the source fields."""
    import json

    package, _ = imported
    fields = {}
    for name, path in (("cdm", package / "datapackage.json"), ("ji", REPO_ROOT / "datapackages/ji/datapackage.json")):
        descriptor = json.loads(path.read_text(encoding="utf-8"))
        fields[name] = {r["name"]: [f["name"] for f in r["schema"]["fields"]] for r in descriptor["resources"]}
    for resource in ("projects", "entities", "documents"):
        assert fields["cdm"][resource] == fields["ji"][resource], resource
    extra = ["transaction_type", "transaction_status"]
    assert [f for f in fields["cdm"]["issuances"] if f not in extra] == fields["ji"]["issuances"]


def test_summary_counts_and_prints(imported, tables) -> None:
    _, summary = imported
    assert summary.counts == {name: len(tables[name]) for name in RESOURCES}
    assert summary.issuances_matched == (tables["issuances"]["source_location"].str.contains(BY_PROJECT[:-4])).sum()
    text = str(summary)
    assert "issuances" in text and f"{summary.issuances_matched:,} of {len(tables['issuances']):,}" in text
    assert any("not in the registered list" in w and "5962" in w for w in summary.warnings)


def test_source_locations_point_at_the_raw_rows(tables) -> None:
    """'row N' is the 1-based row of the raw sheet, title and header rows counted."""
    workbook = load_workbook(SOURCE / "cdm-registry-voluntary-cancellations-2023-08-31.xlsx", read_only=True)
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    voluntary = tables["voluntary_cancellations"]
    for _, record in voluntary.iterrows():
        row = rows[int(record["source_location"].removeprefix("row ")) - 1]
        assert row[2].replace(" ", "") == f"{record['serial_start']}-{record['serial_end']}"
    registered = list(csv.reader(io.StringIO((SOURCE / REGISTERED).read_text(encoding="cp1252"))))
    projects = tables["projects"].set_index("project_id")
    assert registered[int(projects.loc["443", "source_location"].removeprefix("row ")) - 1][6] == "0443"


def test_fixture_slices_are_real_rows() -> None:
    """Every slice row is a row of the real file (CSV: the same bytes; xlsx: the same values)."""
    for name in (REGISTERED, BY_PROJECT):
        real = set((RAW / name).read_bytes().splitlines())
        assert set((SOURCE / name).read_bytes().splitlines()) <= real, name
    for path in sorted(SOURCE.glob("*.xlsx")):
        real_sheet = load_workbook(RAW / path.name, read_only=True).worksheets[0]
        real_rows = {tuple(v for v in row if v is not None) for row in real_sheet.iter_rows(values_only=True)}
        for row in load_workbook(path, read_only=True).worksheets[0].iter_rows(values_only=True):
            values = tuple(v for v in row if v is not None)
            if values and not any(isinstance(v, str) and v.startswith("=SUM(") for v in values):
                assert values in real_rows, (path.name, values)


# --- each quirk of the sources ---------------------------------------------------------------------

def test_windows_1252_titles_are_decoded(tables) -> None:
    titles = tables["projects"].set_index("project_id")["title"]
    assert titles["443"] == "CAPEX S.A. – AGUA DEL CAJÓN THERMAL POWER PLANT – OPEN TO COMBINED CYCLE CONVERSION"
    assert titles["3090"] == "Félou Regional Hydropower Project"
    assert titles["1177"] == "Fujian Pingtan Changjiang’ao 100 MW Wind Power Project"
    assert recognise(SOURCE / REGISTERED).encoding == "cp1252"


def test_utf8_bom_header_is_recognised() -> None:
    assert (SOURCE / BY_PROJECT).read_bytes().startswith(b"\xef\xbb\xbf")
    table = recognise(SOURCE / BY_PROJECT)
    assert (table.layout, table.encoding, table.header_row) == ("issuances_by_project", "utf-8-sig", 1)
    assert table.column_index["activity_type"] == 0  # 'PA/PoA', the column right after the BOM


def test_short_dates_and_padded_thousands_from_the_by_project_file(tables) -> None:
    # by-project row: PA,1031,BO,SGS,...,15/5/08,1/7/02,30/4/07," 725,875 ",1,1,21Jun2023
    issuance = tables["issuances"].set_index("issuance_id").loc["BO-CER-1"]
    assert (issuance["monitoring_period_start"], issuance["monitoring_period_end"]) == ("2002-07-01", "2007-04-30")
    assert (issuance["quantity"], issuance["entity_id"]) == ("725875", "SGS")
    frame = pd.DataFrame({"v": [" 4,574 ", " 1,231,148 ", "12", " 7 "], "source_row": [2, 3, 4, 5]})
    frame.attrs["file"] = "x.csv"
    assert parsing.integers(frame, "v", "Units").tolist() == [4574, 1231148, 12, 7]
    dates = pd.DataFrame({"v": ["21/6/23", "1/1/13", "31/12/2012", ""], "source_row": [2, 3, 4, 5]})
    dates.attrs["file"] = "x.csv"
    parsed = parsing.csv_dates(dates, "v", "Issuance date", ("%d/%m/%y", "%d/%m/%Y"), required=False)
    assert [d.date() if pd.notna(d) else None for d in parsed] == [
        dt.date(2023, 6, 21), dt.date(2013, 1, 1), dt.date(2012, 12, 31), None]


def test_excel_dates_serials_datetimes_and_text() -> None:
    frame = pd.DataFrame({"v": [45169, 45169.75, dt.datetime(2007, 11, 9, 10, 33, 23), "18/11/2004"],
                          "source_row": [2, 3, 4, 5]}, dtype=object)
    frame.attrs["file"] = "x.xlsx"
    parsed = parsing.excel_dates(frame, "v", "Completion date")
    assert [d.date() for d in parsed] == [dt.date(2023, 8, 31), dt.date(2023, 8, 31), dt.date(2007, 11, 9),
                                          dt.date(2004, 11, 18)]


def test_serial_ranges() -> None:
    frame = pd.DataFrame({"v": ["1 - 2210", "48231 - 591059", " 7-7 ", "1192933189 - 1193198934"],
                          "source_row": [2, 3, 4, 5]})
    frame.attrs["file"] = "x.xlsx"
    parsed = parsing.serial_ranges(frame, "v", "SERIAL RANGE")
    assert parsed["serial_start"].tolist() == [1, 48231, 7, 1192933189]
    assert parsed["serial_end"].tolist() == [2210, 591059, 7, 1193198934]
    broken = pd.DataFrame({"v": ["1 - 2210", "12 -", "9 - 3"], "source_row": [2, 3, 4]})
    broken.attrs["file"] = "report.xlsx"
    with pytest.raises(SourceError, match=r"report\.xlsx: column 'SERIAL RANGE'.*row 3: '12 -'"):
        parsing.serial_ranges(broken, "v", "SERIAL RANGE")


def test_zero_padded_references_and_party_project_identifiers(tables) -> None:
    frame = pd.DataFrame({"ref": ["0008", "0443", "10743"], "id": ["BR-2569", "CN-1177", "ZA-0070"],
                          "source_row": [2, 3, 4]})
    frame.attrs["file"] = "x"
    assert parsing.project_numbers(frame, "ref", "Ref").tolist() == ["8", "443", "10743"]
    identifiers = parsing.party_projects(frame, "id", "Project Identifier")
    assert identifiers.values.tolist() == [["BR", "2569"], ["CN", "1177"], ["ZA", "70"]]
    voluntary = tables["voluntary_cancellations"].set_index("cancellation_id")
    assert voluntary.loc["BR-tCER-65142364", ["originating_party", "project_id"]].tolist() == ["BR", "2569"]
    assert "8" in set(tables["projects"]["project_id"]) and "0008" not in set(tables["projects"]["project_id"])


def test_projects_with_several_host_parties(tables) -> None:
    projects = tables["projects"].set_index("project_id")
    assert projects.loc["3090", "host_party"] == "ML;SN;MR"  # 'Mali/ Senegal/ Mauritania'
    assert projects.loc["6120", "host_party"] == "LA;TH"  # "Lao People's Democratic Republic/ Thailand"
    assert projects.loc["8", "other_parties"] == "NL;IT;LU;CH;JP;ES"
    assert projects.loc["5962", "host_party"] == "KE;KH;MW;UG"  # unlisted PoA: the issuance report's codes


def test_status_and_registration_dates(tables) -> None:
    projects = tables["projects"].set_index("project_id")
    assert projects.loc["8", ["status", "registration_date"]].tolist() == ["registered", "2004-11-18"]
    assert projects.loc["70", ["status", "registration_date", "record_flags"]].tolist() == ["withdrawn", "", ""]
    assert projects.loc["443", "status"] == "rejected"
    assert projects.loc["2712", ["status", "registration_date", "record_flags"]].tolist() == [
        "registered", "", "no-registration-date"]


def test_projects_missing_from_the_registered_list_are_flagged(tables) -> None:
    projects = tables["projects"].set_index("project_id")
    flagged = projects[projects["record_flags"].str.contains("not-in-registered-list")]
    assert sorted(flagged.index, key=int) == ["5962", "8260", "9507", "9666"]
    assert (flagged["title"] == "").all() and (flagged["status"] == "").all()
    assert projects.loc["5962", ["activity_type", "project_type", "record_flags"]].tolist() == [
        "PoA", "EE service", "not-in-registered-list;no-title;no-registration-date"]
    assert projects.loc["8260", ["activity_type", "project_type", "record_flags"]].tolist() == [
        "", "", "not-in-registered-list;not-in-issuances-by-project;no-title;no-registration-date"]
    assert projects.loc["8260", "source_document"] == "cdm-registry-issuance-report-2023-08-31"
    # Titles are empty only on flagged rows.
    assert (projects.loc[projects["title"] == "", "record_flags"].str.contains("no-title")).all()


def test_every_country_name_of_the_real_registered_list_maps_to_a_code() -> None:
    text = (RAW / REGISTERED).read_bytes().decode("cp1252")
    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    names = {name.strip() for column in ("Host parties", "Other Parties") for cell in frame[column]
             for name in cell.split("/") if name.strip()}
    assert len(names) == 123
    codes = countries.codes_for(names, REGISTERED)
    assert len(set(codes.values())) == len(names)  # no two names on one code
    assert {name: codes[name] for name in (
        "Côte d`Ivoire", "Iran (Islamic Republic of)", "Republic of Korea", "Democratic People's Republic of Korea",
        "Republic of Moldova", "United Republic of Tanzania", "Democratic Republic of the Congo", "Cape Verde",
        "The former Yugoslav Republic of Macedonia", "Czech Republic", "Viet Nam", "Bolivia", "Netherlands",
        "United Kingdom of Great Britain and Northern Ireland", "Lao People's Democratic Republic", "Libya",
    )} == {
        "Côte d`Ivoire": "CI", "Iran (Islamic Republic of)": "IR", "Republic of Korea": "KR",
        "Democratic People's Republic of Korea": "KP", "Republic of Moldova": "MD", "United Republic of Tanzania": "TZ",
        "Democratic Republic of the Congo": "CD", "Cape Verde": "CV", "The former Yugoslav Republic of Macedonia": "MK",
        "Czech Republic": "CZ", "Viet Nam": "VN", "Bolivia": "BO", "Netherlands": "NL",
        "United Kingdom of Great Britain and Northern Ireland": "GB", "Lao People's Democratic Republic": "LA",
        "Libya": "LY",
    }
    assert countries.used_aliases(names) == {"The former Yugoslav Republic of Macedonia": "MK"}


def test_unknown_country_name_is_a_clear_error() -> None:
    with pytest.raises(SourceError, match="'Atlantis'.*country_aliases.yml"):
        countries.codes_for(["Brazil", "Atlantis"], REGISTERED)


def test_parties_have_english_names_and_published_names(tables) -> None:
    parties = tables["parties"].set_index("party_code")
    assert parties.loc["CI", ["name", "name_as_published"]].tolist() == ["Côte d'Ivoire", "Côte d`Ivoire"]
    assert parties.loc["CD", "name"] == "Democratic Republic of the Congo"
    assert parties.loc["TG", ["name", "name_as_published", "source_document"]].tolist() == [
        "Togo", "", "cdm-registry-issuance-report-2023-08-31"]
    used = set(tables["issuances"]["originating_party"]) | set(tables["voluntary_cancellations"]["originating_party"])
    for column in ("host_party", "other_parties"):
        used |= {code for cell in tables["projects"][column] for code in cell.split(";") if code}
    assert used == set(parties.index)


def test_issuances_matched_to_the_by_project_file(tables) -> None:
    issuances = tables["issuances"].set_index("issuance_id")
    # The same project, period and units issued twice: ambiguous, left unmatched.
    for ambiguous in ("CN-CER-592434921", "CN-CER-842835820", "NP-CER-1053619", "NP-CER-2454823"):
        assert issuances.loc[ambiguous, ["monitoring_period_start", "entity_id"]].tolist() == ["", ""]
        assert ";" not in issuances.loc[ambiguous, "source_location"]
    # 'No info' is no DOE; the monitoring period is still matched.
    matched = issuances[issuances["project_id"].eq("7834") & issuances["source_location"].str.contains(";")]
    assert sorted(matched["entity_id"]) == ["", "", "CTC"]  # two by-project rows say 'No info'
    assert (matched["monitoring_period_start"] != "").all()
    # Completed after the by-project file's date: nothing to match.
    late = issuances[issuances["issuance_date"] > "2023-06-21"]
    assert len(late) and (late["monitoring_period_start"] == "").all()


def test_administrative_cancellations_take_the_commitment_period_of_their_issuance_block(tables) -> None:
    administrative = tables["administrative_cancellations"]
    assert len(administrative) == 6 and (administrative["commitment_period"] == "1").all()
    assert administrative.set_index("cancellation_id").loc["IN-tCER-156837226", "reason"].startswith(
        "Due to a technical error tCERs")


def test_holdings_in_long_format(tables) -> None:
    holdings = tables["holdings"]
    assert len(holdings) == 10
    cer_cp2 = holdings[(holdings["unit_type"] == "CER") & (holdings["commitment_period"] == "2")].iloc[0]
    assert (cer_cp2["quantity"], cer_cp2["as_of"], cer_cp2["source_location"]) == (
        "312341240", "2023-08-31", "row 5, column F (CER)")


# --- layouts, missing files, errors -----------------------------------------------------------------

def test_a_csv_with_other_columns_is_an_unrecognised_layout(tmp_path: Path) -> None:
    folder = _source_copy(tmp_path)
    (folder / "projects-2026.csv").write_text("Ref,Title,Country\n0001,A project,Brazil\n", encoding="utf-8")
    expected = (r"(?s)projects-2026\.csv: not one of the known csv report layouts.*CDM project reference number"
                r".*Found: row 1: \['Ref', 'Title', 'Country'\]")
    with pytest.raises(UnrecognisedLayout, match=expected):
        import_cdm(folder, tmp_path / "cdm")
    assert not (tmp_path / "cdm").exists()  # nothing written


def test_a_workbook_with_another_header_is_an_unrecognised_layout(tmp_path: Path) -> None:
    folder = _source_copy(tmp_path)
    workbook = Workbook()
    workbook.active.append(["Issuances as at 31 August 2023"])
    workbook.active.append(["Date", "Serial range", "Party", "Units"])
    workbook.save(folder / ISSUANCE_REPORT)
    expected = (rf"(?s){ISSUANCE_REPORT}: not one of the known xlsx.*SERIAL RANGE.*PARTY CODE"
                r".*Found: sheet 'Sheet', row 2: \['Date'")
    with pytest.raises(UnrecognisedLayout, match=expected):
        import_cdm(folder, tmp_path / "cdm")


def test_a_missing_report_is_a_clear_error(tmp_path: Path) -> None:
    folder = _source_copy(tmp_path)
    (folder / "cdm-registry-aggregated-holdings-2023-08-31.xlsx").unlink()
    with pytest.raises(MissingSource, match="(?s)no file with the layout of aggregated_holdings.*Account Type"):
        import_cdm(folder, tmp_path / "cdm")


def test_two_releases_of_one_report_are_refused(tmp_path: Path) -> None:
    folder = _source_copy(tmp_path)
    shutil.copyfile(folder / REGISTERED, folder / "cdm-registered-project-activities-2025-10.csv")
    with pytest.raises(UnrecognisedLayout, match="both have the registered_activities layout"):
        discover(folder)


def test_a_renamed_release_is_recognised_by_its_layout(tmp_path: Path) -> None:
    folder = _source_copy(tmp_path)
    package = tmp_path / "cdm"
    import_cdm(folder, package)  # the old release, then a renamed new one
    new = tmp_path / "next"
    shutil.copytree(folder, new)
    (new / ISSUANCE_REPORT).rename(new / "issuance_report_2024.xlsx")
    summary = import_cdm(new, package)
    assert summary.sources["issuance_report"] == "issuance_report_2024.xlsx"
    assert summary.removed == [ISSUANCE_REPORT]  # the superseded release leaves raw/
    assert sorted(p.name for p in (package / "raw").iterdir()) == sorted(p.name for p in new.iterdir())
    documents = pd.read_csv(package / "data" / "documents.csv", dtype=str)
    assert "issuance-report-2024" in set(documents["document_id"])
    issuances = pd.read_csv(package / "data" / "issuances.csv", dtype=str)
    assert set(issuances["source_document"]) == {"issuance-report-2024"}


def test_a_bad_value_names_file_row_and_column(tmp_path: Path) -> None:
    folder = _source_copy(tmp_path)
    path = folder / BY_PROJECT
    data = path.read_bytes()
    path.write_bytes(data.replace(b"15/5/08,1/7/02", b"15/5/08,31/2/02", 1))
    with pytest.raises(SourceError, match=rf"{BY_PROJECT}: column 'Monitoring report started'.*row \d+: '31/2/02'"):
        import_cdm(folder, tmp_path / "cdm")


def test_import_failed_is_the_common_base() -> None:
    assert all(issubclass(error, ImportFailed) for error in (UnrecognisedLayout, MissingSource, SourceError))
    assert issubclass(UnrecognisedLayout, Exception)


# --- the full package in datapackages/cdm --------------------------------------------------------------

@pytest.fixture(scope="module")
def cdm():
    return load_package(PACKAGE / "datapackage.json")


def test_full_package_reproduces_the_measured_facts(cdm) -> None:
    issuances = cdm["issuances"]
    assert len(issuances) == 12_513
    assert issuances["project_id"].nunique() == 3_694
    assert issuances["originating_party"].nunique() == 82
    assert int(issuances["quantity"].sum()) == 2_416_896_868
    assert ((issuances["serial_end"] - issuances["serial_start"] + 1) == issuances["quantity"]).all()
    assert len(cdm["voluntary_cancellations"]) == 26_579
    # The dataset README says 8; the report holds 6 cancellation rows (rows 3-8) between its
    # header and its TOTAL row (=SUM(D3:D8), 1,035,475 units).
    assert len(cdm["administrative_cancellations"]) == 6
    assert int(cdm["administrative_cancellations"]["quantity"].sum()) == 1_035_475
    flags = cdm["projects"]["record_flags"].fillna("")
    assert flags.str.contains("not-in-registered-list").sum() == 98
    assert len(cdm["projects"]) == 8_237 + 98
    assert int(cdm["voluntary_cancellations"]["quantity"].sum()) == 163_497_417  # the report's footer total


def test_full_package_voluntary_cancellations_lie_inside_issuance_blocks(cdm) -> None:
    """Each voluntary cancellation block is inside one issuance block of the same party and project."""
    cancellations = cdm["voluntary_cancellations"].astype({"serial_start": "int64", "serial_end": "int64"})
    issuances = cdm["issuances"].astype({"serial_start": "int64", "serial_end": "int64"})
    merged = pd.merge_asof(
        cancellations.sort_values("serial_start"),
        issuances[["originating_party", "serial_start", "serial_end", "project_id", "unit_type", "commitment_period"]]
        .rename(columns={"serial_end": "issued_end", "project_id": "issued_project", "unit_type": "issued_unit",
                         "commitment_period": "issued_period"}).sort_values("serial_start"),
        on="serial_start", by="originating_party", direction="backward")
    assert merged["issued_end"].notna().all()
    assert (merged["serial_end"] <= merged["issued_end"]).all()
    assert (merged["project_id"] == merged["issued_project"]).all()
    assert (merged["unit_type"] == merged["issued_unit"]).all()
    assert (merged["commitment_period"] == merged["issued_period"]).all()
    ordered = cancellations.sort_values(["originating_party", "serial_start"])
    reach = ordered.groupby("originating_party")["serial_end"].cummax().groupby(ordered["originating_party"]).shift(1)
    assert not (ordered["serial_start"] <= reach).any()  # no two cancellation blocks overlap


def test_full_package_host_parties_agree_with_the_registry(cdm) -> None:
    """The country names of the registered list map to the codes the registry issues under."""
    projects = cdm["projects"].set_index("project_id")
    issued = cdm["issuances"].groupby("project_id")["originating_party"].agg(set)
    listed = issued[issued.index.isin(projects.index[projects["status"].notna()])]
    hosts = projects.loc[listed.index, "host_party"].str.split(";").map(set)
    assert (listed <= hosts).all(), listed[~(listed <= hosts)].head()


def test_full_package_matches_and_parties(cdm) -> None:
    issuances = cdm["issuances"]
    assert issuances["monitoring_period_start"].notna().sum() >= 12_400
    used = set(issuances["originating_party"]) | set(cdm["voluntary_cancellations"]["originating_party"])
    for column in ("host_party", "other_parties"):
        used |= {code for cell in cdm["projects"][column].dropna() for code in cell.split(";")}
    assert used == set(cdm["parties"]["party_code"])


def test_committed_package_is_what_the_importer_writes(tmp_path: Path) -> None:
    """Re-importing the committed raw files reproduces the committed CSVs and descriptor byte for byte."""
    package = tmp_path / "cdm"
    shutil.copytree(RAW, package / "raw")
    summary = import_cdm(package / "raw", package)
    assert summary.counts["issuances"] == 12_513
    for relative in ["datapackage.json"] + [f"data/{name}.csv" for name in RESOURCES]:
        assert (package / relative).read_bytes() == (PACKAGE / relative).read_bytes(), relative
