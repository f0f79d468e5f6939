"""List of registered CDM project activities (CSV, Windows-1252).

Columns: Registered (dd/mm/yyyy; or 'Rejected', 'Withdrawn', or empty), Project title,
Host parties and Other Parties (country names separated by '/ '), Methodology, Reductions
(estimated annual reductions), Ref (zero-padded project number, '0008').
"""

from __future__ import annotations

import pandas as pd

from build_scripts.importers import countries
from build_scripts.importers import parsing as p
from build_scripts.importers.sources import Extract, RawTable, date_in_name, iso


def read(table: RawTable) -> Extract:
    raw = table.frame()
    spec = table.spec
    registered = p.text(raw["registered"])
    status = registered.map(spec["status_words"])
    is_date = registered.notna() & status.isna()
    dates = p.csv_dates(raw.assign(registered=registered.where(is_date)), "registered", "Registered",
                        ("%d/%m/%Y",), required=False)
    project_id = p.project_numbers(raw, "reference", "Ref")
    duplicated = project_id.duplicated(keep=False)
    p.fail(raw, duplicated, "reference", "Ref", "unique (the same project number is listed twice)")
    separator = spec["party_separator"]
    host_names = split_names(raw["host_parties"], separator)
    other_names = split_names(raw["other_parties"], separator)
    p.fail(raw, host_names.map(len).eq(0), "host_parties", "Host parties", "country names")
    published = pd.concat([
        _published(raw, host_names, "Host parties"),
        _published(raw, other_names, "Other Parties"),
    ], ignore_index=True)
    codes = countries.codes_for(published["name"].unique(), table.path.name)
    frame = pd.DataFrame({
        "source_row": raw["source_row"],
        "project_id": project_id,
        "title": p.text(raw["title"]),
        "host_party": host_names.map(lambda names: ";".join(dict.fromkeys(codes[n] for n in names))),
        "other_parties": other_names.map(lambda names: ";".join(dict.fromkeys(codes[n] for n in names))),
        "methodology": p.text(raw["methodology"]),
        "status": status.where(~is_date & registered.notna(), "registered"),
        "registration_date": dates,
        "estimated_annual_reductions": p.integers(raw, "reductions", "Reductions", required=False),
    })
    frame["other_parties"] = frame["other_parties"].mask(frame["other_parties"].eq(""))
    published["party_code"] = published["name"].map(codes)
    name_date = date_in_name(table.path)
    basis = "from the file name; the list itself states no date" if name_date else ""
    extract = Extract(table, frame, name_date, basis)
    extract.extra["published_names"] = published
    latest = frame["registration_date"].max()
    extract.extra["latest_registration"] = iso(latest)
    return extract


def split_names(column: pd.Series, separator: str) -> pd.Series:
    """'Netherlands/ Italy' -> ['Netherlands', 'Italy']; empty -> []."""
    return column.fillna("").astype("string").map(
        lambda text: [name.strip() for name in text.split(separator) if name.strip()])


def _published(raw: pd.DataFrame, names: pd.Series, label: str) -> pd.DataFrame:
    exploded = pd.DataFrame({"source_row": raw["source_row"], "name": names}).explode("name").dropna()
    exploded["column"] = label
    return exploded.reset_index(drop=True)
