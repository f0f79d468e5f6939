"""Importers of official registry reports into data packages.

    import_cdm(source_dir, package_dir) -> ImportSummary

reads the six UNFCCC CDM files (CDM Registry public reports and the list of registered
project activities) from source_dir, recognises each by its layout (header row), checks
every value, builds the package's tables and only then writes datapackages/cdm:
raw/ (the files copied unaltered, when they come from another folder), data/*.csv and
datapackage.json. The same inputs always give byte-identical outputs.

One module per report format (issuance_report, voluntary_cancellations,
administrative_cancellations, aggregated_holdings, issuances_by_project,
registered_activities) turns a file's rows into a typed table; package.py joins them into
the package's resources; write.py serialises them. Layouts, the country-name aliases and the
package's Table Schemas are data beside the code (layouts.yml, country_aliases.yml,
cdm_package.yml).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

# Packages written by an importer: their CSVs change by importing a new release, not by hand.
IMPORTED_PACKAGES = frozenset({"cdm"})


class ImportFailed(Exception):
    """The sources cannot be imported; nothing was written."""


class UnrecognisedLayout(ImportFailed):
    """A file whose header row matches none of the known report layouts."""


class MissingSource(ImportFailed):
    """A required report is not in the source folder."""


class SourceError(ImportFailed):
    """A value in a recognised report cannot be read (the message names file, row and column)."""


@dataclass
class ImportSummary:
    """What an import read and wrote: row counts per resource, matches, and warnings."""

    package_dir: Path
    sources: dict[str, str] = field(default_factory=dict)  # layout -> file name
    counts: dict[str, int] = field(default_factory=dict)  # resource -> rows written
    as_of: str = ""
    issuances_matched: int = 0  # issuances given monitoring period and DOE from the by-project file
    warnings: list[str] = field(default_factory=list)
    copied: list[str] = field(default_factory=list)  # raw files copied into the package
    removed: list[str] = field(default_factory=list)  # superseded raw files removed

    def __str__(self) -> str:
        lines = [f"Imported the CDM package into {self.package_dir} (as of {self.as_of})", "Sources:"]
        lines += [f"  {layout}: {name}" for layout, name in self.sources.items()]
        if self.copied:
            lines.append("Copied into raw/: " + ", ".join(self.copied))
        if self.removed:
            lines.append("Removed from raw/ (superseded): " + ", ".join(self.removed))
        lines.append("Rows written:")
        width = max((len(name) for name in self.counts), default=0)
        lines += [f"  {name:<{width}} {count:>7,}" for name, count in self.counts.items()]
        total = self.counts.get("issuances", 0)
        lines.append(f"Issuances with monitoring period and DOE from the by-project file: "
                     f"{self.issuances_matched:,} of {total:,}")
        lines.append(f"Warnings ({len(self.warnings)}):")
        lines += [f"  - {warning}" for warning in self.warnings] or ["  none"]
        return "\n".join(lines)


def import_cdm(source_dir: Path, package_dir: Path) -> ImportSummary:
    """Import the CDM reports in source_dir into the data package folder package_dir."""
    from build_scripts.importers import package, sources, write

    source_dir, package_dir = Path(source_dir), Path(package_dir)
    tables = sources.discover(source_dir)
    extracts = {layout: package.read(table) for layout, table in tables.items()}
    built = package.build(extracts)
    outputs = write.render(built, extracts)
    summary = ImportSummary(package_dir, {k: tables[k].path.name for k in sources.layouts()},
                            {name: len(frame) for name, frame in built.tables.items()},
                            built.as_of, built.issuances_matched, built.warnings)
    summary.copied, summary.removed = write.write(outputs, tables, source_dir, package_dir)
    return summary


__all__ = ["ImportFailed", "ImportSummary", "MissingSource", "SourceError", "UnrecognisedLayout", "import_cdm"]
