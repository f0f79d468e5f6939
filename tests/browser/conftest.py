"""Fixtures for the browser tests: a local HTTP server for the built site and Debian's Chromium.

The site is served by the standard library's ThreadingHTTPServer on 127.0.0.1 with an
ephemeral port, once at the root (as a user or custom-domain site is) and once under
/registry/preview/ (as a GitHub Pages project site is). Playwright drives the system
Chromium (/usr/bin/chromium, or $CHROMIUM); it never downloads a browser.
"""

from __future__ import annotations

import functools
import os
import threading
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

import pytest

CHROMIUM = os.environ.get("CHROMIUM") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
VIEWPORT = {"width": 1280, "height": 900}
SUBPATH = "/registry/preview/"

REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO_ROOT / "test-artifacts" / "screenshots"


class _QuietHandler(SimpleHTTPRequestHandler):
    """Serves files without writing a log line per request."""

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        pass


class StaticServer:
    """A directory served on 127.0.0.1 (ephemeral port) from a daemon thread."""

    def __init__(self, directory: Path) -> None:
        handler = functools.partial(_QuietHandler, directory=str(directory))
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.host, self.port = self.httpd.server_address[:2]
        self.origin = f"http://{self.host}:{self.port}"
        self.netloc = f"{self.host}:{self.port}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, name=f"static-{self.port}", daemon=True)

    def start(self) -> "StaticServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(timeout=5)


@pytest.fixture(scope="session")
def serve_directory() -> Iterator:
    """A factory: serve_directory(path) -> StaticServer; every server stops at session end."""
    servers: list[StaticServer] = []

    def serve(directory: Path) -> StaticServer:
        server = StaticServer(Path(directory)).start()
        servers.append(server)
        return server

    yield serve
    for server in servers:
        server.stop()


@pytest.fixture(scope="session")
def site_server(built_site: Path, serve_directory) -> StaticServer:
    return serve_directory(built_site)


@pytest.fixture(scope="session")
def site_url(site_server: StaticServer) -> str:
    """Base URL (ending in /) of the built site served at the server root."""
    return site_server.origin + "/"


@pytest.fixture(scope="session")
def subpath_server(built_site: Path, tmp_path_factory: pytest.TempPathFactory, serve_directory) -> StaticServer:
    root = tmp_path_factory.mktemp("subpath")
    # A link, not a copy of the 17,000 files: the server follows it, and the pages' relative
    # addresses are all that changes under a sub-path.
    link = root / SUBPATH.strip("/")
    link.parent.mkdir(parents=True)
    link.symlink_to(built_site, target_is_directory=True)
    return serve_directory(root)


@pytest.fixture(scope="session")
def subpath_url(subpath_server: StaticServer) -> str:
    """Base URL (ending in /) of the built site served under /registry/preview/."""
    return subpath_server.origin + SUBPATH


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium (Debian's) for the whole session."""
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(
            f"Chromium not found at {CHROMIUM!r}: the browser tests need it. Run `make test` (installs "
            "Debian's chromium if missing), `sudo apt-get install chromium`, or set CHROMIUM=/path/to/chromium.",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class PageLog:
    """What one page did: every request URL, every response status, console errors, page errors."""

    requests: list[str] = field(default_factory=list)
    responses: list[tuple[str, int]] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def clear(self) -> None:
        for items in (self.requests, self.responses, self.failed, self.console_errors, self.page_errors):
            items.clear()

    @property
    def errors(self) -> list[str]:
        return [f"console: {m}" for m in self.console_errors] + [f"pageerror: {m}" for m in self.page_errors]


def _console_text(message) -> str:
    location = message.location or {}
    where = location.get("url", "")
    if where:
        where = f" ({where}:{location.get('lineNumber', '?')})"
    return f"{message.text}{where}"


def open_page(browser, viewport: dict | None = None):
    """A fresh context and page with a PageLog attached as page.log."""
    context = browser.new_context(viewport=viewport or VIEWPORT)
    context.set_default_timeout(10_000)
    page = context.new_page()
    log = PageLog()
    page.on("request", lambda request: log.requests.append(request.url))
    page.on("response", lambda response: log.responses.append((response.url, response.status)))
    page.on("requestfailed", lambda request: log.failed.append(f"{request.url}: {request.failure}"))
    page.on("console", lambda message: log.console_errors.append(_console_text(message)) if message.type == "error" else None)
    page.on("pageerror", lambda error: log.page_errors.append(str(error)))
    page.log = log  # type: ignore[attr-defined]
    return context, page


@pytest.fixture
def page(browser):
    """A new browser context (1280x900) per test; page.log records requests, responses and errors."""
    context, page = open_page(browser)
    yield page
    context.close()


@pytest.fixture
def narrow_page(browser):
    """Like `page`, 375 px wide (a small phone)."""
    context, page = open_page(browser, {"width": 375, "height": 812})
    yield page
    context.close()


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
