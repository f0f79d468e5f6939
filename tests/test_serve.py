"""make serve: serves the built site on localhost and rebuilds when the data changes. The
preview rebuilds only what changed, and the site that results is, file for file, the one a
whole build makes."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from build_scripts import search
from build_scripts.errors import ValidationFailed
from build_scripts.publishing import Publishing
from build_scripts.serve import Preview
from build_scripts.site import build_site
from tests.conftest import copy_repository, small_registry
from tests.helpers import edit_cell

SETTINGS = Publishing(None, None, "main")


def _tree(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _same_as_a_whole_build(layout, tmp_path: Path) -> None:
    """Build the same sources from scratch elsewhere and compare every file of site/."""
    fresh = copy_repository(tmp_path / "fresh", packages=("ji",))
    shutil.rmtree(fresh.datapackages)
    shutil.copytree(layout.datapackages, fresh.datapackages)
    shutil.rmtree(fresh.site_src)
    shutil.copytree(layout.site_src, fresh.site_src)
    build_site(fresh, strict=False, settings=SETTINGS, languages=["en"])  # the preview's language
    ours, theirs = _tree(layout.site), _tree(fresh.site)
    assert ours.keys() == theirs.keys()
    assert [name for name in ours if ours[name] != theirs[name]] == []


def _page(layout, url: str) -> str:
    return (layout.site / url / "index.html").read_text(encoding="utf-8")


@pytest.fixture
def preview(repo_copy):
    preview = Preview(repo_copy, settings=SETTINGS)
    assert preview.rebuild() == "whole"
    return preview


def test_an_edited_row_rebuilds_only_the_pages_it_changes(preview, repo_copy, tmp_path):
    assert preview.rebuild() == "unchanged"
    meetings = repo_copy.datapackages / "ji" / "data" / "meetings.csv"
    edit_cell(meetings, {"meeting_id": "JISC-39"}, "city", "Bonn (edited)")
    outcome = preview.rebuild()
    assert outcome.startswith("pages ")
    assert 1 <= int(outcome.split()[1]) <= 6, outcome  # the meetings page, downloads, data dictionary...
    assert "Bonn (edited)" in _page(repo_copy, "ji/meetings")
    _same_as_a_whole_build(repo_copy, tmp_path)


def test_a_template_or_hand_written_page_edit_is_previewed_exactly(preview, repo_copy, tmp_path):
    template = repo_copy.templates / "ji" / "meetings.md.j2"
    template.write_text(template.read_text(encoding="utf-8").replace("# ", "# Edited: ", 1), encoding="utf-8")
    about = repo_copy.docs_src / "about.md"
    about.write_text(about.read_text(encoding="utf-8") + "\nA sentence added in the preview.\n", encoding="utf-8")
    assert preview.rebuild().startswith("pages ")
    assert "Edited: " in _page(repo_copy, "ji/meetings")
    assert "A sentence added in the preview." in _page(repo_copy, "about")
    # The search index holds the new text once, and every other page as before.
    fragments = search.read_fragments(repo_copy.site / search.PAGES_BUNDLE)
    assert sum("A sentence added in the preview." in f["content"] for f in fragments) == 1
    _same_as_a_whole_build(repo_copy, tmp_path)


def test_a_new_record_starts_the_preview_afresh(preview, repo_copy, tmp_path):
    """A row with a new key may add (or a removed one drop) a page: a clean rebuild."""
    path = repo_copy.datapackages / "ji" / "data" / "meetings.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    last = next(line for line in reversed(lines) if line.startswith("JISC-"))
    meeting_id, body, number, rest = last.split(",", 3)
    lines.append(",".join(["JISC-99", body, "99", rest.replace("2016-", "2015-")]))  # the 2016 count is reported
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert preview.rebuild() == "whole"
    assert "20 September 2015" in _page(repo_copy, "ji/meetings")
    _same_as_a_whole_build(repo_copy, tmp_path)


def test_invalid_data_keeps_the_served_site_and_a_fix_is_previewed(preview, repo_copy):
    before = _tree(repo_copy.site)
    meetings = repo_copy.datapackages / "ji" / "data" / "meetings.csv"
    original = meetings.read_bytes()
    edit_cell(meetings, {"meeting_id": "JISC-39"}, "start_date", "2016-13-40")
    with pytest.raises(ValidationFailed) as failure:
        preview.rebuild()
    assert any(p.field == "start_date" and p.value == "2016-13-40" for p in failure.value.problems)
    assert _tree(repo_copy.site) == before
    meetings.write_bytes(original)
    assert preview.rebuild() == "unchanged"


def test_the_preview_of_a_registry_with_the_cdm_reuses_it_and_returns_to_a_whole_build(tmp_path):
    """With a CDM package (the importer's fixture slices of the real reports: 30 projects):
    a JI edit leaves every CDM page alone; a CDM edit reaches the project's page and JSON
    twin; undoing both gives back, byte for byte, what a whole build of the sources makes."""
    layout = small_registry(tmp_path / "small")
    preview = Preview(layout, settings=SETTINGS)
    assert preview.rebuild() == "whole"
    meetings = layout.datapackages / "ji" / "data" / "meetings.csv"
    projects = layout.datapackages / "cdm" / "data" / "projects.csv"
    originals = {path: path.read_bytes() for path in (meetings, projects)}
    cdm_page = layout.site / "cdm" / "projects" / "1000" / "index.html"
    stamp = cdm_page.stat().st_mtime_ns

    edit_cell(meetings, {"meeting_id": "JISC-39"}, "city", "Bonn (edited)")
    assert preview.rebuild().startswith("pages ")
    assert "Bonn (edited)" in _page(layout, "ji/meetings")
    assert cdm_page.stat().st_mtime_ns == stamp, "CDM pages are not rebuilt for a JI edit"

    edit_cell(projects, {"project_id": "1000"}, "title", "A title edited in the preview")
    assert preview.rebuild().startswith("pages ")
    assert "A title edited in the preview" in cdm_page.read_text(encoding="utf-8")
    twin = json.loads((layout.site / "api" / "cdm" / "projects" / "1000.json").read_text(encoding="utf-8"))
    assert twin["project"]["title"] == "A title edited in the preview"

    for path, data in originals.items():
        path.write_bytes(data)
    preview.rebuild()
    assert "A title edited in the preview" not in cdm_page.read_text(encoding="utf-8")
    _same_as_a_whole_build(layout, tmp_path)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.read().decode("utf-8")
    except OSError:
        return None


def _wait_for(predicate, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.3)
    return False


def test_serve_rebuilds_when_a_csv_changes(repo_copy):
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "build_scripts", "--root", str(repo_copy.root), "serve", "--port", str(port)],
        cwd=Path(__file__).resolve().parent.parent, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/ji/meetings/"
    try:
        assert _wait_for(lambda: (_get(url) or "").find("Bonn") >= 0, 60), "site was not served"
        edit_cell(repo_copy.datapackages / "ji" / "data" / "meetings.csv", {"meeting_id": "JISC-39"}, "city", "Marrakech")
        assert _wait_for(lambda: "Marrakech" in (_get(url) or ""), 60), "site was not rebuilt after the CSV changed"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)


def test_a_preview_over_its_host_s_limits_keeps_serving_the_last_good_site(monkeypatch, tmp_path, capsys):
    """A rebuild whose site is over its host's limits (budget.SiteOverBudget, raised before the
    swap) is reported and the preview server keeps the last good site, as for a failed build."""
    import mkdocs.livereload

    from build_scripts import serve as serve_module
    from build_scripts.budget import enforce

    site = tmp_path / "over"
    site.mkdir()
    (site / "big.bin").write_bytes(b"x" * 2000)
    monkeypatch.setenv("REGISTRY_SITE_MAX_BYTES", "1000")

    def over_budget(self):
        enforce(site)  # raises: 2,000 bytes over the project's budget of 1,000

    class NoServer:
        def __init__(self, **kwargs):
            pass

        def watch(self, path):
            pass

        def serve(self):
            pass

        def shutdown(self):
            pass

    monkeypatch.setattr(serve_module.Preview, "rebuild", over_budget)
    monkeypatch.setattr(mkdocs.livereload, "LiveReloadServer", NoServer)
    from build_scripts.paths import Layout

    layout = Layout(root=tmp_path / "repo")  # nothing is built: rebuild() is replaced
    layout.site.mkdir(parents=True)
    assert serve_module.serve(layout, "127.0.0.1", 0, lambda message: None) == 0  # served, not crashed
    err = capsys.readouterr().err
    assert "over" in err and "1,000" in err and "Still serving the last good site." in err, err
