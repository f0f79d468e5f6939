"""Serial-block checks: a unit is issued once and only once (vectorised interval logic)."""

from __future__ import annotations

from build_scripts.i18n import N_
from build_scripts.validate.checks import CheckContext, check, csv_row


@check(
    "serial-block-length",
    N_("Serial blocks are well formed"),
    N_("Each issuance block ends at or after its first serial number, and its quantity equals "
       "serial_end - serial_start + 1."),
    ("issuances",),
)
def serial_block_length(ctx: CheckContext):
    frame = ctx.package["issuances"]
    if frame.empty:
        return
    length = frame["serial_end"] - frame["serial_start"] + 1
    for index in frame.index[(frame["serial_end"] < frame["serial_start"]) | (length != frame["quantity"])]:
        row = frame.loc[index]
        yield ctx.problem("serial-block-length", "issuances",
                          f"block {row['serial_start']}-{row['serial_end']} holds {length[index]} units, "
                          f"but quantity is {row['quantity']}",
                          row=csv_row(frame, index), field="quantity", value=row["quantity"],
                          hint="Check the serial range and the quantity against the registry report.")


@check(
    "serial-block-overlap",
    N_("No unit issued twice"),
    N_("Within one originating party and unit type, no two issuance blocks share a serial "
       "number (blocks sorted by first serial; each must start after every earlier block ends)."),
    ("issuances",),
)
def serial_block_overlap(ctx: CheckContext):
    frame = ctx.package["issuances"]
    if frame.empty:
        return
    keys = ["originating_party", "unit_type"]
    ordered = frame.sort_values(keys + ["serial_start", "serial_end"], kind="stable")
    reach_so_far = ordered.groupby(keys, sort=False)["serial_end"].cummax()
    reach = reach_so_far.groupby([ordered[key] for key in keys], sort=False).shift(1)
    for index in ordered.index[ordered["serial_start"] <= reach]:
        row = frame.loc[index]
        yield ctx.problem("serial-block-overlap", "issuances",
                          f"serial block {row['serial_start']}-{row['serial_end']} overlaps an earlier "
                          f"{row['unit_type']} block of party {row['originating_party']} (which reaches {int(reach[index])})",
                          row=csv_row(frame, index), field="serial_start", value=row["serial_start"],
                          hint="A unit can be issued only once: correct the serial range.")
