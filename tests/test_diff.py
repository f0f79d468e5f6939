"""The data diff: rows, schemas and totals between two versions of the packages, from folders or
git revisions, in three renderings."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from build_scripts.diff import EXIT_OK, EXIT_UNREADABLE, EXIT_USAGE, diff_command, md_escape
from build_scripts.paths import REPO_ROOT
from tests.conftest import copy_repository
from tests.helpers import edit_cell, edit_descriptor, read_rows, write_rows


def run(old, new, fmt="text", root=REPO_ROOT, **kwargs):
    return diff_command(str(old), str(new), Path(root), fmt, **kwargs)


def run_json(old, new, root=REPO_ROOT, **kwargs) -> dict:
    output, code = run(old, new, "json", root, **kwargs)
    assert code == EXIT_OK, output
    return json.loads(output)


def resource(report: dict, package: str, name: str) -> dict:
    pkg = next(p for p in report["packages"] if p["name"] == package)
    return next(r for r in pkg["resources"] if r["name"] == name)


@pytest.fixture
def ji_pair(tmp_path: Path) -> tuple[Path, Path]:
    """Two JI-only repository copies: OLD (left alone) and NEW (to mutate); their datapackages folders."""
    old = copy_repository(tmp_path / "old", packages=("ji",)).datapackages
    new = copy_repository(tmp_path / "new", packages=("ji",)).datapackages
    return old, new


@pytest.fixture(scope="module")
def cdm_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """OLD = the real CDM package; NEW = a copy with one issuance removed, one project retitled and
    one voluntary cancellation added."""
    new = tmp_path_factory.mktemp("cdm") / "cdm"
    shutil.copytree(REPO_ROOT / "datapackages" / "cdm", new, ignore=shutil.ignore_patterns("raw"))
    issuances = read_rows(new / "data" / "issuances.csv")
    write_rows(new / "data" / "issuances.csv", [r for r in issuances if r["issuance_id"] != "AR-CER-1"])
    projects = read_rows(new / "data" / "projects.csv")
    edit_cell(new / "data" / "projects.csv", {"project_id": projects[0]["project_id"]}, "title", "Renamed project")
    cancellations = read_rows(new / "data" / "voluntary_cancellations.csv")
    extra = dict(cancellations[0], cancellation_id="ZZ-CER-1", serial_start="1", serial_end="10", quantity="10")
    write_rows(new / "data" / "voluntary_cancellations.csv", [*cancellations, extra])
    return REPO_ROOT / "datapackages" / "cdm", new


# --------------------------------------------------------------------------- identical inputs


def test_identical_inputs_report_no_changes(ji_pair):
    old, new = ji_pair
    output, code = run(old, new)
    assert code == EXIT_OK
    resources = len(json.loads((old / "ji" / "datapackage.json").read_text(encoding="utf-8"))["resources"])
    assert f"No changes: 1 package(s), {resources} resource(s) compared." in output
    report = run_json(old, new)
    assert report["summary"]["changed"] is False
    assert report["attention"] == []
    assert {r["status"] for p in report["packages"] for r in p["resources"]} == {"unchanged"}
    markdown, _ = run(old, new, "markdown")
    assert "**No changes**" in markdown


def test_package_folder_datapackages_folder_and_repository_root_are_all_accepted(ji_pair):
    old, new = ji_pair
    for spec in (old, old / "ji", old / "ji" / "datapackage.json", old.parent):
        output, code = run(spec, new)
        assert code == EXIT_OK and "No changes" in output, (spec, output)


# --------------------------------------------------------------------------- rows


def test_added_removed_and_changed_rows_matched_by_primary_key(ji_pair):
    old, new = ji_pair
    path = new / "ji" / "data" / "recommendations.csv"
    rows = read_rows(path)
    removed = rows.pop(3)
    rows[0]["topic"] = "A new topic"
    rows[0]["summary"] = "A new summary"
    rows.append(dict(rows[1], recommendation_id="annex-ii-para-99", paragraph="99"))
    write_rows(path, rows)

    report = run_json(old, new)
    r = resource(report, "ji", "recommendations")
    assert r["status"] == "changed" and r["match"] == "primary key" and r["primary_key"] == ["recommendation_id"]
    assert (r["rows_added"], r["rows_removed"], r["rows_changed"]) == (1, 1, 1)
    assert (r["rows_old"], r["rows_new"]) == (25, 25)
    assert r["fields_changed"] == {"topic": 1, "summary": 1}
    assert r["examples"]["added"][0]["key"] == {"recommendation_id": "annex-ii-para-99"}
    assert r["examples"]["added"][0]["row"]["paragraph"] == "99"
    assert r["examples"]["removed"][0]["key"] == {"recommendation_id": removed["recommendation_id"]}
    changed = r["examples"]["changed"][0]
    assert changed["key"] == {"recommendation_id": rows[0]["recommendation_id"]}
    assert changed["changes"][0] == {"field": "topic", "old": "Reflections and Analysis", "new": "A new topic"}
    assert [c["field"] for c in changed["changes"]] == ["topic", "summary"]
    # only this resource changed
    changed_resources = [x["name"] for p in report["packages"] for x in p["resources"] if x["status"] != "unchanged"]
    assert changed_resources == ["recommendations"]

    text, code = run(old, new)
    assert code == EXIT_OK
    assert "recommendations (changed): rows 25 -> 25: 1 added, 1 removed, 1 changed" in text
    assert "+ recommendation_id=annex-ii-para-99" in text
    assert f"- recommendation_id={removed['recommendation_id']}" in text
    assert f"~ recommendation_id={rows[0]['recommendation_id']}: topic: Reflections and Analysis -> A new topic" in text


def test_composite_key_and_typed_comparison(ji_pair):
    """finance_lines is keyed by (table_id, line_no); 5285401.00 is the same number as 5285401."""
    old, new = ji_pair
    path = new / "ji" / "data" / "finance_lines.csv"
    edit_cell(path, {"table_id": "table-2", "line_no": "1"}, "amount_usd", "5285401.00")
    edit_cell(path, {"table_id": "table-2", "line_no": "1"}, "footnotes", "a, b")
    r = resource(run_json(old, new), "ji", "finance_lines")
    assert r["primary_key"] == ["table_id", "line_no"]
    assert r["fields_changed"] == {"footnotes": 1}
    assert r["examples"]["changed"][0]["key"] == {"table_id": "table-2", "line_no": 1}
    text, _ = run(old, new)
    assert "~ table_id=table-2, line_no=1: footnotes: a -> a, b" in text


def test_examples_are_limited_but_counts_are_complete(ji_pair):
    old, new = ji_pair
    path = new / "ji" / "data" / "recommendations.csv"
    rows = read_rows(path)
    for row in rows:
        row["topic"] = row["topic"] + " (revised)"
    write_rows(path, rows)
    report = run_json(old, new, examples=3)
    r = resource(report, "ji", "recommendations")
    assert r["rows_changed"] == 25 and len(r["examples"]["changed"]) == 3
    text, _ = run(old, new, examples=3)
    assert "changed (first 3 of 25):" in text
    markdown, _ = run(old, new, "markdown", examples=3)
    assert "<summary>Rows changed (first 3 of 25)</summary>" in markdown


def test_resource_without_primary_key_is_compared_as_a_multiset(ji_pair):
    old, new = ji_pair
    def drop_key(descriptor):
        next(r for r in descriptor["resources"] if r["name"] == "people")["schema"].pop("primaryKey")

    for folder in (old, new):
        edit_descriptor(folder / "ji", drop_key)
    path = new / "ji" / "data" / "people.csv"
    rows = read_rows(path)
    write_rows(path, [*rows, rows[2]])  # one row twice: one more occurrence
    r = resource(run_json(old, new), "ji", "people")
    assert r["match"] == "multiset" and r["primary_key"] == []
    assert (r["rows_added"], r["rows_removed"], r["rows_changed"]) == (1, 0, 0)
    assert r["examples"]["added"][0]["row"]["person_id"] == rows[2]["person_id"]


# --------------------------------------------------------------------------- totals


def test_shrinking_total_is_flagged(ji_pair):
    old, new = ji_pair
    edit_cell(new / "ji" / "data" / "reported_figures.csv", {"figure_id": "all-erus-issued"}, "value", "871893000")
    report = run_json(old, new)
    assert report["summary"]["attention"] == 2
    overall = report["attention"][0]
    assert (overall["package"], overall["resource"], overall["column"]) == ("ji", "reported_figures", "value")
    assert overall["group"] is None
    assert overall["change"] == -629 and overall["reason"] == "total decreased"
    assert report["attention"][1]["group"] == {"column": "unit", "value": "ERUs"}
    assert report["attention"][1]["old"] == 1743787258 and report["attention"][1]["new"] == 1743786629

    text, code = run(old, new)
    assert code == EXIT_OK
    assert "!! ATTENTION: 2 total(s) decreased or removed" in text
    assert "total value [unit=ERUs]: 1,743,787,258 -> 1,743,786,629 (-629)   <-- ATTENTION: total decreased" in text
    markdown, _ = run(old, new, "markdown")
    assert "⚠️ **Attention: 2 total(s) decreased or removed.**" in markdown
    assert "⚠️ **attention: total decreased**" in markdown


def test_growing_total_is_not_flagged_and_float_totals_are_exact(ji_pair):
    old, new = ji_pair
    path = new / "ji" / "data" / "finance_lines.csv"
    edit_cell(path, {"table_id": "table-2", "line_no": "1"}, "amount_usd", "5285401.01")
    report = run_json(old, new)
    assert report["attention"] == []
    total = next(t for t in resource(report, "ji", "finance_lines")["totals"] if t["column"] == "amount_usd")
    assert total["change"] == 0.01 and total["attention"] is None
    text, _ = run(old, new)
    assert "(+0.01)" in text and "ATTENTION" not in text


def test_cdm_rows_and_unit_totals(cdm_pair):
    old, new = cdm_pair
    started = time.perf_counter()
    report = run_json(old, new)
    elapsed = time.perf_counter() - started
    assert elapsed < 10, f"diff of the CDM package took {elapsed:.1f} s"
    issuances = resource(report, "cdm", "issuances")
    assert (issuances["rows_added"], issuances["rows_removed"], issuances["rows_changed"]) == (0, 1, 0)
    assert issuances["examples"]["removed"][0]["key"] == {"issuance_id": "AR-CER-1"}
    overall = next(t for t in issuances["totals"] if t["group"] is None)
    assert overall["column"] == "quantity" and overall["old"] == 2416896868
    assert overall["change"] == -76863 and overall["attention"] == "total decreased"
    cer = next(t for t in issuances["totals"] if t["group"] == {"column": "unit_type", "value": "CER"})
    assert cer["change"] == -76863 and cer["attention"] == "total decreased"
    assert all(t["change"] == 0 for t in issuances["totals"] if t["group"] and t["group"]["value"] != "CER")
    cancellations = resource(report, "cdm", "voluntary_cancellations")
    assert cancellations["rows_added"] == 1
    assert next(t for t in cancellations["totals"] if t["group"] is None)["change"] == 10
    projects = resource(report, "cdm", "projects")
    assert projects["rows_changed"] == 1 and projects["fields_changed"] == {"title": 1}
    assert resource(report, "cdm", "holdings")["status"] == "unchanged"
    assert {a["resource"] for a in report["attention"]} == {"issuances"}


# --------------------------------------------------------------------------- schema, packages


def test_schema_changes_are_reported(ji_pair):
    old, new = ji_pair

    def change(descriptor):
        meetings = next(r for r in descriptor["resources"] if r["name"] == "meetings")
        meetings["schema"]["fields"].append({"name": "venue", "type": "string"})
        elections = next(r for r in descriptor["resources"] if r["name"] == "elections")
        next(f for f in elections["schema"]["fields"] if f["name"] == "members")["type"] = "number"
        descriptor["version"] = "1.1.0"

    edit_descriptor(new / "ji", change)
    path = new / "ji" / "data" / "meetings.csv"
    rows = read_rows(path)
    write_rows(path, [dict(r, venue="Bonn") for r in rows])

    report = run_json(old, new)
    meetings = resource(report, "ji", "meetings")
    assert meetings["status"] == "changed"
    assert meetings["schema"]["fields_added"] == [{"name": "venue", "type": "string"}]
    assert meetings["rows_changed"] == 0  # a new column is a schema change, not a change of every row
    elections = resource(report, "ji", "elections")
    assert elections["schema"]["fields_retyped"] == [{"name": "members", "old": "integer", "new": "number"}]
    assert elections["rows_changed"] == 0  # 2 (integer) == 2.0 (number)
    ji = report["packages"][0]
    assert {"key": "version", "old": "1.0.0", "new": "1.1.0"} in ji["metadata_changes"]

    text, _ = run(old, new)
    assert "schema: field added venue (string)" in text
    assert "schema: field retyped members: integer -> number" in text
    assert "descriptor version: 1.0.0 -> 1.1.0" in text
    markdown, _ = run(old, new, "markdown")
    assert "| `members` | retyped | integer | number |" in markdown

    report = run_json(new, old)  # the other way round: the field is removed
    assert resource(report, "ji", "meetings")["schema"]["fields_removed"] == [{"name": "venue", "type": "string"}]


def test_packages_added_and_removed(ji_pair):
    old, new = ji_pair
    shutil.copytree(new / "ji", new / "ji2")
    edit_descriptor(new / "ji2", lambda d: d.update(name="ji2"))
    report = run_json(old, new)
    assert report["summary"]["packages_added"] == 1
    added = next(p for p in report["packages"] if p["name"] == "ji2")
    assert added["status"] == "added"
    assert resource(report, "ji2", "reported_figures")["rows_added"] == 25
    assert report["attention"] == []

    report = run_json(new, old)
    removed = next(p for p in report["packages"] if p["name"] == "ji2")
    assert removed["status"] == "removed" and report["summary"]["packages_removed"] == 1
    # the totals of a package that disappears are flagged too
    assert {(a["resource"], a["reason"]) for a in report["attention"] if a["group"] is None} == {
        ("reported_figures", "total removed"), ("finance_lines", "total removed")}
    text, _ = run(new, old)
    assert "== Package ji2: removed" in text


def test_values_that_do_not_fit_their_type_are_compared_as_text_with_a_warning(ji_pair):
    old, new = ji_pair
    edit_cell(new / "ji" / "data" / "elections.csv", {"election_id": "cmp-12-annex-i"}, "members", "two")
    output, code = run(old, new)
    assert code == EXIT_OK
    assert "warning: data/elections.csv: values do not fit the schema's types" in output
    assert "~ election_id=cmp-12-annex-i: members: 2 -> two" in output


# --------------------------------------------------------------------------- git revisions


def _git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.org", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True, env=env).stdout


def test_git_revisions_are_extracted_and_compared(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    (repo / "README.md").write_text("no data yet\n")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "empty")
    shutil.copytree(REPO_ROOT / "datapackages" / "ji", repo / "datapackages" / "ji")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "JI package")
    _git(repo, "branch", "base")
    figures = repo / "datapackages" / "ji" / "data" / "reported_figures.csv"
    edit_cell(figures, {"figure_id": "track-1-projects-published"}, "value", "598")
    _git(repo, "commit", "-q", "-am", "one more project")
    # uncommitted: only the working tree (a folder) sees it
    edit_cell(figures, {"figure_id": "track-1-projects-published"}, "value", "599")

    text, code = run("base", "HEAD", root=repo)
    assert code == EXIT_OK
    sha = _git(repo, "rev-parse", "HEAD").strip()
    base = _git(repo, "rev-parse", "base").strip()
    assert text.startswith(f"Data diff: OLD base (git {base[:12]}) -> NEW HEAD (git {sha[:12]})")
    assert "~ figure_id=track-1-projects-published: value: 597 -> 598" in text
    report = run_json("HEAD~1", sha, root=repo)
    assert report["new"]["commit"] == sha and report["old"]["kind"] == "git"
    assert resource(report, "ji", "reported_figures")["rows_changed"] == 1

    text, _ = run("HEAD", repo, root=repo)  # a revision against the working tree
    assert "value: 598 -> 599" in text

    report = run_json("HEAD~2", "HEAD", root=repo)  # before the data existed: the package is added
    assert report["old"]["note"] == "no datapackages/ folder at HEAD~2"
    assert report["packages"][0]["status"] == "added"
    assert not (repo / "datapackages.tar").exists()
    assert _git(repo, "status", "--porcelain").strip() == "M datapackages/ji/data/reported_figures.csv"


# --------------------------------------------------------------------------- renderings


def test_markdown_escapes_pipes_and_newlines_in_values(ji_pair):
    old, new = ji_pair
    value = "Split | merged\nsecond line <b>not bold</b>"
    edit_cell(new / "ji" / "data" / "recommendations.csv", {"recommendation_id": "annex-i-para-4"}, "summary", value)
    markdown, code = run(old, new, "markdown")
    assert code == EXIT_OK
    assert "Split \\| merged<br>second line &lt;b&gt;not bold&lt;/b&gt;" in markdown
    assert value not in markdown
    # every row of the changed-rows table has the header's number of cells
    table = markdown.split("<summary>Rows changed (1)</summary>")[1].split("</details>")[0].strip().splitlines()
    cells = [len(re.split(r"(?<!\\)\|", line)) for line in table]
    assert len(table) == 3 and len(set(cells)) == 1, table
    assert md_escape("a|b\r\nc_d") == "a\\|b<br>c\\_d"
    text, _ = run(old, new)  # the terminal report shows the newline escaped, on one line
    assert '"Split | merged\\nsecond line <b>not bold</b>"' in text


def test_markdown_report_structure(cdm_pair):
    old, new = cdm_pair
    markdown, code = run(old, new, "markdown")
    assert code == EXIT_OK
    assert markdown.startswith("## Data changes\n")
    assert "| `cdm` | changed | 3 of 9 | 1 | 1 | 1 |" in markdown
    assert "#### `issuances` (changed)" in markdown
    assert "<details>\n<summary>Rows removed (1)</summary>\n\n| issuance\\_id |" in markdown
    assert "| quantity | 2,416,896,868 | 2,416,820,005 | -76,863 | ⚠️ **attention: total decreased** |" in markdown


def test_json_is_stable_and_machine_readable(cdm_pair):
    old, new = cdm_pair
    first, _ = run(old, new, "json")
    second, _ = run(old, new, "json")
    assert first == second
    report = json.loads(first)
    assert list(report) == ["format", "version", "examples_per_list", "old", "new", "summary", "attention", "packages"]
    assert list(report["packages"][0]["resources"][0]) == [
        "name", "status", "match", "primary_key", "rows_old", "rows_new", "rows_added", "rows_removed",
        "rows_changed", "fields_changed", "schema", "totals", "examples", "warnings"]
    assert report["summary"] == {"changed": True, "packages_compared": 1, "packages_added": 0, "packages_removed": 0,
                                 "packages_changed": 1, "resources_compared": 9, "resources_changed": 3,
                                 "rows_added": 1, "rows_removed": 1, "rows_changed": 1, "attention": 2}


# --------------------------------------------------------------------------- unreadable inputs


def test_unreadable_old_exits_1_with_a_clear_message(ji_pair, tmp_path):
    old, new = ji_pair
    output, code = run(tmp_path / "missing", new)
    assert code == EXIT_UNREADABLE
    assert output.startswith(f"error: cannot read OLD '{tmp_path / 'missing'}': no such folder, "
                             "and no such git revision")

    empty = tmp_path / "empty"
    empty.mkdir()
    output, code = run(empty, new)
    assert code == EXIT_UNREADABLE and "holds no data package" in output

    (old / "ji" / "datapackage.json").write_text("{ not json", encoding="utf-8")
    output, code = run(old, new, "json")
    assert code == EXIT_UNREADABLE
    assert output.startswith("error: cannot read OLD") and "datapackage.json" in output


def test_missing_csv_in_new_exits_1(ji_pair):
    old, new = ji_pair
    (new / "ji" / "data" / "meetings.csv").unlink()
    output, code = run(old, new)
    assert code == EXIT_UNREADABLE
    assert "cannot read NEW" in output and "resource 'meetings'" in output and "meetings.csv" in output


def test_revision_outside_a_git_repository_and_unknown_format(ji_pair, tmp_path):
    old, new = ji_pair
    output, code = run("main", new, root=tmp_path)
    assert code == EXIT_UNREADABLE and "not usable as a git repository" in output
    output, code = run(old, new, "html")
    assert code == EXIT_USAGE and "unknown format" in output
