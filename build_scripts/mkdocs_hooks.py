"""mkdocs hooks of the registry: what each language's mkdocs build does besides the stock build.

Every language's site is one stock `mkdocs build -f build/mkdocs/<language>.yml` (written by
build_scripts/mkdocs_build.py), and this file is that configuration's `hooks:` entry. It uses
mkdocs' documented plugin events only (https://www.mkdocs.org/dev-guide/plugins/#events) and
replaces no function of mkdocs or of the theme:

- Record pages (one per project, host party and DOE) are rendered by the build's own templates
  as a short Markdown head (title, one line, warnings) followed by the article in HTML, after
  ARTICLE_MARK. `on_page_markdown` hands mkdocs the head alone, so Python-Markdown reads a
  few lines instead of parsing the whole article's raw HTML; the article is appended to the
  page's content in `on_page_context`. Without these hooks, a stock build parses the whole
  file as Markdown and writes the same article (what `make bench` compares with).
- A language other than the default links to the default language's files (downloads, record
  JSON, feeds, our assets and the theme's assets): one copy at the site's root. `on_files` puts
  them in the build's file list as excluded (mkdocs checks links to them and copies none),
  `on_post_page` points such links one folder further up, and `on_post_build` removes the
  theme's assets the build copied anyway.
- Pages lose the blank lines and indentation the theme's templates leave (a quarter of a page).

Settings come from the configuration's `extra.registry` (mkdocs_build.py writes them).
"""

from __future__ import annotations

import html
import logging
import posixpath
import re
import shutil
from pathlib import Path

from mkdocs.plugins import event_priority

# Between a record page's Markdown head and its HTML article (render/pages.py writes it).
ARTICLE_MARK = "\n<!-- registry:article -->\n"

_articles: dict[str, str] = {}
_settings: dict = {}
_shared: set[str] = set()  # URLs (from the site's root) of the default language's files


def on_config(config, **kwargs):
    _articles.clear()
    _shared.clear()
    _settings.clear()
    _settings.update(config.extra.get("registry") or {})
    if _settings.get("shared_docs"):
        logging.getLogger("mkdocs.structure.pages").addFilter(_QuietExcludedLinks())
    return config


def on_files(files, *, config):
    shared_docs = _settings.get("shared_docs")
    if not shared_docs:
        return files
    from mkdocs.structure.files import File, InclusionLevel

    present = {f.src_uri for f in files}
    docs = Path(shared_docs)
    for path in docs.rglob("*"):
        if path.suffix == ".md" or not path.is_file():
            continue
        uri = path.relative_to(docs).as_posix()
        _shared.add(uri)
        if uri not in present:
            files.append(File(uri, str(docs), config["site_dir"], config["use_directory_urls"],
                              inclusion=InclusionLevel.EXCLUDED))
    for theme_dir in config.theme.dirs:
        assets = Path(theme_dir) / "assets"
        if assets.is_dir():
            _shared.update(p.relative_to(theme_dir).as_posix() for p in assets.rglob("*") if p.is_file())
    return files


def on_page_markdown(markdown, *, page, config, files):
    head, mark, article = markdown.partition(ARTICLE_MARK)
    if not mark:
        return markdown
    _articles[page.file.src_uri] = article
    return head


@event_priority(-100)  # after any other plugin has read the page's Markdown content
def on_page_context(context, *, page, config, nav):
    article = _articles.pop(page.file.src_uri, None)
    if article is not None:
        page.content = (page.content or "") + "\n" + article
    return context


@event_priority(-100)
def on_post_page(output, *, page, config):
    if _shared:
        output = _link_shared_files(output, page.url, _shared)
    return squeeze_html(output)


@event_priority(-100)
def on_post_build(*, config):
    site = Path(config["site_dir"])
    for path in site.glob("*.html"):  # the theme's static templates (404.html): squeezed like pages
        text = path.read_text(encoding="utf-8")
        if _shared:
            text = _link_shared_files(text, "", _shared)
        path.write_text(squeeze_html(text), encoding="utf-8")
    if _settings.get("shared_docs"):
        # The theme's assets are the default language's: this build's copy is not published.
        shutil.rmtree(site / "assets", ignore_errors=True)


class _QuietExcludedLinks(logging.Filter):
    """A language's pages link to the default language's files, which are in its build's
    file list only to be linked (excluded from it): mkdocs notes each such link (INFO)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().endswith("which is excluded from the built site.")


_RELATIVE_URL = re.compile(r'((?:href|src|data-[\w-]+)="|"search":\s*")(?![a-z][a-z0-9+.-]*:|/|#)([^"]*)')


def _link_shared_files(output: str, page_url: str, shared: set[str]) -> str:
    """A language's site lives one folder below the default language's: a link to one of the
    default language's files (relative to this language's root) goes one folder further up.
    Links to pages (folder URLs) and anchors are this language's own."""
    folder = page_url if page_url.endswith("/") or not page_url else posixpath.dirname(page_url) + "/"
    depth = folder.count("/")

    def relink(match: re.Match) -> str:
        raw = match.group(2)
        if raw.endswith("/") or not raw or raw[0] == "#" or "/#" in raw:
            return match.group(0)
        value = html.unescape(raw)  # a raw link may be written with references
        path, suffix = re.match(r"([^#?]*)(.*)", value, re.S).groups()
        if not path:
            return match.group(0)
        target = posixpath.normpath(posixpath.join(folder, path))
        if target not in shared:
            return match.group(0)
        return match.group(1) + html.escape("../" * (depth + 1) + target + suffix)

    return _RELATIVE_URL.sub(relink, output)


_VERBATIM = re.compile(r"(<pre\b.*?</pre>|<textarea\b.*?</textarea>|<script\b.*?</script>)", re.S | re.I)
_INDENTED_LINES = re.compile(r"\n\s*")


def squeeze_html(text: str) -> str:
    """Drop the blank lines and indentation the theme's templates leave, outside <pre>,
    <textarea> and <script>; a run of whitespace stays whitespace, so the page renders the same."""
    parts = _VERBATIM.split(text)
    return "".join(part if index % 2 else _INDENTED_LINES.sub("\n", part) for index, part in enumerate(parts))
