"""The static JSON API and the Atom feeds.

Stable URLs (relative to the site's root; documented on the API page):

    api/index.json                          every package, resource, collection and feed
    api/<package>/<collection>.json         index of a collection: id, title, page, json
    api/<package>/<collection>/<slug>.json  one record: the same data as its page
    api/feeds/releases.xml                  Atom: data releases (from CHANGELOG.md)
    api/feeds/<package>-issuances.xml       Atom: the latest issuances

Every document names the package version and as-of date it was built from. Nothing here
holds a build date: feeds are dated by the data (issuance dates, release dates).
"""

from __future__ import annotations

import functools
import json
import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import quoteattr

import pandas as pd
import yaml

from build_scripts.paths import REPO_ROOT
from build_scripts.render.escape import xml_text

API_VERSION = 1
ISSUANCES_IN_FEED = 50


def dumps(document) -> str:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), default=_json_default) + "\n"


def _json_default(value):
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def package_meta(package) -> dict:
    descriptor = package.descriptor
    return {"name": package.name, "version": descriptor.get("version"), "as_of": descriptor.get("as_of")}


def record_path(package: str, collection: str, slug: str) -> str:
    return f"api/{package}/{collection}/{slug}.json"


def collection_path(package: str, collection: str) -> str:
    return f"api/{package}/{collection}.json"


def record_document(package, collection: str, record_id: str, page: str, body: dict) -> str:
    """One record's JSON twin: what its page shows, as data."""
    return dumps({"api_version": API_VERSION, "package": package_meta(package), "collection": collection,
                  "id": record_id, "page": page, **body})


def collection_document(package, collection: str, title: str, records: list[dict]) -> str:
    return dumps({"api_version": API_VERSION, "package": package_meta(package), "collection": collection,
                  "title": title, "count": len(records), "records": records})


@dataclass(frozen=True)
class Collection:
    package: str
    name: str
    title: str
    count: int
    page_pattern: str  # e.g. "cdm/projects/{slug}/"

    def as_dict(self) -> dict:
        return {"package": self.package, "name": self.name, "title": self.title, "count": self.count,
                "index": collection_path(self.package, self.name),
                "record": record_path(self.package, self.name, "{slug}"), "page": self.page_pattern}


def index_document(packages, collections: list[Collection], downloads: list[dict], feeds: list[dict]) -> str:
    files = {entry["package"]: entry["files"] for entry in downloads}
    return dumps({
        "api_version": API_VERSION,
        "note": "Paths are relative to the site's root. Record slugs are the record identifiers "
                "as listed in each collection's index.",
        "packages": [{
            **package_meta(p),
            "title": p.title,
            "resources": [{"name": r["name"], "rows": len(p[r["name"]]),
                           "csv": f"downloads/{p.name}/{r['path']}", "json": f"downloads/{p.name}/json/{r['name']}.json",
                           "parquet": f"downloads/{p.name}/parquet/{r['name']}.parquet"}
                          for r in p.descriptor["resources"]],
            "downloads": [{"kind": f["kind"], "path": f"downloads/{f['href']}", "bytes": f["bytes"], "sha256": f["sha256"]}
                          for f in files.get(p.name, []) if f["kind"] in ("zip", "xlsx", "sqlite", "datasette", "descriptor")],
            "collections": [c.as_dict() for c in collections if c.package == p.name],
        } for p in packages],
        "feeds": feeds,
    })


# --- Releases, from CHANGELOG.md --------------------------------------------------------

_RELEASE = re.compile(r"^## (?P<package>[a-z][a-z0-9_-]*) (?P<version>\d+\.\d+\.\d+) \((?P<date>\d{4}-\d{2}-\d{2})\)\s*$")


@dataclass(frozen=True)
class Release:
    package: str
    version: str
    date: str
    text: str
    line: int

    @property
    def anchor(self) -> str:
        return f"{self.package}-{self.version.replace('.', '-')}"


class ChangelogError(ValueError):
    """CHANGELOG.md does not list a package's current version."""


def read_changelog(path: Path) -> list[Release]:
    """Releases in the order written (newest first): '## <package> <version> (<YYYY-MM-DD>)'."""
    if not path.exists():
        return []
    releases: list[Release] = []
    current: dict | None = None
    body: list[str] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        match = _RELEASE.match(line)
        if match or line.startswith("## "):
            if current:
                releases.append(Release(**current, text="\n".join(body).strip()))
            current, body = (dict(match.groupdict(), line=number) if match else None), []
        elif current is not None:
            body.append(line)
    if current:
        releases.append(Release(**current, text="\n".join(body).strip()))
    return releases


# What a release note may use: the Markdown of prose, lists, code and links. The site prints
# the note as Markdown (the page "Data releases"), so raw HTML, images and links that are not
# http(s), mailto or relative would reach readers as markup: the build refuses them.
_NOTE_TAGS = frozenset({"p", "ul", "ol", "li", "code", "pre", "strong", "em", "a", "br", "blockquote",
                        "hr", "table", "thead", "tbody", "tr", "th", "td", "h3", "h4"})
_NOTE_HREF = re.compile(r"^(https?://|mailto:|#|\.{0,2}/|[A-Za-z0-9_.-]+(/|$|#))", re.IGNORECASE)
_NOTE_CELL_STYLE = re.compile(r"^text-align: (left|right|center);$")
_NOTE_CODE_CLASS = re.compile(r"^language-[A-Za-z0-9_+-]+$")


@functools.cache
def _site_extensions(mkdocs_yml: Path) -> list:
    """The Markdown extensions the site renders pages with (mkdocs.yml, and the fenced_code
    mkdocs always adds), but toc, which only adds heading anchors: a release note is checked
    with the syntax it will be rendered with (attribute lists included)."""
    config = yaml.safe_load(mkdocs_yml.read_text(encoding="utf-8"))
    names = [next(iter(item)) if isinstance(item, dict) else item for item in config.get("markdown_extensions", [])]
    return [name for name in dict.fromkeys([*names, "tables", "fenced_code"]) if name != "toc"]


def release_note_problems(text: str, mkdocs_yml: Path = REPO_ROOT / "mkdocs.yml") -> list[str]:
    """What in a release note (Markdown) is not allowed on the site built with `mkdocs_yml`;
    empty when all is."""
    from html.parser import HTMLParser

    import markdown

    problems: list[str] = []

    class Allowlist(HTMLParser):
        def handle_starttag(self, tag, attrs):
            for name, value in attrs:
                fine = ((tag, name) == ("a", "href") and _NOTE_HREF.match((value or "").strip())
                        or tag in ("th", "td") and name in ("align", "style")
                        and (name == "align" or _NOTE_CELL_STYLE.match(value or ""))
                        or (tag, name) == ("code", "class") and _NOTE_CODE_CLASS.match(value or ""))
                if not fine:
                    problems.append(f"<{tag} {name}={value!r}>")
            if tag not in _NOTE_TAGS:
                problems.append(f"<{tag}>")

        def handle_comment(self, data):
            problems.append("an HTML comment")

        def handle_pi(self, data):
            problems.append(f"<?{data}>")

        def handle_decl(self, decl):
            problems.append(f"<!{decl}>")

        def unknown_decl(self, data):
            problems.append(f"<![{data}]>")

    parser = Allowlist(convert_charrefs=True)
    parser.feed(markdown.markdown(text, extensions=_site_extensions(mkdocs_yml)))
    parser.close()
    return list(dict.fromkeys(problems))


def check_changelog(releases: list[Release], packages, name: str = "CHANGELOG.md",
                    mkdocs_yml: Path = REPO_ROOT / "mkdocs.yml") -> None:
    """Every package's current version has an entry among the releases read from `name`, and
    every entry is plain Markdown (release_note_problems)."""
    for release in releases:
        problems = release_note_problems(release.text, mkdocs_yml)
        if problems:
            raise ChangelogError(
                f"{name}, line {release.line} (## {release.package} {release.version}): the release note holds "
                f"{', '.join(problems[:5])}, which the site does not publish; write it in Markdown without "
                "raw HTML or images, with links to http(s) addresses or pages of the site")
    listed = {(r.package, r.version) for r in releases}
    for package in packages:
        version = package.descriptor.get("version")
        if (package.name, version) not in listed:
            raise ChangelogError(
                f"{name}: no entry '## {package.name} {version} (YYYY-MM-DD)' for the version in "
                f"datapackages/{package.name}/datapackage.json; add one with the data diff summary (see CONTRIBUTING.md)")


# --- Atom ------------------------------------------------------------------------------

# The theme's script fetches "sitemap.xml" beside the address of every <link rel="alternate">
# in a page's head, whatever its type (mkdocs-material 9.8 and Zensical, which has it as issue
# #908): beside the feeds' autodiscovery links that is api/feeds/sitemap.xml, which would be a
# 404 on every page view. An empty sitemap (valid, listing nothing) answers it in ~100 bytes.
EMPTY_SITEMAP = ('<?xml version="1.0" encoding="UTF-8"?>\n'
                 '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"></urlset>\n')


def _urn(key: str) -> str:
    """A stable, globally unique entry id that does not depend on where the site is hosted."""
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'registry:' + key)}"


def _timestamp(day: str) -> str:
    return f"{day}T00:00:00Z"


def atom(feed_key: str, title: str, subtitle: str, self_path: str, site_url: str | None,
         entries: list[dict]) -> str:
    """An Atom 1.0 document. entries: key, title, date (YYYY-MM-DD), link (from the site root), summary."""
    base = f" xml:base={quoteattr(site_url)}" if site_url else ""
    updated = max((e["date"] for e in entries), default="1970-01-01")
    # Links are written relative to the feed's own URL (api/feeds/...), so they resolve with or
    # without xml:base; with a site URL, xml:base makes them absolute for every reader.
    up = "../../" if not site_url else ""
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<feed xmlns="http://www.w3.org/2005/Atom"{base}>',
        f"<id>{_urn('feed:' + feed_key)}</id>",
        f"<title>{xml_text(title)}</title>",
        f"<subtitle>{xml_text(subtitle)}</subtitle>",
        f"<updated>{_timestamp(updated)}</updated>",
        f'<link rel="self" type="application/atom+xml" href={quoteattr(up + self_path)}/>',
        f'<link rel="alternate" type="text/html" href={quoteattr(up or "./")}/>',
        "<author><name>JI &amp; CDM transparency registry</name></author>",
    ]
    for entry in entries:
        lines += [
            "<entry>",
            f"<id>{_urn(entry['key'])}</id>",
            f"<title>{xml_text(entry['title'])}</title>",
            f"<updated>{_timestamp(entry['date'])}</updated>",
            f'<link rel="alternate" type="text/html" href={quoteattr(up + entry["link"])}/>',
            f'<summary type="text">{xml_text(entry["summary"])}</summary>',
            *([f'<content type="html">{xml_text(entry["html"])}</content>'] if entry.get("html") else []),
            "</entry>",
        ]
    lines.append("</feed>")
    return "\n".join(lines) + "\n"


_MD_LINK = re.compile(r'href="(?![a-z][a-z0-9+.-]*:|/|#)([^"#]*)\.md(#[^"]*)?"')


def _page_address(path: str) -> str:
    """A page's address from its Markdown file (mkdocs' directory URLs): "a/index" -> "a/", "b" -> "b/"."""
    if path == "index" or path.endswith("/index"):
        return path[:-len("index")]
    return path + "/"


def release_html(text: str, up: str, mkdocs_yml: Path = REPO_ROOT / "mkdocs.yml") -> str:
    """A release note (Markdown, checked by release_note_problems: no raw HTML) as the HTML the
    changelog page shows, its links to pages of the site (`downloads/index.md`) written as the
    pages' addresses from the feed (up: from the feed to the site's root)."""
    import markdown

    html = markdown.markdown(text, extensions=_site_extensions(mkdocs_yml))
    return _MD_LINK.sub(lambda m: f'href="{up}{_page_address(m.group(1))}{m.group(2) or ""}"', html)


def plain_text(html: str) -> str:
    """The text of HTML, whitespace collapsed: an Atom summary of type text."""
    from html.parser import HTMLParser

    parts: list[str] = []
    parser = HTMLParser(convert_charrefs=True)
    parser.handle_data = parts.append
    parser.feed(html)
    parser.close()
    return " ".join("".join(parts).split())


def releases_feed(releases: list[Release], site_url: str | None) -> str:
    """Data releases from CHANGELOG.md: each note as HTML (content) and as its plain text
    (summary), never Markdown shown as text."""
    up = "../../" if not site_url else ""
    entries = []
    for r in sorted(releases, key=lambda r: (r.date, r.package, r.version), reverse=True):
        html = release_html(r.text, up)
        entries.append({"key": f"release:{r.package}:{r.version}", "title": f"{r.package.upper()} data package {r.version}",
                        "date": r.date, "link": f"changelog/#{r.anchor}", "summary": plain_text(html), "html": html})
    return atom("releases", "Data releases", "New versions of the registry's data packages, with what changed.",
                "api/feeds/releases.xml", site_url, entries)


def issuances_feed(package, issuances: pd.DataFrame, titles: dict[str, str], project_slugs: dict[str, str],
                   site_url: str | None) -> str:
    latest = issuances.sort_values(["issuance_date", "issuance_id"], ascending=[False, True], kind="stable").head(ISSUANCES_IN_FEED)
    entries = []
    for row in latest.itertuples(index=False):
        pid = row.project_id
        title = titles.get(pid) or f"project {pid}"
        entries.append({
            "key": f"{package.name}:issuance:{row.issuance_id}",
            "title": f"{int(row.quantity):,} {row.unit_type} issued to CDM project {pid}",
            "date": row.issuance_date.date().isoformat(),
            "link": f"{package.name}/projects/{project_slugs[pid]}/",
            "summary": (f"{int(row.quantity):,} {row.unit_type} (commitment period {row.commitment_period}) issued on "
                        f"{row.issuance_date.date().isoformat()} to {title}: serial block {row.originating_party}-"
                        f"{row.serial_start} to {row.serial_end}. Source: {row.source_document}, {row.source_location}."),
        })
    as_of = package.descriptor.get("as_of")
    return atom(f"{package.name}-issuances", f"{package.name.upper()}: latest issuances",
                f"The {ISSUANCES_IN_FEED} most recent issuances in the registry reports (data as of {as_of}).",
                f"api/feeds/{package.name}-issuances.xml", site_url, entries)
