"""The site budget (build_scripts/budget.py): what a site is measured at, each host's limits,
the project budgets, check-site's exit codes, and a build over budget that keeps the last site.

The large sites here are test fixtures made in tmp_path: empty files for the file counts and
sparse files (truncate) for the sizes, so they cost no disk space and take a second."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from pathlib import Path

import pytest
import yaml

from build_scripts import budget
from build_scripts.budget import BudgetError, SiteOverBudget, check, configure, enforce, measure
from build_scripts.cli import EXIT_BUDGET, EXIT_OK, EXIT_USAGE, main
from build_scripts.paths import REPO_ROOT
from tests.conftest import PUBLISHED, copy_repository

MIB = 1024 * 1024


@pytest.fixture(autouse=True)
def _no_budget_settings(monkeypatch):
    """Every test starts from the defaults, whatever the machine's environment says."""
    for name in (budget.HOST_VARIABLE, budget.MAX_BYTES_VARIABLE, budget.MAX_FILES_VARIABLE):
        monkeypatch.delenv(name, raising=False)


def _write(root: Path, files: dict[str, int]) -> Path:
    """Files of the given sizes (zero bytes written: sparse where the size is large)."""
    for name, size in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as handle:
            handle.truncate(size)
    return root


SMALL = {"index.html": 10, "404.html": 3, "zh/index.html": 100, "zh/cdm/a/index.html": 1000,
         "zh/cdm/b.html": 2000, "zh/search/s.json": 50, "assets/x.js": 7}


@pytest.fixture
def small_site(tmp_path: Path) -> Path:
    site = _write(tmp_path / "small", SMALL)
    (site / "assets" / "empty").mkdir()
    return site


@pytest.fixture(scope="module")
def many_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A test fixture, not a site: 20,001 empty files in 21 folders, one over Cloudflare's 20,000."""
    site = tmp_path_factory.mktemp("many") / "site"
    for folder in range(21):
        (site / f"f{folder:02}").mkdir(parents=True)
    for number in range(20_001):
        os.close(os.open(site / f"f{number % 21:02}" / f"{number}.html", os.O_CREAT | os.O_WRONLY, 0o644))
    return site


# --- measure -----------------------------------------------------------------------------

def test_measure_counts_bytes_files_folders_and_the_largest_file_exactly(small_site):
    m = measure(small_site)
    assert (m.bytes, m.files, m.folders_count) == (3170, 7, 6)
    assert m.largest == ("zh/cdm/b.html", 2000)
    assert m.largest_files[:3] == (("zh/cdm/b.html", 2000), ("zh/cdm/a/index.html", 1000), ("zh/index.html", 100))
    sizes = {path: (f.bytes, f.files) for path, f in m.folders.items()}
    assert sizes == {".": (13, 2), "zh": (3150, 4), "zh/cdm": (3000, 2), "zh/search": (50, 1),
                     "assets": (7, 1), "assets/empty": (0, 0)}
    assert [f.path for f in m.top_folders()] == ["zh", ".", "assets"]
    assert [f.path for f in m.subfolders("zh")] == ["zh/cdm", "zh/search"]
    assert m.symlinks == ()


def test_measure_keeps_the_ten_largest_files_largest_first(tmp_path):
    m = measure(_write(tmp_path / "s", {f"d{n % 3}/{n}.bin": n for n in range(1, 16)}))
    assert [size for _, size in m.largest_files] == list(range(15, 5, -1))
    assert m.largest == ("d0/15.bin", 15) and m.files == 15 and m.bytes == sum(range(1, 16))


def test_symbolic_links_are_counted_at_their_own_size_not_followed(small_site):
    (small_site / "link.html").symlink_to("zh/cdm/b.html")
    (small_site / "mirror").symlink_to("zh", target_is_directory=True)
    m = measure(small_site)
    # two more files of the length of their targets' names; zh is not counted twice
    assert m.files == 9 and m.bytes == 3170 + len("zh/cdm/b.html") + len("zh")
    assert m.symlinks == ("link.html", "mirror") and m.folders_count == 6
    report = check(m, "github-pages")
    assert not report.errors and any("2 symbolic link(s)" in w and "link.html" in w for w in report.warnings)


def test_measure_refuses_a_missing_folder(tmp_path):
    with pytest.raises(NotADirectoryError, match="no site to measure"):
        measure(tmp_path / "absent")


def test_measure_walks_a_larger_tree_in_one_pass(many_files):
    m = measure(many_files)
    assert (m.files, m.bytes, m.folders_count) == (20_001, 0, 21)
    assert sum(f.files for f in m.top_folders()) == 20_001 and m.folders["f00"].files == 953


# --- hosts and budgets -------------------------------------------------------------------

def test_host_profiles_carry_the_documented_limits():
    limits = {name: (h.max_bytes, h.max_files, h.max_file_bytes, h.counts_folders) for name, h in budget.HOSTS.items()}
    assert limits == {
        "github-pages": (1_000_000_000, None, None, False),
        "gitlab-pages": (1_000_000_000, 200_000, None, True),
        "cloudflare-pages": (None, 20_000, 26_214_400, False),
        "cloudflare-pages-paid": (None, 100_000, 26_214_400, False),
        "object-storage": (None, None, None, False),
    }
    assert configure(environ={}).host.name == "github-pages"
    assert configure(environ={"REGISTRY_HOST": "gitlab-pages"}).host.name == "gitlab-pages"
    assert configure("object-storage", environ={"REGISTRY_HOST": "gitlab-pages"}).limits == ()


def test_over_20000_files_is_refused_by_cloudflare_and_accepted_by_github(many_files):
    m = measure(many_files)
    refused = check(m, "cloudflare-pages")
    assert refused.errors == ("file count 20,001 is over Cloudflare Pages' limit of 20,000 files: 101% "
                              "(host cloudflare-pages)",)
    for host in ("github-pages", "cloudflare-pages-paid", "gitlab-pages", "object-storage"):
        report = check(m, host)
        assert report.ok and report.warnings == (), host
    with pytest.raises(SiteOverBudget) as raised:
        enforce(many_files, host="cloudflare-pages")
    message = str(raised.value)
    assert "file count 20,001 is over Cloudflare Pages' limit" in message
    assert re.search(r"^  f00/ +0 B \( 0%\) +953 files \( 5%\)$", message, re.M), message
    assert enforce(many_files, host="github-pages").ok


def test_a_file_over_25_mib_is_refused_by_cloudflare(tmp_path):
    site = _write(tmp_path / "s", {"index.html": 100, "downloads/cdm/big.json": 25 * MIB + 1})
    report = check(measure(site), "cloudflare-pages")
    assert len(report.errors) == 1
    error = report.errors[0]
    assert "over Cloudflare Pages' limit of 25 MiB (26,214,400 bytes) per file" in error
    assert "downloads/cdm/big.json" in error and "26,214,401 bytes" in error and "101%" in error
    assert "host cloudflare-pages" in error
    assert check(measure(site), "cloudflare-pages-paid").errors[0].startswith("1 file(s) over Cloudflare Pages paid")
    assert check(measure(site), "github-pages").ok
    _write(site, {"downloads/cdm/big.json": 25 * MIB})  # exactly the limit: allowed, with a warning
    at_limit = check(measure(site), "cloudflare-pages")
    assert at_limit.ok and any("100% of Cloudflare Pages' limit of 25 MiB" in w for w in at_limit.warnings)


def test_warnings_from_80_percent_do_not_fail(tmp_path, caplog):
    site = tmp_path / "s"
    for size, errors, warning in ((799_999_999, 0, None), (800_000_000, 0, "80%"), (1_000_000_000, 0, "100%"),
                                  (1_000_000_001, 1, None)):
        _write(site, {"big.bin": size})
        report = check(measure(site), "github-pages")
        assert len(report.errors) == errors, size
        if warning:
            assert len(report.warnings) == 1 and f"is {warning} of GitHub Pages' limit of 1 GB" in report.warnings[0]
            assert "host github-pages" in report.warnings[0]
        elif not errors:
            assert report.warnings == ()
    assert "1,000,000,001 bytes) is over GitHub Pages' limit of 1 GB (1,000,000,000 bytes): 101%" in report.errors[0]
    _write(site, {"big.bin": 850_000_000})
    caplog.set_level(logging.WARNING, logger="build_scripts.budget")
    lines: list[str] = []
    report = enforce(site, progress=lines.append)  # a warning: no exception
    assert report.ok and "85% of GitHub Pages' limit" in caplog.text and "150.0 MB left" in caplog.text
    assert lines == ["site: 850.0 MB in 1 file, 85% of GitHub Pages' 1 GB; largest file 850.0 MB (big.bin)"]


def test_a_project_budget_tightens_a_host_limit_and_never_loosens_it(small_site, monkeypatch):
    monkeypatch.setenv("REGISTRY_SITE_MAX_BYTES", "3_000")
    report = check(measure(small_site), "github-pages")
    assert report.errors == ("site size 3.2 kB (3,170 bytes) is over the project budget REGISTRY_SITE_MAX_BYTES "
                             "of 3.0 kB (3,000 bytes): 106% (host github-pages)",)
    assert not check(measure(small_site), "object-storage").ok  # a host without limits is tightened too
    monkeypatch.setenv("REGISTRY_SITE_MAX_BYTES", "3_170")
    assert check(measure(small_site), "github-pages").ok
    monkeypatch.setenv("REGISTRY_SITE_MAX_BYTES", "5_000_000_000")
    loose = configure("github-pages")
    assert [(limit.kind, limit.maximum, limit.variable) for limit in loose.limits] == [("bytes", 1_000_000_000, None)]
    assert loose.notes and "REGISTRY_SITE_MAX_BYTES=5,000,000,000 is not below GitHub Pages' limit of 1 GB" in \
        loose.notes[0]
    monkeypatch.delenv("REGISTRY_SITE_MAX_BYTES")
    monkeypatch.setenv("REGISTRY_SITE_MAX_FILES", "6")
    assert check(measure(small_site), "github-pages").errors[0].startswith(
        "file count 7 is over the project budget REGISTRY_SITE_MAX_FILES of 6 files: 117%")
    monkeypatch.setenv("REGISTRY_SITE_MAX_FILES", "300000")  # not below GitLab's 200,000
    assert [limit.maximum for limit in configure("gitlab-pages").limits if limit.kind == "files"] == [200_000]


def test_gitlab_counts_folders_as_entries(small_site, monkeypatch):
    monkeypatch.setenv("REGISTRY_SITE_MAX_FILES", "10")
    m = measure(small_site)  # 7 files in 6 folders
    assert check(m, "gitlab-pages").errors == (
        "file and folder count 13 is over the project budget REGISTRY_SITE_MAX_FILES of 10 files: 130% "
        "(host gitlab-pages)",)
    assert check(m, "github-pages").ok and check(m, "github-pages").warnings == ()


@pytest.mark.parametrize("value", ["12MB", "-5", "0", "1,000", "1__000", "_1", "\u0661\u0662", "4.5e8", "+9"])
def test_a_budget_that_is_not_a_whole_number_is_refused(value):
    with pytest.raises(BudgetError, match=r"REGISTRY_SITE_MAX_FILES=.*(not a whole number|at least 1)"):
        configure("github-pages", environ={"REGISTRY_SITE_MAX_FILES": value})


def test_budgets_take_underscores_and_ignore_an_empty_setting():
    limits = configure("github-pages", environ={"REGISTRY_SITE_MAX_BYTES": " 450_000_000 ",
                                                "REGISTRY_SITE_MAX_FILES": ""}).limits
    assert [(limit.kind, limit.maximum) for limit in limits] == [("bytes", 450_000_000)]


def test_an_unknown_host_is_an_error_listing_the_known_ones(small_site):
    known = "cloudflare-pages, cloudflare-pages-paid, github-pages, gitlab-pages, object-storage"
    with pytest.raises(BudgetError, match=f"REGISTRY_HOST='netlify' is not a known host; known hosts: {known}"):
        configure(environ={"REGISTRY_HOST": "netlify"})
    with pytest.raises(BudgetError, match="--host='GitHub' is not a known host"):
        enforce(small_site, host="GitHub")


# --- the command line --------------------------------------------------------------------

def test_check_site_exits_0_within_limits_and_prints_the_folder_table(small_site, capsys, tmp_path):
    report, summary = tmp_path / "budget.json", tmp_path / "summary.md"
    assert main(["check-site", str(small_site), "--json", str(report), "--summary", str(summary)]) == EXIT_OK
    out = capsys.readouterr().out
    assert "3.2 kB (3,170 bytes) in 7 files and 6 folders" in out
    assert re.search(r"^  zh/ +3\.1 kB \(99%\) +4 files \(57%\)$", out, re.M), out
    assert re.search(r"^    zh/cdm/ +3\.0 kB \(95%\) +2 files \(29%\)$", out, re.M), out
    assert "Within GitHub Pages' limits (0 warning(s))." in out
    data = json.loads(report.read_text())
    assert (data["ok"], data["host"], data["bytes"], data["files"]) == (True, "github-pages", 3170, 7)
    assert "| `zh/cdm/` | 3.0 kB | 95% | 2 | 29% |" in summary.read_text()


def test_check_site_exits_4_over_budget_and_2_without_a_site(many_files, small_site, capsys, tmp_path, monkeypatch):
    summary = tmp_path / "summary.md"
    assert main(["check-site", str(many_files), "--host", "cloudflare-pages", "--summary", str(summary)]) == EXIT_BUDGET
    out = capsys.readouterr().out
    assert "ERROR file count 20,001 is over Cloudflare Pages' limit of 20,000 files: 101%" in out
    assert re.search(r"^  f\d\d/ +0 B", out, re.M) and "Over budget: 1 limit(s) exceeded" in out
    assert summary.read_text().startswith("## Site size: over budget for Cloudflare Pages")
    monkeypatch.setenv("REGISTRY_HOST", "cloudflare-pages")
    assert main(["check-site", str(many_files)]) == EXIT_BUDGET
    assert main(["check-site", str(many_files), "--host", "github-pages"]) == EXIT_OK
    capsys.readouterr()
    assert main(["check-site", str(tmp_path / "absent")]) == EXIT_USAGE
    assert "no site to check at" in capsys.readouterr().err
    assert main(["check-site", str(small_site), "--host", "netlify"]) == EXIT_USAGE
    assert "not a known host" in capsys.readouterr().err
    monkeypatch.setenv("REGISTRY_SITE_MAX_BYTES", "1GB")
    assert main(["check-site", str(small_site)]) == EXIT_USAGE
    assert "REGISTRY_SITE_MAX_BYTES='1GB' is not a whole number" in capsys.readouterr().err


def test_check_site_checks_site_by_default(tmp_path, capsys):
    root = tmp_path / "repo"
    _write(root / "site", {"index.html": 5})
    assert main(["--root", str(root), "check-site"]) == EXIT_OK
    assert f"Site {root / 'site'}: 5 B (5 bytes) in 1 file and" in capsys.readouterr().out


# --- the build ---------------------------------------------------------------------------

def _snapshot(site: Path) -> dict[str, str]:
    return {str(p.relative_to(site)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in site.rglob("*") if p.is_file()}


def test_the_build_refuses_an_oversized_site_and_keeps_the_last_good_one(tmp_path, monkeypatch):
    from build_scripts.site import build_site

    layout = copy_repository(tmp_path / "repo", packages=("ji",))
    lines: list[str] = []
    build_site(layout, strict=True, settings=PUBLISHED, languages=["en"], progress=lines.append)
    assert any(line.startswith("site: ") and "of GitHub Pages' 1 GB" in line for line in lines), lines
    before = _snapshot(layout.site)
    page = (layout.site / "index.html").read_bytes()
    first = measure(layout.site)
    assert first.files == len(before)
    monkeypatch.setenv("REGISTRY_SITE_MAX_FILES", str(first.files - 1))
    with pytest.raises(SiteOverBudget) as raised:
        build_site(layout, strict=True, settings=PUBLISHED, languages=["en"])
    message = str(raised.value)
    assert (f"file count {first.files:,} is over the project budget REGISTRY_SITE_MAX_FILES "
            f"of {first.files - 1:,} files") in message and "host github-pages" in message
    for folder in first.top_folders()[:budget.TOP_FOLDERS]:
        name = "(top-level files)" if folder.path == "." else f"{folder.path}/"
        assert re.search(rf"^  {re.escape(name)} +{re.escape(budget.human_bytes(folder.bytes))} ", message, re.M), name
    assert _snapshot(layout.site) == before and (layout.site / "index.html").read_bytes() == page


def test_the_build_command_exits_4_over_budget_and_keeps_the_site(repo_copy, capsys, monkeypatch):
    root = str(repo_copy.root)
    assert main(["--root", root, "-q", "build"]) == EXIT_OK
    before = _snapshot(repo_copy.site)
    monkeypatch.setenv("REGISTRY_SITE_MAX_BYTES", "1_000")
    capsys.readouterr()
    assert main(["--root", root, "-q", "build"]) == EXIT_BUDGET
    err = capsys.readouterr().err
    assert "is over the project budget REGISTRY_SITE_MAX_BYTES of 1.0 kB (1,000 bytes)" in err
    assert "largest folders (bytes, files, share of the site):" in err and "site/ was left as it was." in err
    assert _snapshot(repo_copy.site) == before
    monkeypatch.setenv("REGISTRY_HOST", "netlify")  # refused before anything is built
    assert main(["--root", root, "-q", "build"]) == EXIT_USAGE
    assert "REGISTRY_HOST='netlify' is not a known host" in capsys.readouterr().err
    assert _snapshot(repo_copy.site) == before


# --- publishing --------------------------------------------------------------------------

def test_the_pages_workflow_checks_the_site_between_build_and_upload():
    workflow = yaml.safe_load((REPO_ROOT / ".github" / "workflows" / "pages.yml").read_text(encoding="utf-8"))
    steps = workflow["jobs"]["build"]["steps"]
    runs = [step.get("run", "") for step in steps]
    built = runs.index("make site")
    checked = next(i for i, run in enumerate(runs) if run.startswith("make check-site"))
    uploaded = next(i for i, step in enumerate(steps) if "upload-pages-artifact" in step.get("uses", ""))
    assert built < checked < uploaded
    assert steps[checked]["env"] == {"REGISTRY_HOST": "github-pages"} and '"$GITHUB_STEP_SUMMARY"' in runs[checked]
    makefile = (REPO_ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = re.search(r"^check-site: install ## .+\n\t(.+)$", makefile, re.M)
    assert recipe and "-m build_scripts check-site site" in recipe[1] and '--summary "$(SUMMARY)"' in recipe[1]
