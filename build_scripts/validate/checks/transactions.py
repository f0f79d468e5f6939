"""Registry-integrity checks on transactions: issuances, cancellations and holdings.

Each check is whole-table interval or group logic (sort + cummax, merge_asof, groupby);
Python loops run only over the problems found, never over the data.

Serial numbers. A unit is identified by its originating party, its unit type and its serial
number; a block of units by the first and last serial number. The cancellation checks look
up, for every cancelled block, the issuance block of the same party and unit type that holds
it (`_holders`): issuance blocks are sorted by first serial, the furthest last serial reached
so far (and the block reaching it) is carried forward with cummax, and merge_asof finds for
each cancelled block the last issuance block starting at or before it. The cancelled block
lies inside an issuance block exactly when that furthest reach covers its last serial, and
then the block carrying the reach holds it -- also when issuance blocks overlap or nest.

Resources. The cancellation checks need issuances and voluntary_cancellations and also read
administrative_cancellations when the package has it (the `resources` tuple of @check can
only require resources, not make one optional).

Acknowledgements. All figures compared here are published by the UNFCCC, so a violation is
either an import error or a disagreement between (or within) the source reports. The error
checks report it with ctx.discrepancy: an error until acknowledged, per subject, in the
package's `source_discrepancies` (subject: the issuance_id or cancellation_id of the row, the
project_id for cancelled-within-issued, 'CP1-CER' etc. for holdings), a finding after.

What the Table Schemas already guarantee, and so is not re-checked here (see the
transaction-fields description; the DES response codes there were supplied with the task
and still need checking against the DES annex of ITL checks): quantities are
integers >= 1 (DES 3007/3008); each row has exactly one unit type and one commitment period
from the allowed values (3003/3009); identifiers are unique within each resource (primary
keys; 10006); serial_end - serial_start + 1 = quantity (serials.serial-block-length).
"""

from __future__ import annotations

from typing import Iterator

import numpy as np
import pandas as pd

from build_scripts.errors import Figure, Problem, Term, text
from build_scripts.i18n import N_
from build_scripts.validate.checks import CheckContext, check, csv_row

CANCELLATIONS = ("voluntary_cancellations", "administrative_cancellations")
KIND = {"voluntary_cancellations": Term(N_("voluntary cancellation")),
        "administrative_cancellations": Term(N_("administrative cancellation"))}
EMPTY = Term(N_("empty"))
BLOCK_KEYS = ["originating_party", "unit_type"]


# --- helpers -----------------------------------------------------------------------------------

def _cancellations(ctx: CheckContext, columns: list[str]) -> pd.DataFrame:
    """Both cancellation resources stacked: the columns asked for, plus `resource` and `index`
    (the row's label in its own table, for csv_row)."""
    parts = []
    for name in CANCELLATIONS:
        frame = ctx.package.tables.get(name)
        if frame is None or frame.empty:
            continue
        part = frame.reindex(columns=columns)
        part["resource"] = name
        part["index"] = frame.index
        parts.append(part)
    if not parts:
        return pd.DataFrame(columns=columns + ["resource", "index"])
    return pd.concat(parts, ignore_index=True)


def _cite(frame: pd.DataFrame, index) -> str:
    row = frame.loc[index]
    return f"{row['source_document']}, {row['source_location']}"


def _day(value) -> str:
    return "" if pd.isna(value) else pd.Timestamp(value).date().isoformat()


def _holders(issuances: pd.DataFrame, blocks: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """For each block (rows of `blocks`, same order): `holder`, the position in `issuances` of an
    issuance block with the same `keys` whose serial range holds the whole block (-1 if none),
    and `touched`, the position of the issuance block the block starts in (-1 if none) with
    `reach`, the last serial that block covers."""
    n = len(blocks)
    out = pd.DataFrame({"holder": np.full(n, -1, dtype="int64"), "touched": np.full(n, -1, dtype="int64"),
                        "reach": np.zeros(n, dtype="int64")})
    if n == 0 or issuances.empty:
        return out
    issued = issuances[keys].copy()
    issued["serial_start"] = issuances["serial_start"].to_numpy(dtype="int64")
    issued["serial_end"] = issuances["serial_end"].to_numpy(dtype="int64")
    issued["position"] = np.arange(len(issuances), dtype="int64")
    ordered = issued.sort_values(keys + ["serial_start", "serial_end"], kind="stable")
    reach = ordered.groupby(keys, sort=False)["serial_end"].cummax()
    # The block that carries the reach: the latest row whose end is the running maximum. The
    # first row of every group is such a row, so a plain forward fill never crosses groups.
    carrier = ordered["position"].where(ordered["serial_end"] == reach).ffill().astype("int64")
    right = ordered[keys].assign(serial_start=ordered["serial_start"], reach=reach, carrier=carrier)
    right = right.sort_values("serial_start", kind="stable")
    left = blocks[keys].copy()
    left["serial_start"] = blocks["serial_start"].to_numpy(dtype="int64")
    left["serial_end"] = blocks["serial_end"].to_numpy(dtype="int64")
    left["row"] = np.arange(n, dtype="int64")
    left = left.sort_values("serial_start", kind="stable")
    merged = pd.merge_asof(left, right, on="serial_start", by=keys, direction="backward")
    found = merged["reach"].notna().to_numpy()
    rows = merged["row"].to_numpy()[found]
    reach_found = merged["reach"].to_numpy()[found].astype("int64")
    carrier_found = merged["carrier"].to_numpy()[found].astype("int64")
    starts_inside = reach_found >= merged["serial_start"].to_numpy()[found]
    inside = reach_found >= merged["serial_end"].to_numpy()[found]
    out.loc[rows[inside], "holder"] = carrier_found[inside]
    out.loc[rows[starts_inside], "touched"] = carrier_found[starts_inside]
    out.loc[rows[starts_inside], "reach"] = reach_found[starts_inside]
    return out


def _cancellations_with_holders(ctx: CheckContext, columns: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    cancelled = _cancellations(ctx, BLOCK_KEYS + ["serial_start", "serial_end"] + columns)
    return cancelled, _holders(ctx.package["issuances"], cancelled, BLOCK_KEYS)


# --- cancellations and issuances -----------------------------------------------------------------

# The message when a cancelled block lies inside an issuance block that disagrees, by the
# attributes that differ.
ATTRIBUTES_DIFFER = {
    ("project_id",): N_(
        "%(kind)s %(cancellation)s (serials %(first)s-%(last)s) lies inside issuance %(issuance)s (issuances.csv row "
        "%(row)s), but its project_id is %(project)s but the issuance's is %(issued_project)s"),
    ("commitment_period",): N_(
        "%(kind)s %(cancellation)s (serials %(first)s-%(last)s) lies inside issuance %(issuance)s (issuances.csv row "
        "%(row)s), but its commitment_period is %(period)s but the issuance's is %(issued_period)s"),
    ("project_id", "commitment_period"): N_(
        "%(kind)s %(cancellation)s (serials %(first)s-%(last)s) lies inside issuance %(issuance)s (issuances.csv row "
        "%(row)s), but its project_id is %(project)s but the issuance's is %(issued_project)s; its commitment_period "
        "is %(period)s but the issuance's is %(issued_period)s"),
}


@check(
    "cancellation-inside-issuance",
    N_("Every cancelled unit was issued"),
    N_("Every cancelled block of units (voluntary and administrative cancellations) lies entirely "
       "inside one issuance block of the same originating party and unit type, and that issuance "
       "is for the same project and commitment period as the cancellation says. A block in no "
       "issuance block cancels units that the issuance report does not show; a block that runs "
       "past the end of the issuance block it starts in (even into the next one) is reported "
       "too; when a block lies inside an issuance block that disagrees, the message names the "
       "attribute (project, unit type or commitment period). DES analogue: the International "
       "Transaction Log rejects a transaction on units that do not exist or are not held in the "
       "account they leave (its general transaction checks on unit blocks); there is no DES code "
       "for comparing the published reports with each other."),
    ("issuances", "voluntary_cancellations"),
)
def cancellation_inside_issuance(ctx: CheckContext) -> Iterator[Problem]:
    slug = "cancellation-inside-issuance"
    issuances = ctx.package["issuances"]
    cancelled, found = _cancellations_with_holders(ctx, ["project_id", "commitment_period", "cancellation_id"])
    if cancelled.empty:
        return
    holder = found["holder"].to_numpy()
    has = holder >= 0
    # Inside a block of the same party and unit type: compare project and commitment period.
    attributes = ["project_id", "commitment_period"]
    issued_at = issuances.iloc[holder[has]].reset_index(drop=True)
    inside = cancelled[has].reset_index(drop=True)
    differs = {}
    for attribute in attributes:
        same = inside[attribute].eq(issued_at[attribute]).fillna(False)  # an empty value differs too
        differs[attribute] = ~same.to_numpy(dtype=bool)
    bad = np.zeros(len(cancelled), dtype=bool)
    bad[np.flatnonzero(has)] = np.logical_or.reduce([differs[a] for a in attributes])
    position_in_has = np.cumsum(has) - 1
    # In no block of its unit type: does a block of the same party hold it under another unit type?
    lost = np.flatnonzero(~has)
    other = _holders(issuances, cancelled.iloc[lost], ["originating_party"]) if len(lost) else None
    for position in np.flatnonzero(bad):
        row = cancelled.iloc[position]
        frame = ctx.package[row["resource"]]
        issuance_index = issuances.index[holder[position]]
        issuance = issuances.loc[issuance_index]
        wrong = [a for a in attributes if differs[a][position_in_has[position]]]
        given = {a: row[a] if pd.notna(row[a]) else EMPTY for a in attributes}
        yield ctx.discrepancy(
            slug, str(row["cancellation_id"]), row["resource"],
            text(ATTRIBUTES_DIFFER[tuple(wrong)], kind=KIND[row["resource"]], cancellation=row["cancellation_id"],
                 first=row["serial_start"], last=row["serial_end"], issuance=issuance["issuance_id"],
                 row=csv_row(issuances, issuance_index), project=given["project_id"],
                 issued_project=issuance["project_id"], period=given["commitment_period"],
                 issued_period=issuance["commitment_period"]),
            row=csv_row(frame, row["index"]), field=wrong[0], value=row[wrong[0]],
            sources=(_cite(frame, row["index"]), _cite(issuances, issuance_index)))
    for number, position in enumerate(lost):
        row = cancelled.iloc[position]
        frame = ctx.package[row["resource"]]
        block = dict(kind=KIND[row["resource"]], cancellation=row["cancellation_id"], unit_type=row["unit_type"],
                     first=row["serial_start"], last=row["serial_end"], party=row["originating_party"])
        cite = [_cite(frame, row["index"])]
        elsewhere = int(other["holder"].iat[number])
        touched = int(found["touched"].iat[position])
        if elsewhere >= 0:
            issuance_index = issuances.index[elsewhere]
            issuance = issuances.loc[issuance_index]
            message = text(N_("%(kind)s %(cancellation)s: %(unit_type)s serials %(first)s-%(last)s of party %(party)s "
                              "lie inside issuance %(issuance)s (issuances.csv row %(row)s), but its unit_type is "
                              "%(unit_type)s and the issuance's is %(issued_unit_type)s"),
                           **block, issuance=issuance["issuance_id"], row=csv_row(issuances, issuance_index),
                           issued_unit_type=issuance["unit_type"])
            field, value = "unit_type", row["unit_type"]
            cite.append(_cite(issuances, issuance_index))
        elif touched >= 0:
            issuance_index = issuances.index[touched]
            issuance = issuances.loc[issuance_index]
            message = text(N_("%(kind)s %(cancellation)s: %(unit_type)s serials %(first)s-%(last)s of party %(party)s "
                              "start inside issuance %(issuance)s (issuances.csv row %(row)s) but run past its last "
                              "serial %(reach)s: the block is not inside one issuance block"),
                           **block, issuance=issuance["issuance_id"], row=csv_row(issuances, issuance_index),
                           reach=int(found["reach"].iat[position]))
            field, value = "serial_end", row["serial_end"]
            cite.append(_cite(issuances, issuance_index))
        else:
            message = text(N_("%(kind)s %(cancellation)s: %(unit_type)s serials %(first)s-%(last)s of party %(party)s "
                              "lie in no issuance block: the issuance report shows no such units"), **block)
            field, value = "serial_start", row["serial_start"]
        yield ctx.discrepancy(slug, str(row["cancellation_id"]), row["resource"], message,
                              row=csv_row(frame, row["index"]), field=field, value=value, sources=tuple(cite))


@check(
    "no-double-cancellation",
    N_("No unit cancelled twice"),
    N_("Within one originating party and unit type, no two cancelled blocks share a serial number, "
       "counting voluntary and administrative cancellations together: a unit can be cancelled "
       "only once. (Cancelled blocks are sorted by first serial; each must start after every "
       "earlier block ends.) This also makes cancellation identifiers unique across the two "
       "cancellation tables, which the Table Schemas can only require within each table. DES "
       "analogue: a cancelled unit is no longer held, so the International Transaction Log would "
       "reject a second cancellation of it (its checks that the units of a block are held); no "
       "direct DES code."),
    ("voluntary_cancellations",),
)
def no_double_cancellation(ctx: CheckContext) -> Iterator[Problem]:
    slug = "no-double-cancellation"
    cancelled = _cancellations(ctx, BLOCK_KEYS + ["serial_start", "serial_end", "cancellation_id"])
    if cancelled.empty:
        return
    cancelled["serial_start"] = cancelled["serial_start"].astype("int64")
    cancelled["serial_end"] = cancelled["serial_end"].astype("int64")
    cancelled["position"] = np.arange(len(cancelled), dtype="int64")
    ordered = cancelled.sort_values(BLOCK_KEYS + ["serial_start", "serial_end"], kind="stable")
    groups = ordered.groupby(BLOCK_KEYS, sort=False)
    reach = groups["serial_end"].cummax()
    carrier = ordered["position"].where(ordered["serial_end"] == reach).ffill()
    first = groups.cumcount().to_numpy() == 0
    previous_reach = reach.shift(1).to_numpy()
    previous_carrier = carrier.shift(1).to_numpy()
    overlap = ~first & (ordered["serial_start"].to_numpy() <= previous_reach)
    for position, earlier in zip(ordered["position"].to_numpy()[overlap], previous_carrier[overlap]):
        row = cancelled.iloc[position]
        other = cancelled.iloc[int(earlier)]
        frame, other_frame = ctx.package[row["resource"]], ctx.package[other["resource"]]
        yield ctx.discrepancy(
            slug, str(row["cancellation_id"]), row["resource"],
            text(N_("%(kind)s %(cancellation)s (serials %(first)s-%(last)s) cancels units already cancelled by "
                    "%(other_kind)s %(other)s (serials %(other_first)s-%(other_last)s, %(file)s row %(row)s)"),
                 kind=KIND[row["resource"]], cancellation=row["cancellation_id"], first=row["serial_start"],
                 last=row["serial_end"], other_kind=KIND[other["resource"]], other=other["cancellation_id"],
                 other_first=other["serial_start"], other_last=other["serial_end"],
                 file=ctx.path(other["resource"]).rsplit("/", 1)[-1], row=csv_row(other_frame, other["index"])),
            row=csv_row(frame, row["index"]), field="serial_start", value=row["serial_start"],
            sources=(_cite(frame, row["index"]), _cite(other_frame, other["index"])))


@check(
    "cancelled-within-issued",
    N_("No project has more units cancelled than issued"),
    N_("For every project, the units cancelled (voluntary and administrative cancellations "
       "together) do not exceed the units issued to it. The problem is shown at the cancellation, "
       "in date order, at which the running total first exceeds the units issued. No direct DES "
       "code: it follows from the International Transaction Log's checks that cancelled units "
       "exist and are held."),
    ("issuances", "voluntary_cancellations"),
)
def cancelled_within_issued(ctx: CheckContext) -> Iterator[Problem]:
    slug = "cancelled-within-issued"
    issuances = ctx.package["issuances"]
    cancelled = _cancellations(ctx, ["project_id", "quantity", "cancellation_date", "serial_start", "cancellation_id"])
    if cancelled.empty:
        return
    issued = issuances.groupby("project_id")["quantity"].sum().astype("int64")
    ordered = cancelled.sort_values(["project_id", "cancellation_date", "resource", "serial_start"], kind="stable")
    running = ordered.groupby("project_id", sort=False)["quantity"].cumsum().astype("int64")
    limit = ordered["project_id"].map(issued).fillna(0).astype("int64")
    over = ordered[(running > limit).to_numpy()].drop_duplicates("project_id", keep="first")
    totals = cancelled.groupby("project_id")["quantity"].sum()
    for label, row in over.iterrows():
        frame = ctx.package[row["resource"]]
        project = row["project_id"]
        yield ctx.discrepancy(
            slug, str(project), row["resource"],
            text(N_("project %(project)s: with %(kind)s %(cancellation)s of %(date)s %(cancelled)s units are "
                    "cancelled, more than the %(issued)s units issued to the project (all cancellations: %(total)s)"),
                 project=project, kind=KIND[row["resource"]], cancellation=row["cancellation_id"],
                 date=_day(row["cancellation_date"]), cancelled=Figure(int(running[label])),
                 issued=Figure(int(limit[label])), total=Figure(int(totals[project]))),
            row=csv_row(frame, row["index"]), field="quantity", value=row["quantity"],
            sources=(_cite(frame, row["index"]),))


@check(
    "cancellation-after-issuance",
    N_("Units are cancelled after they are issued"),
    N_("No cancellation is dated before the issuance of the block that holds its units (same "
       "originating party and unit type; the same day is allowed, as the reports keep no time "
       "of day). Blocks in no issuance block are reported by 'Every cancelled unit was issued'. "
       "No direct DES code: a unit that has not been issued yet does not exist, so the "
       "International Transaction Log would reject its cancellation."),
    ("issuances", "voluntary_cancellations"),
)
def cancellation_after_issuance(ctx: CheckContext) -> Iterator[Problem]:
    slug = "cancellation-after-issuance"
    issuances = ctx.package["issuances"]
    cancelled, found = _cancellations_with_holders(ctx, ["cancellation_date", "cancellation_id"])
    if cancelled.empty:
        return
    holder = found["holder"].to_numpy()
    has = holder >= 0
    issued_on = np.full(len(cancelled), np.datetime64("NaT"), dtype="datetime64[us]")
    issued_on[has] = issuances["issuance_date"].to_numpy(dtype="datetime64[us]")[holder[has]]
    early = has & (cancelled["cancellation_date"].to_numpy(dtype="datetime64[us]") < issued_on)
    for position in np.flatnonzero(early):
        row = cancelled.iloc[position]
        frame = ctx.package[row["resource"]]
        issuance_index = issuances.index[holder[position]]
        issuance = issuances.loc[issuance_index]
        yield ctx.discrepancy(
            slug, str(row["cancellation_id"]), row["resource"],
            text(N_("%(kind)s %(cancellation)s is dated %(date)s, before issuance %(issuance)s of its units on "
                    "%(issued)s (issuances.csv row %(row)s)"),
                 kind=KIND[row["resource"]], cancellation=row["cancellation_id"], date=_day(row["cancellation_date"]),
                 issuance=issuance["issuance_id"], issued=_day(issuance["issuance_date"]),
                 row=csv_row(issuances, issuance_index)),
            row=csv_row(frame, row["index"]), field="cancellation_date", value=_day(row["cancellation_date"]),
            sources=(_cite(frame, row["index"]), _cite(issuances, issuance_index)))


# --- issuances and projects ----------------------------------------------------------------------

@check(
    "issuance-after-registration",
    N_("No issuance before the project was registered"),
    N_("No issuance is dated before the registration date of its project in the list of "
       "registered project activities: units are issued only for registered projects. Projects "
       "without a published registration date are not checked. No direct DES code (the "
       "International Transaction Log checks that an issuance names a valid project identifier, "
       "not its registration date)."),
    ("issuances", "projects"),
)
def issuance_after_registration(ctx: CheckContext) -> Iterator[Problem]:
    slug = "issuance-after-registration"
    issuances, projects = ctx.package["issuances"], ctx.package["projects"]
    if issuances.empty or projects.empty:
        return
    registered = issuances["project_id"].map(projects.set_index("project_id")["registration_date"])
    early = (issuances["issuance_date"] < registered).fillna(False).to_numpy(dtype=bool)
    project_rows = pd.Series(np.arange(len(projects)), index=projects["project_id"].to_numpy())
    for index in issuances.index[early]:
        row = issuances.loc[index]
        project_index = projects.index[project_rows[row["project_id"]]]
        yield ctx.discrepancy(
            slug, str(row["issuance_id"]), "issuances",
            text(N_("issuance %(issuance)s is dated %(date)s, before project %(project)s was registered on "
                    "%(registered)s (projects.csv row %(row)s)"),
                 issuance=row["issuance_id"], date=_day(row["issuance_date"]), project=row["project_id"],
                 registered=_day(registered[index]), row=csv_row(projects, project_index)),
            row=csv_row(issuances, index), field="issuance_date", value=_day(row["issuance_date"]),
            sources=(_cite(issuances, index), _cite(projects, project_index)))


UNKNOWN = Term(N_("unknown"))


@check(
    "issuing-party-is-host",
    N_("Units are issued in the name of a host Party"),
    N_("The originating party of every issuance is one of the host Parties of its project (a "
       "project can have several). DES: the units of a CDM project activity are issued with the "
       "host Party of the project as their originating Party."),
    ("issuances", "projects"),
)
def issuing_party_is_host(ctx: CheckContext) -> Iterator[Problem]:
    slug = "issuing-party-is-host"
    issuances, projects = ctx.package["issuances"], ctx.package["projects"]
    if issuances.empty or projects.empty:
        return
    hosts = (projects[["project_id"]].assign(originating_party=projects["host_party"].str.split(";"))
             .explode("originating_party").astype({"originating_party": issuances["originating_party"].dtype})
             .drop_duplicates())
    matched = issuances[["project_id", "originating_party"]].merge(hosts, how="left", indicator=True)
    outside = (matched["_merge"] == "left_only").to_numpy()
    host_of = projects.set_index("project_id")["host_party"]
    for index in issuances.index[outside]:
        row = issuances.loc[index]
        host = host_of.get(row["project_id"])
        yield ctx.discrepancy(
            slug, str(row["issuance_id"]), "issuances",
            text(N_("issuance %(issuance)s was issued in the name of %(party)s, which is not a host Party of project "
                    "%(project)s (host: %(host)s)"),
                 issuance=row["issuance_id"], party=row["originating_party"], project=row["project_id"],
                 host=host if isinstance(host, str) else UNKNOWN),
            row=csv_row(issuances, index), field="originating_party", value=row["originating_party"],
            sources=(_cite(issuances, index),))


OVERLAP = N_("monitoring period %(start)s to %(end)s of issuance %(issuance)s overlaps the period %(other_start)s to "
             "%(other_end)s of issuance %(other)s (issuances.csv row %(row)s) of the same project %(project)s")
OVERLAP_OF_KIND = N_("monitoring period %(start)s to %(end)s of issuance %(issuance)s overlaps the period "
                     "%(other_start)s to %(other_end)s of issuance %(other)s (issuances.csv row %(row)s) of the same "
                     "project %(project)s (%(activity_type)s)")


@check(
    "monitoring-period-overlap",
    N_("Monitoring periods of a project do not overlap"),
    N_("Warns (it does not stop the build) when the monitoring periods of two issuances of one "
       "project partly overlap. One monitoring report can lead to several issuances (for example "
       "one per commitment period), so the same period repeated is not flagged, nor is a period "
       "that starts on the day the previous one ends (the boundary day is sometimes written in "
       "both reports). In a programme of activities (PoA) different component activities can be "
       "monitored over overlapping periods, so a warning there may be legitimate. Issuances "
       "without a monitoring period are not compared. No DES analogue: monitoring periods are "
       "not part of registry transactions."),
    ("issuances",),
)
def monitoring_period_overlap(ctx: CheckContext) -> Iterator[Problem]:
    slug = "monitoring-period-overlap"
    issuances = ctx.package["issuances"]
    periods = issuances.loc[issuances["monitoring_period_start"].notna() & issuances["monitoring_period_end"].notna(),
                            ["project_id", "monitoring_period_start", "monitoring_period_end"]]
    if periods.empty:
        return
    keys = ["project_id", "monitoring_period_start", "monitoring_period_end"]
    distinct = periods.drop_duplicates(keys).copy()
    distinct["position"] = np.arange(len(distinct))
    ordered = distinct.sort_values(keys, kind="stable")
    groups = ordered.groupby("project_id", sort=False)
    reach = groups["monitoring_period_end"].cummax()
    carrier = ordered["position"].where(ordered["monitoring_period_end"] == reach).ffill()
    first = groups.cumcount().to_numpy() == 0
    previous_reach = reach.shift(1)
    previous_carrier = carrier.shift(1)
    overlap = ~first & (ordered["monitoring_period_start"] < previous_reach).fillna(False).to_numpy(dtype=bool)
    flagged = ordered.loc[overlap, keys].assign(earlier=previous_carrier[overlap].astype("int64"))
    if flagged.empty:
        return
    # Every issuance with a flagged period, each naming the first issuance of the period it overlaps.
    first_rows = periods.reset_index().drop_duplicates(keys).set_index(keys)["index"]
    earlier_keys = distinct.iloc[flagged["earlier"].to_numpy()][keys]
    flagged["earlier_index"] = first_rows.reindex(pd.MultiIndex.from_frame(earlier_keys)).to_numpy()
    rows = periods.reset_index().merge(flagged, on=keys).sort_values("index")
    activity = (ctx.package["projects"].set_index("project_id")["activity_type"]
                if "projects" in ctx.package.tables and "activity_type" in ctx.package["projects"] else None)
    for _, hit in rows.iterrows():
        index, earlier_index = hit["index"], hit["earlier_index"]
        row, other = issuances.loc[index], issuances.loc[earlier_index]
        kind = activity.get(row["project_id"]) if activity is not None else None
        yield ctx.problem(
            slug, "issuances",
            text(OVERLAP_OF_KIND if isinstance(kind, str) else OVERLAP,
                 start=_day(row["monitoring_period_start"]), end=_day(row["monitoring_period_end"]),
                 issuance=row["issuance_id"], other_start=_day(other["monitoring_period_start"]),
                 other_end=_day(other["monitoring_period_end"]), other=other["issuance_id"],
                 row=csv_row(issuances, earlier_index), project=row["project_id"], activity_type=kind),
            row=csv_row(issuances, index), field="monitoring_period_start", value=_day(row["monitoring_period_start"]),
            hint="Compare both monitoring periods with the monitoring reports; if they are as published, nothing "
                 "needs to change (a programme of activities may monitor its components over overlapping periods).",
            severity="warning", sources=(_cite(issuances, index), _cite(issuances, earlier_index)))


# --- holdings ------------------------------------------------------------------------------------

HELD = N_("%(held)s %(unit)ss of commitment period %(period)s are held on %(date)s, but only %(issued)s were issued "
          "and %(cancelled)s cancelled by then (net %(net)s)")
HELD_IN_ROWS = N_("%(held)s %(unit)ss of commitment period %(period)s are held on %(date)s (sum of %(rows)s holdings "
                  "rows), but only %(issued)s were issued and %(cancelled)s cancelled by then (net %(net)s)")


@check(
    "holdings-within-net-issuance",
    N_("Units held do not exceed units issued minus units cancelled"),
    N_("For every commitment period and unit type, the units held in the registry (the holdings "
       "report: pending account and holding accounts, summed over the account rows published "
       "for that period, each row being a separate set of accounts) do not exceed the units "
       "issued minus the units cancelled (voluntary and administrative) up to the holdings "
       "date. Holdings can be lower, as units also leave the registry (forwarded to national "
       "registries, expired or replaced). Only unit types that are issued in the package are "
       "compared (those the issuance table allows): AAUs and ERUs held in the CDM Registry are not "
       "issued by it, so they are not comparable. "
       "Closest DES analogue: the reconciliation of unit holdings by account type, unit type and "
       "commitment period; no direct DES code."),
    ("issuances", "voluntary_cancellations", "holdings"),
)
def holdings_within_net_issuance(ctx: CheckContext) -> Iterator[Problem]:
    slug = "holdings-within-net-issuance"
    holdings, issuances = ctx.package["holdings"], ctx.package["issuances"]
    if holdings.empty:
        return
    keys = ["commitment_period", "unit_type"]
    unit_field = next((f for f in ctx.package.fields("issuances") if f["name"] == "unit_type"), {})
    issuable = unit_field.get("constraints", {}).get("enum") or sorted(issuances["unit_type"].dropna().unique())
    comparable = holdings[holdings["unit_type"].isin(issuable)]
    if comparable.empty:
        return
    cancelled = _cancellations(ctx, keys + ["quantity", "cancellation_date"])
    held = (comparable.reset_index().groupby(keys + ["as_of"])
            .agg(held=("quantity", "sum"), first_index=("index", "min"), rows=("index", "count")).reset_index())
    for as_of in held["as_of"].unique():  # one pass per holdings date (one in practice)
        issued = issuances[issuances["issuance_date"] <= as_of].groupby(keys)["quantity"].sum()
        gone = cancelled[cancelled["cancellation_date"] <= as_of].groupby(keys)["quantity"].sum()
        at = held[held["as_of"] == as_of].set_index(keys)
        at = at.assign(issued=issued.reindex(at.index).fillna(0).astype("int64").to_numpy(),
                       cancelled=gone.reindex(at.index).fillna(0).astype("int64").to_numpy())
        at["net"] = at["issued"] - at["cancelled"]
        for (period, unit), row in at[at["held"] > at["net"]].iterrows():
            index = int(row["first_index"])
            yield ctx.discrepancy(
                slug, f"CP{period}-{unit}", "holdings",
                text(HELD_IN_ROWS if row["rows"] > 1 else HELD, held=Figure(int(row["held"])), unit=unit, period=period,
                     date=_day(as_of), rows=int(row["rows"]), issued=Figure(int(row["issued"])),
                     cancelled=Figure(int(row["cancelled"])), net=Figure(int(row["net"]))),
                row=csv_row(holdings, index), field="quantity", value=int(row["held"]),
                sources=(_cite(holdings, index),))


# --- fields the Table Schemas cannot express ---------------------------------------------------

@check(
    "transaction-fields",
    N_("Transaction fields are consistent"),
    N_("The Table Schemas already guarantee that every quantity is a whole number of at least 1 "
       "(DES response codes 3007/3008), that each row has one unit type and one commitment period "
       "(3003/3009), that identifiers are unique within each table (10006) and, with 'Serial "
       "blocks are well formed', that each block's quantity matches its serial range. This check "
       "adds what a Table Schema cannot express: an administrative cancellation's block holds no "
       "more units than the whole transaction it belongs to (TRANSACTION TOTAL), as a DES "
       "transaction is the sum of its unit blocks."),
    ("administrative_cancellations",),
)
def transaction_fields(ctx: CheckContext) -> Iterator[Problem]:
    slug = "transaction-fields"
    frame = ctx.package["administrative_cancellations"]
    if frame.empty or "transaction_total" not in frame:
        return
    over = (frame["quantity"] > frame["transaction_total"]).fillna(False).to_numpy(dtype=bool)
    for index in frame.index[over]:
        row = frame.loc[index]
        yield ctx.discrepancy(
            slug, str(row["cancellation_id"]), "administrative_cancellations",
            text(N_("administrative cancellation %(cancellation)s cancels a block of %(units)s units, more than its "
                    "transaction total of %(total)s"),
                 cancellation=row["cancellation_id"], units=Figure(int(row["quantity"])),
                 total=Figure(int(row["transaction_total"]))),
            row=csv_row(frame, index), field="transaction_total", value=row["transaction_total"],
            sources=(_cite(frame, index),))
