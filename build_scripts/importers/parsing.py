"""Value parsers for the quirks of the official reports, vectorised over pandas Series.

Each parser returns the parsed Series and raises SourceError naming the file, the raw row
and the column of the first values it cannot read, so a maintainer can find them.
"""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd

from build_scripts.importers import SourceError
from build_scripts.importers.sources import config

# Excel's day 0 on the 1900 date system (serial 1 = 1900-01-01, with Lotus' 1900 leap-year bug).
EXCEL_EPOCH = pd.Timestamp("1899-12-30")
# ASCII digits only ('\d' also matches other scripts' digits, which pandas cannot read), and
# at most 18 of them, so that every number fits in an Int64 column.
SERIAL_RANGE = re.compile(r"^\s*([0-9]{1,18})\s*-\s*([0-9]{1,18})\s*$")
PARTY_PROJECT = re.compile(r"^\s*([A-Z]{2})-0*([0-9]+)\s*$")
# Excel serials the date arithmetic can hold (pd.Timedelta's range: up to 2192-04-10).
MAX_SERIAL = pd.Timedelta.max.days


def fail(frame: pd.DataFrame, bad: pd.Series, column: str, label: str, what: str) -> None:
    """Raise SourceError for the rows of `frame` where `bad` is true, if any."""
    if not bad.any():
        return
    rows = frame.loc[bad, "source_row"].head(3).tolist()
    values = frame.loc[bad, column].head(3).tolist()
    examples = ", ".join(f"row {row}: {value!r}" for row, value in zip(rows, values))
    raise SourceError(f"{frame.attrs['file']}: column '{label}' has {int(bad.sum())} value(s) that are not "
                      f"{what} ({examples})")


def blank(series: pd.Series) -> pd.Series:
    """True where a cell is empty (None, NaN or only spaces)."""
    return series.isna() | series.astype("string").str.strip().eq("")


def text(series: pd.Series) -> pd.Series:
    """Cells as trimmed text; empty cells become <NA>."""
    out = series.astype("string").str.strip()
    return out.mask(out.eq(""))


def integers(frame: pd.DataFrame, column: str, label: str, required: bool = True) -> pd.Series:
    """Whole numbers from numeric cells or from padded text with thousands separators (' 4,574 ')."""
    raw = frame[column]
    cleaned = raw.astype("string").str.replace(r"[\s,\u00a0]", "", regex=True)
    cleaned = cleaned.str.replace(r"\.0+$", "", regex=True)  # 4574.0 from a numeric cell
    empty = cleaned.isna() | cleaned.eq("")
    bad = ~empty & ~cleaned.str.fullmatch(r"0*[0-9]{1,18}").fillna(False)
    if required:
        bad |= empty
    fail(frame, bad, column, label, "whole numbers")
    return pd.to_numeric(cleaned.mask(empty)).astype("Int64")


def excel_dates(frame: pd.DataFrame, column: str, label: str, text_formats: tuple[str, ...] = ("%d/%m/%Y",),
                required: bool = True) -> pd.Series:
    """Dates from workbook cells: datetimes, Excel serial numbers, or text in one of `text_formats`.

    The time of day is dropped (the registry reports give completion timestamps; the
    package records dates).
    """
    raw = frame[column]
    out = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")
    is_datetime = raw.map(lambda v: isinstance(v, (dt.datetime, dt.date, pd.Timestamp)) and _in_range(v))
    is_number = raw.map(lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v < MAX_SERIAL)
    if is_datetime.any():
        out[is_datetime] = pd.to_datetime(raw[is_datetime].map(pd.Timestamp))
    if is_number.any():
        out[is_number] = EXCEL_EPOCH + pd.to_timedelta(raw[is_number].astype("float64"), unit="D")
    rest = ~is_datetime & ~is_number & ~blank(raw)
    if rest.any():
        out[rest] = text_dates(raw[rest].astype("string").str.strip(), text_formats)
    bad = out.isna() & ~blank(raw)
    if required:
        bad |= blank(raw)
    fail(frame, bad, column, label, "dates (" + " or ".join(text_formats) + ", or Excel dates)")
    return out.dt.normalize()


def _in_range(value: dt.date) -> bool:
    """Whether a date or datetime fits in a datetime64[ns] column (years 1677 to 2262)."""
    try:
        return pd.Timestamp.min <= pd.Timestamp(value) <= pd.Timestamp.max
    except (ValueError, OverflowError):
        return False


def text_dates(values: pd.Series, formats: tuple[str, ...]) -> pd.Series:
    """Parse text dates trying each format in turn (e.g. d/m/yy, dd/mm/yyyy); NaT where none fits."""
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    for format_ in formats:
        missing = out.isna()
        if not missing.any():
            break
        parsed = pd.to_datetime(values[missing], format=format_, errors="coerce")
        # '31/12/9999' parses (as datetime64[us]) but does not fit datetime64[ns]: not a date here
        out[missing] = parsed.where(parsed.between(pd.Timestamp.min, pd.Timestamp.max)).astype("datetime64[ns]")
    return out


def csv_dates(frame: pd.DataFrame, column: str, label: str, formats: tuple[str, ...],
              required: bool = True) -> pd.Series:
    """Dates from CSV text in one of `formats`; empty cells allowed unless required."""
    raw = text(frame[column])
    out = text_dates(raw, formats)
    bad = out.isna() & raw.notna()
    if required:
        bad |= raw.isna()
    fail(frame, bad, column, label, "dates in the format " + " or ".join(formats))
    return out


def serial_ranges(frame: pd.DataFrame, column: str, label: str) -> pd.DataFrame:
    """'start - end' serial ranges -> integer columns serial_start, serial_end."""
    parts = frame[column].astype("string").str.extract(SERIAL_RANGE)
    bad = parts[0].isna()
    fail(frame, bad, column, label, "serial ranges 'start - end'")
    out = pd.DataFrame({"serial_start": pd.to_numeric(parts[0]).astype("Int64"),
                        "serial_end": pd.to_numeric(parts[1]).astype("Int64")})
    fail(frame, out["serial_end"] < out["serial_start"], column, label, "ranges that end after they start")
    return out


def project_numbers(frame: pd.DataFrame, column: str, label: str) -> pd.Series:
    """Project reference numbers, zero padding removed ('0008' -> '8')."""
    raw = frame[column].astype("string").str.strip().str.replace(r"\.0+$", "", regex=True)
    bad = ~raw.str.fullmatch(r"[0-9]+").fillna(False)
    fail(frame, bad, column, label, "project numbers")
    return raw.str.lstrip("0").mask(lambda s: s.eq(""), "0")


def party_projects(frame: pd.DataFrame, column: str, label: str) -> pd.DataFrame:
    """'BR-2569' project identifiers -> originating_party 'BR', project_id '2569'."""
    parts = frame[column].astype("string").str.extract(PARTY_PROJECT)
    fail(frame, parts[0].isna(), column, label, "project identifiers 'PARTY-NUMBER' (e.g. BR-2569)")
    return pd.DataFrame({"originating_party": parts[0].astype("string"),
                         "project_id": parts[1].str.lstrip("0").mask(lambda s: s.eq(""), "0").astype("string")})


def commitment_periods(frame: pd.DataFrame, column: str, label: str) -> pd.Series:
    """Kyoto commitment period numbers ('1', 1 or 1.0) from the allowed list in layouts.yml."""
    allowed = config()["commitment_periods"]
    raw = frame[column].astype("string").str.strip().str.replace(r"\.0+$", "", regex=True)
    fail(frame, ~raw.isin([str(v) for v in allowed]), column, label,
         "commitment periods " + " or ".join(map(str, allowed)))
    return pd.to_numeric(raw).astype("Int64")


def unit_types(frame: pd.DataFrame, column: str, label: str) -> pd.Series:
    """Kyoto unit types (CER, tCER, lCER) as listed in layouts.yml."""
    return one_of(frame, column, label, {unit: unit for unit in config()["unit_types"]})


def party_codes(frame: pd.DataFrame, column: str, label: str) -> pd.Series:
    """ISO 3166-1 alpha-2 party codes as published ('HN')."""
    codes = frame[column].astype("string").str.strip()
    fail(frame, ~codes.str.fullmatch(r"[A-Z]{2}").fillna(False), column, label, "ISO 3166-1 alpha-2 party codes")
    return codes


def one_of(frame: pd.DataFrame, column: str, label: str, mapping: dict[str, object]) -> pd.Series:
    """Published words mapped to the package's values; anything else is an error."""
    raw = frame[column].astype("string").str.strip()
    bad = ~raw.isin(list(mapping))
    fail(frame, bad, column, label, "one of " + ", ".join(repr(k) for k in mapping))
    return raw.map(mapping)


AS_AT = re.compile(r"\bas\s+(?:at|of)\s+(\d{1,2}\s+[A-Za-z]+\s+\d{4})", re.IGNORECASE)


def as_at_date(title_rows: list[str]) -> dt.date | None:
    """The date in a title row such as 'Voluntary Cancellations as at 31 August 2023'."""
    for line in title_rows:
        match = AS_AT.search(line)
        if match:
            try:
                return dt.datetime.strptime(" ".join(match.group(1).split()).title(), "%d %B %Y").date()
            except ValueError as error:  # e.g. 'as at 31 Foo 2023', 'as at 0 June 2023'
                raise SourceError(f"title row {line!r}: the as-at date {match.group(1)!r} is not a date "
                                  f"('31 August 2023'): {error}") from None
    return None


def serial_length_mismatches(frame: pd.DataFrame) -> list[str]:
    """A warning if a block's quantity is not serial_end - serial_start + 1."""
    wrong = frame[(frame["serial_end"] - frame["serial_start"] + 1) != frame["quantity"]]
    if wrong.empty:
        return []
    rows = ", ".join(map(str, wrong["source_row"].head(5)))
    return [f"{frame.attrs.get('file', '')}: {len(wrong)} serial range(s) do not hold the published number of "
            f"units (rows {rows})"]
