"""The charts of the CDM pages: stacked and ranked bars from derived tables."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from build_scripts.render.charts import Chart, bar
from build_scripts.render.environment import number

CP_COLOURS = {1: "#1a5fa8", 2: "#b5540b"}


def issued_by_year(by_year: pd.DataFrame, chart_id: str, title: str, source: str,
                   downloadable: bool = True, key: str = "") -> Chart:
    """Stacked bars: units issued per year, one colour per commitment period."""
    sums = {(int(y), int(p)): int(q) for y, p, q in by_year[["year", "commitment_period", "quantity"]].itertuples(index=False)}
    return issued_by_year_from_sums(sums, chart_id, title, source, downloadable, key)


def issued_by_year_from_sums(sums: dict[tuple[int, int], int], chart_id: str, title: str, source: str,
                             downloadable: bool = True, key: str = "") -> Chart:
    """The same chart from {(year, commitment period): units}: plain Python, for record pages."""
    years_int = sorted({y for y, _ in sums})
    periods = sorted({p for _, p in sums})
    columns_values = {p: [sums.get((y, p), 0) for y in years_int] for p in periods}
    years = [str(y) for y in years_int]
    # Plain figure dicts (the JSON plotly.js reads): this runs once per record page, where
    # building validated go.Figure objects would dominate the build time.
    traces = [
        {"type": "bar", "x": years, "y": columns_values[period], "name": f"Commitment period {period}",
         "marker": {"color": CP_COLOURS.get(period)},
         "hovertemplate": "%{x}: %{y:,} units<extra>CP " + str(period) + "</extra>"}
        for period in periods
    ]
    figure = {"data": traces, "layout": {"barmode": "stack", "showlegend": len(traces) > 1,
                                         "legend": {"orientation": "h", "y": -0.2}}}
    columns = ("Year",) + tuple(f"CP {p}" for p in periods) + ("Total",)
    by_row = [[columns_values[p][i] for p in periods] for i in range(len(years))]
    rows = tuple((y,) + tuple(number(v) for v in row) + (number(sum(row)),) for y, row in zip(years, by_row))
    csv_rows = tuple((y,) + tuple(row) + (sum(row),) for y, row in zip(years, by_row))
    return Chart(chart_id, title, "Units issued per calendar year, stacked by commitment period.", source,
                 columns, rows, csv_rows, figure, downloadable, key)


def ranked(frame: pd.DataFrame, label_column: str, value_column: str, chart_id: str, title: str, caption: str,
           source: str, top: int = 20, label_header: str = "Name", value_header: str = "Units") -> Chart:
    """Horizontal ranked bars of the top entries; the table lists the same entries."""
    head = frame.head(top)
    labels = list(head[label_column])
    values = [int(v) for v in head[value_column]]
    figure = go.Figure(go.Bar(x=values[::-1], y=labels[::-1], orientation="h",
                              hovertemplate="%{y}: %{x:,}<extra></extra>"))
    figure.update_layout(height=max(320, 22 * len(labels) + 80), margin=dict(l=160))
    rows = tuple((label, number(value)) for label, value in zip(labels, values))
    return Chart(chart_id, title, caption, source, (label_header, value_header), rows,
                 tuple(zip(labels, values)), figure)


def cancelled_by_year(by_year: pd.DataFrame, source: str) -> Chart:
    wide = by_year.pivot(index="year", columns="kind", values="quantity").fillna(0).astype("int64")
    years = [str(y) for y in wide.index]
    traces = [go.Bar(x=years, y=[int(v) for v in wide[kind]], name=f"{kind.capitalize()} cancellation",
                     hovertemplate="%{x}: %{y:,} units<extra>" + kind + "</extra>") for kind in wide.columns]
    figure = go.Figure(traces)
    figure.update_layout(barmode="stack", showlegend=True, legend=dict(orientation="h", y=-0.2))
    columns = ("Year",) + tuple(k.capitalize() for k in wide.columns) + ("Total",)
    rows = tuple((y,) + tuple(number(v) for v in row) + (number(sum(row)),) for y, row in zip(years, wide.itertuples(index=False)))
    csv_rows = tuple((y,) + tuple(int(v) for v in row) + (int(sum(row)),) for y, row in zip(years, wide.itertuples(index=False)))
    return Chart("cdm-cancelled-by-year", "Units cancelled by year", "Voluntary and administrative cancellations per calendar year.",
                 source, columns, rows, csv_rows, figure)


def share_cancelled(frame: pd.DataFrame, source: str) -> Chart:
    labels = [f"CP {p}" if p != "all" else "All" for p in frame["commitment_period"]]
    shares = [round(float(v) * 100, 2) for v in frame["share_cancelled"]]
    figure = go.Figure(bar(labels, shares, [f"{v:.2f}%" for v in shares]))
    figure.update_layout(yaxis=dict(ticksuffix="%", rangemode="tozero"))
    rows = tuple((label, number(i), number(c), f"{s:.2f}%") for label, i, c, s in
                 zip(labels, frame["units_issued"], frame["units_cancelled"], shares))
    csv_rows = tuple((p, int(i), int(c), round(float(s), 6)) for p, i, c, s in
                     zip(frame["commitment_period"], frame["units_issued"], frame["units_cancelled"], frame["share_cancelled"]))
    return Chart("cdm-share-cancelled", "Share of issued units cancelled",
                 "Units cancelled as a share of units issued, per commitment period and overall.", source,
                 ("Commitment period", "Issued", "Cancelled", "Share cancelled"), rows, csv_rows, figure)
