"""One validation report, three renderings: a terminal table, Markdown and JSON.

Every problem names package, resource, file, CSV row, field, rule, value and a hint; the
renderings group problems by severity and rule, with counts.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from typing import Iterable

from build_scripts.errors import Problem
from build_scripts.render.escape import markdown_cell
from build_scripts.validate import ValidationReport
from build_scripts.validate.checks import REGISTRY

SEVERITIES = (("error", "Errors"), ("warning", "Warnings"), ("finding", "Findings in the sources"))
TITLES = {check.slug: check.title for check in REGISTRY}
SHOWN_PER_RULE = 20


def _plain(value) -> str:
    value = value.item() if hasattr(value, "item") else value
    return "" if value is None else str(value)


def _grouped(problems: Iterable[Problem]) -> dict[str, dict[str, list[Problem]]]:
    groups: dict[str, dict[str, list[Problem]]] = defaultdict(lambda: defaultdict(list))
    for problem in problems:
        groups[problem.severity][problem.rule].append(problem)
    return groups


def summary_line(reports: list[ValidationReport]) -> str:
    counts = Counter(p.severity for r in reports for p in r.problems)
    checks = sum(len(r.runs) for r in reports)
    return (f"{len(reports)} package(s), {checks} check run(s): {counts['error']} error(s), "
            f"{counts['warning']} warning(s), {counts['finding']} finding(s) in the sources")


def render_text(reports: list[ValidationReport]) -> str:
    lines: list[str] = []
    groups = _grouped(p for r in reports for p in r.problems)
    for severity, heading in SEVERITIES:
        rules = groups.get(severity)
        if not rules:
            continue
        total = sum(len(v) for v in rules.values())
        lines.append(f"{heading.upper()} ({total})")
        for rule, problems in sorted(rules.items()):
            lines.append(f"  {rule} ({len(problems)}){': ' + TITLES[rule] if rule in TITLES else ''}")
            for problem in problems[:SHOWN_PER_RULE]:
                lines.append(f"    {problem.location()}: {problem.message}"
                             + (f" (value: {_plain(problem.value)!r})" if _plain(problem.value) else ""))
                if problem.hint:
                    lines.append(f"      how to fix: {problem.hint}")
            if len(problems) > SHOWN_PER_RULE:
                lines.append(f"    ... and {len(problems) - SHOWN_PER_RULE} more (see --format json)")
        lines.append("")
    lines.append(summary_line(reports))
    return "\n".join(lines) + "\n"


def _cell(value) -> str:
    """A table cell of the Markdown report, which a pull request's job summary shows: the
    value is data from the pull request, escaped so it cannot add markup."""
    return markdown_cell(_plain(value))


def render_markdown(reports: list[ValidationReport]) -> str:
    counts = Counter(p.severity for r in reports for p in r.problems)
    status = "failed" if counts["error"] else "passed"
    lines = [f"## Data validation {status}", "", summary_line(reports) + ".", ""]
    groups = _grouped(p for r in reports for p in r.problems)
    for severity, heading in SEVERITIES:
        rules = groups.get(severity)
        if not rules:
            continue
        lines += [f"### {heading}", ""]
        for rule, problems in sorted(rules.items()):
            title = f" {TITLES[rule]}" if rule in TITLES else ""
            lines += [f"<details{' open' if severity == 'error' else ''}><summary><code>{rule}</code>{title}: "
                      f"{len(problems)}</summary>", "",
                      "| File | Row | Field | Value | Problem | How to fix |", "|---|---|---|---|---|---|"]
            for problem in problems[:SHOWN_PER_RULE * 5]:
                lines.append("| " + " | ".join(_cell(c) for c in (problem.path, problem.row, problem.field, problem.value,
                                                                     problem.message, problem.hint)) + " |")
            if len(problems) > SHOWN_PER_RULE * 5:
                lines.append(f"\n... and {len(problems) - SHOWN_PER_RULE * 5} more.")
            lines += ["", "</details>", ""]
    lines += ["### Checks run", "", "| Package | Check | Records | Errors | Warnings | Findings |", "|---|---|---|---|---|---|"]
    for report in reports:
        for run in report.runs:
            lines.append(f"| {report.package} | `{run.slug}` | {run.records:,} | {run.count('error')} | "
                         f"{run.count('warning')} | {run.count('finding')} |")
    return "\n".join(lines) + "\n"


def render_json(reports: list[ValidationReport]) -> str:
    data = {
        "summary": dict(Counter(p.severity for r in reports for p in r.problems)),
        "packages": [
            {
                "package": report.package,
                "valid": report.valid,
                "checks": [{"slug": run.slug, "records": run.records, "errors": run.count("error"),
                            "warnings": run.count("warning"), "findings": run.count("finding")} for run in report.runs],
                "problems": [problem.to_dict() for problem in report.problems],
            }
            for report in reports
        ],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


RENDERERS = {"text": render_text, "markdown": render_markdown, "json": render_json}
