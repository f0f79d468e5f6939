"""The mkdocs step: one stock `mkdocs build` per language, several at a time.

For each language the build writes a complete mkdocs configuration, build/mkdocs/<language>.yml,
from mkdocs.yml: the language's generated docs, its site folder, theme language (and with it
the direction), translated nav, site name and palette labels, the published
address, the repository for edit links, and the hooks file (build_scripts/mkdocs_hooks.py).
Each configuration is built by the mkdocs command line in a process of its own,
`python -m mkdocs build -f build/mkdocs/<language>.yml`, as many at once as there are cores:
anyone can run the same command to rebuild one language. No function of mkdocs is replaced;
the registry's own behaviour is in the hooks file, through mkdocs' documented events.
"""

from __future__ import annotations

import json

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from build_scripts import i18n, search
from build_scripts.paths import Layout

HOOKS = Path(__file__).with_name("mkdocs_hooks.py")
MAX_WORKERS = 4


class MkdocsFailed(Exception):
    """mkdocs could not build a language's site (or warned, in strict mode)."""


@dataclass
class Build:
    language: str
    config_file: Path
    site_dir: Path
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0


def workers_available() -> int:
    return max(1, min(os.cpu_count() or 1, MAX_WORKERS))


def write_config(layout: Layout, settings, language: str, languages: list[str], site_dir: Path,
                 enabled: list[str] | None = None, hooks: bool = True, epoch: int | None = None) -> Path:
    """build/mkdocs/<language>.yml: mkdocs.yml with what this language's build needs (see the
    module's docstring). hooks=False: the stock build of the same pages (make bench's peer)."""
    raw = _read_mkdocs_yml(layout)
    default = language == languages[0]
    docs = layout.docs_for(language, languages[0])
    config = dict(raw)
    config["docs_dir"] = str(docs)
    config["site_dir"] = str(site_dir)
    theme = dict(raw["theme"])
    if theme.get("custom_dir"):
        theme["custom_dir"] = str((layout.mkdocs_yml.parent / theme["custom_dir"]).resolve())
    config["theme"] = theme
    if settings.site_url:
        config["site_url"] = settings.site_url + ("" if default else f"{language}/")
    # Not repo_url: the theme would then ask api.github.com for stars on every page view.
    extra = dict(raw.get("extra") or {})
    extra["repository"] = {"url": settings.repo_url, "branch": settings.branch} if settings.repo_url else None
    # The switcher offers every enabled language, also when fewer are built (make serve,
    # --languages): a page's bytes do not depend on which other languages were built with it.
    enabled = enabled or i18n.enabled_languages(layout.locales)
    extra["language"] = language_extra(language, enabled, layout.locales)
    # True, not a list: the theme then shows its language switcher (our override of
    # partials/alternate.html, which links this very page in each language), and its base.html
    # writes no <link rel=alternate> of its own.
    extra["alternate"] = len(enabled) > 1
    extra["registry"] = {} if default else {"shared_docs": str(layout.docs_out)}
    # The search bundles search.js merges (build_scripts/search.py): the pages', and one per
    # record collection the JSON API lists.
    extra["search_bundles"] = [{"kind": b.kind, "path": b.path, "shared": b.shared} for b in search.bundles(layout.docs_out)]
    # The Atom feeds the JSON API lists, for autodiscovery links in page heads (main.html):
    # one copy at the site's root, their titles as the feeds are written (English).
    index = layout.docs_out / "api" / "index.json"
    extra["feeds"] = ([{"title": f["title"], "path": f["path"]} for f in json.loads(index.read_text(encoding="utf-8"))["feeds"]]
                      if index.exists() else [])
    config["extra"] = extra
    config["nav"] = _present_nav(raw.get("nav"), docs)
    if not default:
        with i18n.use(i18n.translator(language, layout.locales)):
            config.update(_translated_settings(config, language))
    if hooks:
        config["hooks"] = [str(HOOKS)]
    else:
        config.pop("hooks", None)
    target = layout.build / "mkdocs" / f"{language}{'' if hooks else '.stock'}.yml"
    target.parent.mkdir(parents=True, exist_ok=True)
    date = f"SOURCE_DATE_EPOCH={epoch} " if epoch is not None else ""
    header = (f"# Generated from mkdocs.yml by build_scripts/mkdocs_build.py for the {language!r} site; the same site,\n"
              f"# byte for byte: {date}python -m mkdocs build -f {target.relative_to(layout.root).as_posix()}\n")
    target.write_text(header + yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return target


def _read_mkdocs_yml(layout: Layout) -> dict:
    from mkdocs.config import load_config
    from mkdocs.exceptions import ConfigurationError

    try:
        raw = yaml.safe_load(layout.mkdocs_yml.read_text(encoding="utf-8"))
        load_config(config_file=str(layout.mkdocs_yml), docs_dir=str(layout.docs_out))  # refuses a bad mkdocs.yml, named
    except (ConfigurationError, OSError, yaml.YAMLError) as exc:
        raise MkdocsFailed(f"mkdocs.yml: {exc}") from exc
    return raw


def language_extra(language: str, languages: list[str], locales: Path = i18n.DEFAULT_LOCALES) -> dict:
    """What the theme overrides need: the page's language, the languages to switch to (each
    with its own name and path prefix), and the overrides' own words in the language."""
    from babel import Locale
    from build_scripts.render.environment import theme_messages
    with i18n.use(i18n.Translator(language) if language == languages[0] else i18n.translator(language, locales)):
        words = theme_messages()
    return {
        "code": language,
        "prefix": "" if language == languages[0] else f"{language}/",
        "up": "" if language == languages[0] else "../",
        "direction": Locale.parse(language).text_direction,
        "languages": [{"code": code, "name": Locale.parse(code).display_name,
                       "prefix": "" if code == languages[0] else f"{code}/"} for code in languages],
        "words": words,
    }


def _translated_settings(config: dict, language: str) -> dict:
    """A language's mkdocs settings: theme language (and with it the direction: Arabic is
    right-to-left), site name, description and copyright, nav titles."""
    translate = i18n.current().gettext
    theme = {**config["theme"], "language": language}
    theme["palette"] = [{**scheme, "toggle": {**scheme["toggle"], "name": translate(scheme["toggle"]["name"])}}
                        if isinstance(scheme, dict) and "toggle" in scheme else scheme
                        for scheme in config["theme"].get("palette", [])]
    settings = {"theme": theme, "nav": _translate_nav(config.get("nav"), translate)}
    for key in ("site_name", "site_description", "copyright"):
        if config.get(key):
            settings[key] = translate(" ".join(str(config[key]).split()))
    return settings


def _translate_nav(nav, translate):
    if nav is None:
        return None
    translated = []
    for entry in nav:
        if isinstance(entry, dict):
            (title, value), = entry.items()
            translated.append({translate(title): _translate_nav(value, translate) if isinstance(value, list) else value})
        else:
            translated.append(entry)
    return translated


def _present_nav(nav, docs: Path):
    """The nav without entries for pages that were not generated (a package that is absent,
    e.g. a JI-only registry); mkdocs --strict would otherwise refuse the missing files."""
    if nav is None:
        return None
    kept = []
    for entry in nav:
        if isinstance(entry, dict):
            (title, value), = entry.items()
            if isinstance(value, list):
                children = _present_nav(value, docs)
                if children:
                    kept.append({title: children})
            elif "://" in str(value) or (docs / str(value)).exists():
                kept.append(entry)
        elif "://" in str(entry) or (docs / str(entry)).exists():
            kept.append(entry)
    return kept


@contextmanager
def data_date(epoch: int | None):
    """SOURCE_DATE_EPOCH (the one date mkdocs writes: sitemap) from the data, unless set."""
    saved = os.environ.get("SOURCE_DATE_EPOCH")
    if saved is None and epoch is not None:
        os.environ["SOURCE_DATE_EPOCH"] = str(epoch)
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)


class Runner:
    """mkdocs builds started as their docs are ready (Runner.submit), up to `workers` at a
    time, each `python -m mkdocs build -f <config>` in a process of its own; finish() waits for
    all of them and raises MkdocsFailed for a failed build, or a warning in strict mode, naming
    the language and quoting mkdocs. The build renders the next language's pages while
    mkdocs builds the previous one, so no core waits."""

    def __init__(self, strict: bool = True, workers: int | None = None, dirty: bool = False, cwd: Path | None = None):
        self.strict, self.dirty, self.cwd = strict, dirty, cwd
        self.pool = ThreadPoolExecutor(max_workers=max(1, workers or workers_available()))
        self.futures = []

    def submit(self, build: Build) -> None:
        self.futures.append(self.pool.submit(self._one, build))

    def _one(self, build: Build) -> tuple[Build, int, str]:
        command = [sys.executable, "-m", "mkdocs", "build", "-f", str(build.config_file)]
        if self.strict:
            command.append("--strict")
        if self.dirty:
            command.append("--dirty")
        start = time.perf_counter()
        env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "PYTHONDONTWRITEBYTECODE": "1"}  # with SOURCE_DATE_EPOCH
        done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=self.cwd)
        build.seconds = time.perf_counter() - start
        output = done.stdout + done.stderr
        build.warnings = [line for line in output.splitlines() if line.startswith(("WARNING", "ERROR"))]
        return build, done.returncode, output

    def finish(self) -> list[Build]:
        try:
            outcomes = [future.result() for future in self.futures]
        finally:
            self.pool.shutdown(wait=True)
        strict = self.strict
        for build, code, output in outcomes:
            if code != 0 and not (strict and build.warnings and "in strict mode!" in output):
                quoted = "\n".join(build.warnings) or "\n".join(output.strip().splitlines()[-15:])
                raise MkdocsFailed(f"mkdocs build failed ({build.language}, {build.config_file.name}):\n{quoted}")
            if strict and build.warnings:
                raise MkdocsFailed(f"mkdocs reported {len(build.warnings)} warning(s) in strict mode ({build.language}):\n"
                                   + "\n".join(build.warnings))
        return [build for build, _, _ in outcomes]

    def abandon(self) -> None:
        """The build failed before every language was submitted: wait for the running ones."""
        self.pool.shutdown(wait=True, cancel_futures=True)


def run(builds: list[Build], strict: bool = True, workers: int | None = None, dirty: bool = False,
        cwd: Path | None = None) -> list[Build]:
    """Every build at once (up to `workers` at a time); see Runner."""
    runner = Runner(strict, workers, dirty, cwd)
    for build in builds:
        runner.submit(build)
    return runner.finish()
