"""Record identifiers that become file names and URLs (render/slugs.py) stay inside the site."""

from __future__ import annotations

from build_scripts.i18n import N_
from build_scripts.render.slugs import PUBLISHED_IDENTIFIERS, path_problem, slug_collisions
from build_scripts.validate.checks import CheckContext, check, csv_row


def _published(ctx: CheckContext):
    """(resource, field, folder, column) of each identifier column of the package that
    names record pages."""
    for (package, resource), (field, folder) in PUBLISHED_IDENTIFIERS.items():
        if package != ctx.package.name:
            continue
        frame = ctx.package.tables.get(resource)
        if frame is not None and field in frame.columns:
            yield resource, field, folder, frame


@check(
    "identifier-safe-as-path",
    N_("Identifiers are safe file names"),
    N_("Identifiers that name record pages (projects, host parties, DOEs) are not absolute paths and "
       "hold no '..' segment, slash, backslash, colon or control character, and each has a letter or digit "
       "to make its page's address from, other than 'index' (the list page's address): no record can "
       "be written outside the site's folder or over another page."),
    (),
)
def identifier_safe_as_path(ctx: CheckContext):
    for resource, field, folder, frame in _published(ctx):
        column = frame[field]
        present = column[column.notna()]
        reasons = present.map(path_problem)
        for index, reason in reasons[reasons.notna()].items():
            yield ctx.problem("identifier-safe-as-path", resource,
                              f"{field} cannot name a page: {reason}",
                              row=csv_row(frame, index), field=field, value=present[index],
                              hint=f"Record pages are published at {ctx.package.name}/{folder}/<identifier>/: "
                                   "use the identifier as the source publishes it, without path characters.")


@check(
    "identifier-unique-address",
    N_("Identifiers make distinct addresses"),
    N_("No two identifiers that name record pages make the same address once lowercased and reduced "
       "to letters, digits and hyphens (for example 'TUV SUD' and 'tuv-sud', or two names differing "
       "only in case): one record's page would overwrite the other's."),
    (),
)
def identifier_unique_address(ctx: CheckContext):
    for resource, field, folder, frame in _published(ctx):
        column = frame[field]
        for index, first, name in slug_collisions(column[column.notna()]):
            yield ctx.problem("identifier-unique-address", resource,
                              f"{field} {column[index]!r} and {column[first]!r} (row {csv_row(frame, first)}) "
                              f"would both be published at {ctx.package.name}/{folder}/{name}/",
                              row=csv_row(frame, index), field=field, value=column[index],
                              hint="Identifiers must differ in more than case, spaces and punctuation: "
                                   "correct the one that is wrong, or merge the two records.")
