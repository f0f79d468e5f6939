"""Which pages are generated, from which data, with which template.

One context feeds each page; the files a page is generated from are recorded with it
(they become its "edit" link once the repository is published).
"""

from __future__ import annotations

import json
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from markupsafe import Markup

from build_scripts import derive
from build_scripts.i18n import _
from build_scripts.load import DataPackage
from build_scripts.mkdocs_hooks import ARTICLE_MARK
from build_scripts.paths import is_plain_relative
from build_scripts.render import ji_charts
from build_scripts.render.charts import Chart, chart_csv_name, write_chart_csv
from build_scripts.render.environment import docs_root, make_environment, relative_root
from build_scripts.validate import ValidationReport
from build_scripts.validate.checks import REGISTRY


@dataclass
class Page:
    path: str  # relative to the docs folder, e.g. "ji/status.md"
    template: str
    context: dict[str, Any]
    sources: list[str] = field(default_factory=list)  # data files the page is generated from
    charts: list[Chart] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)  # other outputs of the same context, e.g. the record's JSON
    twin: str | None = None  # the record's JSON twin under api/, from the site's root
    # A record page: its article, an HTML template (*.html.j2) written after the Markdown head
    # (template) and ARTICLE_MARK; mkdocs renders it with the theme's record.html (mkdocs_hooks.py).
    article: str | None = None

    @property
    def edit_path(self) -> str:
        """The file a maintainer edits to change this page: the first data file it is
        generated from, else its template."""
        return self.sources[0] if self.sources else f"site_src/templates/{self.template}"


class UnsafeOutputPath(ValueError):
    """A page or file would be written outside the docs folder."""


def output_path(docs: Path, relative: str) -> Path:
    """docs / relative, refused unless `relative` is a plain relative path inside docs:
    no absolute path, drive, '..' or '.' segment, backslash or control character. Record
    identifiers are validated and slugged before they reach a path (render/slugs.py); this
    is the last check before a file is written."""
    if not is_plain_relative(relative):
        raise UnsafeOutputPath(f"refusing to write {relative!r}: not a plain relative path inside {docs}")
    return docs / relative


def _front_matter_lines(page: Page, imported: frozenset[str]) -> str:
    """Front matter the theme reads: the edit link's target, and the record's JSON twin."""
    mode = "view" if any(page.edit_path.startswith(f"datapackages/{name}/") for name in imported) else "edit"
    lines = [f"edit_path: {json.dumps(page.edit_path)}", f"edit_mode: {mode}"]
    if page.article:
        lines.append(f"template: {RECORD_TEMPLATE}")
    return "\n".join(lines) + "\n"


# The theme template of record pages (site_src/overrides/record.html).
RECORD_TEMPLATE = "record.html"


def _files(package: DataPackage, *resources: str) -> list[str]:
    return [f"datapackages/{package.name}/{package.resource(r)['path']}" for r in resources]


def ji_pages(ji: DataPackage, report: ValidationReport, cdm_summary: dict | None = None) -> list[Page]:
    figures = ji["reported_figures"]
    by_id = derive.figures_by_id(figures)
    people = ji["people"]
    positions = ji["committee_positions"]
    lines = ji["finance_lines"]
    notes = ji["finance_notes"]
    package = {"name": ji.name, "descriptor": ji.descriptor}
    common = {"package": package, "figure": by_id, "findings": report.findings, "cdm": cdm_summary}
    return [
        Page("index.md", "home.md.j2", {
            **common,
            "vacancies": derive.vacancy_count(positions),
            "positions": len(positions),
            "seats": len(ji["committee_seats"]),
            "balance": derive.finance_lines(lines, "table-4").query("kind == 'balance'").pipe(derive.records)[0],
            "last_issuances": derive.with_citation(ji["last_issuances"]).pipe(derive.records),
        }, _files(ji, "reported_figures", "finance_lines", "committee_positions")),
        Page("ji/status.md", "ji/status.md.j2", {
            **common,
            "status": derive.figures_for_topic(figures, "mechanism-status").pipe(derive.records),
            "mitigation": derive.figures_for_topic(figures, "mitigation").pipe(derive.records),
            "matrix": derive.track_matrix(figures),
            "last_issuances": derive.with_citation(ji["last_issuances"]).pipe(derive.records),
            "corrections": derive.with_citation(ji["corrections"]).pipe(derive.records),
        }, _files(ji, "reported_figures", "last_issuances", "corrections"), ji_charts.status_charts(figures)),
        Page("ji/projects.md", "ji/projects.md.j2", {
            **common,
            "resources": [ji.resource(name) for name in ("projects", "issuances", "determinations", "verifications", "entities")],
            "counts": {name: len(ji[name]) for name in ("projects", "issuances", "determinations", "verifications", "entities")},
        }, _files(ji, "projects", "issuances", "determinations", "verifications", "entities")),
        Page("ji/accreditation.md", "ji/accreditation.md.j2", {
            **common,
            "accreditation": derive.figures_for_topic(figures, "accreditation").pipe(derive.records),
            "decisions": derive.with_citation(ji["accreditation_decisions"]).pipe(derive.records),
            "officers": derive.officers_table(ji["officers"], people).query("body == 'JI-AP'").pipe(derive.records),
        }, _files(ji, "reported_figures", "accreditation_decisions", "officers"), [ji_charts.accreditation_chart(figures)]),
        Page("ji/committee.md", "ji/committee.md.j2", {
            **common,
            "seats": derive.committee_table(ji["committee_seats"], positions, people).pipe(derive.records),
            "vacancies": derive.vacancy_count(positions),
            "per_constituency": derive.seats_per_constituency(ji["committee_seats"]).to_dict(),
            "prescribed": derive.with_citation(ji["constituencies"]).pipe(derive.records),
            "officers": derive.officers_table(ji["officers"], people).query("body == 'JISC'").pipe(derive.records),
            "events": derive.events_table(ji["committee_events"], people).pipe(derive.records),
            "elections": derive.with_citation(ji["elections"]).pipe(derive.records),
            "people": people.sort_values("name").pipe(derive.records),
        }, _files(ji, "committee_seats", "committee_positions", "people", "officers", "committee_events", "elections")),
        Page("ji/meetings.md", "ji/meetings.md.j2", {
            **common,
            "meetings": derive.with_citation(ji["meetings"]).pipe(derive.records),
        }, _files(ji, "meetings", "reported_figures")),
        Page("ji/finances.md", "ji/finances.md.j2", {
            **common,
            "tables": [
                {**row, "lines": derive.finance_lines(lines, row["table_id"]).pipe(derive.records),
                 "notes": derive.records(notes[notes["table_id"] == row["table_id"]])}
                for row in derive.with_citation(ji["finance_tables"]).pipe(derive.records)
            ],
            "finance_figures": derive.figures_for_topic(figures, "finance").pipe(derive.records),
        }, _files(ji, "finance_tables", "finance_lines", "finance_notes", "reported_figures"), ji_charts.finance_charts(lines)),
        Page("ji/recommendations.md", "ji/recommendations.md.j2", {
            **common,
            "recommendations": derive.with_citation(ji["recommendations"]).pipe(derive.records),
        }, _files(ji, "recommendations")),
    ]


def citations(packages: list[DataPackage], releases: list | None, site_url: str | None) -> list[dict]:
    """How to cite each package: title, version, the release date of that version (CHANGELOG.md),
    licence and address (the downloads page's section, with the site's public address)."""
    out = []
    for p in packages:
        version = str(p.descriptor.get("version", ""))
        released = next((r.date for r in releases or [] if r.package == p.name and r.version == version), None)
        licence = p.licence
        out.append({"package": p.name, "title": p.title, "version": version, "released": released,
                    "licence": licence.get("name"), "licence_url": licence.get("path"),
                    "url": f"{site_url}downloads/#{p.name}" if site_url else None})
    return out


def common_pages(packages: list[DataPackage], reports: list[ValidationReport], downloads: list[dict],
                 releases: list | None = None, site_url: str | None = None) -> list[Page]:
    # The checks' titles and descriptions are messages (N_ in the checks), translated here for
    # the language being built; the templates print them as text, escaped like any value.
    checks = [{"slug": c.slug, "title": _(c.title), "description": _(c.description)} for c in REGISTRY]
    dictionary = [
        {"package": p.name, "title": p.title, "resources": [
            {**resource, "examples": derive.first_examples(p[resource["name"]]), "rows": len(p[resource["name"]])}
            for resource in p.descriptor["resources"]]}
        for p in packages
    ]
    documents = [
        {"package": p.name, "documents": derive.records(p["documents"])}
        for p in packages if "documents" in p.tables
    ]
    return [
        Page("methodology.md", "methodology.md.j2", {"checks": checks, "packages": packages}),
        Page("findings.md", "findings.md.j2", {"reports": reports, "titles": {c.slug: _(c.title) for c in REGISTRY}}),
        Page("downloads/index.md", "downloads.md.j2", {"downloads": downloads,
                                                       "citations": citations(packages, releases, site_url)}),
        Page("downloads/data-dictionary.md", "data-dictionary.md.j2", {"dictionary": dictionary}),
        Page("sources.md", "sources.md.j2", {"documents": documents, "packages": packages}),
        Page("glossary.md", "glossary.md.j2", {}),
        Page("changelog.md", "changelog.md.j2", {"releases": [
            # CHANGELOG.md is hand-written Markdown, reviewed like site_src/docs (not data).
            {"package": r.package, "version": r.version, "date": r.date, "anchor": Markup(r.anchor), "text": Markup(r.text)}
            for r in releases or []], "packages": packages}, ["CHANGELOG.md"]),
    ]


# Below this many pages, one process renders them all (forking would cost more than it saves).
PARALLEL_FROM_PAGES = 2000
# The pages forked workers render: inherited with the process's memory, never pickled.
_FORKED: tuple | None = None


def render_pages(pages: list[Page | Callable[[], Page | list[Page]]], templates: Path, docs: Path,
                 imported: frozenset[str] = frozenset(), workers: int | None = None, markdown_only: bool = False) -> int:
    """Render every page into docs; return how many were written. imported: packages re-created by an importer, whose CSVs
    are not edited by hand (their pages' source link opens the file for viewing). A page may
    come as a function that makes it (or several: a record and its continuation pages): it is
    called by the process that renders it, and the page is dropped once written (record pages
    of large registries).

    Many pages are rendered by one forked process per core (up to 4), each taking every
    n-th page; the output does not depend on the number of processes.

    markdown_only: write the pages alone, not their other files (record JSON, chart CSVs): a
    language other than the default links to the default language's copies."""
    global _FORKED
    if workers is None:
        workers = min(os.cpu_count() or 1, 4) if len(pages) >= PARALLEL_FROM_PAGES else 1
    if workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        count, paths = _render(pages, templates, docs, imported, markdown_only)
        _refuse_twice(paths)
        return count
    _FORKED = (pages, templates, docs, imported, markdown_only)
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork")) as pool:
            shares = list(pool.map(_render_share, [(index, workers) for index in range(workers)]))
    finally:
        _FORKED = None
    _refuse_twice([path for _, paths in shares for path in paths])
    return sum(count for count, _ in shares)


def _refuse_twice(paths: list[str]) -> None:
    """One record's page or file would silently replace another's: the build fails, and the
    last good site stays (pages are written into a staging folder)."""
    seen: set[str] = set()
    for path in paths:
        if path in seen:
            raise UnsafeOutputPath(f"refusing to write {path!r} twice: two pages have the same address")
        seen.add(path)


def _render_share(share: tuple[int, int]) -> tuple[int, list[str]]:
    index, count = share
    pages, templates, docs, imported, markdown_only = _FORKED  # type: ignore[misc]
    return _render(pages[index::count], templates, docs, imported, markdown_only)


def _write_if_changed(target: Path, text: str) -> None:
    """Write the page unless the file already holds exactly this text: make serve rewrites the
    docs in place, and mkdocs' dirty build rebuilds a page only when its file is newer."""
    try:
        if target.stat().st_size == len(text.encode("utf-8")) and target.read_text(encoding="utf-8") == text:
            return
    except FileNotFoundError:
        pass
    target.write_text(text, encoding="utf-8")


def _made(make: Callable[[], Page | list[Page]]) -> list[Page]:
    made = make()
    return made if isinstance(made, list) else [made]


def _render(pages: list[Page | Callable[[], Page | list[Page]]], templates: Path, docs: Path, imported: frozenset[str],
            markdown_only: bool = False) -> tuple[int, list[str]]:
    """Render and write the pages; return how many, and the path of every file written
    (pages and their JSON, relative to docs) for _refuse_twice."""
    environment = make_environment(templates)
    charts_dir = docs / "downloads" / "charts"
    articles = make_environment(templates, html=True)
    # Links to the files every language shares (downloads, record JSON): at the default
    # language's root, one folder above another language's.
    up = "../" if markdown_only else ""
    made = (page for item in pages for page in ([item] if isinstance(item, Page) else _made(item)))
    written = 0
    paths: list[str] = []
    for page in made:
        written += 1
        paths += [page.path, *({} if markdown_only else page.files)]
        root = relative_root(page.path)
        chart_html = {}
        for chart in page.charts:
            if chart.downloadable:
                name = chart_csv_name(chart) if markdown_only else write_chart_csv(chart, charts_dir)
                chart_html[chart.slot] = chart.html(f"{root}downloads/charts/{name}")
            else:
                chart_html[chart.slot] = chart.html(None)
        values = dict(charts=chart_html, has_charts=bool(page.charts), root=Markup(root), files_root=Markup(root + up),
                      docs_root=Markup(docs_root(page.path)), page_sources=page.sources, twin=page.twin)
        text = environment.get_template(page.template).render(**page.context, **values)
        if not text.startswith("---\n"):
            raise ValueError(f"{page.template}: a page template must start with front matter (m.front_matter)")
        text = "---\n" + _front_matter_lines(page, imported) + text[4:]
        if page.article:
            text = text.rstrip("\n") + "\n" + ARTICLE_MARK + articles.get_template(page.article).render(**page.context, **values)
        target = output_path(docs, page.path)
        target.parent.mkdir(parents=True, exist_ok=True)
        _write_if_changed(target, text)
        for path, content in ({} if markdown_only else page.files).items():
            target = output_path(docs, path)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content, encoding="utf-8")
    return written, paths
