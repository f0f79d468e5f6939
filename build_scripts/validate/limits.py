"""Limits: refuse hostile or broken input with a located Problem instead of a crash.

`check_limits` runs before the frictionless schema validation. It reads the descriptor and
every CSV resource in bounded pieces, so a 1 GB file, a 50 MB line without a line break, a
binary file named .csv or a descriptor nested 100,000 levels deep is reported within
seconds and in bounded memory. When it returns errors, the schema step and the domain
checks are skipped: they would crash, hang or drown the real problem in consequential
errors (one missing file makes every resource that refers to it fail too).

Limits
------
Every limit is a field of `Limits`. The default suits data of this kind: the largest real
CSV is 4.1 MB with 26,580 rows, the longest line 657 bytes, the longest cell 420
characters, the widest table 17 columns; the largest descriptor has 74 KB, 21 resources and
8 levels of nesting. An environment variable overrides a default (a positive whole number;
`_` separators allowed, e.g. REGISTRY_MAX_FILE_BYTES=500_000_000); a value passed to
`Limits(...)` wins over both. An invalid value raises ValueError when Limits() is created.

=====================  ==============================  =============  ==========================
field                  environment variable            default        rule when exceeded
=====================  ==============================  =============  ==========================
max_descriptor_bytes   REGISTRY_MAX_DESCRIPTOR_BYTES   1,000,000      descriptor-too-large
max_json_depth         REGISTRY_MAX_JSON_DEPTH         50             descriptor-too-deep
max_resources          REGISTRY_MAX_RESOURCES          200            too-many-resources
max_file_bytes         REGISTRY_MAX_FILE_BYTES         200,000,000    file-too-large
max_package_bytes      REGISTRY_MAX_PACKAGE_BYTES      1,000,000,000  package-too-large
max_line_chars         REGISTRY_MAX_LINE_CHARS         1,000,000      line-too-long
max_cell_chars         REGISTRY_MAX_CELL_CHARS         100,000        cell-too-large
max_columns            REGISTRY_MAX_COLUMNS            200            too-many-columns
max_rows               REGISTRY_MAX_ROWS               1,000,000      too-many-rows
=====================  ==============================  =============  ==========================

max_descriptor_bytes: size of datapackage.json; checked with stat() before reading it.
max_json_depth: nesting of objects and arrays in datapackage.json (the top-level object is
    level 1); counted by a scan that stops at the limit, before json.loads.
max_resources: number of entries in the descriptor's "resources".
max_file_bytes: size of one resource file; checked with stat(), the file is never read.
max_package_bytes: total size of a package's resource files; checked with stat().
max_line_chars: length of one CSV line, and of one CSV row spread over several lines by
    quoted line breaks (an unclosed quote makes a row run on to the end of the file). Bounds
    the memory any row can take.
max_cell_chars: length of one CSV cell (enforced by the csv module's field_size_limit, so
    a huge cell is never held whole).
max_columns: cells in the header, and in any row.
max_rows: rows of one CSV file, the header and blank rows included (the scan stops there,
    so that a file of 200 MB of line breaks is refused in a second).

Rules reported (all severity "error")
-------------------------------------
Descriptor (path = the datapackage.json): descriptor-too-large, descriptor-too-deep,
package-error (not UTF-8, not JSON (row = the JSON line of the syntax error), not an
object, "resources" not a list), too-many-resources, invalid-name (the package's "name" or a
resource's "name" missing, or not matching ^[a-z0-9][a-z0-9._-]*$: the Frictionless rule
of lowercase letters, digits, '.', '-' and '_', with a letter or digit first so that a name
is never '.' or '..'; names become file names such as json/<resource>.json; the package's
name must also be its folder's name; field "name" or
"resources[i].name", value the name as written), invalid-path (a resource without a single
string path: inline data and multipart paths are not used by this registry; a source whose
"path" is not one string), remote-path (a URL: remote data is not allowed, the registry
publishes only files it holds), path-outside-package (absolute, contains '..', or resolves
outside the package folder, e.g. through a symlink), unsafe-path-characters (a character
other than A-Z, a-z, 0-9, '.', '-', '_' and '/': paths are printed in pages and used in
addresses). A resource's path problems name the resource and have field "path"; a source's
"path" is checked when present (a source without one has no copy in the package), its
problems have field "sources[i].path"; value is the path as written. Of remote-path,
path-outside-package ('..' or absolute), unsafe-path-characters and path-outside-package
(a symlink), the first that applies is reported, once per path; a source path that passes
them but names no file is missing-file (path = the descriptor, field "sources[i].path").

Resource file (path = the file): missing-file (absent, or not a regular file: a folder or a
FIFO is never opened), file-too-large, package-too-large (path = the descriptor),
empty-file (0 bytes, or no header row), binary-file (a NUL byte; value = its byte offset),
not-utf8 (an invalid UTF-8 sequence; row and field of the bytes, value = byte offset, the
message names the line, column and bytes), line-too-long, too-many-columns (value = the
number of cells), cell-too-large (row and field of the cell; value = its length as far as
the row could be read), unclosed-quote (a quoted cell never closed: row and field where it
opens), stray-quote (text after a closing quote, e.g. "abc"def, which frictionless would
silently read as abcdef), malformed-csv (any other error of the csv module, or an unusable
dialect), too-many-rows (row = the first row over the limit).

row is the CSV row as frictionless and the domain checks count it (header = 1); it equals
the line number unless an earlier cell holds a quoted line break. For a NUL byte in the
first MB (a binary file, not parsed at all) it is the line of the byte. At most
MAX_PROBLEMS_PER_FILE problems are reported per file; the scan of a file stops at the first
problem in its bytes or quoting.

Decisions
---------
* UTF-8 only, whatever a resource's "encoding" says: the loader reads every file as UTF-8.
* A UTF-8 byte order mark at the start of a CSV file is accepted (spreadsheet programs
  write one; frictionless and pandas skip it). Byte offsets still count it.
* CRLF and LF line endings are accepted, as by frictionless and pandas (CR-only endings
  too, in files smaller than 4 x max_line_chars bytes: beyond that a file without any LF is
  reported as line-too-long).
* The csv module's field_size_limit is process-wide: check_limits sets it while it reads a
  file and restores it afterwards (do not run it in parallel threads).
* check_limits(..., limits=None) creates Limits() at each call, so the environment is read
  when validation runs, not when this module is imported.
* Files whose name does not end in .csv (and whose format is not csv) get the path, size
  and emptiness checks only.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import stat
from dataclasses import dataclass, field, fields, replace
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any, Iterator

from build_scripts.errors import Problem

MAX_PROBLEMS_PER_FILE = 20
_CHUNK = 1 << 20  # bytes read at a time; also the "first MB" checked for NUL bytes
_BOM = b"\xef\xbb\xbf"
_URL = re.compile(r"^(?:[A-Za-z][A-Za-z0-9+.-]+:|//|\\\\)")  # scheme of 2+ letters, or //host
_JSON_SPECIAL = re.compile(r'["\\\[\]{}]')
# Package and resource names: the Frictionless rule ^[a-z0-9._-]+$, with a letter or digit first
# (so that a name is never '.' or '..'); names become file names (json/<resource>.json).
_NAME = re.compile(r"[a-z0-9][a-z0-9._-]*")
_NAME_CHARACTERS = re.compile(r"[a-z0-9._-]")
# Characters of a resource or source path: a path is printed in pages and addresses.
_PATH_CHARACTERS = re.compile(r"[A-Za-z0-9._/-]")


def _limit(env: str, default: int, doc: str):
    """A limit field whose default the environment variable `env` may override."""

    def from_environment() -> int:
        raw = os.environ.get(env, "").strip()
        if not raw:
            return default
        try:
            value = int(raw.replace("_", "").replace(",", ""))
        except ValueError:
            raise ValueError(f"{env} must be a positive whole number, not {raw!r}") from None
        if value < 1:
            raise ValueError(f"{env} must be a positive whole number, not {raw!r}")
        return value

    return field(default_factory=from_environment, metadata={"env": env, "default": default, "doc": doc})


@dataclass(frozen=True)
class Limits:
    """Size limits of a data package (see the module docstring for each one).

    Limits() reads the REGISTRY_MAX_* environment variables when it is created; keyword
    arguments override them: Limits(max_file_bytes=10_000_000)."""

    max_descriptor_bytes: int = _limit("REGISTRY_MAX_DESCRIPTOR_BYTES", 1_000_000, "bytes of datapackage.json")
    max_json_depth: int = _limit("REGISTRY_MAX_JSON_DEPTH", 50, "nesting levels of datapackage.json")
    max_resources: int = _limit("REGISTRY_MAX_RESOURCES", 200, "resources in one package")
    max_file_bytes: int = _limit("REGISTRY_MAX_FILE_BYTES", 200_000_000, "bytes of one resource file")
    max_package_bytes: int = _limit("REGISTRY_MAX_PACKAGE_BYTES", 1_000_000_000, "bytes of all resource files")
    max_line_chars: int = _limit("REGISTRY_MAX_LINE_CHARS", 1_000_000, "characters of one CSV line or row")
    max_cell_chars: int = _limit("REGISTRY_MAX_CELL_CHARS", 100_000, "characters of one CSV cell")
    max_columns: int = _limit("REGISTRY_MAX_COLUMNS", 200, "cells in a CSV header or row")
    max_rows: int = _limit("REGISTRY_MAX_ROWS", 1_000_000, "rows of one CSV file, header included")

    def __post_init__(self) -> None:
        for spec in fields(self):
            value = getattr(self, spec.name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"Limits.{spec.name} must be a positive whole number, not {value!r}")

    @staticmethod
    def documentation() -> list[tuple[str, str, int, str]]:
        """(field, environment variable, default, meaning) of every limit."""
        return [(f.name, f.metadata["env"], f.metadata["default"], f.metadata["doc"]) for f in fields(Limits)]


def check_limits(descriptor_path: Path, repo_root: Path, limits: Limits | None = None) -> list[Problem]:
    """Problems that must stop validation before frictionless reads the package.

    limits: None reads the defaults and the REGISTRY_MAX_* environment variables now."""
    limits = limits if limits is not None else Limits()
    return _Checker(Path(descriptor_path), Path(repo_root), limits).run()


# --- the descriptor -------------------------------------------------------------------


def _json_too_deep(text: str, max_depth: int) -> int | None:
    """Position where the nesting of `text` first exceeds max_depth, without recursion.

    Only quotes, backslashes and brackets are visited, so this is fast on any input."""
    depth = 0
    in_string = False
    skip_to = -1
    for match in _JSON_SPECIAL.finditer(text):
        position = match.start()
        if position < skip_to:
            continue
        char = match.group()
        if in_string:
            if char == "\\":
                skip_to = position + 2
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > max_depth:
                return position
        elif char in "]}":
            depth -= 1
    return None


def _unsafe_path(path: str) -> str | None:
    """Why a relative resource path is unsafe as written, or None."""
    if PurePosixPath(path).is_absolute() or PureWindowsPath(path).is_absolute() or PureWindowsPath(path).drive \
            or path.startswith(("/", "\\")):
        return "is absolute"
    if ".." in re.split(r"[/\\]", path):
        return "contains '..'"
    return None


def _characters(text: str, allowed: re.Pattern[str]) -> str:
    """The distinct characters of `text` that `allowed` does not match, for a message."""
    found = list(dict.fromkeys(char for char in text if not allowed.fullmatch(char)))
    shown = ", ".join(repr(char) for char in found[:10])
    return shown + (f" and {len(found) - 10} more" if len(found) > 10 else "")


def _invalid_name(name: Any) -> str | None:
    """Why `name` is not a valid package or resource name, or None."""
    if name is None:
        return "is missing"
    if not isinstance(name, str):
        return f"is not text ({type(name).__name__})"
    if _NAME.fullmatch(name):
        return None
    if not name:
        return "is empty"
    if not all(_NAME_CHARACTERS.fullmatch(char) for char in name):
        return f"holds characters other than lowercase letters, digits, '.', '-' and '_': " \
               f"{_characters(name, _NAME_CHARACTERS)}"
    return f"does not start with a lowercase letter or a digit (it starts with {name[0]!r})"


class _Checker:
    def __init__(self, descriptor_path: Path, repo_root: Path, limits: Limits) -> None:
        self.descriptor_path = descriptor_path
        self.repo_root = repo_root
        self.limits = limits
        self.package = descriptor_path.parent.name
        self.package_dir = descriptor_path.parent
        self.descriptor_rel = self.relative(descriptor_path)

    def relative(self, path: Path) -> str:
        """`path` relative to the repository root, as named (a symlink is not followed)."""
        for resolve in (os.path.abspath, os.path.realpath):
            try:
                return str(Path(resolve(path)).relative_to(Path(resolve(self.repo_root))))
            except ValueError:
                continue
        return str(path)

    def descriptor_problem(self, rule: str, message: str, hint: str, **kw: Any) -> Problem:
        return Problem(rule, message, self.package, path=self.descriptor_rel, hint=hint, **kw)

    def run(self) -> list[Problem]:
        descriptor, problems = self.read_descriptor()
        if problems:
            return problems
        reason = _invalid_name(descriptor.get("name"))
        if reason is not None:
            problems.append(self.descriptor_problem(
                "invalid-name", f"the package name {reason}",
                "Name the package with lowercase letters, digits, '.', '-' and '_', starting with a letter or a "
                "digit (e.g. ji).", field="name", value=descriptor.get("name")))
        elif descriptor["name"] != self.package_dir.name:
            # the site and the downloads know a package by its name, the edit links by its folder:
            # a copy under another folder would replace the package of that name on the site
            problems.append(self.descriptor_problem(
                "invalid-name", f"the package name '{descriptor['name']}' differs from its folder "
                f"'{self.package_dir.name}'", "Name the package as its folder in datapackages/ is named.",
                field="name", value=descriptor["name"]))
        resources = descriptor.get("resources")
        if not isinstance(resources, list):
            return [self.descriptor_problem("package-error", "'resources' must be a list of resources",
                                            "List the package's resources under 'resources'.")]
        if len(resources) > self.limits.max_resources:
            return [self.descriptor_problem(
                "too-many-resources", f"the package has {len(resources):,} resources, more than the limit of "
                f"{self.limits.max_resources:,}",
                "Split the package, or raise REGISTRY_MAX_RESOURCES if this is intended.",
                value=len(resources))]
        files: list[tuple[str, Path, int, dict[str, Any]]] = []
        for position, resource in enumerate(resources):
            found = self.check_resource(position, resource, problems)
            if found is not None:
                files.append(found)
        sources = descriptor.get("sources")
        if isinstance(sources, list):  # anything else is left to the schema step
            for position, source in enumerate(sources):
                self.check_source(position, source, problems)
        total = sum(size for _, _, size, _ in files)
        if total > self.limits.max_package_bytes:
            problems.append(self.descriptor_problem(
                "package-too-large", f"the resource files hold {total:,} bytes together, more than the limit of "
                f"{self.limits.max_package_bytes:,}", "Split the package, or raise REGISTRY_MAX_PACKAGE_BYTES.",
                value=total))
            return problems
        for name, path, size, resource in files:
            if size and _is_csv(resource):
                problems.extend(_CsvScan(self, name, path, resource).run())
        return problems

    def read_descriptor(self) -> tuple[dict[str, Any], list[Problem]]:
        limits = self.limits
        try:
            info = os.stat(self.descriptor_path)
        except OSError as exc:
            return {}, [self.descriptor_problem("missing-file", f"datapackage.json cannot be read: {exc.strerror}",
                                                "Restore the package descriptor.")]
        if not stat.S_ISREG(info.st_mode):
            return {}, [self.descriptor_problem("missing-file", "datapackage.json is not a regular file",
                                                "Replace it by the package descriptor (a JSON file).")]
        if info.st_size > limits.max_descriptor_bytes:
            return {}, [self.descriptor_problem(
                "descriptor-too-large", f"datapackage.json has {info.st_size:,} bytes, more than the limit of "
                f"{limits.max_descriptor_bytes:,}", "Keep data in CSV resources, not in the descriptor; or raise "
                "REGISTRY_MAX_DESCRIPTOR_BYTES.", value=info.st_size)]
        with open(self.descriptor_path, "rb") as handle:
            raw = handle.read(limits.max_descriptor_bytes + 1)
        if len(raw) > limits.max_descriptor_bytes:  # it grew since stat()
            return {}, [self.descriptor_problem(
                "descriptor-too-large", f"datapackage.json has more than {limits.max_descriptor_bytes:,} bytes",
                "Keep data in CSV resources, not in the descriptor.", value=len(raw))]
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = raw.count(b"\n", 0, exc.start) + 1
            return {}, [self.descriptor_problem(
                "package-error", f"datapackage.json is not UTF-8: byte 0x{raw[exc.start]:02x} at byte offset "
                f"{exc.start:,} (line {line})", "Save datapackage.json as UTF-8.", row=line, value=exc.start)]
        deep = _json_too_deep(text, limits.max_json_depth)
        if deep is not None:
            line = text.count("\n", 0, deep) + 1
            column = deep - (text.rfind("\n", 0, deep) + 1) + 1
            return {}, [self.descriptor_problem(
                "descriptor-too-deep", f"datapackage.json nests objects and arrays more than {limits.max_json_depth} "
                f"levels deep (line {line}, column {column})",
                "A Data Package descriptor is a few levels deep: remove the nesting "
                "(or raise REGISTRY_MAX_JSON_DEPTH).",
                row=line, value=limits.max_json_depth + 1)]
        try:
            descriptor = json.loads(text)
        except json.JSONDecodeError as exc:
            return {}, [self.descriptor_problem(
                "package-error", f"datapackage.json cannot be read: {exc.msg} (line {exc.lineno}, column {exc.colno})",
                "Fix the JSON syntax of the descriptor.", row=exc.lineno)]
        except RecursionError:  # not reachable below the depth limit, but never crash
            return {}, [self.descriptor_problem("descriptor-too-deep", "datapackage.json nests too deeply",
                                                "Remove the nesting.")]
        if not isinstance(descriptor, dict):
            return {}, [self.descriptor_problem("package-error", "datapackage.json must hold a JSON object",
                                                "Write the descriptor as one JSON object.")]
        return descriptor, []

    def check_path(self, path: str, what: str, example: str, bad) -> bool:
        """The rules every path of the descriptor follows (a resource's or a source's); reports the
        first one broken through bad(rule, message, hint) and returns False, or returns True."""
        folder = example.split("/")[0]
        if _URL.match(path):
            bad("remote-path", f"{what} points to a URL: remote data is not allowed",
                f"Download the file into the package's {folder}/ folder and give its relative path.")
            return False
        reason = _unsafe_path(path)
        if reason is None and not all(_PATH_CHARACTERS.fullmatch(char) for char in path):
            bad("unsafe-path-characters", f"the path of {what} holds characters other than letters, digits, "
                f"'.', '-', '_' and '/': {_characters(path, _PATH_CHARACTERS)}",
                f"Rename the file using letters, digits, '.', '-' and '_' (e.g. {example}), and write the new "
                "name in datapackage.json.")
            return False
        if reason is None:
            try:
                (self.package_dir / path).resolve().relative_to(self.package_dir.resolve())
            except ValueError:
                reason = "resolves outside the package folder (through a symbolic link)"
            except (OSError, RuntimeError) as exc:  # e.g. a symlink loop
                reason = f"cannot be resolved ({exc})"
        if reason is not None:
            bad("path-outside-package", f"the path of {what} {reason}",
                f"Give a path relative to the package folder that stays inside it, e.g. {example}.")
            return False
        return True

    def check_source(self, position: int, source: Any, problems: list[Problem]) -> None:
        """The path of a source, when it has one: the same rules as a resource's path, and the
        file must exist. Its checksum is checked by the raw-file-checksum domain check."""
        if not isinstance(source, dict) or source.get("path") is None:
            return  # a source without a copy in the package; a source not an object is a schema error
        title = source.get("title") if isinstance(source.get("title"), str) else f"sources[{position}]"
        path = source["path"]

        def bad(rule: str, message: str, hint: str) -> None:
            problems.append(self.descriptor_problem(rule, message, hint, field=f"sources[{position}].path",
                                                    value=path))

        if not isinstance(path, str) or not path.strip():
            what = "has an empty path" if isinstance(path, str) else "has a list of paths" if isinstance(path, list) \
                else f"has a path that is not a file name ({type(path).__name__})"
            bad("invalid-path", f"source '{title}' {what}",
                "Give the source's copy in the package as one path relative to the package folder (e.g. "
                "raw/report.xlsx), or remove 'path' if the package holds no copy.")
            return
        if self.check_path(path, f"source '{title}'", "raw/report.xlsx", bad) \
                and not (self.package_dir / path).is_file():  # the downloads copy every source file
            bad("missing-file", f"the copy of source '{title}' does not exist (or is not a file)",
                "Copy the source file, unaltered, into the package's raw/ folder, or remove 'path' "
                "if the package holds no copy.")

    def check_resource(self, position: int, resource: Any, problems: list[Problem]):
        """Path and size checks; returns (name, file, size, resource) of a file to scan."""
        if not isinstance(resource, dict):
            problems.append(self.descriptor_problem("package-error", f"resource {position + 1} is not a JSON object",
                                                    "Describe each resource as an object with name, path and schema."))
            return None
        reason = _invalid_name(resource.get("name"))
        if reason is not None:
            problems.append(self.descriptor_problem(
                "invalid-name", f"the name of resource {position + 1} {reason}",
                "Name the resource with lowercase letters, digits, '.', '-' and '_', starting with a letter or a "
                "digit (e.g. meetings).", field=f"resources[{position}].name", value=resource.get("name")))
        name = resource.get("name") if isinstance(resource.get("name"), str) else f"resources[{position}]"
        path = resource.get("path")

        def bad(rule: str, message: str, hint: str) -> None:
            problems.append(Problem(rule, message, self.package, resource=name, path=self.descriptor_rel,
                                    field="path", value=path, hint=hint))

        if not isinstance(path, str) or not path.strip():
            what = "has no path" if path is None else "has a list of paths" if isinstance(path, list) \
                else f"has a path that is not a file name ({type(path).__name__})"
            bad("invalid-path", f"resource '{name}' {what}",
                "Give every resource a 'path': the file, relative to the package folder (e.g. data/meetings.csv).")
            return None
        if not self.check_path(path, f"resource '{name}'", "data/meetings.csv", bad):
            return None
        target = self.package_dir / path
        file_rel = self.relative(target)

        def file_problem(rule: str, message: str, hint: str, **kw: Any) -> None:
            problems.append(Problem(rule, message, self.package, resource=name, path=file_rel, hint=hint, **kw))

        try:
            info = os.stat(target)
        except FileNotFoundError:
            file_problem("missing-file", f"the file of resource '{name}' does not exist",
                         "Add the file, or correct the resource's path in datapackage.json.")
            return None
        except OSError as exc:
            file_problem("missing-file", f"the file of resource '{name}' cannot be read: {exc.strerror}",
                         "Make the file readable, or correct the resource's path in datapackage.json.")
            return None
        if not stat.S_ISREG(info.st_mode):
            kind = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file"
            file_problem("missing-file", f"the path of resource '{name}' is {kind}",
                         "Point the resource's path at its CSV file.")
            return None
        if info.st_size > self.limits.max_file_bytes:
            file_problem("file-too-large", f"the file has {info.st_size:,} bytes, more than the limit of "
                         f"{self.limits.max_file_bytes:,}", "Split the resource, or raise REGISTRY_MAX_FILE_BYTES "
                         "if a file this large is intended.", value=info.st_size)
            return None
        if info.st_size == 0:
            file_problem("empty-file", "the file is empty: it has no header row",
                         "Write at least the header row (the field names of the schema).")
            return None
        return name, target, info.st_size, resource


def _is_csv(resource: dict[str, Any]) -> bool:
    if resource.get("compression"):
        return False
    path = str(resource.get("path", "")).lower()
    return path.endswith(".csv") or str(resource.get("format", "")).lower() == "csv" \
        or str(resource.get("mediatype", "")).lower() == "text/csv"


def _dialect(resource: dict[str, Any]) -> dict[str, Any]:
    """csv.reader options from the resource's CSV dialect (Data Package v1 or v2 style)."""
    declared = resource.get("dialect")
    declared = declared if isinstance(declared, dict) else {}
    if isinstance(declared.get("csv"), dict):
        declared = {**declared, **declared["csv"]}
    options: dict[str, Any] = {"delimiter": ",", "quotechar": '"', "doublequote": True, "escapechar": None,
                               "skipinitialspace": False}
    for key, option in (("delimiter", "delimiter"), ("quoteChar", "quotechar"), ("escapeChar", "escapechar")):
        value = declared.get(key)
        if isinstance(value, str) and len(value) == 1 and value not in "\r\n":
            options[option] = value
    for key, option in (("doubleQuote", "doublequote"), ("skipInitialSpace", "skipinitialspace")):
        if isinstance(declared.get(key), bool):
            options[option] = declared[key]
    return options


# --- a CSV file, streamed -----------------------------------------------------------


class _Stop(Exception):
    """A byte-level problem found while reading lines; ends the scan of the file."""

    def __init__(self, rule: str, message: str, hint: str, *, row: int | None = None, value: Any = None,
                 partial: str | None = None) -> None:
        super().__init__(message)
        self.rule, self.message, self.hint = rule, message, hint
        self.row, self.value, self.partial = row, value, partial


class _CsvScan:
    """One pass over a CSV file: bytes in 1 MiB chunks -> checked lines -> csv.reader -> rows."""

    def __init__(self, checker: _Checker, resource: str, path: Path, descriptor: dict[str, Any]) -> None:
        self.checker = checker
        self.limits = checker.limits
        self.resource = resource
        self.path = path
        self.rel = checker.relative(path)
        self.options = _dialect(descriptor)
        self.problems: list[Problem] = []
        self.header: list[str] | None = None
        self.header_row = 0
        self.rows = 0  # rows completed (header = 1)
        self.lines = 0  # physical lines handed to the csv reader
        self.row_line = 1  # line on which the row being read starts
        self.pending: list[str] = []  # the lines of the row being read
        self.pending_chars = 0

    def problem(self, rule: str, message: str, hint: str, *, row: int | None = None, field_index: int | None = None,
                value: Any = None) -> None:
        name = None
        if field_index is not None and self.header is not None and row != self.header_row \
                and field_index < len(self.header):
            name = self.header[field_index]
        self.problems.append(Problem(rule, message, self.checker.package, resource=self.resource, path=self.rel,
                                     row=row, field=name, value=value, hint=hint))

    def where(self) -> str:
        """The lines of the row being read, for messages."""
        last = self.row_line + max(len(self.pending), 1) - 1
        return f"line {self.row_line}" if last == self.row_line else f"lines {self.row_line}-{last}"

    # bytes -> lines

    def lines_of(self, handle) -> Iterator[str]:
        offset = 0  # file offset of buffer[0]
        buffer = b""
        guard = 4 * self.limits.max_line_chars + 4  # bytes that certainly hold more characters than allowed
        chunk = handle.read(_CHUNK)
        nul = chunk.find(b"\0")
        if nul >= 0:  # a NUL in the first MB: a binary file, whatever else the bytes hold
            line = chunk.count(b"\n", 0, nul) + 1
            raise _Stop("binary-file", f"the file holds a NUL byte at byte offset {nul:,} (line {line}): it is a "
                        "binary file, not a CSV text file", "Export the table as CSV (UTF-8) and replace the file.",
                        row=line, value=nul)
        if chunk.startswith(_BOM):
            chunk, offset = chunk[len(_BOM):], len(_BOM)
        while chunk:
            start = len(buffer)
            buffer += chunk
            nul = buffer.find(b"\0", start)
            if nul >= 0:  # further on: read the rows before it, so that its row is known
                line_start = buffer.rfind(b"\n", 0, nul) + 1
                yield from self.decoded(buffer[:line_start], offset)
                yield from self.decoded(buffer[line_start:nul], offset + line_start, complete=False)
                raise _Stop("binary-file", f"the file holds a NUL byte at byte offset {offset + nul:,} "
                            f"(line {self.lines + 1}): it is not a CSV text file",
                            "Remove the NUL bytes, or export the table again as CSV (UTF-8).", value=offset + nul,
                            partial=buffer[line_start:nul].decode("utf-8", "replace"))
            cut = buffer.rfind(b"\n") + 1
            if cut:
                block, buffer = buffer[:cut], buffer[cut:]
                yield from self.decoded(block, offset)
                offset += len(block)
            if len(buffer) > guard:
                raise _Stop("line-too-long", f"line {self.lines + 1} is longer than {self.limits.max_line_chars:,} "
                            f"characters (read {len(buffer):,} bytes without a line break)",
                            "A line this long is not data of this registry: is the file CSV? Or raise "
                            "REGISTRY_MAX_LINE_CHARS.", value=len(buffer))
            chunk = handle.read(_CHUNK)
        if buffer:
            yield from self.decoded(buffer, offset)

    def decoded(self, block: bytes, offset: int, complete: bool = True) -> Iterator[str]:
        """The lines of `block` (which starts a line) for the csv reader; not-utf8 at the first bad byte.

        complete=False: only check the bytes (the start of a line that ends elsewhere)."""
        try:
            text = block.decode("utf-8")
        except UnicodeDecodeError as exc:
            good = block.rfind(b"\n", 0, exc.start) + 1
            yield from self.split(block[:good].decode("utf-8"))
            line = self.lines + 1
            partial = block[good:exc.start].decode("utf-8")
            bad = block[exc.start:exc.end]
            raise _Stop("not-utf8", f"the file is not UTF-8: byte{'s' if len(bad) > 1 else ''} "
                        f"{' '.join(f'0x{b:02x}' for b in bad)} at byte offset {offset + exc.start:,} "
                        f"(line {line}, column {len(partial) + 1}) {exc.reason}",
                        "Save the file as UTF-8 (in a spreadsheet: 'CSV UTF-8'); the bytes look like another "
                        "encoding, e.g. Windows-1252.", value=offset + exc.start, partial=partial) from None
        if complete:
            yield from self.split(text)

    def split(self, text: str) -> Iterator[str]:
        limit = self.limits.max_line_chars
        for line in io.StringIO(text, newline=""):
            size = len(line)
            self.pending_chars += size
            if self.pending_chars > limit:
                if size > limit:
                    raise _Stop("line-too-long", f"line {self.lines + 1} has {size:,} characters, more than the "
                                f"limit of {limit:,}", "A line this long is not data of this registry: check the "
                                "file; or raise REGISTRY_MAX_LINE_CHARS.", value=size)
                raise _Stop("line-too-long", f"the row starting on line {self.row_line} runs on to line "
                            f"{self.lines + 1} and holds more than {limit:,} characters: is a quote left open?",
                            "Close the quote where the row should end; or raise REGISTRY_MAX_LINE_CHARS.",
                            value=self.pending_chars, partial="")
            self.lines += 1
            self.pending.append(line)
            yield line

    # lines -> rows

    def run(self) -> list[Problem]:
        limits = self.limits
        saved = csv.field_size_limit()
        csv.field_size_limit(limits.max_cell_chars)
        try:
            with open(self.path, "rb") as handle:
                try:
                    options = self.options
                    if len({options["delimiter"], options["quotechar"], options["escapechar"]} - {None}) < (
                            3 if options["escapechar"] else 2):
                        raise ValueError("the delimiter, the quote and the escape character must differ")
                    reader = csv.reader(self.lines_of(handle), strict=True, **options)
                except (TypeError, ValueError) as exc:  # e.g. the same character as delimiter and quote
                    self.problem("malformed-csv", f"the resource's CSV dialect cannot be used: {exc}",
                                 "Correct the resource's 'dialect' in datapackage.json (or remove it).")
                    return self.problems
                for cells in reader:
                    self.rows += 1
                    if self.rows > limits.max_rows:
                        self.problem("too-many-rows", f"the file has more than {limits.max_rows:,} rows",
                                     "Split the resource; or raise REGISTRY_MAX_ROWS if a table this long is "
                                     "intended.", row=self.rows)
                        break
                    self.check_row(cells)
                    self.pending.clear()
                    self.pending_chars = 0
                    self.row_line = self.lines + 1
                    if len(self.problems) >= MAX_PROBLEMS_PER_FILE:
                        break
        except _Stop as stop:
            index = None if stop.partial is None else self.field_at("".join(self.pending) + stop.partial)[0]
            row = stop.row if stop.row is not None else self.rows + 1
            self.problem(stop.rule, stop.message, stop.hint, row=row, field_index=index, value=stop.value)
        except csv.Error as exc:
            self.csv_error(exc)
        except OSError as exc:
            self.problem("missing-file", f"the file cannot be read: {exc.strerror}", "Make the file readable.")
        finally:
            csv.field_size_limit(saved)
        if self.header is None and not self.problems:
            self.problem("empty-file", "the file has no header row (it holds only blank lines)",
                         "Write the header row (the field names of the schema) on the first line.")
        if len(self.problems) >= MAX_PROBLEMS_PER_FILE:
            last = self.problems[-1]
            self.problems[-1] = replace(last, message=last.message + f" (the first {MAX_PROBLEMS_PER_FILE} problems "
                                        "of this file are shown; fix them and validate again)")
        return self.problems

    def check_row(self, cells: list[str]) -> None:
        if self.header is None:
            if not any(cell.strip() for cell in cells):  # blank lines before the header
                return
            self.header = [cell.strip() for cell in cells]
            self.header_row = self.rows
        if len(cells) > self.limits.max_columns:
            what = "the header" if self.rows == self.header_row else f"row {self.rows}"
            self.problem("too-many-columns", f"{what} has {len(cells):,} cells, more than the limit of "
                         f"{self.limits.max_columns:,}", "Check the delimiter and the quoting of the row; or raise "
                         "REGISTRY_MAX_COLUMNS if a table this wide is intended.", row=self.rows, value=len(cells))

    def csv_error(self, exc: csv.Error) -> None:
        text = "".join(self.pending)
        row = self.rows + 1
        index, cause, length = self.field_at(text)
        message = str(exc)
        if "field larger than field limit" in message:
            spans = f"; the row runs on over {self.where()}: is a quote left open?" if len(self.pending) > 1 else ""
            self.problem("cell-too-large", f"a cell of the row starting on line {self.row_line} is longer than "
                         f"{self.limits.max_cell_chars:,} characters{spans}",
                         "Shorten the cell (long texts belong in the "
                         "source document, not in a CSV cell), check for an unclosed quote, or raise "
                         "REGISTRY_MAX_CELL_CHARS.", row=row, field_index=index, value=length)
        elif cause == "unclosed-quote" or "unexpected end of data" in message:
            self.problem("unclosed-quote", f"a quoted cell opened on line {self.row_line} is never closed "
                         f"(the file ends inside it, {self.where()})", "Close the quote, or double a quote that is "
                         "part of the text (\"\").", row=row, field_index=index)
        elif cause == "stray-quote" or "expected after" in message:
            self.problem("stray-quote", f"text follows the closing quote of a cell ({self.where()}): {message}",
                         "Quote the whole cell and double every quote inside it: \"say \"\"yes\"\"\".",
                         row=row, field_index=index)
        else:
            self.problem("malformed-csv", f"the file cannot be read as CSV ({self.where()}): {message}",
                         "Check the quoting and the line endings of this row.", row=row, field_index=index)

    def field_at(self, text: str) -> tuple[int, str, int]:
        """(index of the cell where `text`, the start of a row, goes wrong or ends; why; that cell's length).

        A small state machine mirroring csv.reader's; used only to locate a problem."""
        delimiter, quote = self.options["delimiter"], self.options["quotechar"]
        doublequote = self.options["doublequote"]
        limit = self.limits.max_cell_chars
        index = length = 0
        over: int | None = None  # the cell found too long: count it to its end
        at_start, in_quotes, after_quote = True, False, False
        for char in text:
            if over is not None and not in_quotes and char in (delimiter, "\r", "\n"):
                return over, "cell-too-large", length
            if in_quotes:
                if char == quote:
                    in_quotes, after_quote = False, True
                else:
                    length += 1
            elif after_quote:
                if char == quote and doublequote:
                    in_quotes, after_quote = True, False
                    length += 1
                elif char == delimiter:
                    index, length, at_start, after_quote = index + 1, 0, True, False
                elif char in "\r\n":
                    break
                else:
                    return index, "stray-quote", length
            elif char == quote and at_start:
                in_quotes, at_start = True, False
            elif char == delimiter:
                index, length, at_start = index + 1, 0, True
            elif char in "\r\n":
                break
            else:
                length += 1
                at_start = False
            if length > limit and over is None:
                over = index
        if over is not None:
            return over, "cell-too-large", length
        return index, "unclosed-quote" if in_quotes else "end", length


