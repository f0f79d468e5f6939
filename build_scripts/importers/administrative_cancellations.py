"""CDM Registry administrative cancellations report (xlsx).

Row 1 is a title ('ADMINISTRATIVE CANCELLATIONS AS AT 31 August 2023*'), row 2 the header
(COMPLETION DATE, TRANSACTION TYPE, STATUS, TRANSACTION TOTAL, SERIAL RANGE, PROJECT
IDENTIFIER, Unit Type, UNIT BLOCK TOTAL, REASON FOR CANCELLATION), then the data, a 'TOTAL'
footer row and a footnote. The report gives no commitment period (package.py takes it
from the issuance block that holds the cancelled range).
"""

from __future__ import annotations

import pandas as pd

from build_scripts.importers import parsing as p
from build_scripts.importers.sources import Extract, RawTable, check_footer_total, iso


def read(table: RawTable) -> Extract:
    raw = table.frame()
    serials = p.serial_ranges(raw, "serial_range", "SERIAL RANGE")
    identifiers = p.party_projects(raw, "project_identifier", "PROJECT IDENTIFIER")
    frame = pd.DataFrame({
        "source_row": raw["source_row"],
        "project_id": identifiers["project_id"],
        "originating_party": identifiers["originating_party"],
        "unit_type": p.unit_types(raw, "unit_type", "Unit Type"),
        "serial_start": serials["serial_start"],
        "serial_end": serials["serial_end"],
        "quantity": p.integers(raw, "total", "UNIT BLOCK TOTAL"),
        "transaction_total": p.integers(raw, "transaction_total", "TRANSACTION TOTAL"),
        "cancellation_date": p.excel_dates(raw, "completion_date", "COMPLETION DATE"),
        "transaction_type": p.text(raw["transaction_type"]),
        "transaction_status": p.text(raw["status"]),
        "reason": p.text(raw["reason"]),
    })
    as_of = p.as_at_date(table.title_rows)
    extract = Extract(table, frame, iso(as_of) if as_of else iso(frame["cancellation_date"].max()),
                      "title row" if as_of else "latest completion date in the report")
    extract.extra["notes"] = table.notes
    frame.attrs["file"] = table.path.name
    extract.warnings += p.serial_length_mismatches(frame)
    check_footer_total(extract, "total", int(frame["quantity"].sum()), "unit blocks")
    return extract
