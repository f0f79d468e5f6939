"""Command line: python -m build_scripts validate|build|check-site|deploy|serve|import|diff|messages.

Exit codes: 0 success; 1 the data is invalid (errors listed with file, row, field, rule,
value and how to fix); 2 wrong usage (also: no site to check, an unknown REGISTRY_HOST or a
budget that is not a number); 3 the site could not be built; 4 the site is over its host's
limits or the project's budget (build_scripts/budget.py: every exceeded limit and the
largest folders are listed; a build then leaves site/ as it was).
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

from build_scripts.errors import ValidationFailed
from build_scripts.paths import Layout

EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_BUILD, EXIT_BUDGET = 0, 1, 2, 3, 4


class _Progress:
    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet
        self.start = time.perf_counter()

    def __call__(self, message: str) -> None:
        if not self.quiet:
            print(f"[{time.perf_counter() - self.start:6.1f}s] {message}", file=sys.stderr, flush=True)


def cmd_validate(args: argparse.Namespace, layout: Layout) -> int:
    from build_scripts.report import RENDERERS, render_json, render_markdown
    from build_scripts.site import validate_all

    progress = _Progress(args.quiet)
    reports = validate_all(layout, progress)
    output = RENDERERS[args.format](reports)
    (sys.stdout if args.format != "text" else sys.stderr).write(output)
    if args.json:
        Path(args.json).write_text(render_json(reports), encoding="utf-8")
    if args.summary:
        with open(args.summary, "a", encoding="utf-8") as handle:
            handle.write(render_markdown(reports))
    failing = {"error", "warning"} if args.strict else {"error"}
    return EXIT_INVALID if any(p.severity in failing for r in reports for p in r.problems) else EXIT_OK


def cmd_build(args: argparse.Namespace, layout: Layout) -> int:
    from build_scripts import budget
    from build_scripts.site import BuildFailed, build_site

    progress = _Progress(args.quiet)
    try:  # a mistyped REGISTRY_HOST or budget is refused now, not after the whole build
        budget.configure()
    except budget.BudgetError as exc:
        print(f"ERROR {exc}", file=sys.stderr)
        print("Nothing was built and site/ was left as it was.", file=sys.stderr)
        return EXIT_USAGE
    try:
        result = build_site(layout, strict=not args.no_strict, progress=progress,
                            languages=args.languages.split(",") if args.languages else None)
    except ValidationFailed as failure:
        from build_scripts.report import render_text

        sys.stderr.write(render_text(failure.reports))
        print("The data is invalid: nothing was built and site/ was left as it was.", file=sys.stderr)
        return EXIT_INVALID
    except BuildFailed as failure:
        print(f"ERROR {failure}", file=sys.stderr)
        print("site/ was left as it was.", file=sys.stderr)
        return EXIT_BUILD
    except budget.SiteOverBudget as failure:
        print(f"ERROR {failure}", file=sys.stderr)
        print("site/ was left as it was.", file=sys.stderr)
        return EXIT_BUDGET
    findings = [p for r in result.reports for p in r.findings]
    progress(f"built {result.pages} generated pages into {layout.site.relative_to(layout.root)}/ "
             f"({len(findings)} finding(s) in the sources published)")
    return EXIT_OK


def cmd_check_site(args: argparse.Namespace, layout: Layout) -> int:
    """Measure a built site and check it against its host's limits and the project budgets:
    the figures, the largest folders, the warnings; exit 4 when it is over."""
    import json

    from build_scripts import budget

    site = Path(args.site) if args.site else layout.site
    if not site.is_dir():
        print(f"ERROR no site to check at {site}: build it first (make site) or name the folder", file=sys.stderr)
        return EXIT_USAGE
    try:
        report = budget.check(budget.measure(site), budget.configure(args.host))
    except budget.BudgetError as exc:
        print(f"ERROR {exc}", file=sys.stderr)
        return EXIT_USAGE
    sys.stdout.write(budget.format_report(report))
    if args.json:
        Path(args.json).write_text(json.dumps(budget.report_json(report), indent=2) + "\n", encoding="utf-8")
    if args.summary:
        with open(args.summary, "a", encoding="utf-8") as handle:
            handle.write(budget.format_markdown(report))
    return EXIT_BUDGET if report.errors else EXIT_OK


def cmd_messages(args: argparse.Namespace, layout: Layout) -> int:
    from build_scripts import messages

    if args.check:
        problems = messages.check(layout)
        for problem in problems:
            print(problem, file=sys.stderr)
        print(f"{len(problems)} problem(s) in the message catalogs", file=sys.stderr)
        return EXIT_INVALID if problems else EXIT_OK
    for language, (total, translated) in messages.update(layout).items():
        print(f"{language}: {translated} of {total} messages translated", file=sys.stderr)
    return EXIT_OK


def cmd_import(args: argparse.Namespace, layout: Layout) -> int:
    from build_scripts.importers import ImportFailed, import_cdm

    package_dir = Path(args.to) if args.to else layout.datapackages / "cdm"
    source_dir = Path(args.source) if args.source else package_dir / "raw"
    progress = _Progress(args.quiet)
    progress(f"importing the UNFCCC CDM reports from {source_dir}")
    try:
        summary = import_cdm(source_dir, package_dir)
    except ImportFailed as failure:
        print(f"ERROR {failure}", file=sys.stderr)
        print("Nothing was written.", file=sys.stderr)
        return EXIT_INVALID
    print(summary, file=sys.stderr)
    progress(f"wrote {package_dir}; run `make validate` next")
    return EXIT_OK


def cmd_diff(args: argparse.Namespace, layout: Layout) -> int:
    from build_scripts.diff import diff_command

    output, code = diff_command(args.old, args.new, layout.root, args.format, examples=args.examples)
    (sys.stderr if code else sys.stdout).write(output)
    return code


def cmd_serve(args: argparse.Namespace, layout: Layout) -> int:
    from build_scripts.serve import serve

    return serve(layout, args.host, args.port, _Progress(args.quiet))


def parser() -> argparse.ArgumentParser:
    main_parser = argparse.ArgumentParser(
        prog="python -m build_scripts",
        description="Validate the data packages and build the static transparency registry.",
    )
    main_parser.add_argument("--root", type=Path, default=None, help="repository root (default: this checkout)")
    main_parser.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    sub = main_parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    validate = sub.add_parser("validate", help="validate every data package (schema, then domain checks)")
    validate.add_argument("--format", choices=("text", "markdown", "json"), default="text",
                          help="text (grouped, to stderr), markdown or json (to stdout)")
    validate.add_argument("--strict", action="store_true", help="treat warnings as errors")
    validate.add_argument("--json", metavar="FILE", help="also write the report as JSON to FILE")
    validate.add_argument("--summary", metavar="FILE", help="append a Markdown report to FILE (e.g. $GITHUB_STEP_SUMMARY)")
    validate.set_defaults(func=cmd_validate)
    build = sub.add_parser("build", help="validate, generate the Markdown and build the site into site/")
    build.add_argument("--no-strict", action="store_true", help="do not treat mkdocs warnings as errors")
    build.add_argument("--languages", metavar="CODES", help="only these enabled languages, e.g. en,zh (default: all)")
    build.set_defaults(func=cmd_build)
    from build_scripts.budget import DEFAULT_HOST, HOSTS

    checker = sub.add_parser("check-site", help="check a built site against its host's limits (exit 4 when over)")
    checker.add_argument("site", nargs="?", metavar="SITE", help="the built site's folder (default: site/)")
    checker.add_argument("--host", metavar="NAME",
                         help=f"{', '.join(sorted(HOSTS))} (default: $REGISTRY_HOST, else {DEFAULT_HOST})")
    checker.add_argument("--json", metavar="FILE", help="also write the measurement and the verdict as JSON to FILE")
    checker.add_argument("--summary", metavar="FILE",
                         help="append a Markdown report to FILE (e.g. $GITHUB_STEP_SUMMARY)")
    checker.set_defaults(func=cmd_check_site)
    importer = sub.add_parser("import", help="re-create datapackages/cdm from the UNFCCC CDM Registry reports")
    importer.add_argument("--from", dest="source", metavar="DIR",
                          help="folder holding the reports (default: the package's raw/ copies); "
                               "files from elsewhere are copied unaltered into raw/")
    importer.add_argument("--to", metavar="PACKAGE_DIR", help="package folder to write (default: datapackages/cdm)")
    importer.set_defaults(func=cmd_import)
    differ = sub.add_parser("diff", help="compare two versions of the data (folders or git revisions)")
    differ.add_argument("old", help="folder or git revision, e.g. main")
    differ.add_argument("new", help="folder or git revision, e.g. HEAD or . for the working tree")
    differ.add_argument("--format", choices=("text", "markdown", "json"), default="text")
    differ.add_argument("--examples", type=int, default=10, help="example rows shown per list")
    differ.set_defaults(func=cmd_diff)
    catalogs = sub.add_parser("messages", help="extract the site's messages and update every language's catalog")
    catalogs.add_argument("--check", action="store_true", help="only report missing or unfaithful translations")
    catalogs.set_defaults(func=cmd_messages)
    serve = sub.add_parser("serve", help="build, serve on localhost and rebuild when data or pages change")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.set_defaults(func=cmd_serve)
    from build_scripts import deploy
    deployer = sub.add_parser("deploy", help="upload the built site to object storage with rclone, only what changed, "
                                             "new files first and deletions last (exit 4 when a phase fails)")
    deploy.add_arguments(deployer)
    deployer.set_defaults(func=deploy.run)
    return main_parser


def main(argv: list[str] | None = None) -> int:
    try:
        args = parser().parse_args(argv)
    except SystemExit as exit_:
        return EXIT_USAGE if exit_.code else EXIT_OK
    logging.basicConfig(format="%(levelname)s %(name)s: %(message)s", level=logging.WARNING)
    layout = Layout(args.root.resolve()) if args.root else Layout()
    return args.func(args, layout)
