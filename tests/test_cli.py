"""The command line: exit codes, located messages, and a failed build that keeps the last site."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from build_scripts.cli import EXIT_BUILD, EXIT_INVALID, EXIT_OK, EXIT_USAGE, main
from tests.helpers import edit_cell


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "build_scripts", *args], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parent.parent)


def test_help_lists_commands():
    result = run_cli("--help")
    assert result.returncode == 0
    for command in ("validate", "build", "serve"):
        assert command in result.stdout


def test_unknown_command_is_a_usage_error(capsys):
    assert main(["publish"]) == EXIT_USAGE


def test_validate_real_data_exits_zero_and_reports_findings(repo_copy, capsys, tmp_path):
    report = tmp_path / "problems.json"
    summary = tmp_path / "summary.md"
    code = main(["--root", str(repo_copy.root), "validate", "--json", str(report), "--summary", str(summary)])
    err = capsys.readouterr().err
    assert code == EXIT_OK
    assert "0 error(s), 0 warning(s), 2 finding(s)" in err
    report_data = json.loads(report.read_text())
    problems = [p for package in report_data["packages"] for p in package["problems"]]
    assert {p["severity"] for p in problems} == {"finding"}
    assert all(check["records"] >= 0 for package in report_data["packages"] for check in package["checks"])
    assert "## Data validation passed" in summary.read_text()


def test_validate_broken_data_names_file_row_field_rule_value(repo_copy, capsys, tmp_path):
    row = edit_cell(repo_copy.datapackages / "ji" / "data" / "finance_lines.csv",
                    {"table_id": "table-4", "line_no": "6"}, "amount_usd", "4684599")
    report = tmp_path / "problems.json"
    code = main(["--root", str(repo_copy.root), "validate", "--json", str(report)])
    err = capsys.readouterr().err
    assert code == EXIT_INVALID
    lines = err.splitlines()
    heading = lines.index("ERRORS (1)")
    assert lines[heading + 1].strip().startswith("finance-table-arithmetic (1)")
    line = lines[heading + 2]
    assert f"datapackages/ji/data/finance_lines.csv, row {row}, field 'amount_usd'" in line and "4684599" in line
    assert "how to fix" in lines[heading + 3]
    problems = [p for package in json.loads(report.read_text())["packages"] for p in package["problems"]]
    errors = [p for p in problems if p["severity"] == "error"]
    assert errors[0]["row"] == row and errors[0]["field"] == "amount_usd" and errors[0]["rule"] == "finance-table-arithmetic"


def test_validate_markdown_and_json_formats(repo_copy, capsys):
    edit_cell(repo_copy.datapackages / "ji" / "data" / "meetings.csv", {"meeting_id": "JISC-39"}, "city", "A|B")
    assert main(["--root", str(repo_copy.root), "-q", "validate", "--format", "markdown"]) == EXIT_OK
    out = capsys.readouterr().out
    assert out.startswith("## Data validation passed") and "| ji | `meeting-count` |" in out
    assert main(["--root", str(repo_copy.root), "-q", "validate", "--format", "json"]) == EXIT_OK
    data = json.loads(capsys.readouterr().out)
    assert data["summary"] == {"finding": 2}


def test_failed_build_keeps_the_last_good_site(repo_copy, capsys):
    assert main(["--root", str(repo_copy.root), "-q", "build"]) == EXIT_OK
    index = repo_copy.site / "index.html"
    before = index.read_bytes()
    edit_cell(repo_copy.datapackages / "ji" / "data" / "meetings.csv", {"meeting_id": "JISC-38"}, "start_date", "2016-02-30")
    assert main(["--root", str(repo_copy.root), "-q", "build"]) == EXIT_INVALID
    err = capsys.readouterr().err
    assert "meetings.csv, row 2, field 'start_date'" in err and "site/ was left as it was" in err
    assert index.read_bytes() == before
    assert not (repo_copy.root / "site.previous").exists()


def test_mkdocs_failure_keeps_the_last_good_site(repo_copy, capsys):
    assert main(["--root", str(repo_copy.root), "-q", "build"]) == EXIT_OK
    before = sorted(p.relative_to(repo_copy.site) for p in repo_copy.site.rglob("*"))
    # a hand-written page with a broken link is a warning, and strict mode refuses it
    (repo_copy.docs_src / "broken.md").write_text("# Broken\n\n[missing](nowhere.md)\n", encoding="utf-8")
    assert main(["--root", str(repo_copy.root), "-q", "build"]) == 3
    assert "left as it was" in capsys.readouterr().err
    assert sorted(p.relative_to(repo_copy.site) for p in repo_copy.site.rglob("*")) == before


def test_diff_command_compares_two_folders(repo_copy, tmp_path, capsys):
    import shutil

    old = tmp_path / "old"
    shutil.copytree(repo_copy.datapackages, old)
    edit_cell(repo_copy.datapackages / "ji" / "data" / "reported_figures.csv", {"figure_id": "track-1-projects-published"},
              "value", "598")
    code = main(["--root", str(repo_copy.root), "diff", str(old), str(repo_copy.datapackages)])
    out = capsys.readouterr().out
    assert code == 0
    assert "figure_id=track-1-projects-published: value: 597 -> 598" in out


def test_a_bad_publishing_setting_stops_the_build_by_name(repo_copy, capsys, monkeypatch):
    assert main(["--root", str(repo_copy.root), "-q", "build"]) == EXIT_OK
    before = (repo_copy.site / "index.html").read_bytes()
    monkeypatch.setenv("REGISTRY_SITE_URL", "javascript:alert(1)")
    assert main(["--root", str(repo_copy.root), "-q", "build"]) == EXIT_BUILD
    err = capsys.readouterr().err
    assert "REGISTRY_SITE_URL='javascript:alert(1)' is not a plain http(s) address" in err
    assert "site/ was left as it was" in err
    assert (repo_copy.site / "index.html").read_bytes() == before
