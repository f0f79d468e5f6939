"""Derivations: pure DataFrame -> DataFrame (or value) functions, one thing each.

They never read or write files; the render stage turns their results into pages.
"""

from __future__ import annotations

import pandas as pd

NIL = "nil"


def cite(frame: pd.DataFrame) -> pd.Series:
    """'FCCC/KP/CMP/2016/5, para. 22' for every row."""
    return frame["source_document"] + ", " + frame["source_location"]


def records(frame: pd.DataFrame) -> list[dict]:
    """Rows as dicts for templates, with every missing value (NA, NaT, NaN) as None."""
    plain = frame.astype(object)
    return plain.where(frame.notna(), None).to_dict("records")


class RowSource:
    """records() of any slice of a frame, made when asked: the columns stay numpy arrays, so
    a registry with millions of rows builds its record pages one at a time instead of
    holding every row as a dict. rows(a, b) == records(frame.iloc[a:b]), types included."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.names = list(frame.columns)
        self.columns = []
        for name in self.names:
            series = frame[name]
            missing = series.isna().to_numpy()
            if pd.api.types.is_datetime64_any_dtype(series):
                values, convert = series.to_numpy(), _timestamps
            elif pd.api.types.is_bool_dtype(series):
                values, convert = series.to_numpy(dtype=bool, na_value=False), _tolist
            elif pd.api.types.is_integer_dtype(series):
                values, convert = series.to_numpy(dtype="int64", na_value=0), _tolist
            elif pd.api.types.is_float_dtype(series):
                values, convert = series.to_numpy(dtype="float64", na_value=float("nan")), _tolist
            else:
                values, convert = series.to_numpy(dtype=object), _tolist
            self.columns.append((values, missing if missing.any() else None, convert))

    def rows(self, start: int, stop: int) -> list[dict]:
        columns = []
        for values, missing, convert in self.columns:
            column = convert(values[start:stop])
            if missing is not None:
                column = [None if gone else value for value, gone in zip(column, missing[start:stop])]
            columns.append(column)
        return [dict(zip(self.names, row)) for row in zip(*columns)]


def _tolist(values) -> list:
    return values.tolist()


def _timestamps(values) -> list:
    return [pd.Timestamp(value) for value in values]


def figures_by_id(figures: pd.DataFrame) -> dict[str, dict]:
    with_citation = figures.assign(citation=cite(figures))
    return {row["figure_id"]: row for row in records(with_citation)}


def figures_for_topic(figures: pd.DataFrame, topic: str) -> pd.DataFrame:
    return figures[figures["topic"] == topic].assign(citation=lambda f: cite(f))


def track_matrix(figures: pd.DataFrame, topic: str = "mechanism-status") -> pd.DataFrame:
    """One row per metric, one column per track, in the order the metrics first appear."""
    subset = figures[(figures["topic"] == topic) & figures["track"].notna()]
    order = list(dict.fromkeys(subset["metric"]))
    matrix = subset.pivot(index="metric", columns="track", values="value").reindex(order)
    return matrix.reindex(columns=[c for c in ("track-1", "track-2", "all") if c in matrix.columns])


def finance_lines(lines: pd.DataFrame, table_id: str) -> pd.DataFrame:
    """A finance table's lines in order, with the amount used for charts (a dash is nil)."""
    table = lines[lines["table_id"] == table_id].sort_values("line_no")
    return table.assign(
        chart_amount=table["amount_usd"].fillna(0),
        is_nil=table["amount_usd"].isna(),
        citation=cite(table),
    )


def committee_table(seats: pd.DataFrame, positions: pd.DataFrame, people: pd.DataFrame) -> pd.DataFrame:
    """One row per seat with its member and alternate side by side (table 1's shape)."""
    named = positions.merge(people[["person_id", "name", "honorific"]], on="person_id", how="left")
    wide = seats.copy()
    for role in ("member", "alternate"):
        role_rows = named[named["role"] == role].set_index("seat_id")
        for column in ("name", "honorific", "status", "term_end_year", "footnotes", "note"):
            wide[f"{role}_{column}"] = wide["seat_id"].map(role_rows[column])
    return wide.assign(citation=cite(seats)).sort_values("seat_id")


def vacancy_count(positions: pd.DataFrame) -> int:
    return int((positions["status"] == "vacant").sum())


def seats_per_constituency(seats: pd.DataFrame) -> pd.Series:
    return seats.groupby("constituency", sort=False)["seat_id"].count()


def officers_table(officers: pd.DataFrame, people: pd.DataFrame) -> pd.DataFrame:
    merged = officers.merge(people[["person_id", "name", "honorific"]], on="person_id", how="left")
    return merged.assign(citation=cite(merged))


def events_table(events: pd.DataFrame, people: pd.DataFrame) -> pd.DataFrame:
    merged = events.merge(people[["person_id", "name", "honorific"]], on="person_id", how="left")
    return merged.sort_values("effective_date").assign(citation=cite(merged))


def with_citation(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(citation=cite(frame)) if not frame.empty else frame.assign(citation=pd.Series(dtype="string"))


def first_examples(frame: pd.DataFrame) -> dict[str, object]:
    """First non-empty value of each column, for the data dictionary."""
    examples: dict[str, object] = {}
    for column in frame.columns:
        values = frame[column].dropna()
        value = values.iloc[0] if not values.empty else None
        examples[column] = value.date().isoformat() if isinstance(value, pd.Timestamp) else value
    return examples
