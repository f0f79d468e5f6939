"""CDM Registry aggregated holdings report (xlsx), turned into long format.

Row 2 is a title ('Aggregated holdings in the CDM registry as at 31 August 2023'), row 3
the header (an unlabelled row number, Account Type, CER, tCER, lCER, AAU, ERU, Total), then
one row per account type ('Total units in the pending account and in holding accounts for
CP1'). Each (account type, unit type) cell becomes one row; the Total formula is checked
against the sum when the workbook holds its cached value.
"""

from __future__ import annotations

import pandas as pd
from openpyxl.utils import get_column_letter

from build_scripts.importers import parsing as p
from build_scripts.importers.sources import Extract, RawTable, iso


def read(table: RawTable) -> Extract:
    raw = table.frame()
    units = table.spec["unit_columns"]
    account = p.text(raw["account_type"])
    p.fail(raw, account.isna(), "account_type", "Account Type", "account types")
    period = account.str.extract(r"\bCP\s*(\d)\b", expand=False)
    p.fail(raw, ~period.isin(["1", "2"]), "account_type", "Account Type",
           "account types naming a commitment period ('... for CP1')")
    as_of = p.as_at_date(table.title_rows)
    as_of_text = iso(as_of) if as_of else None
    parts = []
    for unit in units:
        column = get_column_letter(table.column_index[unit] + 1)
        parts.append(pd.DataFrame({
            "account_type": account,
            "commitment_period": pd.to_numeric(period).astype("Int64"),
            "unit_type": unit,
            "quantity": p.integers(raw, unit, unit),
            "as_of": pd.Timestamp(as_of) if as_of else pd.NaT,
            "source_row": raw["source_row"],
            "source_location": "row " + raw["source_row"].astype("string") + ", column " + column + f" ({unit})",
        }))
    frame = pd.concat(parts, ignore_index=True)
    extract = Extract(table, frame, as_of_text, "title row" if as_of else "")
    if not as_of:
        extract.warnings.append(f"{table.path.name}: no 'as at' date in the title rows; holdings as_of left empty")
    totals = pd.to_numeric(raw["total"].where(raw["total"].map(lambda v: isinstance(v, (int, float)))),
                           errors="coerce")
    sums = frame.groupby("source_row")["quantity"].sum()
    for row, total in zip(raw["source_row"], totals):
        if pd.notna(total) and int(total) != int(sums[row]):
            extract.warnings.append(f"{table.path.name}: row {row} Total is {int(total):,} but its unit "
                                    f"columns add up to {int(sums[row]):,}")
    return extract
