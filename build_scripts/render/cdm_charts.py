"""The charts of the CDM pages: stacked and ranked bars from derived tables.

Made when a page is built, in its language: titles, captions, labels and hover text are
translated there; the CSV of each chart keeps English headers.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from build_scripts.i18n import N_, _
from build_scripts.render.charts import Chart, bar
from build_scripts.render.escape import plotly_text
from build_scripts.render.environment import label, number

CP_COLOURS = {1: "#1a5fa8", 2: "#b5540b"}
# Headers of the charts' tables (the CSV keeps them in English; the page translates them).
YEAR, TOTAL = N_("Year"), N_("Total")
PERIOD, ISSUED, CANCELLED, SHARE = N_("Commitment period"), N_("Issued"), N_("Cancelled"), N_("Share cancelled")
CANCELLATION_TRACES = {"voluntary": N_("Voluntary cancellation"), "administrative": N_("Administrative cancellation")}
CANCELLATION_COLUMNS = {"voluntary": N_("Voluntary"), "administrative": N_("Administrative")}


def _units_hover() -> str:
    """Plotly's hover text of a bar of units: the year and the units."""
    return _("%(year)s: %(units)s units", year="%{x}", units="%{y:,}")


def percent(value: float) -> str:
    """A percentage with two decimals: '12.34%'."""
    return _("%(share)s%%", share=number(value, 2))


def issued_by_year(by_year: pd.DataFrame, chart_id: str, title: str, source: str,
                   downloadable: bool = True, key: str = "", total: int | None = None) -> Chart:
    """Stacked bars: units issued per year, one colour per commitment period; total: the
    units of the issuances it is drawn from (the Total column must add up to it)."""
    sums = {(int(y), int(p)): int(q) for y, p, q in by_year[["year", "commitment_period", "quantity"]].itertuples(index=False)}
    return issued_by_year_from_sums(sums, chart_id, title, source, downloadable, key, total)


def issued_by_year_from_sums(sums: dict[tuple[int, int], int], chart_id: str, title: str, source: str,
                             downloadable: bool = True, key: str = "", total: int | None = None) -> Chart:
    """The same chart from {(year, commitment period): units}: plain Python, for record pages."""
    years_int = sorted({year for year, _period in sums})
    periods = sorted({period for _year, period in sums})
    columns_values = {p: [sums.get((y, p), 0) for y in years_int] for p in periods}
    years = [str(y) for y in years_int]
    hover = _units_hover()
    # Plain figure dicts (the JSON plotly.js reads): this runs once per record page, where
    # building validated go.Figure objects would dominate the build time.
    traces = [
        {"type": "bar", "x": years, "y": columns_values[period],
         "name": _("Commitment period %(period)s", period=period),
         "marker": {"color": CP_COLOURS.get(period)},
         "hovertemplate": hover + "<extra>" + _("CP %(period)s", period=period) + "</extra>"}
        for period in periods
    ]
    figure = {"data": traces, "layout": {"barmode": "stack", "showlegend": len(traces) > 1,
                                         "legend": {"orientation": "h", "y": -0.2}}}
    columns = (YEAR,) + tuple(f"CP {p}" for p in periods) + (TOTAL,)
    headers = (_(YEAR),) + tuple(_("CP %(period)s", period=p) for p in periods) + (_(TOTAL),)
    by_row = [[columns_values[p][i] for p in periods] for i in range(len(years))]
    rows = tuple((y,) + tuple(number(v) for v in row) + (number(sum(row)),) for y, row in zip(years, by_row))
    csv_rows = tuple((y,) + tuple(row) + (sum(row),) for y, row in zip(years, by_row))
    return Chart(chart_id, title, _("Units issued per calendar year, stacked by commitment period."), source,
                 columns, rows, csv_rows, figure, downloadable, key, headers, total=total)


# The colour of a ranked chart's "All other" bar: the rest of the list, not one entry of it.
OTHER_COLOUR = "#8a8a8a"


def ranked(frame: pd.DataFrame, label_column: str, value_column: str, chart_id: str, title: str, caption: str,
           source: str, total: int, top: int = 20, label_header: str = N_("Name"), value_header: str = N_("Units"),
           shown_column: str | None = None) -> Chart:
    """Horizontal ranked bars of the top entries, then one "All other (N)" bar adding up the
    rest, so that the chart, its table and its CSV add up to total, the units of the data the
    ranking is drawn from (Chart checks it: ChartDoesNotAddUp). The caption says how many of
    how many are shown. The headers are messages (N_): English in the CSV, translated on the
    page; the page shows the labels of shown_column (translated names) where given, the CSV
    those of label_column."""
    head, rest = frame.head(top), frame.iloc[top:]
    labels = list(head[label_column])
    shown = list(head[shown_column]) if shown_column else list(labels)
    values = [int(v) for v in head[value_column]]
    colours = ["#1a5fa8"] * len(values)
    if len(rest):
        labels.append(f"All other ({len(rest)})")
        shown.append(_("All other (%(count)s)", count=number(len(rest))))
        values.append(int(rest[value_column].sum()))
        colours.append(OTHER_COLOUR)
        caption = caption + " " + _("The %(top)s largest of %(count)s are shown one by one; the last row adds up the "
                                    "other %(rest)s.", top=number(top), count=number(len(frame)), rest=number(len(rest)))
    figure = go.Figure(go.Bar(x=values[::-1], y=[plotly_text(name) for name in shown[::-1]], orientation="h",
                              marker=dict(color=colours[::-1]), hovertemplate="%{y}: %{x:,}<extra></extra>"))
    # A label for every bar: on its own, plotly.js labels every other category at 22 px a bar.
    figure.update_layout(height=max(320, 22 * len(labels) + 80), margin=dict(l=160),
                         yaxis=dict(tickmode="linear", dtick=1))
    rows = tuple((name, number(value)) for name, value in zip(shown, values))
    return Chart(chart_id, title, caption, source, (label_header, value_header), rows,
                 tuple(zip(labels, values)), figure, headers=(_(label_header), _(value_header)), total=total)


def cancelled_by_year(by_year: pd.DataFrame, source: str, total: int | None = None) -> Chart:
    wide = by_year.pivot(index="year", columns="kind", values="quantity").fillna(0).astype("int64")
    years = [str(y) for y in wide.index]
    hover = _units_hover()
    traces = [go.Bar(x=years, y=[int(v) for v in wide[kind]],
                     name=_(CANCELLATION_TRACES.get(kind, f"{kind.capitalize()} cancellation")),
                     hovertemplate=hover + "<extra>" + label(kind, "cancellation_kinds") + "</extra>")
              for kind in wide.columns]
    figure = go.Figure(traces)
    figure.update_layout(barmode="stack", showlegend=True, legend=dict(orientation="h", y=-0.2))
    columns = (YEAR,) + tuple(k.capitalize() for k in wide.columns) + (TOTAL,)
    headers = (_(YEAR),) + tuple(_(CANCELLATION_COLUMNS.get(k, k.capitalize())) for k in wide.columns) + (_(TOTAL),)
    rows = tuple((y,) + tuple(number(v) for v in row) + (number(sum(row)),) for y, row in zip(years, wide.itertuples(index=False)))
    csv_rows = tuple((y,) + tuple(int(v) for v in row) + (int(sum(row)),) for y, row in zip(years, wide.itertuples(index=False)))
    return Chart("cdm-cancelled-by-year", _("Units cancelled by year"),
                 _("Voluntary and administrative cancellations per calendar year."),
                 source, columns, rows, csv_rows, figure, headers=headers, total=total)


def share_cancelled(frame: pd.DataFrame, source: str) -> Chart:
    labels = [_("CP %(period)s", period=p) if p != "all" else _("All") for p in frame["commitment_period"]]
    shares = [round(float(v) * 100, 2) for v in frame["share_cancelled"]]
    figure = go.Figure(bar(labels, shares, [percent(v) for v in shares]))
    figure.update_layout(yaxis=dict(ticksuffix="%", rangemode="tozero"))
    rows = tuple((name, number(i), number(c), percent(s)) for name, i, c, s in
                 zip(labels, frame["units_issued"], frame["units_cancelled"], shares))
    csv_rows = tuple((p, int(i), int(c), round(float(s), 6)) for p, i, c, s in
                     zip(frame["commitment_period"], frame["units_issued"], frame["units_cancelled"], frame["share_cancelled"]))
    return Chart("cdm-share-cancelled", _("Share of issued units cancelled"),
                 _("Units cancelled as a share of units issued, per commitment period and overall."), source,
                 (PERIOD, ISSUED, CANCELLED, SHARE), rows, csv_rows, figure,
                 headers=(_(PERIOD), _(ISSUED), _(CANCELLED), _(SHARE)))
