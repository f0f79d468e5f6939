"""Committee checks: seats, positions, vacancies, officers and elections."""

from __future__ import annotations

from build_scripts.errors import Label, text
from build_scripts.i18n import N_
from build_scripts.validate.checks import CheckContext, check, csv_row


@check(
    "committee-seat-positions",
    N_("One member and one alternate per seat, vacancies explicit"),
    N_("Every seat has exactly one member position and one alternate position; a position is "
       "'vacant' exactly when it names no person."),
    ("committee_seats", "committee_positions"),
)
def committee_seat_positions(ctx: CheckContext):
    seats = ctx.package["committee_seats"]
    positions = ctx.package["committee_positions"]
    for role in ("member", "alternate"):
        holders = set(positions.loc[positions["role"] == role, "seat_id"])
        for index in seats.index[~seats["seat_id"].isin(holders)]:
            yield ctx.problem("committee-seat-positions", "committee_seats",
                              f"seat {seats.loc[index, 'seat_id']} has no {role} position",
                              row=csv_row(seats, index), field="seat_id", value=seats.loc[index, "seat_id"],
                              hint=f"Add a '{role}' row for this seat to committee_positions (status 'vacant' if nobody holds it).")
    vacant = positions["status"] == "vacant"
    named = positions["person_id"].notna()
    for index in positions.index[vacant & named]:
        yield ctx.problem("committee-seat-positions", "committee_positions",
                          "a vacant position names a person", row=csv_row(positions, index),
                          field="person_id", value=positions.loc[index, "person_id"],
                          hint="Either empty person_id or change the status.")
    for index in positions.index[~vacant & ~named]:
        yield ctx.problem("committee-seat-positions", "committee_positions",
                          f"a position with status '{positions.loc[index, 'status']}' names no person",
                          row=csv_row(positions, index), field="person_id",
                          hint="Name the holder, or set the status to 'vacant'.")


@check(
    "committee-one-position-per-person",
    N_("Nobody holds two positions"),
    N_("A person is member or alternate of at most one seat at a time."),
    ("committee_positions",),
)
def committee_one_position_per_person(ctx: CheckContext):
    positions = ctx.package["committee_positions"]
    named = positions[positions["person_id"].notna()]
    for index in named.index[named["person_id"].duplicated(keep="first")]:
        yield ctx.problem("committee-one-position-per-person", "committee_positions",
                          "this person already holds another position", row=csv_row(positions, index),
                          field="person_id", value=positions.loc[index, "person_id"],
                          hint="Check table 1 of the source: each person appears once.")


@check(
    "committee-resignations",
    N_("Resigned members no longer hold their position"),
    N_("After a resignation, the position is vacant or held by someone else."),
    ("committee_events", "committee_positions"),
)
def committee_resignations(ctx: CheckContext):
    events = ctx.package["committee_events"]
    positions = ctx.package["committee_positions"][["seat_id", "role", "person_id"]]
    resignations = events[events["event_type"] == "resignation"]
    still = resignations.reset_index().merge(positions, on=["seat_id", "role", "person_id"]).set_index("index")
    for index, row in still.iterrows():
        yield ctx.problem("committee-resignations", "committee_events",
                              f"{row['person_id']} resigned but still holds seat {row['seat_id']} ({row['role']})",
                              row=csv_row(events, index), field="person_id", value=row["person_id"],
                              hint="Mark the position vacant, or name the successor.")


@check(
    "committee-officers-hold-seats",
    N_("JISC officers are on the committee"),
    N_("Every JISC chair and vice-chair listed holds a member or alternate position."),
    ("officers", "committee_positions"),
)
def committee_officers_hold_seats(ctx: CheckContext):
    officers = ctx.package["officers"]
    holders = set(ctx.package["committee_positions"]["person_id"].dropna())
    jisc = officers[officers["body"] == "JISC"]
    for index in jisc.index[~jisc["person_id"].isin(holders)]:
        yield ctx.problem("committee-officers-hold-seats", "officers",
                          "this JISC officer holds no position in committee_positions",
                          row=csv_row(officers, index), field="person_id", value=officers.loc[index, "person_id"],
                          hint="Check the officer's name against table 1.")


# Counts stand after a colon ("members to elect: 1"), which reads right for any number in
# every language, without plural forms (two counts in one sentence cannot share one form).
ELECTIONS = {
    "member": N_("%(session)s is to elect members for %(constituency)s: %(elected)s; %(constituency)s member "
                 "positions in table 1 whose terms end before the first meeting of %(year)s: %(ending)s"),
    "alternate": N_("%(session)s is to elect alternates for %(constituency)s: %(elected)s; %(constituency)s "
                    "alternate positions in table 1 whose terms end before the first meeting of %(year)s: %(ending)s"),
}


@check(
    "committee-elections",
    N_("Seats to be elected match the terms that end"),
    N_("For the next CMP session, the members and alternates to be elected per constituency "
       "equal the positions in table 1 whose terms end before the committee's first meeting of "
       "the following year."),
    ("elections", "committee_positions", "committee_seats"),
)
def committee_elections(ctx: CheckContext):
    elections = ctx.package["elections"]
    positions = ctx.package["committee_positions"].merge(ctx.package["committee_seats"], on="seat_id")
    ending = positions[positions["term_end_year"] == positions["term_end_year"].min()]
    counts = ending.groupby(["constituency", "role"]).size()
    for index, row in elections.iterrows():
        for role, column in (("member", "members"), ("alternate", "alternates")):
            ending_count = int(counts.get((row["constituency"], role), 0))
            if ending_count != row[column]:
                yield ctx.discrepancy("committee-elections", f"{row['election_id']}-{column}", "elections",
                                      text(ELECTIONS[role], session=row["session"], elected=row[column],
                                           constituency=Label(row["constituency"], "constituencies_short"), ending=ending_count,
                                           year=int(ending["term_end_year"].min())),
                                      row=csv_row(elections, index), field=column, value=row[column],
                                      sources=(f"FCCC/KP/CMP/2016/5, {row['source_location']}", "FCCC/KP/CMP/2016/5, table 1"))


@check(
    "committee-constituency-seats",
    N_("Seats per constituency as the JI guidelines prescribe"),
    N_("The number of seats of each constituency in table 1 equals the composition the JI "
       "guidelines prescribe (decision 9/CMP.1, annex, para. 4: three seats for Annex I Parties "
       "with economies in transition, three for other Annex I Parties, three for Parties not "
       "included in Annex I, one for the small island developing States)."),
    ("constituencies", "committee_seats"),
)
def committee_constituency_seats(ctx: CheckContext):
    constituencies = ctx.package["constituencies"]
    counts = ctx.package["committee_seats"].groupby("constituency").size()
    for index, row in constituencies.iterrows():
        listed = int(counts.get(row["constituency"], 0))
        if listed != row["seats"]:
            yield ctx.discrepancy("committee-constituency-seats", row["constituency"], "constituencies",
                                  text(N_("%(constituency)s: seats under the guidelines: %(prescribed)s; in table 1: %(listed)s"),
                                       constituency=row["constituency"], prescribed=row["seats"], listed=listed),
                                  row=csv_row(constituencies, index), field="seats",
                                  value=row["seats"])
