"""The charts of the JI pages, built from derived tables.

Made when a page is built, in its language: titles, captions and labels are translated
there; the CSV of each chart keeps English headers and labels.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from build_scripts import derive
from build_scripts.i18n import N_, _
from build_scripts.render.charts import Chart, bar
from build_scripts.render.environment import amount, labels
from build_scripts.render.escape import plain

# Headers of the charts' tables (the CSV keeps them in English; the page translates them).
FIGURE, VALUE = N_("Figure"), N_("Value")
STATUS, ENTITIES = N_("Status"), N_("Entities")
LINE, AMOUNT = N_("Line"), N_("Amount")


def _english(key, group: str) -> str:
    """A code's label in English (labels.en.yml): the CSV's label; _() of it is the page's."""
    text = plain(key)
    return labels("en").get(group, {}).get(text, text)


def _track_chart(figures: pd.DataFrame, chart_id: str, title: str, caption: str, metrics: list[str],
                 tracks: list[str], name_for) -> Chart:
    """Bars for the given metrics and tracks, in that order, named by name_for(metric, track)
    (English; shown translated)."""
    by_key = figures.set_index(["metric", "track"])
    keys = [(m, t) for m in metrics for t in tracks if (m, t) in by_key.index]
    english = [name_for(m, t) for m, t in keys]
    names = [_(name) for name in english]
    values = [float(by_key.loc[key, "value"]) for key in keys]
    shown = [amount(v) for v in values]
    used = figures[figures.set_index(["metric", "track"]).index.isin(keys)]
    return Chart(chart_id, title, caption, "; ".join(sorted(set(derive.cite(used)))), (FIGURE, VALUE),
                 tuple(zip(names, shown)),
                 tuple((name, int(v) if v == int(v) else v) for name, v in zip(english, values)),
                 _figure(names, values, shown), headers=(_(FIGURE), _(VALUE)))


def _figure(x, y, hover):
    return go.Figure(bar(x, y, hover))


def status_charts(figures: pd.DataFrame) -> list[Chart]:
    status = figures[figures["topic"] == "mechanism-status"]
    by_track = lambda metric, track: _english(track, "tracks")  # noqa: E731
    by_metric = lambda metric, track: _english(metric, "metrics")  # noqa: E731
    return [
        _track_chart(status, "ji-erus-by-track", _("ERUs issued by track"),
                     _("Emission reduction units issued since JI began, per track."),
                     ["erus_issued"], ["track-1", "track-2"], by_track),
        _track_chart(status, "ji-projects-by-track", _("Projects published by track"),
                     _("Projects published since JI began; under Track 2 one programme of activities is published "
                       "in addition."),
                     ["projects_published"], ["track-1", "track-2"], by_track),
        _track_chart(status, "ji-track-2-determinations-verifications",
                     _("Track 2 determinations and verifications"),
                     _("Published, deemed final and withdrawn. The report gives these counts for Track 2 only: "
                       "under Track 1 host Parties, not the committee, oversee verification."),
                     ["determinations_published", "determinations_final", "verifications_published",
                      "verifications_final", "verifications_withdrawn"], ["track-2"], by_metric),
    ]


def accreditation_chart(figures: pd.DataFrame) -> Chart:
    ids = ["aies-remaining", "ies-voluntarily-withdrawn", "ies-accreditation-expired"]
    subset = figures.set_index("figure_id").loc[ids]
    names = [_(_english(m, "metrics")) for m in subset["metric"]]
    values = [float(v) for v in subset["value"]]
    return Chart("ji-accreditation-outcomes", _("What became of the 14 accredited independent entities"),
                 _("Status at the end of the reporting period of every independent entity ever accredited under JI."),
                 "; ".join(sorted(set(derive.cite(subset.reset_index())))), (STATUS, ENTITIES),
                 tuple(zip(names, [amount(v) for v in values])),
                 tuple(zip(subset.index, [int(v) for v in values])),
                 _figure(names, values, [amount(v) for v in values]), headers=(_(STATUS), _(ENTITIES)))


def _finance_chart(lines: pd.DataFrame, chart_id: str, title: str, caption: str, kinds: list[str] | None = None) -> Chart:
    table = lines if kinds is None else lines[lines["kind"].isin(kinds)]
    names = list(table["label"])
    values = [float(v) for v in table["chart_amount"]]
    nil_text = _("nil (-)")
    shown = [nil_text if is_nil else _("USD %(amount)s", amount=amount(v))
             for v, is_nil in zip(values, table["is_nil"])]
    tables = [_("table %(number)s", number=t.removeprefix("table-")) for t in sorted(set(table["table_id"]))]
    source = f"{table['source_document'].iloc[0]}, {', '.join(tables)}"
    return Chart(chart_id, title, caption, source, (LINE, AMOUNT),
                 tuple(zip(names, shown)),
                 tuple(zip(table["label"], ["" if nil else (int(v) if v == int(v) else v) for v, nil in zip(values, table["is_nil"])])),
                 _figure(names, values, shown), headers=(_(LINE), _(AMOUNT)))


def finance_charts(lines: pd.DataFrame) -> list[Chart]:
    return [
        _finance_chart(derive.finance_lines(lines, "table-2"), "ji-income-2016", _("Income for 2016"),
                       _("Income lines of table 2 (US dollars). A dash in the report (nil) is drawn as zero."),
                       ["carry-over", "contributions", "fees"]),
        _finance_chart(derive.finance_lines(lines, "table-3"), "ji-budget-expenditure-2016",
                       _("Budget against expenditure, 2016"),
                       _("Table 3: budget, expenditure and the balance between them, 1 January to 31 August 2016 "
                         "(US dollars)."),
                       None),
        _finance_chart(derive.finance_lines(lines, "table-4"), "ji-balance-2016", _("Balance at 31 August 2016"),
                       _("Table 4: resources available (carry-over plus 2016 income), expenditure and the remaining "
                         "balance (US dollars)."),
                       ["subtotal", "expenditure", "balance"]),
    ]
