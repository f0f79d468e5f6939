"""Plotly charts: figure JSON on the page, one shared layout (template 'none') beside charts.js.

A chart is a <figure> holding a caption (title, explanation, source, CSV link), the plot
(drawn by assets/javascripts/charts.js with the local plotly.js basic bundle, which only
pages with charts load) and the table of the numbers behind it.

Charts are made when a page is built, in that page's language (i18n.use): the code that
makes one translates its title, caption and labels with `_`. The CSV of the numbers keeps
English headers (`columns`); the table on the page shows `headers`, translated.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import plotly.graph_objects as go
from markupsafe import Markup

from build_scripts.i18n import _
from build_scripts.render.escape import escape_value, json_for_script, plotly_text

# The layout every chart shares (template "none", size, margins, fonts, colours, axes) and
# plotly's configuration are in one cached file, site_src/docs/assets/javascripts/
# chart-defaults.json, which charts.js lays each figure's own layout over when it draws: a
# page carries only what is its chart's own.


class ChartDoesNotAddUp(ValueError):
    """A chart's rows do not add up to the total of the data it is drawn from: a row left out
    (a silent top N) or counted twice. The build stops on it."""


@dataclass(frozen=True)
class Chart:
    chart_id: str
    title: str
    caption: str
    source: str
    columns: tuple[str, ...]  # header of the CSV of the numbers (English)
    rows: tuple[tuple, ...]  # display rows (already formatted)
    csv_rows: tuple[tuple, ...]  # raw values for the CSV
    figure: go.Figure | dict  # a dict ({"data": [...], "layout": {...}}) skips plotly's validation: record pages
    downloadable: bool = True  # write a CSV of the numbers beside the page
    key: str = ""  # name the template uses for the chart, when not its id
    headers: tuple[str, ...] = ()  # header of the table on the page, translated (default: columns)
    # The total of the data the chart is drawn from (e.g. every issuance's units): the CSV's
    # column total_column must add up to it, or ChartDoesNotAddUp. None: nothing to add up.
    total: int | None = None
    total_column: int = -1

    def __post_init__(self) -> None:
        if self.total is None:
            return
        shown = sum(row[self.total_column] for row in self.csv_rows)
        if shown != self.total:
            raise ChartDoesNotAddUp(
                f"chart '{self.chart_id}' ({self.title}): its rows add up to {shown:,} in column "
                f"'{self.columns[self.total_column]}', the data it is drawn from to {self.total:,} "
                f"(difference {self.total - shown:,}): a row is missing or counted twice")

    @property
    def slot(self) -> str:
        return self.key or self.chart_id

    def figure_json(self) -> dict:
        """The chart's data and its own layout; charts.js lays it over chart-defaults.json
        (and sets the separators of the page's language)."""
        figure = self.figure if isinstance(self.figure, dict) else self.figure.to_plotly_json()
        return {"data": figure["data"], "layout": {k: v for k, v in figure["layout"].items() if k != "template"}}

    def csv_text(self) -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(self.columns)
        writer.writerows(self.csv_rows)
        return buffer.getvalue()

    def html(self, csv_href: str | None) -> Markup:
        """The figure: caption, plot and the table of its numbers. The plot is named by the
        chart's title and the table's scroll region by its caption (aria-labelledby, ids
        from the chart's name on its page): the numbers are read once, in the table, and the
        names are not written twice in every language."""
        e = escape_value
        head = "".join(f"<th scope=\"col\">{e(c)}</th>" for c in self.headers or self.columns)
        body = "".join(
            "<tr>" + f"<th scope=\"row\">{e(row[0])}</th>" + "".join(f"<td>{e(v)}</td>" for v in row[1:]) + "</tr>"
            for row in self.rows
        )
        source = message_html(_("Source: %(source)s."), source=self.source)
        download = message_html(_("Chart data (CSV)"))
        table_caption = message_html(_("%(chart)s: data"), chart=self.title)
        title_id, caption_id = e(f"{self.slot}-t"), e(f"{self.slot}-c")
        return Markup(
            f'<figure class="registry-chart" id="chart-{e(self.chart_id)}">'
            f'<figcaption><strong class="registry-chart__title" id="{title_id}">{e(self.title)}</strong> '
            f'{e(self.caption)} <span class="registry-source">{source}</span>'
            + (f' <a href="{e(csv_href)}" download>{download}</a>' if csv_href else "")
            + "</figcaption>"
            f'<div class="registry-chart__plot" role="img" aria-labelledby="{title_id}"></div>'
            f'<script type="application/json" class="registry-chart__figure">{json_for_script(self.figure_json())}</script>'
            f'<div class="registry-table-scroll" tabindex="0" role="region" aria-labelledby="{caption_id}">'
            f'<table class="registry-chart__table"><caption id="{caption_id}">{table_caption}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
            "</figure>"
        )


def message_html(message: str, **values) -> Markup:
    """A translated message (trusted text, like a template's) with its %(name)s values escaped:
    message_html(_("Source: %(source)s."), source=...)."""
    if not values:
        return Markup(message)
    return Markup(message) % {name: escape_value(value) for name, value in values.items()}


def bar(x: list, y: list, hover: list[str], name: str | None = None, color: str | None = None) -> go.Bar:
    x = [plotly_text(v) if isinstance(v, str) else v for v in x]
    hover = [plotly_text(v) for v in hover]
    return go.Bar(
        x=x, y=y, name=name, text=hover, textposition="outside", cliponaxis=False,
        hovertemplate="%{x}: %{text}<extra></extra>",
        marker=dict(color=color) if color else None,
    )


def chart_csv_name(chart: Chart) -> str:
    return f"{chart.chart_id}.csv"


def write_chart_csv(chart: Chart, folder: Path) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    name = chart_csv_name(chart)
    (folder / name).write_text(chart.csv_text(), encoding="utf-8")
    return name
