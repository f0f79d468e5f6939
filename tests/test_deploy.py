"""Deployment to object storage (build_scripts/deploy.py), end to end with rclone against a
local folder (a plain path is an rclone remote): small synthetic trees for each phase, the
dry run and failures, then the real data before and after a one-row change."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from build_scripts.deploy import (CACHE_IMMUTABLE, CACHE_SHORT, PHASES, DeployFailed, DeployReport, add_arguments,
                                  cache_control, deploy, run)
from build_scripts.paths import REPO_ROOT, Layout
from build_scripts.site import build_site
from tests.conftest import PUBLISHED, copy_repository
from tests.helpers import edit_cell, read_rows

RCLONE = os.environ.get("RCLONE") or shutil.which("rclone") or "rclone"
ORDER = list(PHASES)  # new, changed, changed-html, delete


@pytest.fixture(autouse=True)
def _rclone(tmp_path, monkeypatch):
    """rclone is on the machine (`make test` installs Debian's through `make browser`), and
    reads no configuration of the person running the tests."""
    if shutil.which(RCLONE) is None:
        message = "rclone is missing: `make test` installs it (Debian: sudo apt-get install rclone) or set RCLONE="
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    monkeypatch.setenv("RCLONE_CONFIG", str(tmp_path / "no-rclone.conf"))


def tree(folder: Path) -> dict[str, str]:
    """{relative path: SHA-256} of every file under folder."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


def quiet(_: str) -> None:
    pass


def phase_files(report: DeployReport) -> dict[str, set[str]]:
    return {p.phase: set(p.files) for p in report.phases}


def assert_in_order(report: DeployReport) -> None:
    """The phases ran one after another in the documented order, by the order of the runs
    and by rclone's own timestamps: every file of a phase was reported before any of the next."""
    phases = [p.phase for p in report.phases]
    assert phases == sorted(phases, key=ORDER.index)
    events = report.events
    assert [ORDER.index(e.phase) for e in events] == sorted(ORDER.index(e.phase) for e in events)
    for before, after in zip(report.phases, report.phases[1:]):
        if before.events and after.events:
            assert max(e.time for e in before.events) <= min(e.time for e in after.events), (before.phase, after.phase)


# --- Synthetic trees (test fixtures, not the registry) -------------------------------------

OLD = {
    "index.html": "<p>home</p>",
    "a/index.html": "<p>page, first version</p>",
    "assets/stylesheets/registry.css": "body{}",
    "assets/javascripts/bundle.1a2b3c4d.min.js": "old bundle",
    "gone/index.html": "<p>a record that is removed</p>",
    "api/gone.json": "{}",
    "api/same.json": "[1]",
}
NEW = {
    "index.html": "<p>home</p>",
    "a/index.html": "<p>page, second version</p>",
    "assets/stylesheets/registry.css": "body{color:black}",
    "assets/javascripts/bundle.5e6f7a8b.min.js": "new bundle",
    "b/index.html": "<p>a new record</p>",
    "api/b.json": "{\"new\": true}",
    "api/same.json": "[1]",
}


def test_each_phase_transfers_its_files_in_order(tmp_path):
    old, new, bucket = write(tmp_path / "old", OLD), write(tmp_path / "new", NEW), tmp_path / "bucket"
    first = deploy(old, str(bucket), rclone=RCLONE, progress=quiet)
    assert tree(bucket) == tree(old)
    assert phase_files(first) == {"new": set(OLD)}
    assert (first.site_files, first.uploaded_new, first.uploaded_changed, first.deleted) == (7, 7, 0, 0)

    report = deploy(new, str(bucket), rclone=RCLONE, progress=quiet)
    assert phase_files(report) == {
        "new": {"assets/javascripts/bundle.5e6f7a8b.min.js", "b/index.html", "api/b.json"},
        "changed": {"assets/stylesheets/registry.css"},
        "changed-html": {"a/index.html"},
        "delete": {"assets/javascripts/bundle.1a2b3c4d.min.js", "gone/index.html", "api/gone.json"},
    }
    assert tree(bucket) == tree(new)
    assert_in_order(report)
    # the removed files are deleted in the last phase only, after every copy
    last_copy = max(e.time for e in report.events if e.action == "copy")
    assert all(e.phase == "delete" and e.time >= last_copy for e in report.events if e.action == "delete")
    assert (report.uploaded_new, report.uploaded_changed, report.deleted, report.unchanged) == (3, 2, 3, 2)
    assert report.bytes_uploaded == sum(len(NEW[p].encode()) for p in
                                        ("assets/javascripts/bundle.5e6f7a8b.min.js", "b/index.html", "api/b.json",
                                         "assets/stylesheets/registry.css", "a/index.html"))
    assert report.warnings == []
    # within phase 1 the new non-HTML files go before the new pages
    new_events = report.phase("new").events
    assert max(e.time for e in new_events if not e.path.endswith(".html")) <= \
        min(e.time for e in new_events if e.path.endswith(".html"))

    again = deploy(new, str(bucket), rclone=RCLONE, progress=quiet)
    assert again.phases == [] and again.unchanged == 7 and again.bytes_uploaded == 0


def test_the_commands_compare_by_checksum_and_set_cache_control(tmp_path):
    old, new, bucket = write(tmp_path / "old", OLD), write(tmp_path / "new", NEW), tmp_path / "bucket"
    deploy(old, str(bucket), rclone=RCLONE, progress=quiet)
    report = deploy(new, str(bucket), rclone=RCLONE, progress=quiet, extra_args=["--transfers=2"])
    assert report.check_command[1] == "check" and "--combined" in report.check_command
    first_step = report.phase("new").commands[0]
    assert first_step[1] == "copy" and "--checksum" in first_step and "--transfers=2" in first_step
    assert f"Cache-Control: {CACHE_IMMUTABLE}" in first_step  # the new hashed bundle comes first
    html = report.phase("changed-html").commands[0]
    assert f"Cache-Control: {CACHE_SHORT}" in html and "--files-from-raw" in html
    assert report.phase("delete").commands[0][1] == "delete"
    assert cache_control("ar/assets/javascripts/workers/search.a7633da7.min.js.map") == CACHE_IMMUTABLE
    assert cache_control("assets/javascripts/explorer.js") == cache_control("api/index.json") == CACHE_SHORT
    assert cache_control("assets/javascripts/lunr/min/lunr.ar.min.js") == CACHE_SHORT


def test_a_dry_run_changes_nothing_and_says_what_it_would_do(tmp_path):
    old, new, bucket = write(tmp_path / "old", OLD), write(tmp_path / "new", NEW), tmp_path / "bucket"
    deploy(old, str(bucket), rclone=RCLONE, progress=quiet)
    before = tree(bucket)
    report = deploy(new, str(bucket), dry_run=True, rclone=RCLONE, progress=quiet)
    assert tree(bucket) == before
    assert all("--dry-run" in c for p in report.phases for c in p.commands)
    assert (report.uploaded_new, report.uploaded_changed, report.deleted) == (3, 2, 3)
    assert "dry run: nothing was changed" in report.summary()


def test_a_failing_phase_stops_the_deploy_with_rclones_message(tmp_path):
    """A new page cannot be written (a file stands where its folder should be): phase 1 fails
    with rclone's message and the later phases do not run, so nothing is deleted or changed."""
    old, new, bucket = write(tmp_path / "old", OLD), write(tmp_path / "new", NEW), tmp_path / "bucket"
    deploy(old, str(bucket), rclone=RCLONE, progress=quiet)
    (bucket / "b").write_text("a file, not a folder", encoding="utf-8")
    with pytest.raises(DeployFailed) as failure:
        deploy(new, str(bucket), rclone=RCLONE, progress=quiet, extra_args=["--retries=1"])
    assert "phase 1 new files failed" in str(failure.value) and "not a directory" in str(failure.value)
    assert [p.phase for p in failure.value.report.phases] == ["new"]
    assert (bucket / "gone" / "index.html").is_file()
    assert (bucket / "a" / "index.html").read_text(encoding="utf-8") == OLD["a/index.html"]


def _cli(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(argv)


def test_a_bad_remote_gives_a_non_zero_exit_with_rclones_message(tmp_path, capsys):
    site = write(tmp_path / "site", OLD)
    code = run(_cli(["no-such-remote:bucket/prefix", "--site", str(site), "--rclone", RCLONE]), Layout(tmp_path))
    assert code != 0
    error = capsys.readouterr().err
    assert "didn't find section in config file" in error and "no-such-remote" in error


def test_missing_rclone_and_an_empty_site_are_refused(tmp_path, capsys):
    site = write(tmp_path / "site", OLD)
    with pytest.raises(DeployFailed, match="apt-get install rclone"):
        deploy(site, str(tmp_path / "bucket"), rclone=str(tmp_path / "no-rclone"), progress=quiet)
    (tmp_path / "empty").mkdir()
    with pytest.raises(DeployFailed, match="no index.html"):
        deploy(tmp_path / "empty", str(tmp_path / "bucket"), rclone=RCLONE, progress=quiet)
    assert not (tmp_path / "bucket").exists()
    code = run(_cli([str(tmp_path / "bucket"), "--site", str(site), "--dry-run", "--rclone", RCLONE]), Layout(tmp_path))
    assert code == 0 and not (tmp_path / "bucket").exists()
    assert "would be uploaded, new" in capsys.readouterr().out


def test_make_deploy_refuses_without_a_remote():
    """`-o install`: the check comes before any upload; the virtualenv is not (re)made for it."""
    result = subprocess.run(["make", "--no-print-directory", "-o", "install", "deploy", "REMOTE="], cwd=REPO_ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode != 0 and "REMOTE is not set" in result.stderr


# --- The real data: a one-row change ------------------------------------------------------

def test_a_one_row_change_uploads_its_own_files_only(english_build, tmp_path):
    """A site of the real JI + CDM data (English) is deployed, then one CDM project's title is
    edited and the copy built with the same arguments: the second deploy uploads that
    project's page and twin and the few files listing it, and deletes only the page of a
    record that is gone (a file left on the remote by an older site)."""
    bucket = tmp_path / "bucket"
    first = deploy(english_build.site, str(bucket), rclone=RCLONE, progress=quiet)
    assert tree(bucket) == tree(english_build.site)
    assert first.uploaded_new == first.site_files and first.deleted == 0

    # a record an older build published and the data no longer has
    retired = {"cdm/projects/retired-record/index.html": "<p>retired</p>",
               "api/cdm/projects/retired-record.json": "{}"}
    write(bucket, retired)

    layout = copy_repository(tmp_path / "repo")
    projects = layout.datapackages / "cdm" / "data" / "projects.csv"
    project = read_rows(projects)[1]
    edit_cell(projects, {"project_id": project["project_id"]}, "title", project["title"] + " (edited title)")
    # The first site's settings and language (tests/conftest.py, english_build); how many
    # mkdocs processes build it does not change a byte (test_publishing compares one with four).
    build_site(layout, strict=True, settings=PUBLISHED, languages=["en"])

    report = deploy(layout.site, str(bucket), rclone=RCLONE, progress=quiet)
    print(report.summary())
    assert tree(bucket) == tree(layout.site)
    uploaded = {path for p in report.phases if p.phase != "delete" for path in p.files}
    assert 0 < len(uploaded) < report.site_files / 100, sorted(uploaded)
    index = json.loads((layout.site / "api" / "cdm" / "projects.json").read_text(encoding="utf-8"))
    record = next(r for r in index["records"] if r["id"] == project["project_id"])
    assert f"{record['page']}index.html" in report.phase("changed-html").files
    assert record["json"] in report.phase("changed").files
    # Deleted: the retired record, and the search index's files the new index replaced (their
    # names are their content's hash: build_scripts/search.py), after every upload.
    replaced = set(tree(english_build.site)) - set(tree(layout.site))
    added = set(tree(layout.site)) - set(tree(english_build.site))
    assert all(path.startswith("search/") for path in replaced | added), sorted(replaced | added)
    assert set(report.phase("delete").files) == set(retired) | replaced
    assert report.uploaded_new == len(added) and report.deleted == len(retired) + len(replaced)
    assert report.unchanged == report.plan.unchanged == report.site_files - report.uploaded_changed - report.uploaded_new
    assert_in_order(report)
    assert report.warnings == []
