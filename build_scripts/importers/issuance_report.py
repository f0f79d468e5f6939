"""CDM Registry issuance report (xlsx): one row per issuance transaction.

Columns: Completion date, Transaction type, Status, SERIAL RANGE ("start - end"),
Unit Type, CP, PARTY CODE, Project number, Total. No title row; the as-of date is the
latest completion date.
"""

from __future__ import annotations

import pandas as pd

from build_scripts.importers import parsing as p
from build_scripts.importers.sources import Extract, RawTable, iso


def read(table: RawTable) -> Extract:
    raw = table.frame()
    serials = p.serial_ranges(raw, "serial_range", "SERIAL RANGE")
    frame = pd.DataFrame({
        "source_row": raw["source_row"],
        "project_id": p.project_numbers(raw, "project_number", "Project number"),
        "originating_party": p.party_codes(raw, "party_code", "PARTY CODE"),
        "unit_type": p.unit_types(raw, "unit_type", "Unit Type"),
        "commitment_period": p.commitment_periods(raw, "commitment_period", "CP"),
        "serial_start": serials["serial_start"],
        "serial_end": serials["serial_end"],
        "quantity": p.integers(raw, "total", "Total"),
        "issuance_date": p.excel_dates(raw, "completion_date", "Completion date"),
        "transaction_type": p.text(raw["transaction_type"]),
        "transaction_status": p.text(raw["status"]),
    })
    extract = Extract(table, frame, iso(frame["issuance_date"].max()), "latest completion date in the report")
    frame.attrs["file"] = table.path.name
    extract.warnings += p.serial_length_mismatches(frame)
    return extract

