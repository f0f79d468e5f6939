"""The site's search: Pagefind indexes of the built site, fetched by a reader only when they search.

Pagefind (the `pagefind-bin-extended` binary, pinned in requirements/build.txt; the extended
build segments Chinese) writes a chunked index: a browser fetches the few fragments one
query needs, never the whole index. It writes one fragment file per indexed page, so the
site's pages are indexed in bundles of one kind of result each, built in parallel after
mkdocs (bench/notes/search-evaluation-2026-12-07.md measured the alternatives), and merged
by search.js (bundles(): which, in what order), each with its kind as Pagefind's
`mergeFilter` (the kind filter readers choose; Pagefind writes a bundle's own filters in
a hash map's order, different from build to build, so bundles carry none):

- <language root>/search/pages/ (kind "page"): each language's own pages (hand-written
  pages, JI, indexes, the CDM overview; not the record pages), in a bundle of its own (so a
  language's site is the same whichever other languages are built beside it). Indexed from
  copies of the built pages, in build/search/pages/<language>, each article marked as the
  page's searchable body.
- <language root>/search/<package>/<collection>/ for a collection of countries (the host
  parties, kind "cdm/parties"): each named in that language.
- search/<package>/<collection>/ for every other collection (kind "cdm/projects",
  "cdm/does"): every record once, language-neutral (`zxx`), from generated pages holding
  RECORDS_PER_PAGE records each, in the order the JSON API's collections list them (id,
  title as published, the host parties' codes and names as published, DOEs, type, units
  issued), each record a section under its own heading: each language's search merges it,
  with its links pointing at that language's record pages, so the English titles are found
  in every language. A record page holds tables and numbers; what a reader types to find
  one (an id, words of its title, a party) is all in its section. Records are grouped
  because Pagefind's metadata, which the first query fetches whole, lists every page it
  indexed (about 6 bytes each, gzipped: 48 KB for 8,300 one-record pages, 480 KB at ten
  times the registry), and it writes one fragment file per page; grouped, the metadata is
  32 times smaller and a result's fragment holds its record's neighbours too (about 2 KB).
  search.js shows each matching section (Pagefind's sub-results) as a result of its own.

Normalisation the index and the query share (search.js applies the same to the query):
- Chinese: Pagefind segments Chinese pages when it indexes them, but the query is segmented
  by the browser's Intl.Segmenter, and the two disagree on the site's commonest terms
  (缔约方 becomes 缔/约/方). Each Chinese page therefore carries its Han characters, one by
  one, in a search-only field (`han`), and search.js spaces the Han characters of a query:
  both sides then agree, whatever the browser's segmenter.
- Arabic: Pagefind's Arabic stemmer folds diacritics, not alef, yeh and teh marbuta forms.
  `arabic_normal` (as Lucene's ArabicNormalizer: alef forms to alef, alef maksura to yeh,
  teh marbuta to heh, no tatweel or harakat) is applied to every query, so each Arabic page
  carries the normal forms of its words that have another form in a search-only field
  (`normal`), host parties' records included.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from build_scripts import i18n

# Where a language's pages bundle is published, from the language's root.
PAGES_BUNDLE = "search/pages"
# The kind of result of the pages bundle (search.js: "Pages"); a record's is its collection's.
PAGE_KIND = "page"
# Pagefind's files the site does not use: its own search interfaces (search.js is the site's).
_UNUSED = re.compile(r"^pagefind-(ui|modular-ui|component-ui|highlight)\b")
# The language of the records bundle: no linguistic content (ISO 639-2 "zxx"), no stemmer.
NEUTRAL = "zxx"

_ARTICLE = re.compile(r'<article class="md-content__inner md-typeset"')
_ARTICLE_END = "</article>"
_TAGS = re.compile(r"<[^>]+>")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_ARABIC_WORD = re.compile(r"[\u0600-\u06ff\u0750-\u077f]+")


class SearchIndexFailed(Exception):
    """Pagefind could not index the site."""


def arabic_normal(text: str) -> str:
    """Arabic letters in one form each (as Lucene's ArabicNormalizer): alef with hamza or
    madda, and alef wasla, as alef; alef maksura as yeh; teh marbuta as heh; no tatweel and
    no harakat. search.js normalises queries the same way."""
    text = re.sub(r"[\u064b-\u065f\u0670\u0640]", "", text)
    text = re.sub(r"[\u0622\u0623\u0625\u0671]", "\u0627", text)
    return text.replace("\u0649", "\u064a").replace("\u0629", "\u0647")


def han_characters(text: str) -> str:
    """The distinct Han characters of a text, in order of appearance, space-separated."""
    return " ".join(dict.fromkeys(_HAN.findall(text)))


@dataclass
class Record:
    url: str       # the record page, from a language's root: "cdm/projects/100/"
    kind: str      # "<package>/<collection>", e.g. "cdm/projects"
    id: str
    title: str
    words: list[str]  # what else finds it: party codes and names as published, DOEs, type
    parties: list[str]
    language: str = NEUTRAL  # a host party's record is written in each language (its name)
    units: int | None = None  # a project's units issued, shown beside the result


# Collections whose records are countries (the id a code, the title its name): named in each
# language's own index rather than in the neutral bundle (see records()), one page per record
# (their search-only fields, han and normal, are a page's: a match in them has no section).
COUNTRY_COLLECTIONS = {"parties"}
# Records per page Pagefind indexes in a language-neutral bundle (see the module's docstring):
# bench/notes/search-evaluation-2026-12-07.md measured 1, 16, 32 and 64.
RECORDS_PER_PAGE = 32
# A record's section heading id in its group page: "r<position>" (search.js reads it back).
SECTION_PREFIX = "r"


def records(site: Path, languages: list[str], locales: Path = i18n.DEFAULT_LOCALES) -> list[Record]:
    """Every record the JSON API lists (api/index.json's collections), with the words that
    find it. A project or DOE once, language-neutral: its id, title and, for a project, its
    host parties' codes and names as published, DOEs and type (from the explorer's data). A
    host party once per language, named in it, in that language's index: Pagefind skips a
    query's words that an index does not hold, so a neutral bundle holding names in every
    script would answer a Chinese query by any one of its characters (约 of 缔约方 finds
    约旦, Jordan)."""
    translators = {languages[0]: i18n.Translator(languages[0])}
    translators.update({code: i18n.translator(code, locales) for code in languages[1:]})
    found: list[Record] = []
    for collection in collections(site):
        kind = f"{collection['package']}/{collection['name']}"
        listed = json.loads((site / collection["index"]).read_text(encoding="utf-8"))["records"]
        if collection["name"] in COUNTRY_COLLECTIONS:
            for code, translator in translators.items():
                found += [Record(entry["page"], kind, str(entry["id"]), translator.country(entry["id"], entry["title"]),
                                 [str(entry["id"])], [str(entry["id"])], code) for entry in listed]
            continue
        extra = _explorer_rows(site, collection) if collection["name"] == "projects" else {}
        for entry in listed:
            words, parties, units = [], [], None
            row = extra.get(entry["page"])
            if row:
                parties, units = row["host_parties"], row["units_issued"]
                words += [w for pair in zip(row["host_parties"], row["host_party_names"]) for w in pair]
                words += [*row["entities"], row["project_type"] or "", row["project_subtype"] or ""]
            found.append(Record(entry["page"], kind, str(entry["id"]), entry["title"] or str(entry["id"]),
                                [w for w in dict.fromkeys(words) if w], parties, units=units))
    return found


def _explorer_rows(site: Path, collection: dict) -> dict[str, dict]:
    """The explorer's row of each project, by page (downloads/<package>/explorer.json)."""
    path = site / "downloads" / collection["package"] / "explorer.json"
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    columns = data["columns"]
    return {row[columns.index("url")]: dict(zip(columns, row)) for row in data["rows"]}


def record_stub(record: Record) -> str:
    """The page Pagefind indexes for one record: its title (the result's title), id and words,
    what a result shows as meta (kind, id, host parties, units issued); in a language's
    index, with that language's search-only fields (searchable_page)."""
    fields = [("kind", record.kind), ("id", record.id), ("parties", " ".join(record.parties))]
    if record.units is not None:
        fields.append(("units", str(record.units)))
    meta = "".join(f'<span data-pagefind-meta="{key}[data-value]" data-value="{html.escape(value)}"></span>'
                   for key, value in fields)
    title = html.escape(record.title)
    words = html.escape(record_words(record))
    page = (f'<!doctype html><html lang="{record.language}"><head><meta charset="utf-8"><title>{title}</title></head><body>'
            f'<article class="md-content__inner md-typeset"><h1>{title}</h1><p>{words}</p>{meta}</article>'
            f"</body></html>\n")
    return searchable_page(page, record.language)


def record_words(record: Record) -> str:
    """What finds a record besides its title: its id, its words, its id word."""
    return " ".join([record.id, *record.words, id_word(record.id)])


def group_page(records: list[Record]) -> str:
    """The page Pagefind indexes for up to RECORDS_PER_PAGE language-neutral records of one
    collection: each record a section, its title the heading (id "r<position>": a result's
    sub-result, search.js) and its words below it; as meta, the collection ("kind") and each
    record's page, id, host parties and units issued, in section order ("records", JSON)."""
    (kind,) = {record.kind for record in records}
    listed = [[r.url, r.id, " ".join(r.parties), r.units] for r in records]
    meta = (f'<span data-pagefind-meta="kind[data-value]" data-value="{html.escape(kind)}"></span>'
            f'<span data-pagefind-meta="records[data-value]" '
            f'data-value="{html.escape(json.dumps(listed, ensure_ascii=False, separators=(",", ":")))}"></span>')
    sections = "".join(f'<h2 id="{SECTION_PREFIX}{n}">{html.escape(r.title)}</h2><p>{html.escape(record_words(r))}</p>'
                       for n, r in enumerate(records))
    return (f'<!doctype html><html lang="{NEUTRAL}"><head><meta charset="utf-8"><title>{html.escape(kind)}</title></head>'
            f'<body><article class="md-content__inner md-typeset" data-pagefind-body>{meta}{sections}</article>'
            f"</body></html>\n")


def collections(site_or_docs: Path) -> list[dict]:
    """The record collections the JSON API lists (api/index.json, in the generated docs or
    the built site; none without it)."""
    index = site_or_docs / "api" / "index.json"
    if not index.exists():
        return []
    return [c for p in json.loads(index.read_text(encoding="utf-8"))["packages"] for c in p.get("collections") or []]


def bundle_path(kind: str) -> str:
    """Where a collection's bundle is published, from its root: "search/cdm/projects"."""
    return "search/" + kind


@dataclass(frozen=True)
class Bundle:
    kind: str     # what its results are: PAGE_KIND, or a collection ("cdm/projects")
    path: str     # where it is published: "search/pages", "search/cdm/projects"
    shared: bool  # at the site's root, merged by every language; else in each language's root


def bundles(site_or_docs: Path) -> list[Bundle]:
    """The bundles search.js merges, the language's pages first (the one whose WebAssembly
    Pagefind loads: the language's stemmer), then each record collection's."""
    found = [Bundle(PAGE_KIND, PAGES_BUNDLE, False)]
    for collection in collections(site_or_docs):
        if collection["count"]:
            kind = f"{collection['package']}/{collection['name']}"
            found.append(Bundle(kind, bundle_path(kind), collection["name"] not in COUNTRY_COLLECTIONS))
    return found


# A record's id as one word of its own ("100_id"; Pagefind keeps "_" inside words): the quoted
# search search.js runs for an id typed whole finds that record alone, not every title that
# holds the number. The id first, so that the word sits in the same index chunk as the id
# typed (Pagefind's chunks are ranges of words in order): the two searches of an id fetch
# one chunk, not two.
def id_word(identifier: str) -> str:
    return re.sub(r"\W+", "_", identifier.lower()) + "_id"


def record_pages(site: Path) -> list[str]:
    """The record pages' URL prefixes ("cdm/projects/"), from api/index.json."""
    return [c["page"].split("{slug}")[0] for c in collections(site)]


def searchable_page(text: str, language: str) -> str | None:
    """A built page as Pagefind indexes it: its article as the searchable body, with the
    search-only fields of its language (Chinese: Han characters; Arabic: normal forms).
    None for a page without an article."""
    match = _ARTICLE.search(text)
    if not match:
        return None
    end = text.find(_ARTICLE_END, match.end())
    article = text[match.end():end] if end > 0 else ""
    plain = html.unescape(_TAGS.sub(" ", article)) if language in ("zh", "ar") else ""
    extra = ""
    if language == "zh":
        extra = f'<div hidden data-pagefind-ignore data-pagefind-meta="han">{html.escape(han_characters(plain))}</div>'
    elif language == "ar":
        forms = {word: arabic_normal(word) for word in _ARABIC_WORD.findall(plain)}
        changed = dict.fromkeys(normal for word, normal in forms.items() if normal != word)
        extra = f'<div hidden data-pagefind-ignore data-pagefind-meta="normal">{html.escape(" ".join(changed))}</div>'
    marked = text[:match.start()] + '<article data-pagefind-body class="md-content__inner md-typeset"' + text[match.end():]
    if extra and end > 0:
        at = marked.find(_ARTICLE_END, match.start())
        marked = marked[:at] + extra + marked[at:]
    return marked


def _language_roots(site: Path, languages: list[str]) -> list[tuple[str, Path]]:
    return [(code, site if code == languages[0] else site / code) for code in languages]


def write_sources(site: Path, languages: list[str], work: Path,
                  locales: Path = i18n.DEFAULT_LOCALES) -> tuple[list[tuple[Path, Path]], int, int]:
    """The pages Pagefind indexes (made afresh in work): each language's pages in
    work/pages/<language>, each collection of countries in work/<language>/<kind>, each other
    collection in work/records/<kind> (paths from the language's root). Returns the
    (source, bundle) pairs, the language's bundles first, and the numbers of pages and of
    language-neutral records."""
    shutil.rmtree(work, ignore_errors=True)
    skip = tuple(record_pages(site))
    others = set(languages[1:])
    roots = _language_roots(site, languages)
    jobs: list[tuple[Path, Path]] = []
    pages = 0
    for code, root in roots:
        source = work / "pages" / code
        source.mkdir(parents=True)
        jobs.append((source, root / PAGES_BUNDLE))
        for path in sorted(root.rglob("index.html")):
            relative = path.relative_to(root).as_posix()
            first = relative.split("/", 1)[0]
            if code == languages[0] and first in others:
                continue
            if first in ("api", "assets", "search") or any(relative.startswith(s) and relative != s + "index.html" for s in skip):
                continue
            marked = searchable_page(path.read_text(encoding="utf-8"), code)
            if marked is None:
                continue
            target = source / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(marked, encoding="utf-8")
            pages += 1
    found = records(site, languages, locales) if skip else []
    kinds: set[str] = set()
    grouped: dict[str, list[Record]] = {}
    for record in found:
        neutral = record.language == NEUTRAL
        if record.kind not in kinds:
            kinds.add(record.kind)
            jobs += [(work / "records" / record.kind, site / bundle_path(record.kind))] if neutral else [
                (work / code / record.kind, root / bundle_path(record.kind)) for code, root in roots]
        if neutral:
            grouped.setdefault(record.kind, []).append(record)
            continue
        target = work / record.language / record.kind / record.url / "index.html"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(record_stub(record), encoding="utf-8")
    for kind, listed in grouped.items():
        for start in range(0, len(listed), RECORDS_PER_PAGE):
            target = work / "records" / kind / f"{start // RECORDS_PER_PAGE:05d}" / "index.html"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(group_page(listed[start:start + RECORDS_PER_PAGE]), encoding="utf-8")
    return jobs, pages, sum(r.language == NEUTRAL for r in found)


def _pagefind(source: Path, output: Path) -> subprocess.Popen:
    """Pagefind's command line on one folder (run in it: no pagefind.yml of another folder applies)."""
    command = [sys.executable, "-m", "pagefind_bin_extended", "--site", str(source.resolve()), "--output-path", str(output.resolve()),
               "--exclude-selectors", ".headerlink", "--quiet"]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=source)


def _sort_entry(path: Path) -> None:
    """Pagefind lists a bundle's languages in a hash map's order, which changes from run to
    run: in code order, so that two builds of the same site are the same bytes."""
    entry = json.loads(path.read_text(encoding="utf-8"))
    entry["languages"] = dict(sorted(entry["languages"].items()))
    path.write_text(json.dumps(entry, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")


def read_fragments(bundle: Path) -> list[dict]:
    """Every page a bundle holds as Pagefind stored it (url, content, meta): what a result
    fetches. Fragments are gzip files whose text starts with Pagefind's signature."""
    import gzip

    return [json.loads(gzip.decompress(path.read_bytes()).decode("utf-8").removeprefix("pagefind_dcd"))
            for path in sorted((bundle / "fragment").glob("*.pf_fragment"))]


def _digest(folder: Path) -> str:
    import hashlib

    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*.html")):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def index_site(site: Path, languages: list[str], work: Path, locales: Path = i18n.DEFAULT_LOCALES,
               progress=lambda _: None, reuse_records: bool = False) -> dict[str, int]:
    """Every bundle (see the module's docstring), indexed at once in a process each, each
    bundle's folder made afresh. reuse_records (make serve's preview, which indexes the served
    site in place): the language-neutral bundles are kept when their pages are the ones they
    were made from (a digest beside the work folder). Returns the pages and records indexed;
    SearchIndexFailed names what Pagefind said."""
    jobs, pages, count = write_sources(site, languages, work, locales)
    neutral = work / "records"
    digest_file = work.with_name(work.name + ".records.sha256")
    digest = _digest(neutral)
    shared = [(source, output) for source, output in jobs if source.is_relative_to(neutral)]
    keep = (reuse_records and all(output.is_dir() for _, output in shared) and digest_file.exists()
            and digest_file.read_text() == digest)
    if keep:
        jobs = [job for job in jobs if job not in shared]
    progress(f"indexing {pages} pages" + ("" if keep else f" and {count} records") + " for search (Pagefind)")
    for _, output in jobs:
        shutil.rmtree(output, ignore_errors=True)
    digest_file.unlink(missing_ok=True)
    running = [(_pagefind(source, output), output) for source, output in jobs]
    failures = []
    for job, output in running:
        said, _ = job.communicate()
        if job.returncode != 0:
            failures.append(f"{output.relative_to(site).as_posix()}: exit {job.returncode}\n{said.strip()[-2000:]}")
        else:
            for path in output.iterdir():
                if _UNUSED.match(path.name):
                    path.unlink()
            _sort_entry(output / "pagefind-entry.json")
    if failures:
        raise SearchIndexFailed("Pagefind could not index the site:\n" + "\n".join(failures))
    if count:
        digest_file.write_text(digest)
    shutil.rmtree(work, ignore_errors=True)
    return {"pages": pages, "records": count}
