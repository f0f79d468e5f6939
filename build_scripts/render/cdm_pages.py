"""The CDM pages: overview, explorer, one page per project, host party and DOE, and indexes.

Record pages stay out of the nav; the index pages link to them. The context that renders a
project page also writes that project's JSON download.
"""

from __future__ import annotations

import json
from functools import partial
from typing import Callable

import numpy as np
import pandas as pd
from markupsafe import Markup

from build_scripts import derive, derive_cdm, i18n
from build_scripts.i18n import N_, _
from build_scripts.load import DataPackage
from build_scripts.render import api, cdm_charts
from build_scripts.render.environment import country
from build_scripts.render.pages import Page
from build_scripts.render.slugs import unique_slugs
from build_scripts.render.world_map import world_map as draw_world_map
from build_scripts.validate import ValidationReport


def _grouped(frame: pd.DataFrame, sort: list[str]) -> tuple[derive.RowSource, dict[str, tuple[int, int]]]:
    """The rows sorted by project, then by sort (ties keep their order), and each project's
    range of positions."""
    ordered = frame.sort_values(["project_id", *sort], kind="stable")
    pids = ordered["project_id"].to_numpy(dtype=object)
    if len(pids) == 0:
        return derive.RowSource(ordered), {}
    starts = np.concatenate([[0], np.flatnonzero(pids[1:] != pids[:-1]) + 1])
    stops = np.concatenate([starts[1:], [len(pids)]])
    return derive.RowSource(ordered), {pids[a]: (int(a), int(b)) for a, b in zip(starts, stops)}


def _yearly(rows: list[dict]) -> dict[tuple[int, int], int]:
    """Units issued per (year, commitment period), as a groupby of the rows would sum them
    (rows without a date or period left out, a missing quantity counted as 0)."""
    sums: dict[tuple[int, int], int] = {}
    for row in rows:
        if row["issuance_date"] is None or row["commitment_period"] is None:
            continue
        key = (int(row["issuance_date"].year), int(row["commitment_period"]))
        sums[key] = sums.get(key, 0) + int(row["quantity"] or 0)
    return sums


def _codes(text: str | None) -> list[str]:
    return [code for code in (text or "").split(";") if code]


def _json_value(value):
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    return value


def _plain(row: dict) -> dict:
    return {k: _json_value(v) for k, v in row.items()}


def _sources(package: DataPackage) -> dict[str, str]:
    documents = package["documents"]
    return dict(zip(documents["document_id"], documents["path"].fillna(documents["document_id"])))


class ProjectPages:
    """The project pages, each made when it is rendered: a registry 100 times the CDM has
    833,500 projects, whose page contexts and JSON twins would not fit in memory together.
    The rows stay in column arrays (derive.RowSource), sorted by project."""

    def __init__(self, cdm: DataPackage, totals: pd.DataFrame, issuances: pd.DataFrame, cancellations: pd.DataFrame,
                 party_names: dict, party_slugs: dict, entity_slugs: dict, project_slugs: dict, sources: list[str],
                 registry_source: str, host_codes: dict[str, list[str]]) -> None:
        self.cdm, self.party_names, self.party_slugs, self.entity_slugs = cdm, party_names, party_slugs, entity_slugs
        self.host_codes = host_codes  # derive_cdm.host_codes: each project's host parties, in order
        self.project_slugs, self.edit_sources, self.registry_source = project_slugs, sources, registry_source
        self.projects = derive.RowSource(totals)
        self.issuances, self.issuance_rows = _grouped(issuances, ["issuance_date", "serial_start"])
        self.cancellations, self.cancellation_rows = _grouped(cancellations, ["cancellation_date", "serial_start"])
        self.documents = _sources(cdm)

    def hosts_of(self, project: dict) -> list[str]:
        """The project's host party codes, in the order published."""
        return self.host_codes.get(project["project_id"], [])

    def page(self, index: int) -> Page:
        """The project's page: every issuance and cancellation on it (its JSON twin too)."""
        cdm = self.cdm
        (project,) = self.projects.rows(index, index + 1)
        pid = project["project_id"]
        name = self.project_slugs[pid]
        rows = self.issuances.rows(*self.issuance_rows.get(pid, (0, 0)))
        cancelled = self.cancellations.rows(*self.cancellation_rows.get(pid, (0, 0)))
        charts = []
        yearly = _yearly(rows)
        if yearly:
            charts.append(cdm_charts.issued_by_year_from_sums(
                yearly, f"cdm-{name}-issued-by-year", _("Units issued by year, project %(project)s", project=pid),
                self.registry_source, downloadable=False, key="issued-by-year",
                total=sum(int(r["quantity"]) for r in rows)))
        used_documents = sorted({project["source_document"]} | {r["source_document"] for r in rows + cancelled})
        party_names = self.party_names
        twin = api.record_path(cdm.name, "projects", name)
        return Page(
            f"cdm/projects/{name}.md", "cdm/project.md.j2",
            {
                "p": project,
                "hosts": [{"code": c, "name": party_names.get(c, c), "slug": self.party_slugs[c]}
                          for c in self.hosts_of(project)],
                "others": [{"code": c, "name": party_names.get(c, c)} for c in _codes(project["other_parties"])],
                "entities": [{"entity_id": e, "slug": self.entity_slugs[e]} for e in project["entities"]],
                "flags": [f for f in (project["record_flags"] or "").split(";") if f],
                "issuances": rows,
                "cancellations": cancelled,
                "issued_units": derive_cdm.unit_sums(rows),
                "cancelled_units": derive_cdm.unit_sums(cancelled),
                "sources": [self.documents.get(d, d) for d in used_documents],
            },
            self.edit_sources, charts,
            files={api.record_path(cdm.name, "projects", name): api.record_document(
                cdm, "projects", pid, f"cdm/projects/{name}/",
                {"project": _plain(project),
                 # The records the project names by id, as the page links them: JSON and page.
                 "links": {"host_parties": [{"party_code": c, "json": api.record_path(cdm.name, "parties", self.party_slugs[c]),
                                             "page": f"cdm/parties/{self.party_slugs[c]}/"}
                                            for c in self.hosts_of(project)],
                           "entities": [{"entity_id": e, "json": api.record_path(cdm.name, "does", self.entity_slugs[e]),
                                         "page": f"cdm/does/{self.entity_slugs[e]}/"} for e in project["entities"]]},
                 "issuances": [_plain(r) for r in rows],
                 "cancellations": [_plain(r) for r in cancelled]})},
            twin=twin, article="cdm/project.html.j2",
        )


def cdm_pages(cdm: DataPackage, report: ValidationReport, site_url: str | None = None
              ) -> tuple[list[Page | Callable[[], Page | list[Page]]], list[api.Collection]]:
    """The CDM pages, each record page with its JSON twin under api/cdm/; and the collections.
    Project pages come as functions that make the page (render_pages calls them)."""
    projects, issuances, parties = cdm["projects"], cdm["issuances"], cdm["parties"]
    cancellations = derive_cdm.all_cancellations(cdm["voluntary_cancellations"], cdm["administrative_cancellations"])
    totals = derive_cdm.project_totals(projects, issuances, cancellations)
    # Host parties from the project_hosts bridge (one row per project and host party).
    hosts = derive_cdm.project_hosts(projects, cdm["project_hosts"] if "project_hosts" in cdm.tables else None)
    host_codes = derive_cdm.host_codes(hosts)
    party_slugs = unique_slugs(parties["party_code"], "host party")
    entity_slugs = unique_slugs(cdm["entities"]["entity_id"], "DOE")
    project_slugs = unique_slugs(totals["project_id"], "project")
    party_names = dict(zip(parties["party_code"], parties["name"]))
    as_of = cdm.descriptor.get("as_of")
    registry_source = _("UNFCCC CDM Registry issuance report")
    pages: list[Page | Callable[[], Page]] = []
    files = lambda *names: [f"datapackages/{cdm.name}/{cdm.resource(n)['path']}" for n in names]  # noqa: E731

    # One page per project, each made only when it is rendered (see ProjectPages).
    project_pages = ProjectPages(cdm, totals, issuances, cancellations, party_names, party_slugs, entity_slugs,
                                 project_slugs, files("projects", "issuances", "voluntary_cancellations"), registry_source,
                                 host_codes)
    pages += [partial(project_pages.page, index) for index in range(len(totals))]

    # One page per host party, and the index.
    party_table = derive_cdm.by_party(issuances, cancellations, hosts, parties)
    party_table = party_table.assign(slug=party_table["party_code"].map(party_slugs))
    hosted = totals.merge(hosts.rename(columns={"party_code": "party"}), on="project_id", how="inner")
    issued_units = derive_cdm.units_by_type(issuances, "originating_party")
    cancelled_units = derive_cdm.units_by_type(cancellations, "originating_party")
    for party in derive.records(party_table):
        code = party["party_code"]
        its_projects = hosted[hosted["party"] == code].sort_values("project_id", key=lambda s: s.str.zfill(8))
        charts = []
        party_issuances = issuances[issuances["originating_party"] == code]
        if not party_issuances.empty:
            charts.append(cdm_charts.issued_by_year(
                derive_cdm.issued_by_year(party_issuances), f"cdm-{party['slug']}-issued-by-year",
                _("Units issued by year, %(party)s", party=country(code, party["name"])), registry_source,
                key="issued-by-year", total=int(party_issuances["quantity"].sum())))
        party_projects = derive.records(its_projects)
        twin = api.record_path(cdm.name, "parties", party["slug"])
        listed = [{**r, "slug": project_slugs[r["project_id"]]} for r in party_projects]
        pages.append(Page(f"cdm/parties/{party['slug']}.md", "cdm/party.md.j2",
                          {"party": {**party, "name_as_published": None}, "projects": listed,
                           "issued_units": issued_units.get(code, []), "cancelled_units": cancelled_units.get(code, [])},
                          files("parties", "projects", "issuances"), charts,
                          files={twin: api.record_document(cdm, "parties", code, f"cdm/parties/{party['slug']}/", {
                              "party": _plain({k: v for k, v in party.items() if k != "slug"}),
                              "projects": [{"project_id": r["project_id"], "title": r["title"],
                                            "units_issued": r["units_issued"], "units_cancelled": r["units_cancelled"],
                                            "json": api.record_path(cdm.name, "projects", project_slugs[r["project_id"]])}
                                           for r in party_projects]})},
                          twin=twin, article="cdm/party.html.j2"))
    world_map = draw_world_map(dict(zip(party_table["party_code"], party_table["units_issued"])), party_names,
                               _("Units issued by host party"), _("units issued"),
                               _("%(party)s: %(value)s units issued"))
    named = party_table.assign(shown=[country(code, name) for code, name in
                                      zip(party_table["party_code"], party_table["name"])])
    pages.append(Page("cdm/parties/index.md", "cdm/parties.md.j2",
                      {"parties": derive.records(party_table[party_table["projects"] + party_table["units_issued"] > 0]),
                       "as_of": as_of, "world_map": world_map},
                      files("parties", "issuances"),
                      [cdm_charts.ranked(named, "name", "units_issued", "cdm-issued-by-party",
                                         _("Units issued by host party (top 20)"),
                                         _("Ranked by units issued with the party's code; the table below lists every "
                                           "party."),
                                         registry_source, total=int(issuances["quantity"].sum()),
                                         label_header=N_("Host party"), value_header=N_("Units issued"),
                                         shown_column="shown")]))

    # One page per DOE, and the index.
    entity_table = derive_cdm.by_entity(issuances, cdm["entities"])
    entity_table = entity_table.assign(slug=entity_table["entity_id"].map(entity_slugs))
    matched = issuances.dropna(subset=["entity_id"])
    per_entity = (matched.groupby(["entity_id", "project_id"], as_index=False)["quantity"].sum()
                  .rename(columns={"quantity": "units"})
                  .merge(totals[["project_id", "title", "host_party"]], on="project_id", how="left"))
    entity_projects = {e: derive.records(f.sort_values("units", ascending=False)) for e, f in per_entity.groupby("entity_id")}
    verified_units = derive_cdm.units_by_type(matched, "entity_id")
    for entity in derive.records(entity_table):
        its = entity_projects.get(entity["entity_id"], [])
        twin = api.record_path(cdm.name, "does", entity["slug"])
        listed = [{**r, "slug": project_slugs[r["project_id"]]} for r in its]
        pages.append(Page(f"cdm/does/{entity['slug']}.md", "cdm/doe.md.j2",
                          {"entity": entity, "projects": listed, "verified_units": verified_units.get(entity["entity_id"], [])},
                          files("entities", "issuances"),
                          files={twin: api.record_document(cdm, "does", entity["entity_id"], f"cdm/does/{entity['slug']}/", {
                              "entity": _plain({k: v for k, v in entity.items() if k != "slug"}),
                              "projects": [{"project_id": r["project_id"], "title": r["title"], "units_verified": r["units"],
                                            "json": api.record_path(cdm.name, "projects", project_slugs[r["project_id"]])}
                                           for r in its]})},
                          twin=twin, article="cdm/doe.html.j2"))
    ji_decision = "FCCC/KP/CMP/2016/5, para. 17"
    pages.append(Page("cdm/does/index.md", "cdm/does.md.j2",
                      {"entities": derive.records(entity_table), "unmatched": int(issuances["entity_id"].isna().sum()),
                       "ji_decision_citation": ji_decision},
                      files("entities", "issuances")))

    # The explorer: one page over every project, fed by one JSON file.
    explorer = explorer_rows(totals, party_names, project_slugs, host_codes)
    pages.append(Page("cdm/explorer.md", "cdm/explorer.md.j2",
                      {"data_href": "../../downloads/cdm/explorer.json", "row_count": len(explorer["rows"]),
                       # host parties named in the page's language (none in English: as published)
                       "party_names": {} if i18n.current().is_source else
                       {code: country(code, name) for code, name in sorted(party_names.items())}},
                      files("projects", "issuances", "voluntary_cancellations"),
                      files={"downloads/cdm/explorer.json": json.dumps(explorer, ensure_ascii=False, separators=(",", ":"))}))

    # Overview with the charts.
    share = derive_cdm.share_cancelled(issuances, cancellations)
    overall = share[share["commitment_period"] == "all"].iloc[0]
    cancellation_source = _("UNFCCC CDM Registry voluntary and administrative cancellation reports")
    holdings = cdm["holdings"]
    types = derive_cdm.by_project_type(totals)
    not_classified = _(derive_cdm.NOT_CLASSIFIED)
    shown_type = lambda t: not_classified if t == derive_cdm.NOT_CLASSIFIED else t  # noqa: E731
    overview = Page("cdm/index.md", "cdm/index.md.j2", {
        "as_of": as_of,
        "sources": sorted(set(project_pages.documents.values())),
        "totals": {
            "units_issued": int(issuances["quantity"].sum()),
            "issuances": len(issuances),
            "projects": len(totals),
            "projects_with_issuance": int((totals["issuance_count"] > 0).sum()),
            "units_cancelled": int(cancellations["quantity"].sum()),
            "cancellations": len(cancellations),
            "issued_units": derive_cdm.units_by_type(issuances),
            "cers_issued": int(issuances.loc[issuances["unit_type"] == "CER", "quantity"].sum()),
            "cancelled_units": derive_cdm.units_by_type(cancellations),
            "share_cancelled": cdm_charts.percent(overall["share_cancelled"] * 100),
        },
        "holdings": derive.records(holdings),
        "missing_projects": int(totals["record_flags"].fillna("").str.contains("not-in-registered-list").sum()),
    }, files("issuances", "voluntary_cancellations", "administrative_cancellations", "holdings"), [
        cdm_charts.issued_by_year(derive_cdm.issued_by_year(issuances), "cdm-issued-by-year",
                                  _("Units issued by year and commitment period"), registry_source,
                                  total=int(issuances["quantity"].sum())),
        cdm_charts.ranked(types.assign(shown=types["project_type"].map(shown_type)), "project_type", "units_issued",
                          "cdm-issued-by-type", _("Units issued by project type (UNEP DTU)"),
                          _("Project types ranked by units issued to their projects."),
                          registry_source + "; " + _("UNEP DTU types from the issuances-by-project report"),
                          total=int(issuances["quantity"].sum()),
                          label_header=N_("Project type"), value_header=N_("Units issued"), shown_column="shown"),
        cdm_charts.cancelled_by_year(derive_cdm.cancelled_by_year(cancellations), cancellation_source,
                                     total=int(cancellations["quantity"].sum())),
        cdm_charts.share_cancelled(share, registry_source + "; " + cancellation_source),
    ])
    pages.append(overview)
    # The API: an index per collection, and the feed of the latest issuances.
    titles = {r["project_id"]: r["title"] for r in derive.records(totals[["project_id", "title"]])}
    listed_parties, listed_entities = set(party_table["party_code"]), set(entity_table["entity_id"])
    indexes = {
        "projects": (N_("CDM project activities"), [
            {"id": pid, "title": titles[pid], "page": f"cdm/projects/{slug}/", "json": api.record_path(cdm.name, "projects", slug)}
            for pid, slug in project_slugs.items()]),
        "parties": (N_("Host parties"), [
            {"id": code, "title": party_names.get(code, code), "page": f"cdm/parties/{slug}/", "json": api.record_path(cdm.name, "parties", slug)}
            for code, slug in party_slugs.items() if code in listed_parties]),
        "does": (N_("Designated operational entities"), [
            {"id": e, "title": e, "page": f"cdm/does/{slug}/", "json": api.record_path(cdm.name, "does", slug)}
            for e, slug in entity_slugs.items() if e in listed_entities]),
    }
    api_files = {api.collection_path(cdm.name, name): api.collection_document(cdm, name, title, records)
                 for name, (title, records) in indexes.items()}
    api_files[f"api/feeds/{cdm.name}-issuances.xml"] = api.issuances_feed(cdm, issuances, titles, project_slugs, site_url)
    overview.files.update(api_files)  # written with the overview: they share its data
    collections = [api.Collection(cdm.name, name, title, len(records), f"cdm/{name}/{{slug}}/")
                   for name, (title, records) in indexes.items()]
    return pages, collections


EXPLORER_COLUMNS = ["project_id", "title", "host_parties", "host_party_names", "activity_type", "project_type",
                    "project_subtype", "entities", "commitment_periods", "registration_date", "units_issued",
                    "units_cancelled", "url"]


def explorer_rows(totals: pd.DataFrame, party_names: dict[str, str], project_slugs: dict[str, str],
                  host_codes: dict[str, list[str]]) -> dict:
    """The explorer's data: one row per project, columns as EXPLORER_COLUMNS (urls from the site
    root); host parties as derive_cdm.host_codes gives them (the project_hosts bridge)."""
    rows = []
    for project in derive.records(totals):
        hosts = host_codes.get(project["project_id"], [])
        registered = project["registration_date"]
        rows.append([
            project["project_id"], project["title"], hosts, [party_names.get(c, c) for c in hosts],
            project["activity_type"], project["project_type"], project["project_subtype"], project["entities"],
            project["commitment_periods"], registered.date().isoformat() if registered is not None else None,
            int(project["units_issued"]), int(project["units_cancelled"]),
            f"cdm/projects/{project_slugs[project['project_id']]}/",
        ])
    return {"columns": EXPLORER_COLUMNS, "rows": rows}


def cdm_summary(cdm: DataPackage) -> dict:
    """The few CDM figures the home page shows beside JI's."""
    issuances = cdm["issuances"]
    cancellations = derive_cdm.all_cancellations(cdm["voluntary_cancellations"], cdm["administrative_cancellations"])
    return {
        "as_of": cdm.descriptor.get("as_of"),
        "units_issued": int(issuances["quantity"].sum()),
        "issuances": len(issuances),
        "projects": len(cdm["projects"]),
        "parties": int(issuances["originating_party"].nunique()),
        "units_cancelled": int(cancellations["quantity"].sum()),
    }
