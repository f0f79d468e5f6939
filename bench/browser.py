"""The reader's side of `make bench`: page weight and Lighthouse, on the built site served
the way GitHub Pages serves it (gzip for text, Cache-Control: max-age=600).

Page weight: bytes transferred (compressed, headers excluded) on a first load with an empty
cache, and on a second page view of the same kind in the same browser (cached assets), read
from Chromium's network events (encodedDataLength). Lighthouse: npm lighthouse 12.2.3 (pinned
in bench/package-lock.json) with CHROME_PATH=/usr/bin/chromium, mobile form factor.
"""

from __future__ import annotations

import functools
import gzip
import io
import json
import os
import subprocess
import threading
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

CHROMIUM = os.environ.get("CHROMIUM") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
LIGHTHOUSE = Path(__file__).resolve().parent / "node_modules" / ".bin" / "lighthouse"
COMPRESSED = (".html", ".js", ".css", ".json", ".svg", ".xml", ".csv", ".txt")


class GzipHandler(SimpleHTTPRequestHandler):
    """Static files with gzip (text types) and a 10-minute cache lifetime, like GitHub Pages."""

    def log_message(self, format: str, *args) -> None:  # noqa: A002
        pass

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "max-age=600")
        super().end_headers()

    def send_head(self):  # noqa: C901 - the stdlib's shape
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            if not self.path.split("?")[0].endswith("/"):
                return super().send_head()
            path = path / "index.html"
        if not path.is_file() or path.suffix not in COMPRESSED or "gzip" not in self.headers.get("Accept-Encoding", ""):
            return super().send_head()
        body = gzip.compress(path.read_bytes(), compresslevel=6, mtime=0)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)


class Server:
    def __init__(self, root: Path) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(GzipHandler, directory=str(root)))
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _transferred(page, url: str) -> dict:
    """Navigate and sum encodedDataLength of every request; note whether plotly.js came."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    sizes: dict[str, float] = {}
    urls: dict[str, str] = {}
    cdp.on("Network.requestWillBeSent", lambda e: urls.__setitem__(e["requestId"], e["request"]["url"]))
    cdp.on("Network.loadingFinished", lambda e: sizes.__setitem__(e["requestId"], e["encodedDataLength"]))
    page.goto(url, wait_until="networkidle")
    page.wait_for_timeout(300)
    cdp.detach()
    transferred = int(sum(sizes.values()))
    fetched = [urls.get(r, "") for r, size in sizes.items() if size > 0]
    return {"bytes": transferred, "requests": len(sizes), "fetched": len(fetched),
            "plotly": any("plotly" in u for u in fetched)}


@contextmanager
def served_browser(site: Path):
    """(server, browser): the site served as GitHub Pages serves it, and Chromium."""
    from playwright.sync_api import sync_playwright

    server = Server(site)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                yield server, browser
            finally:
                browser.close()
    finally:
        server.stop()


def page_weights(site: Path, pairs: list[tuple[str, str, str]]) -> list[dict]:
    """pairs: (label, first page, second page of the same kind)."""
    rows = []
    with served_browser(site) as (server, browser):
        for label, first, second in pairs:
            context = browser.new_context()
            page = context.new_page()
            cold = _transferred(page, server.url + first)
            warm = _transferred(page, server.url + second)
            html_bytes = len((site / first / "index.html").read_bytes()) if (site / first / "index.html").exists() else None
            rows.append({"page": label, "path": first, "first_load_bytes": cold["bytes"], "first_load_requests": cold["requests"],
                         "second_view_path": second, "second_view_bytes": warm["bytes"], "second_view_requests": warm["requests"],
                         "loads_plotly": cold["plotly"], "html_bytes_uncompressed": html_bytes})
            context.close()
    return rows


# The emulated mid-range phone of issue 20: CPU slowed 4x, 1.6 Mbit/s down, 750 kbit/s up, 150 ms round trip.
PHONE_NETWORK = {"offline": False, "latency": 150, "downloadThroughput": 1_600_000 / 8, "uploadThroughput": 750_000 / 8}
PHONE_CPU_SLOWDOWN = 4


def ours(url: str) -> bool:
    """A request of the site's search (Pagefind's bundles, build_scripts/search.py)."""
    return "/search/" in url


def stock(url: str) -> bool:
    """A request of stock mkdocs-material's search: its index and its worker."""
    return "search/search_index.json" in url or "/workers/search." in url


# How long a search page may take to load and to show a first result on the emulated phone
# before the row says so instead of a time.
LOAD_TIMEOUT_MS = 120_000
RESULT_TIMEOUT_MS = 120_000


def search_timings(site: Path, queries: list[tuple[str, str, str]], is_search=ours) -> list[dict]:
    """The header search on the emulated phone, each query in a fresh browser context (empty
    cache): bytes of search files (is_search: ours, or the theme's stock search) fetched
    while the page loads (the budget: none), then the query typed half a second after the
    page has loaded, and the time from its last keystroke until the first result is shown,
    with the bytes transferred for search until then. queries: (language, page path, query)."""
    rows = []
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    with served_browser(site) as (server, browser):
        for language, path, query in queries:
            context = browser.new_context(viewport={"width": 412, "height": 823}, is_mobile=True, has_touch=True)
            page = context.new_page()
            cdp = context.new_cdp_session(page)
            cdp.send("Network.enable")
            cdp.send("Network.emulateNetworkConditions", PHONE_NETWORK)
            cdp.send("Emulation.setCPUThrottlingRate", {"rate": PHONE_CPU_SLOWDOWN})
            sizes: dict[str, float] = {}
            urls: dict[str, str] = {}
            cdp.on("Network.requestWillBeSent", lambda e: urls.__setitem__(e["requestId"], e["request"]["url"]))
            cdp.on("Network.loadingFinished", lambda e: sizes.__setitem__(e["requestId"], e["encodedDataLength"]))

            # Pagefind's worker fetches the WebAssembly, index chunks and fragments: the page's CDP
            # session does not see a worker's requests, Playwright's request events do.
            finished: list = []
            page.on("requestfinished", lambda request: finished.append(request))

            def search_bytes() -> int:
                total = 0
                for request in list(finished):
                    if is_search(request.url):
                        sizes_of = request.sizes()
                        total += sizes_of["responseBodySize"] + sizes_of["responseHeadersSize"]
                return total

            # A page whose search index is megabytes (the stock search at 10x) may not be idle for
            # minutes on the phone's network: what it fetched by then is its cost on load.
            page.goto(server.url + path, wait_until="load", timeout=LOAD_TIMEOUT_MS)
            note = ""
            try:
                page.wait_for_load_state("networkidle", timeout=LOAD_TIMEOUT_MS)
            except PlaywrightTimeout:
                note = f"page still loading its search after {LOAD_TIMEOUT_MS // 1000} s; "
            on_load = search_bytes()
            page.wait_for_timeout(500)
            page.locator('label.md-header__button[for="__search"]').click()
            field = page.locator("input.md-search__input")
            field.wait_for(state="visible")
            # Times taken in the page: the last input event, and the first result in the DOM.
            page.evaluate("""() => {
              window.__timing = {};
              document.addEventListener("input", () => { window.__timing.key = performance.now(); }, true);
              new MutationObserver(() => {
                if (!window.__timing.shown && document.querySelector(".md-search-result__item")) window.__timing.shown = performance.now();
              }).observe(document.body, {subtree: true, childList: true});
            }""")
            field.press_sequentially(query, delay=60)
            try:
                page.wait_for_function("() => window.__timing.shown", timeout=RESULT_TIMEOUT_MS)
            except PlaywrightTimeout:
                rows.append({"language": language, "path": path, "query": query, "search_bytes_on_load": on_load,
                             "first_result_ms": None, "search_bytes_to_first_result": search_bytes(),
                             "search_requests": sum(1 for r in finished if is_search(r.url)),
                             "status": note + f"no result within {RESULT_TIMEOUT_MS // 1000} s of the last key"})
                context.close()
                continue
            timing = page.evaluate("() => window.__timing")
            typed, shown = timing["key"], timing["shown"]
            try:  # the count, once the search has said it (ours: when the first results are all shown)
                page.wait_for_function("() => { const m = document.querySelector('.md-search-result__meta');"
                                       " return m && /[0-9]/.test(m.textContent); }", timeout=10_000)
            except PlaywrightTimeout:
                pass
            results = page.locator(".md-search-result__meta").first.inner_text()  # ours and the theme's
            rows.append({"language": language, "path": path, "query": query, "search_bytes_on_load": on_load,
                         "first_result_ms": round(shown - typed), "search_bytes_to_first_result": search_bytes(),
                         "search_requests": sum(1 for r in finished if is_search(r.url)), "status": note + results})
            context.close()
    return rows


def lighthouse(site: Path, pages: list[tuple[str, str]], work: Path, runs: int = 3) -> list[dict]:
    """Lighthouse scores (0-100) per page, the median of `runs` runs (Lighthouse's own advice:
    one run varies by several points; the median of several is the figure to compare), with
    the lowest and highest performance score beside it; pages: (label, path)."""
    if not LIGHTHOUSE.exists():
        raise FileNotFoundError(f"{LIGHTHOUSE} is missing: `make bench` installs it (npm ci in bench/)")
    server = Server(site)
    rows = []
    try:
        for label, path in pages:
            trials = []
            for trial in range(runs):
                report = work / f"lighthouse-{label}-{trial}.json"
                subprocess.run([str(LIGHTHOUSE), server.url + path, "--quiet", "--output=json", f"--output-path={report}",
                                f"--chrome-flags={' '.join(CHROMIUM_ARGS)}", "--form-factor=mobile",
                                "--only-categories=performance,accessibility,best-practices,seo"],
                               check=True, env={**os.environ, "CHROME_PATH": CHROMIUM}, timeout=300,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                data = json.loads(report.read_text(encoding="utf-8"))
                scores = {k: round(v["score"] * 100) for k, v in data["categories"].items()}
                failing = sorted(a["id"] for a in data["audits"].values()
                                 if a.get("scoreDisplayMode") == "binary" and a.get("score") == 0)
                trials.append({**scores,
                               "fcp_ms": round(data["audits"]["first-contentful-paint"]["numericValue"]),
                               "lcp_ms": round(data["audits"]["largest-contentful-paint"]["numericValue"]),
                               "tbt_ms": round(data["audits"]["total-blocking-time"]["numericValue"]),
                               "failing_audits": failing})
            trials.sort(key=lambda t: t["performance"])
            median = trials[len(trials) // 2]  # the run whose performance score is the median
            rows.append({"page": label, "path": path, **median, "runs": runs,
                         "performance_range": f"{trials[0]['performance']}-{trials[-1]['performance']}"})
    finally:
        server.stop()
    return rows
