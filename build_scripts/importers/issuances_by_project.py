"""CDM issuances by project (CSV, UTF-8 with BOM).

One row per issuance request and commitment period: PA/PoA, CDM project reference number,
HostParty (code), DOE (short code, 'No info' or empty when unknown), UNEP DTU project type
and subtype, issuance process ID, Issuance date and Monitoring report started/ended as
d/m/yy, ' Units - Total ' as padded text with thousands separators (' 4,574 '), CP,
monitoring report number and Last_updated ('21Jun2023').
"""

from __future__ import annotations

import pandas as pd

from build_scripts.importers import parsing as p
from build_scripts.importers.sources import Extract, RawTable, iso

DATE_FORMATS = ("%d/%m/%y", "%d/%m/%Y")
ACTIVITY_TYPES = {"PA": "PA", "PoA": "PoA"}


def read(table: RawTable) -> Extract:
    raw = table.frame()
    doe = p.text(raw["doe"])
    placeholders = doe.isin(table.spec.get("doe_placeholders", []))
    frame = pd.DataFrame({
        "source_row": raw["source_row"],
        "project_id": p.project_numbers(raw, "project_number", "CDM project reference number"),
        "activity_type": p.one_of(raw, "activity_type", "PA/PoA", ACTIVITY_TYPES),
        "host_party": p.party_codes(raw, "host_party", "HostParty"),
        "entity_id": doe.mask(placeholders),
        "project_type": p.text(raw["project_type"]),
        "project_subtype": p.text(raw["project_subtype"]),
        "issuance_date": p.csv_dates(raw, "issuance_date", "Issuance date", DATE_FORMATS),
        "monitoring_period_start": p.csv_dates(raw, "monitoring_start", "Monitoring report started",
                                               DATE_FORMATS, required=False),
        "monitoring_period_end": p.csv_dates(raw, "monitoring_end", "Monitoring report ended",
                                             DATE_FORMATS, required=False),
        "quantity": p.integers(raw, "total", "Units - Total"),
        "commitment_period": p.commitment_periods(raw, "commitment_period", "CP"),
    })
    updated = p.csv_dates(raw, "last_updated", "Last_updated", ("%d%b%Y",))
    extract = Extract(table, frame, iso(updated.max()), "Last_updated column")
    if placeholders.any():
        values = sorted(doe[placeholders].unique())
        extract.warnings.append(f"{table.path.name}: {int(placeholders.sum())} row(s) give the DOE as "
                                f"{', '.join(map(repr, values))}; read as no DOE")
    return extract
