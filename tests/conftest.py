"""Shared fixtures: temporary copies of the repository and one site built from the real data."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from pathlib import Path
from typing import Callable

import pytest

from build_scripts.paths import REPO_ROOT, Layout
from build_scripts.publishing import Publishing
from build_scripts.i18n import enabled_languages
from build_scripts.site import build_site

# Where the test build is "published": example addresses, so edit links, the sitemap and the
# feeds' xml:base are built as on GitHub Pages (and nothing depends on the test machine's git remote).
PUBLISHED = Publishing(site_url="https://registry.example.org/ji-cdm/", repo_url="https://github.com/example/registry", branch="main")

COPIED = ("datapackages", "site_src", "vendor", "mkdocs.yml", "CHANGELOG.md")


def copy_repository(target: Path, packages: tuple[str, ...] | None = None) -> Layout:
    """A copy of everything a build reads, so a test can break it without harm.

    packages: only these data packages (a JI-only copy builds in seconds; the full CDM
    package takes about a minute and a half)."""
    target.mkdir(parents=True, exist_ok=True)
    for name in COPIED:
        source = REPO_ROOT / name
        if name == "datapackages" and packages is not None:
            for package in packages:
                shutil.copytree(source / package, target / name / package)
        elif source.is_dir():
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, target / name)
    return Layout(target)


def small_registry(target: Path) -> Layout:
    """A copy with the JI package and a small CDM package imported from the importer's
    fixture slices of the real reports (tests/fixtures/cdm: 30 projects, every row real), its
    holdings zeroed (test data: the slices hold a few projects' issuances, not the units the
    holdings report counts). Builds in seconds, with every kind of CDM page."""
    from build_scripts.importers import import_cdm
    from tests.hostile import SOURCE, zero_holdings

    layout = copy_repository(target, packages=("ji",))
    import_cdm(SOURCE, layout.datapackages / "cdm")
    zero_holdings(layout.datapackages / "cdm")
    return layout


@pytest.fixture
def repo_copy(tmp_path: Path) -> Layout:
    """A JI-only copy: quick to validate and build."""
    return copy_repository(tmp_path / "repo", packages=("ji",))


@pytest.fixture
def ji_copy(repo_copy: Layout) -> Path:
    """The JI package folder of a fresh repository copy."""
    return repo_copy.datapackages / "ji"


# The languages of the session's build of the real data: the default and the right-to-left
# one (Arabic). Every enabled language is built from the JI data by ji_sites (below) and from
# all the data by make site; all six of the real data would take the session five more minutes.
SESSION_LANGUAGES = ["en", "ar"]
# Any other build of a test is English unless the test names its languages (test_i18n builds
# every enabled language); subprocesses (the CLI tests) inherit it.
os.environ.setdefault("REGISTRY_LANGUAGES", "en")


def built_once(tmp_path_factory: pytest.TempPathFactory, name: str, make: Callable[[Path], object]) -> tuple[Path, object]:
    """A session's folder made once by make(folder), which returns something JSON can hold:
    (folder, that value). With pytest-xdist (make test runs the tests on every core), every
    worker's session shares the one folder the first worker to need it makes, under a lock,
    the others waiting (pytest-xdist's documented pattern for session data); a worker whose
    maker failed leaves no mark, so the next one tries again and reports its own failure."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        folder = tmp_path_factory.mktemp(name)
        return folder, make(folder)
    root = tmp_path_factory.getbasetemp().parent
    folder, done = root / name, root / f"{name}.json"
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            done.write_text(json.dumps(make(folder)), encoding="utf-8")
    return folder, json.loads(done.read_text(encoding="utf-8"))


def _build(folder: Path, languages: list[str], packages: tuple[str, ...] | None = None) -> None:
    layout = copy_repository(folder / "repo", packages=packages)
    build_site(layout, strict=True, settings=PUBLISHED, languages=languages)


@pytest.fixture(scope="session")
def built_layout(tmp_path_factory: pytest.TempPathFactory) -> Layout:
    """The real data, built once per test session into a temporary copy: one mkdocs build per
    language, both at once (test_publishing compares its default language with an English
    build of its own). Tests read it and never change it."""
    folder, _ = built_once(tmp_path_factory, "built", lambda f: _build(f, SESSION_LANGUAGES))
    return Layout(folder / "repo")


@pytest.fixture(scope="session")
def built_site(built_layout: Layout) -> Path:
    return built_layout.site


@pytest.fixture(scope="session")
def english_build(tmp_path_factory: pytest.TempPathFactory) -> Layout:
    """The real data built a second time, in another folder and in English alone: the
    reproducibility test compares it with the session's build, the deployment test deploys
    it before a one-row change."""
    folder, _ = built_once(tmp_path_factory, "english", lambda f: _build(f, ["en"]))
    return Layout(folder / "repo")


@pytest.fixture(scope="session")
def ji_sites(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The JI data built in every enabled language (quick): test_i18n, the Chinese search."""
    languages = enabled_languages(REPO_ROOT / "site_src" / "locales")
    folder, _ = built_once(tmp_path_factory, "i18n", lambda f: _build(f, languages, packages=("ji",)))
    return Layout(folder / "repo").site


@pytest.fixture(scope="session")
def hostile_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Layout, dict[str, str]]:
    """The hostile-value corpus (tests/hostile.py) imported, validated and built in English
    and Arabic (right to left): the layout and {corpus key: CDM project id}. About six seconds."""
    from tests.hostile import hostile_repository

    def make(folder: Path) -> dict[str, str]:
        layout, references = hostile_repository(folder / "repo", copy_repository)
        build_site(layout, strict=True, settings=PUBLISHED, languages=["en", "ar"])
        return references

    folder, references = built_once(tmp_path_factory, "hostile", make)
    return Layout(folder / "repo"), references


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The browser tests last (a stable sort: the same order in every pytest-xdist worker), so
    that while one worker builds the session's site of the real data the other runs tests
    that need none, instead of both starting with pages to open."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
