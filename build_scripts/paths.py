"""Where things live. Every path the build reads or writes is derived from here."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def is_plain_relative(path: str) -> bool:
    """Whether `path` is a plain relative path, '/'-separated: not empty or absolute, no drive,
    backslash or control character, no '', '.' or '..' segment. Such a path joined to a
    folder stays inside it (symbolic links aside)."""
    parts = path.split("/")
    return not (not path or path.startswith("/") or ":" in parts[0] or "\\" in path
                or any(part in ("", ".", "..") for part in parts)
                or any(ord(char) < 32 or char == "\x7f" for char in path))


@dataclass(frozen=True)
class Layout:
    """The repository layout; tests point it at temporary copies."""

    root: Path = REPO_ROOT

    @property
    def datapackages(self) -> Path:
        return self.root / "datapackages"

    @property
    def site_src(self) -> Path:
        return self.root / "site_src"

    @property
    def docs_src(self) -> Path:
        """Hand-written pages and assets, copied as they are."""
        return self.site_src / "docs"

    @property
    def templates(self) -> Path:
        return self.site_src / "templates"

    @property
    def build(self) -> Path:
        """Git-ignored working folder: generated Markdown and the next site."""
        return self.root / "build"

    @property
    def docs_out(self) -> Path:
        return self.build / "docs"

    @property
    def locales(self) -> Path:
        """Languages: languages.yml, a message catalog and translated pages per language."""
        return self.site_src / "locales"

    def docs_for(self, language: str, default: str = "en") -> Path:
        """The generated Markdown of one language (build/docs for the default language)."""
        return self.docs_out if language == default else self.build / f"docs-{language}"

    @property
    def site(self) -> Path:
        return self.root / "site"

    @property
    def changelog(self) -> Path:
        """Data releases: '## <package> <version> (<date>)' sections."""
        return self.root / "CHANGELOG.md"

    @property
    def mkdocs_yml(self) -> Path:
        return self.root / "mkdocs.yml"

    def package_descriptors(self) -> list[Path]:
        """Every package, JI (the registry's first) first, then by name."""
        return sorted(self.datapackages.glob("*/datapackage.json"), key=lambda p: (p.parent.name != "ji", p.parent.name))
