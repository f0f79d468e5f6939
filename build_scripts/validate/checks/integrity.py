"""Checks on files and dates that apply to every package."""

from __future__ import annotations

import hashlib

import pandas as pd

from build_scripts.i18n import N_
from build_scripts.validate.checks import CheckContext, check, csv_row


@check(
    "raw-file-checksum",
    N_("Raw source files are unaltered"),
    N_("Every source document with a copy in raw/ exists and its SHA-256 equals the checksum "
       "recorded in the documents resource and in the package's sources, so anyone can verify "
       "that the figures were taken from the file as published."),
    ("documents",),
)
def raw_file_checksum(ctx: CheckContext):
    documents = ctx.package["documents"]
    held = documents[documents["path"].notna()]
    recorded = {s.get("path"): s.get("sha256") for s in ctx.package.descriptor.get("sources", [])}
    root = ctx.package.root.resolve()
    for index, row in held.iterrows():
        path = ctx.package.root / row["path"]
        if not path.resolve().is_relative_to(root) or "\\" in row["path"]:
            # never opened: a path like ../../x would read, and report on, a file outside the package
            yield ctx.problem("raw-file-checksum", "documents", "the raw file's path leads outside the package folder",
                              row=csv_row(documents, index), field="path", value=row["path"],
                              hint="Give the path of the copy inside the package, e.g. raw/<file>.")
            continue
        if not path.is_file():
            yield ctx.problem("raw-file-checksum", "documents", "the raw file does not exist",
                              row=csv_row(documents, index), field="path", value=row["path"],
                              hint="Copy the source file, unaltered, into the package's raw/ folder.")
            continue
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        digest = digest.hexdigest()
        for where, expected in (("documents", row["sha256"]), ("datapackage.json sources", recorded.get(row["path"]))):
            if expected != digest:
                yield ctx.problem("raw-file-checksum", "documents",
                                  f"SHA-256 of {row['path']} is {digest}, but {where} records {expected}",
                                  row=csv_row(documents, index), field="sha256", value=expected,
                                  hint="Restore the raw file as published, or record the checksum of the new release.")


@check(
    "dates-not-after-as-of",
    N_("No date after the package's as-of date"),
    N_("Every date in the package is on or before the date the package describes (its 'as_of' "
       "property): a registry cannot report what had not happened yet."),
    (),
)
def dates_not_after_as_of(ctx: CheckContext):
    as_of = ctx.package.descriptor.get("as_of")
    if not as_of:
        return
    limit = pd.Timestamp(as_of)
    for name, frame in ctx.package.tables.items():
        for column in frame.columns:
            if not pd.api.types.is_datetime64_any_dtype(frame[column]):
                continue
            late = frame[frame[column] > limit]
            for index, row in late.iterrows():
                yield ctx.problem("dates-not-after-as-of", name,
                                  f"date is after the package's as-of date {as_of}",
                                  row=csv_row(frame, index), field=column,
                                  value=row[column].date().isoformat(),
                                  hint="Correct the date, or update 'as_of' in datapackage.json if the package now covers a later period.")


@check(
    "date-ranges-ordered",
    N_("Periods end after they start"),
    N_("Meetings, monitoring periods and financial periods end on or after the day they start."),
    (),
)
def date_ranges_ordered(ctx: CheckContext):
    pairs = [("start_date", "end_date"), ("monitoring_period_start", "monitoring_period_end"),
             ("period_start", "period_end")]
    for name, frame in ctx.package.tables.items():
        for start, end in pairs:
            if start not in frame.columns or end not in frame.columns:
                continue
            bad = frame[frame[start] > frame[end]]
            for index, row in bad.iterrows():
                yield ctx.problem("date-ranges-ordered", name,
                                  f"{end} {row[end].date()} is before {start} {row[start].date()}",
                                  row=csv_row(frame, index), field=end, value=row[end].date().isoformat(),
                                  hint=f"Swap or correct the dates so that {start} <= {end}.")


@check(
    "project-hosts-match",
    N_("The host parties table agrees with each project's host parties"),
    N_("project_hosts lists, for every project, exactly the host parties of its host_party field, "
       "in the same order (position 1, 2, ...): the bridge table and the list it is derived from "
       "never say different things."),
    ("projects", "project_hosts"),
)
def project_hosts_match(ctx: CheckContext):
    projects, hosts = ctx.package["projects"], ctx.package["project_hosts"]
    listed = {pid: [c for c in (text or "").split(";") if c]
              for pid, text in zip(projects["project_id"], projects["host_party"].astype(object).where(projects["host_party"].notna(), None))}
    bridged: dict[str, list[tuple[int, str, int]]] = {}
    for index, (pid, code, position) in enumerate(zip(hosts["project_id"], hosts["party_code"], hosts["position"])):
        bridged.setdefault(pid, []).append((int(position), code, index))
    for pid, rows in bridged.items():
        rows.sort()
        codes = [code for _, code, _ in rows]
        expected = listed.get(pid)
        if expected is None:
            continue  # a project that does not exist: the foreign key says so
        if codes != expected or [p for p, _, _ in rows] != list(range(1, len(rows) + 1)):
            first = rows[0][2]
            yield ctx.problem("project-hosts-match", "project_hosts",
                              f"project {pid}: project_hosts lists {';'.join(codes) or 'none'} (positions "
                              f"{', '.join(str(p) for p, _, _ in rows)}), but projects.host_party says {';'.join(expected)}",
                              row=csv_row(hosts, hosts.index[first]), field="party_code", value=";".join(codes),
                              hint="Re-run `make import` (it writes project_hosts from projects.host_party), or correct "
                                   "both files together: one row per host party, positions 1, 2, ... in the listed order.")
    for pid, expected in listed.items():
        if expected and pid not in bridged:
            index = projects.index[projects["project_id"] == pid][0]
            yield ctx.problem("project-hosts-match", "projects",
                              f"project {pid}: host_party is {';'.join(expected)}, but project_hosts has no row for it",
                              row=csv_row(projects, index), field="host_party", value=";".join(expected),
                              hint="Add its host parties to project_hosts (re-run `make import`).")
