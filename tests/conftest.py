"""Shared fixtures: temporary copies of the repository and one site built from the real data."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

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


@pytest.fixture(scope="session")
def built_layout(tmp_path_factory: pytest.TempPathFactory) -> Layout:
    """The real data, built once per test session into a temporary copy: one mkdocs build per
    language, both at once (test_publishing compares its default language with an English
    build of its own)."""
    layout = copy_repository(tmp_path_factory.mktemp("built") / "repo")
    build_site(layout, strict=True, settings=PUBLISHED, languages=SESSION_LANGUAGES)
    return layout


@pytest.fixture(scope="session")
def built_site(built_layout: Layout) -> Path:
    return built_layout.site


@pytest.fixture(scope="session")
def ji_sites(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The JI data built in every enabled language (quick): test_i18n, the Chinese search."""
    layout = copy_repository(tmp_path_factory.mktemp("i18n") / "repo", packages=("ji",))
    build_site(layout, strict=True, settings=PUBLISHED, languages=enabled_languages(layout.locales))
    return layout.site


@pytest.fixture(scope="session")
def hostile_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Layout, dict[str, str]]:
    """The hostile-value corpus (tests/hostile.py) imported, validated and built in English
    and Arabic (right to left): the layout and {corpus key: CDM project id}. About six seconds."""
    from tests.hostile import hostile_repository

    layout, references = hostile_repository(tmp_path_factory.mktemp("hostile") / "repo", copy_repository)
    build_site(layout, strict=True, settings=PUBLISHED, languages=["en", "ar"])
    return layout, references
