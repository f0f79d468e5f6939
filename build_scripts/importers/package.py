"""Join the reports into the CDM package's resources (pure DataFrame functions).

Every row keeps the document it comes from and its row in the raw file. Nothing here reads
or writes files: sources.py reads, write.py writes.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field

import pandas as pd

from build_scripts.importers import SourceError, countries
from build_scripts.importers.sources import Extract, RawTable, layouts

# Vocabulary of projects.record_flags, in the order flags are written (see cdm_package.yml).
FLAGS = ("not-in-registered-list", "not-in-issuances-by-project", "no-title", "no-registration-date")
UNIT_ORDER = {"CER": 0, "tCER": 1, "lCER": 2, "AAU": 3, "ERU": 4}
# The CDM Registry's own reports, which describe one date (the package's as_of).
REGISTRY_REPORTS = ("issuance_report", "voluntary_cancellations", "administrative_cancellations",
                    "aggregated_holdings")


@dataclass
class Built:
    tables: dict[str, pd.DataFrame]
    as_of: str
    issuances_matched: int
    warnings: list[str] = field(default_factory=list)


def read(table: RawTable) -> Extract:
    """Read a recognised file with the module of its format."""
    module = importlib.import_module(f"build_scripts.importers.{table.spec['module']}")
    return module.read(table)


def build(extracts: dict[str, Extract]) -> Built:
    warnings = [w for extract in extracts.values() for w in extract.warnings]
    docs = {layout: extract.document_id for layout, extract in extracts.items()}
    registry = extracts["issuance_report"].frame
    by_project = extracts["issuances_by_project"].frame
    issuances, matched = build_issuances(registry, by_project, docs, warnings)
    voluntary = build_voluntary(extracts["voluntary_cancellations"].frame, docs["voluntary_cancellations"])
    administrative = build_administrative(extracts["administrative_cancellations"].frame, registry,
                                          docs["administrative_cancellations"], warnings)
    projects = build_projects(extracts, docs, warnings)
    warnings += cancellations_outside_issuances(voluntary, registry, "voluntary")
    tables = {
        "documents": build_documents(extracts),
        "parties": build_parties(extracts, docs, warnings),
        "entities": build_entities(by_project, docs["issuances_by_project"]),
        "projects": projects,
        "project_hosts": build_project_hosts(projects),
        "issuances": issuances,
        "voluntary_cancellations": voluntary,
        "administrative_cancellations": administrative,
        "holdings": build_holdings(extracts["aggregated_holdings"], docs["aggregated_holdings"]),
    }
    as_of = registry_as_of(extracts, warnings)
    warnings += dates_after(tables, as_of)
    return Built(tables, as_of, matched, warnings)


def registry_as_of(extracts: dict[str, Extract], warnings: list[str]) -> str:
    """The date of the CDM Registry reports; they should all agree."""
    dates = {extracts[k].as_of for k in REGISTRY_REPORTS if extracts[k].as_of}
    if not dates:
        raise SourceError("none of the CDM Registry reports states the date it describes")
    if len(dates) > 1:
        warnings.append(f"the CDM Registry reports describe different dates ({', '.join(sorted(dates))}); "
                        f"the package's as_of is the latest")
    return max(dates)


def dates_after(tables: dict[str, pd.DataFrame], as_of: str) -> list[str]:
    """Warn of dates later than as_of (from a later release such as the registered list): the
    package's 'dates-not-after-as-of' check would reject them."""
    found = []
    for name, frame in tables.items():
        for column in frame.columns:
            if pd.api.types.is_datetime64_any_dtype(frame[column]):
                late = int((frame[column] > pd.Timestamp(as_of)).sum())
                if late:
                    found.append(f"{late} {name}.{column} value(s) are after the registry reports' date {as_of}")
    return found


def _location(rows: pd.Series, prefix: str = "row ") -> pd.Series:
    return prefix + rows.astype("Int64").astype("string")


# --- issuances ------------------------------------------------------------------------------

MATCH_KEY = ["project_id", "commitment_period", "quantity"]


def build_issuances(registry: pd.DataFrame, by_project: pd.DataFrame, docs: dict[str, str],
                    warnings: list[str]) -> tuple[pd.DataFrame, int]:
    """Registry issuance transactions, with monitoring period and DOE where the by-project file
    has exactly one row with the same project, commitment period and units (and the registry
    has exactly one such transaction, and the party agrees)."""
    in_registry = registry.groupby(MATCH_KEY).size().rename("registry_rows")
    in_by_project = by_project.groupby(MATCH_KEY).size().rename("by_project_rows")
    candidates = by_project.join(in_by_project, on=MATCH_KEY).join(in_registry, on=MATCH_KEY)
    unique = candidates[(candidates["by_project_rows"] == 1) & (candidates["registry_rows"] == 1)]
    detail = unique[MATCH_KEY + ["host_party", "monitoring_period_start", "monitoring_period_end", "entity_id",
                                 "source_row"]].rename(columns={"source_row": "by_project_row"})
    frame = registry.merge(detail, on=MATCH_KEY, how="left", validate="many_to_one")
    party_differs = frame["by_project_row"].notna() & (frame["host_party"] != frame["originating_party"])
    if party_differs.any():
        warnings.append(f"{int(party_differs.sum())} issuance(s) match a by-project row of another host party; "
                        f"left unmatched")
        frame.loc[party_differs, ["monitoring_period_start", "monitoring_period_end", "entity_id",
                                  "by_project_row"]] = pd.NA
    matched = frame["by_project_row"].notna()
    keyed = frame.join(in_by_project, on=MATCH_KEY)
    none = int(keyed["by_project_rows"].isna().sum())
    several = int((~matched & keyed["by_project_rows"].notna()).sum())
    if none:
        later = frame["issuance_date"] > by_project["issuance_date"].max()
        after = int((keyed["by_project_rows"].isna() & later).sum())
        warnings.append(f"{none} issuance(s) have no row with the same project, commitment period and units in "
                        f"the issuances-by-project file ({after} of them completed after its last issuance date); "
                        f"monitoring period and DOE left empty")
    if several:
        warnings.append(f"{several} issuance(s) share project, commitment period and units with another "
                        f"issuance or by-project row, so the match is ambiguous; monitoring period and DOE left empty")
    location = _location(frame["source_row"])
    location = location.mask(matched, location + "; " + docs["issuances_by_project"] + " "
                             + _location(frame["by_project_row"]))
    out = pd.DataFrame({
        **_serial_block(frame, "issuance_id"),
        "issuance_date": frame["issuance_date"],
        "monitoring_period_start": frame["monitoring_period_start"],
        "monitoring_period_end": frame["monitoring_period_end"],
        "entity_id": frame["entity_id"],
        "transaction_type": frame["transaction_type"],
        "transaction_status": frame["transaction_status"],
        "source_document": docs["issuance_report"],
        "source_location": location,
    })
    _unique(out, "issuance_id", "issuance")
    out = out.sort_values(["issuance_date", "originating_party", "serial_start"], ignore_index=True)
    return out, int(matched.sum())


def _serial_block(frame: pd.DataFrame, id_column: str) -> dict[str, pd.Series]:
    """The columns every transaction shares, in the packages' order: an identifier made of
    party, unit type and first serial number, then the project and the serial block."""
    return {
        id_column: frame["originating_party"] + "-" + frame["unit_type"] + "-" + frame["serial_start"].astype("string"),
        **{column: frame[column] for column in ("project_id", "originating_party", "unit_type", "commitment_period",
                                                "serial_start", "serial_end", "quantity")},
    }


def _unique(frame: pd.DataFrame, column: str, what: str) -> None:
    duplicated = frame[column][frame[column].duplicated()]
    if len(duplicated):
        raise SourceError(f"two {what}s have the same identifier {duplicated.iloc[0]!r} (party, unit type and "
                          f"first serial number): the serial blocks overlap")


# --- cancellations -----------------------------------------------------------------------------

def _cancellation_columns(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        **_serial_block(frame, "cancellation_id"),
        "cancellation_date": frame["cancellation_date"],
        "transaction_type": frame["transaction_type"],
        "transaction_status": frame["transaction_status"],
    })


def build_voluntary(frame: pd.DataFrame, document: str) -> pd.DataFrame:
    out = _cancellation_columns(frame)
    out["voluntary_cancellation_platform"] = frame["voluntary_cancellation_platform"]
    out["source_document"] = document
    out["source_location"] = _location(frame["source_row"])
    _unique(out, "cancellation_id", "voluntary cancellation")
    return out.sort_values(["cancellation_date", "originating_party", "serial_start"], ignore_index=True)


def enclosing_issuance(blocks: pd.DataFrame, registry: pd.DataFrame) -> pd.DataFrame:
    """For each block, the registry issuance of the same party whose serial range holds it (or NA)."""
    left = blocks[["originating_party", "serial_start", "serial_end"]].reset_index()
    right = registry[["originating_party", "serial_start", "serial_end", "project_id", "unit_type",
                      "commitment_period"]].rename(columns=lambda c: c if c in ("originating_party", "serial_start")
                                                   else "issued_" + c)
    merged = pd.merge_asof(left.astype({"serial_start": "int64"}).sort_values("serial_start"),
                           right.astype({"serial_start": "int64"}).sort_values("serial_start"),
                           on="serial_start", by="originating_party", direction="backward")
    merged = merged.set_index("index").reindex(blocks.index)
    inside = merged["issued_serial_end"].notna() & (merged["issued_serial_end"] >= merged["serial_end"])
    return merged.where(inside)


def cancellations_outside_issuances(cancellations: pd.DataFrame, registry: pd.DataFrame, kind: str) -> list[str]:
    issued = enclosing_issuance(cancellations, registry)
    bad = (issued["issued_project_id"] != cancellations["project_id"]).fillna(True) | \
          (issued["issued_unit_type"] != cancellations["unit_type"]).fillna(True)
    if bad.any():
        ids = ", ".join(cancellations.loc[bad, "cancellation_id"].head(5))
        return [f"{int(bad.sum())} {kind} cancellation block(s) do not lie inside an issuance block of the same "
                f"party, project and unit type (e.g. {ids})"]
    return []


def build_administrative(frame: pd.DataFrame, registry: pd.DataFrame, document: str,
                         warnings: list[str]) -> pd.DataFrame:
    """Administrative cancellations; the commitment period, which the report does not give, is
    that of the issuance block holding the cancelled range (same party, project and unit type)."""
    issued = enclosing_issuance(frame, registry)
    same = (issued["issued_project_id"] == frame["project_id"]).fillna(False) & \
           (issued["issued_unit_type"] == frame["unit_type"]).fillna(False)
    frame = frame.assign(commitment_period=issued["issued_commitment_period"].where(same).astype("Int64"))
    out = _cancellation_columns(frame)
    out.insert(out.columns.get_loc("quantity") + 1, "transaction_total", frame["transaction_total"])
    out["reason"] = frame["reason"]
    out["source_document"] = document
    out["source_location"] = _location(frame["source_row"])
    if (~same).any():
        warnings.append(f"{int((~same).sum())} administrative cancellation(s) lie in no issuance block of the same "
                        f"party, project and unit type; their commitment period is left empty")
    _unique(out, "cancellation_id", "administrative cancellation")
    return out.sort_values(["cancellation_date", "originating_party", "serial_start"], ignore_index=True)


# --- projects ----------------------------------------------------------------------------------

def _by_project_summary(by_project: pd.DataFrame, warnings: list[str]) -> pd.DataFrame:
    """One row per project of the by-project file: PA/PoA, UNEP DTU type and subtype, first row."""
    columns = ["activity_type", "project_type", "project_subtype"]
    first = by_project.sort_values("source_row").groupby("project_id").first()
    varying = by_project.groupby("project_id")[columns].nunique()
    inconsistent = varying[(varying > 1).any(axis=1)].index
    if len(inconsistent):
        warnings.append(f"{len(inconsistent)} project(s) have more than one PA/PoA value or UNEP DTU type in the "
                        f"issuances-by-project file; the first row's is used ({', '.join(inconsistent[:5])})")
    return first[columns + ["source_row"]].rename(columns={"source_row": "by_project_row"})


def build_projects(extracts: dict[str, Extract], docs: dict[str, str], warnings: list[str]) -> pd.DataFrame:
    listed = extracts["registered_activities"].frame
    registry = extracts["issuance_report"].frame
    by_project = _by_project_summary(extracts["issuances_by_project"].frame, warnings)

    registered = listed.assign(source_document=docs["registered_activities"],
                               source_location=_location(listed["source_row"]))
    # Project numbers found only in the registry reports: what the reports say about them.
    reported = pd.concat([extracts[layout].frame[["project_id", "originating_party", "source_row"]]
                          .assign(document=docs[layout])
                          for layout in ("issuance_report", "voluntary_cancellations", "administrative_cancellations")],
                         ignore_index=True)
    unlisted = reported[~reported["project_id"].isin(listed["project_id"])]
    first = unlisted.groupby("project_id", sort=False).first()  # the issuance report's row if it has one
    hosts = unlisted.groupby("project_id")["originating_party"].agg(lambda s: ";".join(sorted(set(s))))
    extra = pd.DataFrame({
        "project_id": first.index,
        "host_party": hosts.reindex(first.index).to_numpy(),
        "source_document": first["document"].to_numpy(),
        "source_location": ("row " + first["source_row"].astype("Int64").astype("string")
                            + " (first record of the project)").to_numpy(),
    })
    frame = pd.concat([registered, extra], ignore_index=True)
    frame["listed"] = frame["project_id"].isin(listed["project_id"])
    frame = frame.join(by_project, on="project_id")
    listed_poa = frame["listed"] & frame["activity_type"].eq("PoA")
    if listed_poa.any():
        warnings.append(f"{int(listed_poa.sum())} project(s) of the registered list are programmes of activities "
                        f"in the issuances-by-project file")
    # The registered list holds project activities (PA); the by-project file says PA or PoA.
    frame["activity_type"] = frame["activity_type"].mask(frame["activity_type"].isna() & frame["listed"], "PA")
    typed = frame["by_project_row"].notna()
    frame["source_location"] = frame["source_location"].mask(
        typed, frame["source_location"] + "; type: " + docs["issuances_by_project"] + " "
        + _location(frame["by_project_row"]))
    has_issuance = frame["project_id"].isin(registry["project_id"])
    flags = pd.DataFrame({
        "not-in-registered-list": ~frame["listed"],
        "not-in-issuances-by-project": has_issuance & ~typed,
        "no-title": frame["title"].isna(),
        "no-registration-date": frame["registration_date"].isna() & ~frame["status"].isin(["rejected", "withdrawn"]),
    })
    text = pd.Series("", index=frame.index, dtype="string")
    for flag in FLAGS:
        text = text + flags[flag].map({True: flag + ";", False: ""}).astype("string")
    frame["record_flags"] = text.str.rstrip(";").mask(text.eq(""))
    out = pd.DataFrame({
        "project_id": frame["project_id"],
        "mechanism": "CDM",
        "track": pd.NA,
        "activity_type": frame["activity_type"],
        "title": frame["title"],
        "host_party": frame["host_party"],
        "other_parties": frame["other_parties"],
        "project_type": frame["project_type"],
        "project_subtype": frame["project_subtype"],
        "methodology": frame["methodology"],
        "status": frame["status"],
        "registration_date": frame["registration_date"],
        "estimated_annual_reductions": frame["estimated_annual_reductions"],
        "entity_id": pd.NA,
        "record_flags": frame["record_flags"],
        "source_document": frame["source_document"],
        "source_location": frame["source_location"],
    })
    out = out.sort_values("project_id", key=lambda s: s.astype("int64"), ignore_index=True)
    unlisted_ids = out.loc[~out["project_id"].isin(listed["project_id"]), "project_id"]
    if len(unlisted_ids):
        warnings.append(f"{len(unlisted_ids)} project number(s) of the registry reports are not in the registered "
                        f"list (flagged not-in-registered-list): {', '.join(unlisted_ids)}")
    untyped = out.loc[out["record_flags"].fillna("").str.contains("not-in-issuances-by-project"), "project_id"]
    if len(untyped):
        warnings.append(f"{len(untyped)} project(s) with registry issuances have no row in the issuances-by-project "
                        f"file, so no UNEP DTU type (flagged not-in-issuances-by-project): {', '.join(untyped)}")
    undated = int(out["record_flags"].fillna("").str.contains("no-registration-date").sum() - len(unlisted_ids))
    if undated:
        warnings.append(f"{undated} project(s) of the registered list have no registration date and are neither "
                        f"rejected nor withdrawn (status 'registered', flagged no-registration-date)")
    return out


# --- parties, entities, documents, holdings ------------------------------------------------------

def build_project_hosts(projects: pd.DataFrame) -> pd.DataFrame:
    """projects.host_party ('ML;SN;MR') as one row per project and host Party, in the order
    published, each citing the project's own source."""
    codes = projects["host_party"].fillna("").str.split(";")
    frame = projects[["project_id", "source_document", "source_location"]].assign(party_code=codes).explode("party_code")
    frame = frame[frame["party_code"].fillna("") != ""]
    frame = frame.assign(position=frame.groupby("project_id").cumcount() + 1)
    return frame[["project_id", "party_code", "position", "source_document", "source_location"]].reset_index(drop=True)


def build_parties(extracts: dict[str, Extract], docs: dict[str, str], warnings: list[str]) -> pd.DataFrame:
    published = extracts["registered_activities"].extra["published_names"]
    aliased = countries.used_aliases(published["name"].unique())
    if aliased:
        warnings.append("country name(s) mapped through country_aliases.yml: "
                        + ", ".join(f"{name!r} -> {code}" for name, code in sorted(aliased.items())))
    mentions = [published.assign(document=docs["registered_activities"])[
        ["party_code", "name", "source_row", "column", "document"]]]
    for layout, column, label in (("issuance_report", "originating_party", "PARTY CODE"),
                                  ("voluntary_cancellations", "originating_party", "Project Identifier"),
                                  ("administrative_cancellations", "originating_party", "PROJECT IDENTIFIER"),
                                  ("issuances_by_project", "host_party", "HostParty")):
        frame = extracts[layout].frame
        mentions.append(pd.DataFrame({"party_code": frame[column], "name": pd.NA, "source_row": frame["source_row"],
                                      "column": label, "document": docs[layout]}))
    # First mention: the registered list (which gives the name) first, then the reports in order.
    allmentions = pd.concat(mentions, ignore_index=True)
    first = allmentions.groupby("party_code", sort=True).first()
    names = published.groupby("party_code")["name"].agg(lambda s: "; ".join(sorted(set(s))))
    several = names[names.str.contains("; ")]
    if len(several):
        warnings.append("a party code is published under several names: "
                        + ", ".join(f"{code} ({value})" for code, value in several.items()))
    english = first.index.map(countries.english_name)
    unknown = [code for code, name in zip(first.index, english) if name is None]
    if unknown:
        raise SourceError(f"party code(s) not in ISO 3166-1: {', '.join(unknown)}")
    return pd.DataFrame({
        "party_code": first.index,
        "name": list(english),
        "name_as_published": names.reindex(first.index).to_numpy(),
        "source_document": first["document"].to_numpy(),
        "source_location": ("row " + first["source_row"].astype("Int64").astype("string")
                            + " (" + first["column"] + ")").to_numpy(),
    })


def build_entities(by_project: pd.DataFrame, document: str) -> pd.DataFrame:
    named = by_project.dropna(subset=["entity_id"]).sort_values("source_row")
    first = named.groupby("entity_id", sort=True)["source_row"].first()
    return pd.DataFrame({
        "entity_id": first.index,
        "name": first.index,
        "entity_type": "DOE",
        "status": pd.NA,
        "source_document": document,
        "source_location": ("row " + first.astype("string") + " (DOE)").to_numpy(),
    })


def build_holdings(extract: Extract, document: str) -> pd.DataFrame:
    frame = extract.frame.assign(order=extract.frame["unit_type"].map(UNIT_ORDER))
    frame = frame.sort_values(["commitment_period", "source_row", "order"], ignore_index=True)
    return pd.DataFrame({
        "account_type": frame["account_type"],
        "commitment_period": frame["commitment_period"],
        "unit_type": frame["unit_type"],
        "quantity": frame["quantity"],
        "as_of": frame["as_of"],
        "source_document": document,
        "source_location": frame["source_location"],
    })


def build_documents(extracts: dict[str, Extract]) -> pd.DataFrame:
    rows = []
    for layout, spec in layouts().items():
        extract = extracts[layout]
        table = extract.table
        document = spec["document"]
        where = (f"sheet '{table.sheet}', " if table.sheet else "") + f"header at row {table.header_row}"
        if table.encoding:
            where += ", " + {"utf-8-sig": "UTF-8 text with BOM", "utf-8": "UTF-8 text",
                             "cp1252": "Windows-1252 text"}[table.encoding]
        dated = f"As of {extract.as_of} ({extract.as_of_basis})." if extract.as_of else "No date stated."
        if layout == "registered_activities" and extract.extra.get("latest_registration"):
            dated += f" Latest registration date in the list: {extract.extra['latest_registration']}."
        rows.append({
            "document_id": extract.document_id,
            "title": document["title"],
            "issuer": document["issuer"],
            "language": "en",
            "role": "source",
            "path": f"raw/{table.path.name}",
            "sha256": table.sha256(),
            "note": f"{dated} {document['what']} {where[0].upper() + where[1:]}. "
                    f"Source: UNFCCC, CDM Registry public reports.",
        })
    return pd.DataFrame(rows)
