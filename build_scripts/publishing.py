"""Where the site is published and where its sources live: settings that differ between a
maintainer's machine, a fork and the GitHub Pages deployment, read from the environment so
that mkdocs.yml stays the same everywhere.

REGISTRY_SITE_URL     the public address of the site (the Pages workflow passes the one
                      actions/configure-pages reports); used for the sitemap, canonical links
                      and the Atom feeds' xml:base. Unset: relative links only, no sitemap URLs.
REGISTRY_REPO_URL     the repository's web address, for "edit this page" links. Unset: taken
                      from GitHub Actions' GITHUB_SERVER_URL/GITHUB_REPOSITORY, else from the
                      clone's `origin` remote when it is a GitHub https address, else no links.
REGISTRY_REPO_BRANCH  the branch edit links open (default: main).
SOURCE_DATE_EPOCH     the build date mkdocs writes into the sitemap; when unset the build sets
                      it to the latest as-of date of the data, so a build only carries the
                      data's own dates and the same commit always builds the same bytes.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

_GITHUB_REMOTE = re.compile(r"^(?:https://github\.com/|git@github\.com:)([\w.-]+/[\w.-]+?)(?:\.git)?/?$")
_SAFE_URL = re.compile(r"^https?://[^\s\"'<>`]+$")


@dataclass(frozen=True)
class Publishing:
    site_url: str | None
    repo_url: str | None
    branch: str


class PublishingError(ValueError):
    """A publishing setting from the environment is not a plain http(s) address."""


def _checked(name: str, value: str | None) -> str | None:
    if not value:
        return None
    if not _SAFE_URL.match(value):
        raise PublishingError(f"{name}={value!r} is not a plain http(s) address")
    return value


def _origin_remote(root: Path) -> str | None:
    try:
        out = subprocess.run(["git", "-C", str(root), "remote", "get-url", "origin"],
                             capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = _GITHUB_REMOTE.match(out.stdout.strip()) if out.returncode == 0 else None
    return f"https://github.com/{match.group(1)}" if match else None


def publishing(root: Path, environ: dict[str, str] | None = None) -> Publishing:
    env = os.environ if environ is None else environ
    site_url = _checked("REGISTRY_SITE_URL", env.get("REGISTRY_SITE_URL"))
    if site_url and not site_url.endswith("/"):
        site_url += "/"
    repo_url = env.get("REGISTRY_REPO_URL")
    if not repo_url and env.get("GITHUB_REPOSITORY"):
        repo_url = f"{env.get('GITHUB_SERVER_URL', 'https://github.com')}/{env['GITHUB_REPOSITORY']}"
    if not repo_url and environ is None:
        repo_url = _origin_remote(root)
    repo_url = _checked("REGISTRY_REPO_URL", repo_url)
    branch = env.get("REGISTRY_REPO_BRANCH") or "main"
    if not re.fullmatch(r"[\w./-]+", branch) or ".." in branch:
        raise PublishingError(f"REGISTRY_REPO_BRANCH={branch!r} is not a branch name")
    return Publishing(site_url, repo_url.rstrip("/") if repo_url else None, branch)


def data_epoch(as_of_dates: list[str]) -> int:
    """Seconds since 1970 at midnight UTC of the latest as-of date (the build's only date)."""
    latest = max(date.fromisoformat(d) for d in as_of_dates) if as_of_dates else date(1970, 1, 1)
    return int(datetime(latest.year, latest.month, latest.day, tzinfo=timezone.utc).timestamp())
