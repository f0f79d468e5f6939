"""CDM derivations: pure DataFrame -> DataFrame functions over the CDM package's tables.

Every total is computed from the transaction records (issuances and cancellations with
their serial blocks), never typed in.
"""

from __future__ import annotations

import pandas as pd

from build_scripts.i18n import N_

# The project type of projects without a UNEP DTU type (translated where it is shown).
NOT_CLASSIFIED = N_("Not classified")


# Kyoto Protocol unit types in the order the site lists them (CERs first); a type not listed
# comes after these, by name. Each is one tonne of CO2 equivalent (site glossary).
UNIT_ORDER = ("CER", "tCER", "lCER", "ERU", "AAU", "RMU")


def _unit_key(unit_type: str) -> tuple[int, str]:
    return (UNIT_ORDER.index(unit_type) if unit_type in UNIT_ORDER else len(UNIT_ORDER), unit_type)


def unit_sums(rows: list[dict]) -> list[tuple[str, int]]:
    """[(unit type, units)] of transaction rows (dicts with unit_type and quantity), in
    UNIT_ORDER: what a total of "units" counts, type by type."""
    sums: dict[str, int] = {}
    for row in rows:
        sums[row["unit_type"]] = sums.get(row["unit_type"], 0) + int(row["quantity"])
    return sorted(sums.items(), key=lambda item: _unit_key(item[0]))


def units_by_type(frame: pd.DataFrame, by: str | None = None):
    """Units per unit type of a transaction frame: [(unit type, units)] in UNIT_ORDER; with
    by (a column), {value of by: [(unit type, units)]}."""
    if by is None:
        grouped = frame.groupby("unit_type")["quantity"].sum()
        return sorted(((str(t), int(q)) for t, q in grouped.items()), key=lambda item: _unit_key(item[0]))
    out: dict = {}
    for (key, unit_type), quantity in frame.groupby([by, "unit_type"])["quantity"].sum().items():
        out.setdefault(key, []).append((str(unit_type), int(quantity)))
    return {key: sorted(parts, key=lambda item: _unit_key(item[0])) for key, parts in out.items()}


def project_hosts(projects: pd.DataFrame, hosts: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per project and host party (project_id, party_code), in the order published: the
    package's project_hosts resource, or for a package without it (CDM 1.0.0), derived from
    projects.host_party as the importer derives it."""
    if hosts is not None:
        return hosts.sort_values(["project_id", "position"], kind="stable")[["project_id", "party_code"]]
    frame = projects[["project_id"]].assign(party_code=split_codes(projects["host_party"])).explode("party_code")
    return frame.dropna(subset=["party_code"])[["project_id", "party_code"]]


def host_codes(hosts: pd.DataFrame) -> dict[str, list[str]]:
    """{project_id: [host party codes in order]} from project_hosts()."""
    return {key: list(group) for key, group in hosts.groupby("project_id", sort=False)["party_code"]}


def split_codes(column: pd.Series) -> pd.Series:
    """'CN;IN' -> ['CN', 'IN']; missing -> []."""
    return column.fillna("").map(lambda text: [code for code in text.split(";") if code])


def all_cancellations(voluntary: pd.DataFrame, administrative: pd.DataFrame) -> pd.DataFrame:
    """Voluntary and administrative cancellations in one frame with a 'kind' column."""
    columns = ["cancellation_id", "project_id", "originating_party", "unit_type", "commitment_period",
               "serial_start", "serial_end", "quantity", "cancellation_date", "source_document", "source_location"]
    frames = []
    for kind, frame in (("voluntary", voluntary), ("administrative", administrative)):
        part = frame[[c for c in columns if c in frame.columns]].copy()
        part["kind"] = kind
        part["reason"] = frame["reason"] if "reason" in frame.columns else pd.NA
        frames.append(part)
    return pd.concat(frames, ignore_index=True)


def project_totals(projects: pd.DataFrame, issuances: pd.DataFrame, cancellations: pd.DataFrame) -> pd.DataFrame:
    """Projects with units issued and cancelled, issuance counts and dates, DOEs and periods."""
    issued = issuances.groupby("project_id").agg(
        units_issued=("quantity", "sum"),
        issuance_count=("quantity", "size"),
        first_issuance=("issuance_date", "min"),
        last_issuance=("issuance_date", "max"),
    )
    periods = issuances.groupby("project_id")["commitment_period"].agg(lambda s: sorted(set(int(v) for v in s)))
    entities = (issuances.dropna(subset=["entity_id"]).groupby("project_id")["entity_id"]
                .agg(lambda s: sorted(set(s))))
    cancelled = cancellations.groupby("project_id")["quantity"].sum().rename("units_cancelled")
    totals = projects.set_index("project_id").join(issued).join(cancelled)
    totals["commitment_periods"] = periods.reindex(totals.index)
    totals["entities"] = entities.reindex(totals.index)
    for column in ("commitment_periods", "entities"):
        totals[column] = totals[column].map(lambda v: v if isinstance(v, list) else [])
    for column in ("units_issued", "issuance_count", "units_cancelled"):
        totals[column] = totals[column].fillna(0).astype("int64")
    return totals.reset_index()


def issued_by_year(issuances: pd.DataFrame) -> pd.DataFrame:
    """Units issued per calendar year and commitment period (long format, sorted)."""
    frame = issuances.assign(year=issuances["issuance_date"].dt.year)
    return (frame.groupby(["year", "commitment_period"], as_index=False)["quantity"].sum()
            .sort_values(["year", "commitment_period"], ignore_index=True))


def cancelled_by_year(cancellations: pd.DataFrame) -> pd.DataFrame:
    frame = cancellations.assign(year=cancellations["cancellation_date"].dt.year)
    return (frame.groupby(["year", "kind"], as_index=False)["quantity"].sum()
            .sort_values(["year", "kind"], ignore_index=True))


def by_party(issuances: pd.DataFrame, cancellations: pd.DataFrame, hosts: pd.DataFrame,
             parties: pd.DataFrame) -> pd.DataFrame:
    """Per originating party: units issued and cancelled, projects hosted (hosts: project_hosts());
    ranked by units issued."""
    issued = issuances.groupby("originating_party")["quantity"].sum().rename("units_issued")
    cancelled = cancellations.groupby("originating_party")["quantity"].sum().rename("units_cancelled")
    project_count = hosts.groupby("party_code")["project_id"].nunique().rename("projects")
    frame = parties.set_index("party_code")[["name"]].join(issued).join(cancelled).join(project_count)
    for column in ("units_issued", "units_cancelled", "projects"):
        frame[column] = frame[column].fillna(0).astype("int64")
    frame = frame.reset_index().rename(columns={"index": "party_code"})
    return frame.sort_values(["units_issued", "party_code"], ascending=[False, True], ignore_index=True)


def by_project_type(totals: pd.DataFrame) -> pd.DataFrame:
    frame = totals.assign(project_type=totals["project_type"].fillna(NOT_CLASSIFIED))
    grouped = frame.groupby("project_type", as_index=False).agg(projects=("project_id", "size"),
                                                                 units_issued=("units_issued", "sum"))
    return grouped.sort_values(["units_issued", "project_type"], ascending=[False, True], ignore_index=True)


def by_entity(issuances: pd.DataFrame, entities: pd.DataFrame) -> pd.DataFrame:
    """Per DOE: issuances whose monitoring report it verified, units and projects."""
    matched = issuances.dropna(subset=["entity_id"])
    grouped = matched.groupby("entity_id").agg(issuances=("quantity", "size"), units_issued=("quantity", "sum"),
                                               projects=("project_id", "nunique"))
    frame = entities.set_index("entity_id").join(grouped)
    for column in ("issuances", "units_issued", "projects"):
        frame[column] = frame[column].fillna(0).astype("int64")
    return frame.reset_index().sort_values(["units_issued", "entity_id"], ascending=[False, True], ignore_index=True)


def share_cancelled(issuances: pd.DataFrame, cancellations: pd.DataFrame) -> pd.DataFrame:
    """Units issued and cancelled per commitment period, and the share cancelled."""
    issued = issuances.groupby("commitment_period")["quantity"].sum().rename("units_issued")
    cancelled = cancellations.groupby("commitment_period")["quantity"].sum().rename("units_cancelled")
    frame = pd.concat([issued, cancelled], axis=1).fillna(0).astype("int64")
    total = frame.sum().to_frame().T
    total.index = ["all"]
    frame.index = frame.index.map(str)
    frame = pd.concat([frame, total])
    frame["share_cancelled"] = frame["units_cancelled"] / frame["units_issued"]
    return frame.rename_axis("commitment_period").reset_index()
