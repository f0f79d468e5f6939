"""Reconciliation: wherever the data states a total and the records allow recomputing it."""

from __future__ import annotations

import pandas as pd

from build_scripts.errors import Figure, text
from build_scripts.i18n import N_
from build_scripts.validate.checks import CheckContext, check, csv_row


def _figures(ctx: CheckContext) -> pd.DataFrame:
    return ctx.package["reported_figures"]


def _value(frame: pd.DataFrame, figure_id: str):
    match = frame[frame["figure_id"] == figure_id]
    return (None, None) if match.empty else (match.index[0], match.iloc[0]["value"])


@check(
    "track-totals",
    N_("Per-track figures add up to the stated total"),
    N_("For every metric reported both per track and for all tracks (ERUs issued), the Track 1 "
       "and Track 2 figures add up to the total."),
    ("reported_figures",),
)
def track_totals(ctx: CheckContext):
    figures = _figures(ctx)
    per_track = figures[figures["track"].isin(["track-1", "track-2"])]
    sums = per_track.groupby(["topic", "metric"])["value"].sum()
    counts = per_track.groupby(["topic", "metric"])["value"].count()
    totals = figures[figures["track"] == "all"].set_index(["topic", "metric"])
    for key in totals.index.intersection(sums.index):
        if counts[key] < 2:
            continue
        stated = totals.loc[key, "value"]
        if abs(sums[key] - stated) > 1e-9:
            total_row = figures[(figures["topic"] == key[0]) & (figures["metric"] == key[1]) & (figures["track"] == "all")]
            yield ctx.discrepancy("track-totals", key[1], "reported_figures",
                                  text(N_("Track 1 + Track 2 %(metric)s = %(sum)s, but the stated total is %(total)s"),
                                       metric=key[1], sum=Figure(sums[key], ",.0f"), total=Figure(stated, ",.0f")),
                                  row=csv_row(figures, total_row.index[0]), field="value", value=stated)


def _parts_check(ctx: CheckContext, slug: str, whole_id: str, part_ids: list[str], subtract: bool = False):
    figures = _figures(ctx)
    index, whole = _value(figures, whole_id)
    parts = [_value(figures, part)[1] for part in part_ids]
    if whole is None or any(part is None for part in parts):
        return
    if abs(sum(parts) - whole) > 1e-9:
        yield ctx.discrepancy(slug, whole_id, "reported_figures",
                              text(N_("%(figure)s is %(value)s, but %(parts)s = %(sum)s"), figure=whole_id,
                                   value=Figure(whole, ",.0f"), parts=" + ".join(part_ids),
                                   sum=Figure(sum(parts), ",.0f")),
                              row=csv_row(figures, index), field="value", value=whole)


@check(
    "accreditation-counts",
    N_("Accreditation counts add up"),
    N_("Independent entities ever accredited = those remaining + those that withdrew + those "
       "whose accreditation expired."),
    ("reported_figures",),
)
def accreditation_counts(ctx: CheckContext):
    yield from _parts_check(ctx, "accreditation-counts", "ies-ever-accredited",
                            ["aies-remaining", "ies-voluntarily-withdrawn", "ies-accreditation-expired"])


@check(
    "verification-counts",
    N_("Verification counts add up"),
    N_("Verifications published = verifications deemed final + verifications withdrawn."),
    ("reported_figures",),
)
def verification_counts(ctx: CheckContext):
    yield from _parts_check(ctx, "verification-counts", "track-2-verifications-published",
                            ["track-2-verifications-final", "track-2-verifications-withdrawn"])


@check(
    "corrections-applied",
    N_("Corrections match the figures"),
    N_("Where the report corrects a figure of an earlier report, the corrected value equals the "
       "figure the package publishes."),
    ("corrections", "reported_figures"),
)
def corrections_applied(ctx: CheckContext):
    corrections = ctx.package["corrections"]
    figures = _figures(ctx).set_index("figure_id")["value"]
    merged = corrections.join(figures, on="figure_id")
    for index in merged.index[merged["value"] != merged["corrected_value"]]:
        row = merged.loc[index]
        yield ctx.problem("corrections-applied", "corrections",
                          f"corrected value {row['corrected_value']} differs from the published figure "
                          f"{row['figure_id']} = {row['value']:,.0f}",
                          row=csv_row(corrections, index), field="corrected_value", value=row["corrected_value"],
                          hint="The corrected value and the figure in reported_figures must be the same number.")


def _amounts(lines: pd.DataFrame) -> pd.Series:
    """Amounts with a printed dash read as nil (UN convention), for arithmetic only."""
    return lines["amount_usd"].fillna(0)


@check(
    "finance-table-arithmetic",
    N_("Finance tables add up"),
    N_("In each finance table, a total or subtotal equals the sum of the income lines above it "
       "(a printed dash counts as nil) and a balance equals the budget or subtotal minus the "
       "expenditure."),
    ("finance_lines",),
)
def finance_table_arithmetic(ctx: CheckContext):
    lines = ctx.package["finance_lines"].sort_values(["table_id", "line_no"])
    amounts = _amounts(lines)
    income_kinds = ["carry-over", "contributions", "fees"]
    for table_id, table in lines.groupby("table_id", sort=True):
        amount = amounts[table.index]
        for index in table.index[table["kind"].isin(["total", "subtotal"])]:
            above = table[(table["line_no"] < table.loc[index, "line_no"]) & table["kind"].isin(income_kinds)]
            expected = amount[above.index].sum()
            if abs(expected - amount[index]) > 0.005:
                yield ctx.discrepancy("finance-table-arithmetic", f"{table_id}-line-{table.loc[index, 'line_no']}",
                                      "finance_lines",
                                      text(N_("%(table)s %(line)s is %(amount)s, but the lines above add up to "
                                              "%(sum)s"),
                                           table=table_id, line=table.loc[index, "label"],
                                           amount=Figure(amount[index], ",.2f", 2), sum=Figure(expected, ",.2f", 2)),
                                      row=csv_row(ctx.package['finance_lines'], index), field="amount_usd", value=amount[index])
        for index in table.index[table["kind"] == "balance"]:
            base = table[table["kind"].isin(["subtotal", "budget"])]
            spent = table[table["kind"] == "expenditure"]
            if base.empty or spent.empty:
                continue
            expected = amount[base.index[-1]] - amount[spent.index].sum()
            if abs(expected - amount[index]) > 0.005:
                yield ctx.discrepancy("finance-table-arithmetic", f"{table_id}-line-{table.loc[index, 'line_no']}",
                                      "finance_lines",
                                      text(N_("%(table)s balance is %(amount)s, but %(line)s minus expenditure is "
                                              "%(expected)s"),
                                           table=table_id, amount=Figure(amount[index], ",.2f", 2),
                                           line=base.iloc[-1]["label"], expected=Figure(expected, ",.2f", 2)),
                                      row=csv_row(ctx.package['finance_lines'], index), field="amount_usd", value=amount[index])


DISAGREEING = {
    "carry-over": N_("carry-over is %(first_amount)s in %(first)s but %(second_amount)s in %(second)s"),
    "expenditure": N_("expenditure is %(first_amount)s in %(first)s but %(second_amount)s in %(second)s"),
}


@check(
    "finance-tables-agree",
    N_("Finance tables agree with each other"),
    N_("The carry-over in table 4 equals the carry-over in table 2, and the expenditure in "
       "table 4 equals the expenditure in table 3."),
    ("finance_lines",),
)
def finance_tables_agree(ctx: CheckContext):
    lines = ctx.package["finance_lines"]
    amounts = _amounts(lines)
    for kind, first, second in (("carry-over", "table-2", "table-4"), ("expenditure", "table-3", "table-4")):
        a = lines[(lines["table_id"] == first) & (lines["kind"] == kind)]
        b = lines[(lines["table_id"] == second) & (lines["kind"] == kind)]
        if a.empty or b.empty:
            continue
        if abs(amounts[a.index].sum() - amounts[b.index].sum()) > 0.005:
            yield ctx.discrepancy("finance-tables-agree", f"{kind}-{first}-{second}", "finance_lines",
                                  text(DISAGREEING[kind], first=first,
                                       first_amount=Figure(amounts[a.index].sum(), ",.2f", 2), second=second,
                                       second_amount=Figure(amounts[b.index].sum(), ",.2f", 2)),
                                  row=csv_row(lines, b.index[0]), field="amount_usd", value=amounts[b.index].sum())


@check(
    "finance-carry-over-adjustment",
    N_("Carry-over after the exchange-rate loss"),
    N_("Table 2, footnote a: the carry-over from 2015 before the exchange-rate loss, minus the "
       "loss, equals the carry-over the tables use."),
    ("finance_lines", "reported_figures"),
)
def finance_carry_over_adjustment(ctx: CheckContext):
    figures = _figures(ctx)
    _, before = _value(figures, "carry-over-2015-before-exchange-loss")
    loss_index, loss = _value(figures, "exchange-rate-loss")
    lines = ctx.package["finance_lines"]
    carry = lines[(lines["table_id"] == "table-2") & (lines["kind"] == "carry-over")]
    if before is None or loss is None or carry.empty:
        return
    after = carry.iloc[0]["amount_usd"]
    if abs((before - loss) - after) > 0.005:
        yield ctx.discrepancy("finance-carry-over-adjustment", "table-2-footnote-a", "reported_figures",
                              text(N_("USD %(before)s - USD %(loss)s = USD %(after_loss)s, but the carry-over in "
                                      "table 2 is USD %(carry_over)s (difference USD %(difference)s)"),
                                   before=Figure(before, ",.2f", 2), loss=Figure(loss, ",.2f", 2),
                                   after_loss=Figure(before - loss, ",.2f", 2), carry_over=Figure(after, ",.2f", 2),
                                   difference=Figure(before - loss - after, ",.2f", 2)),
                              row=csv_row(figures, loss_index), field="value", value=loss,
                              sources=("FCCC/KP/CMP/2016/5, table 2, footnote a", "FCCC/KP/CMP/2016/5, table 2, line 1"))


@check(
    "approximate-figures",
    N_("Rounded figures in the text match the tables"),
    N_("A figure the text gives approximately (e.g. a balance of 'about USD 4.7 million') "
       "rounds to the exact figure of the corresponding table line."),
    ("finance_lines", "reported_figures"),
)
def approximate_figures(ctx: CheckContext):
    figures = _figures(ctx)
    index, approx = _value(figures, "balance-end-of-period-approx")
    lines = ctx.package["finance_lines"]
    balance = lines[(lines["table_id"] == "table-4") & (lines["kind"] == "balance")]
    if approx is None or balance.empty:
        return
    exact = balance.iloc[0]["amount_usd"]
    if round(exact, -5) != approx:
        yield ctx.discrepancy("approximate-figures", "balance-end-of-period-approx", "reported_figures",
                              text(N_("the text's approximate balance %(approximate)s is not table 4's balance "
                                      "%(exact)s rounded"),
                                   approximate=Figure(approx, ",.0f"), exact=Figure(exact, ",.0f")),
                              row=csv_row(figures, index), field="value", value=approx)


@check(
    "meeting-count",
    N_("Meetings listed match the number reported"),
    N_("The number of JISC meetings the report says were held in a year equals the meetings "
       "listed for that year."),
    ("meetings", "reported_figures"),
)
def meeting_count(ctx: CheckContext):
    figures = _figures(ctx)
    index, stated = _value(figures, "jisc-meetings-in-2016")
    if stated is None:
        return
    meetings = ctx.package["meetings"]
    listed = int(((meetings["body"] == "JISC") & (meetings["start_date"].dt.year == 2016)).sum())
    if listed != stated:
        yield ctx.discrepancy("meeting-count", "jisc-meetings-in-2016", "reported_figures",
                              text(N_("%(reported)s JISC meetings reported for 2016, %(listed)s listed in meetings"),
                                   reported=Figure(stated, ".0f"), listed=listed),
                              row=csv_row(figures, index), field="value", value=stated)
