"""CDM Registry voluntary cancellations report (xlsx).

Row 1 is a title ('Voluntary Cancellations as at 31 August 2023'), row 2 the header
(Completion Date, Transaction Type, Serial Range, Project Identifier 'BR-2569', Status,
CP (Commitment Period), Unit, Total, VCP (From Voluntary Cancellation Platform) Yes/No),
then the data and a 'Total' footer row.
"""

from __future__ import annotations

import pandas as pd

from build_scripts.importers import parsing as p
from build_scripts.importers.sources import Extract, RawTable, check_footer_total, iso

YES_NO = {"Yes": True, "No": False}


def read(table: RawTable) -> Extract:
    raw = table.frame()
    serials = p.serial_ranges(raw, "serial_range", "Serial Range")
    identifiers = p.party_projects(raw, "project_identifier", "Project Identifier")
    frame = pd.DataFrame({
        "source_row": raw["source_row"],
        "project_id": identifiers["project_id"],
        "originating_party": identifiers["originating_party"],
        "unit_type": p.unit_types(raw, "unit_type", "Unit"),
        "commitment_period": p.commitment_periods(raw, "commitment_period", "CP (Commitment Period)"),
        "serial_start": serials["serial_start"],
        "serial_end": serials["serial_end"],
        "quantity": p.integers(raw, "total", "Total"),
        "cancellation_date": p.excel_dates(raw, "completion_date", "Completion Date"),
        "transaction_type": p.text(raw["transaction_type"]),
        "transaction_status": p.text(raw["status"]),
        "voluntary_cancellation_platform": p.one_of(raw, "platform", "VCP (From Voluntary Cancellation Platform)",
                                                    YES_NO).astype("boolean"),
    })
    as_of = p.as_at_date(table.title_rows)
    extract = Extract(table, frame, iso(as_of) if as_of else iso(frame["cancellation_date"].max()),
                      "title row" if as_of else "latest completion date in the report")
    check_footer_total(extract, "total", int(frame["quantity"].sum()), "units cancelled")
    frame.attrs["file"] = table.path.name
    extract.warnings += p.serial_length_mismatches(frame)
    return extract
