"""The CDM project explorer (cdm/explorer/) in Debian's Chromium, against a real mkdocs build.

Until the site build generates the page, the tests build a small harness site themselves:
the template rendered with the project's jinja2 environment (as the build renders every
page), the site's assets, the fixture JSON (tests/fixtures/explorer/, real CDM rows), and
the project's mkdocs.yml with a two-page nav, built with `mkdocs build --strict` and served
from 127.0.0.1 under a sub-path (the hardest case for relative URLs). Every expectation is
computed from the fixture in Python.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
import unicodedata
from collections import Counter
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import yaml
from markupsafe import Markup

from build_scripts.render.environment import make_environment, relative_root

from .conftest import open_page

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "tests" / "fixtures" / "explorer" / "cdm-explorer.json"
PAGE_PATH = "cdm/explorer.md"
DATA_PATH = "downloads/cdm/cdm-explorer.json"
SUBPATH = "/registry/preview/"
APP = "#cdm-explorer"
READY = '#cdm-explorer[data-ready="true"]'
LOCAL_SCHEMES = {"data", "blob", "about"}
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"

# Column index by name, from the fixture's own header.
DATA = json.loads(FIXTURE.read_text(encoding="utf-8"))
COLUMNS = DATA["columns"]
ROWS = DATA["rows"]
C = {name: i for i, name in enumerate(COLUMNS)}


# --- expectations from the fixture -------------------------------------------------------------


def fold(text: str) -> str:
    """What the explorer's search compares: accents removed, lower case."""
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if not 0x300 <= ord(c) <= 0x36F).lower()


def haystack(row: list) -> str:
    parts = [row[C["project_id"]], row[C["title"]], " ".join(row[C["host_party_names"]]),
             " ".join(c or "" for c in row[C["host_parties"]]), row[C["activity_type"]],
             row[C["project_type"]], row[C["project_subtype"]], " ".join(row[C["entities"]])]
    return fold(" ".join(p for p in parts if p is not None))


def text_matches(row: list, text: str) -> bool:
    return all(token in haystack(row) for token in fold(text).split())


def by_id(rows: list[list]) -> list[list]:
    return sorted(rows, key=lambda r: int(r[C["project_id"]]))


def by_units_desc(rows: list[list]) -> list[list]:
    """Units issued, largest first, missing values last, ties by reference number."""
    units = C["units_issued"]
    return sorted(rows, key=lambda r: (r[units] is None, -(r[units] or 0), int(r[C["project_id"]])))


def ids(rows: list[list]) -> list[str]:
    return [r[C["project_id"]] for r in rows]


def csv_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ";".join("" if v is None else str(v) for v in value)
    return str(value)


def party_and_type() -> tuple[str, str, list[list]]:
    """The (host party, project type) pair with the most rows that the type really narrows."""
    pairs = Counter()
    for r in ROWS:
        for party in r[C["host_parties"]]:
            if r[C["project_type"]]:
                pairs[(party, r[C["project_type"]])] += 1
    party_total = Counter(p for r in ROWS for p in set(r[C["host_parties"]]))
    for (party, kind), count in pairs.most_common():
        if 2 <= count < party_total[party]:
            rows = [r for r in ROWS if party in r[C["host_parties"]] and r[C["project_type"]] == kind]
            return party, kind, rows
    raise AssertionError("the fixture has no host party with two project types of two or more rows")


# --- the harness site ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def explorer_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Builds the harness with mkdocs (strict) and returns the built site folder."""
    work = tmp_path_factory.mktemp("explorer")
    docs = work / "docs"
    shutil.copytree(REPO / "site_src" / "docs" / "assets", docs / "assets")
    (docs / DATA_PATH).parent.mkdir(parents=True)
    shutil.copy2(FIXTURE, docs / DATA_PATH)

    root = relative_root(PAGE_PATH)  # "../../"
    environment = make_environment(REPO / "site_src" / "templates")
    text = environment.get_template("cdm/explorer.md.j2").render(
        data_href=root + DATA_PATH, row_count=len(ROWS), root=Markup(root), page_sources=[],
    )
    (docs / PAGE_PATH).parent.mkdir(parents=True, exist_ok=True)
    (docs / PAGE_PATH).write_text(text, encoding="utf-8")
    (docs / "index.md").write_text("---\ntitle: Harness\n---\n\n# Harness\n\n[Explorer](cdm/explorer.md)\n",
                                   encoding="utf-8")

    config = yaml.safe_load((REPO / "mkdocs.yml").read_text(encoding="utf-8"))
    config.update(docs_dir=str(docs), site_dir=str(work / "site"),
                  nav=[{"Home": "index.md"}, {"CDM explorer": PAGE_PATH}])
    config["theme"]["custom_dir"] = str(REPO / "site_src" / "overrides")
    config_path = work / "mkdocs.yml"
    config_path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "-f", str(config_path)],
                            capture_output=True, text=True, cwd=work)
    assert result.returncode == 0, f"mkdocs build failed:\n{result.stdout}\n{result.stderr}"
    served = work / "served"
    shutil.copytree(work / "site", served / SUBPATH.strip("/"))
    return served


@pytest.fixture(scope="session")
def explorer_server(explorer_site: Path, serve_directory):
    return serve_directory(explorer_site)


@pytest.fixture(scope="session")
def explorer_url(explorer_server) -> str:
    return explorer_server.origin + SUBPATH + "cdm/explorer/"


# --- helpers ------------------------------------------------------------------------------------


def open_explorer(page, url: str) -> None:
    response = page.goto(url, wait_until="networkidle")
    assert response is not None and response.status == 200, f"{url}: {response and response.status}"
    page.locator(READY).wait_for(state="attached")


def shown_ids(page) -> list[str]:
    return page.eval_on_selector_all(f"{APP} tbody th[scope=row] a", "links => links.map(a => a.textContent)")


def matching(page) -> int:
    return int(page.locator(f"{APP} [data-explorer=status]").get_attribute("data-matching"))


def wait_matching(page, count: int) -> None:
    page.wait_for_function(
        "n => document.querySelector('#cdm-explorer [data-explorer=status]').dataset.matching === String(n)",
        arg=count, timeout=5000,
    )


def option_texts(page, name: str) -> list[list[str]]:
    return page.eval_on_selector_all(f"{APP} select[name={name}] option", "os => os.map(o => [o.value, o.textContent])")


def sort_header(page, label: str):
    return page.locator(f"{APP} thead th", has=page.get_by_role("button", name=label, exact=True))


def sort_until(page, label: str, direction: str) -> None:
    header = sort_header(page, label)
    for _ in range(3):
        if header.get_attribute("aria-sort") == direction:
            return
        header.get_by_role("button").click()
    assert header.get_attribute("aria-sort") == direction


def controls(page) -> dict:
    return page.evaluate("""() => {
      const form = document.querySelector('#cdm-explorer form');
      const out = {};
      for (const name of ['text', 'party', 'type', 'doe', 'cp', 'kind', 'size']) out[name] = form.elements[name].value;
      out.sorted = Array.from(document.querySelectorAll('#cdm-explorer th[aria-sort]'))
        .map(th => th.dataset.key + ':' + th.getAttribute('aria-sort'));
      out.page = document.querySelector('#cdm-explorer input[name=page]').value;
      return out;
    }""")


def assert_clean(page, netloc: str) -> None:
    """No console or page error, no failed request, nothing outside the server's sub-path."""
    foreign = [u for u in page.log.requests
               if urlsplit(u).scheme not in LOCAL_SCHEMES
               and (urlsplit(u).netloc != netloc or not urlsplit(u).path.startswith(SUBPATH))]
    assert not foreign, f"requests outside {netloc}{SUBPATH}: {foreign}"
    assert not page.log.failed, page.log.failed
    assert not [(u, s) for u, s in page.log.responses if s >= 400]
    assert not page.log.errors, page.log.errors


def download_csv(page) -> tuple[str, list[list[str]]]:
    with page.expect_download() as info:
        page.locator(f"{APP} [data-explorer=csv]").click()
    download = info.value
    raw = Path(download.path()).read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf"), "the CSV starts with a byte-order mark"
    return download.suggested_filename, list(csv.reader(io.StringIO(raw.decode("utf-8"), newline="")))


# --- tests --------------------------------------------------------------------------------------


def test_page_loads_every_row_locally(page, explorer_url, explorer_server):
    open_explorer(page, explorer_url)
    status = page.locator(f"{APP} [data-explorer=status]")
    assert matching(page) == len(ROWS)
    assert status.get_attribute("data-total") == str(len(ROWS))
    assert f"of all {len(ROWS)} projects" in status.inner_text()
    size = int(page.locator(f"{APP} select[name=size]").input_value())
    assert shown_ids(page) == ids(by_id(ROWS))[:size]
    assert page.locator(f"{APP} [data-explorer=page-count]").inner_text() == str(-(-len(ROWS) // size))
    assert page.locator(f"{APP} select[name=party] option").first.inner_text() == f"All ({len(ROWS)})"
    # Project links: root + url, resolved under the sub-path.
    first = by_id(ROWS)[0]
    href = page.locator(f"{APP} tbody th[scope=row] a").first.get_attribute("href")
    assert urljoin(page.url, href) == explorer_server.origin + SUBPATH + first[C["url"]]
    # The page's own description comes from the template's front matter.
    assert str(len(ROWS)) in page.locator('meta[name="description"]').get_attribute("content")
    assert_clean(page, explorer_server.netloc)


def test_facets_filter_by_host_party_and_type(page, explorer_url, explorer_server):
    party, kind, expected = party_and_type()
    open_explorer(page, explorer_url + "?size=250")
    # Option counts are computed from the data.
    party_counts = Counter(p for r in ROWS for p in set(r[C["host_parties"]]))
    options = option_texts(page, "party")
    shown = {value: text.rsplit(" (", 1)[1].rstrip(")") for value, text in options if value}
    assert shown == {code: str(n) for code, n in party_counts.items()}

    page.locator(f"{APP} select[name=party]").select_option(party)
    in_party = [r for r in ROWS if party in r[C["host_parties"]]]
    wait_matching(page, len(in_party))
    type_counts = Counter(r[C["project_type"]] or "none" for r in in_party)
    options = option_texts(page, "type")
    shown_counts = {v: int(t.rsplit(" (", 1)[1].rstrip(")")) for v, t in options if v}
    assert {k: n for k, n in shown_counts.items() if n} == dict(type_counts)

    page.locator(f"{APP} select[name=type]").select_option(kind)
    wait_matching(page, len(expected))
    assert shown_ids(page) == ids(by_id(expected))
    status = page.locator(f"{APP} [data-explorer=status]").inner_text()
    assert f"{len(expected)} of {len(ROWS)} projects match" in status
    query = parse_qs(urlsplit(page.url).query)
    assert query["party"] == [party] and query["type"] == [kind]
    assert_clean(page, explorer_server.netloc)


def test_sort_by_units_issued_descending(page, explorer_url, explorer_server):
    open_explorer(page, explorer_url + "?size=250")
    sort_until(page, "Units issued", "descending")
    expected = by_units_desc(ROWS)
    assert shown_ids(page)[0] == expected[0][C["project_id"]]
    assert expected[0][C["units_issued"]] == max(r[C["units_issued"]] or 0 for r in ROWS)
    assert shown_ids(page) == ids(expected)
    shown_units = page.eval_on_selector_all(f"{APP} tbody tr td:nth-child(8)", "tds => tds.map(t => t.textContent)")
    assert shown_units[0] == f"{expected[0][C['units_issued']]:,}"
    assert page.locator(f"{APP} th[aria-sort]").count() == 1
    sort_until(page, "Units issued", "ascending")
    assert shown_ids(page)[0] == min((r for r in ROWS if r[C["units_issued"]] is not None),
                                     key=lambda r: (r[C["units_issued"]], int(r[C["project_id"]])))[C["project_id"]]
    assert_clean(page, explorer_server.netloc)


def test_url_restores_filters_sort_and_controls(browser, page, explorer_url, explorer_server):
    party, kind, expected = party_and_type()
    word = fold(expected[0][C["project_type"]]).split()[0]  # a word every expected row has
    open_explorer(page, explorer_url)
    page.locator(f"{APP} select[name=party]").select_option(party)
    page.locator(f"{APP} select[name=type]").select_option(kind)
    page.get_by_label("Search projects", exact=True).fill(word.upper())
    wait_matching(page, len(expected))
    sort_until(page, "Units issued", "descending")
    before_ids, before_controls = shown_ids(page), controls(page)
    assert before_ids == ids(by_units_desc(expected))
    permalink = urljoin(page.url, page.locator(f"{APP} [data-explorer=permalink]").get_attribute("href"))
    assert permalink == page.url

    context, fresh = open_page(browser)
    try:
        open_explorer(fresh, page.url)
        assert shown_ids(fresh) == before_ids
        assert controls(fresh) == before_controls
        assert before_controls["sorted"] == ["units_issued:descending"]
        assert fresh.url == page.url
        assert_clean(fresh, explorer_server.netloc)
    finally:
        context.close()
    assert_clean(page, explorer_server.netloc)


def test_url_restores_the_page_of_the_table(browser, page, explorer_url, explorer_server):
    open_explorer(page, explorer_url)
    page.locator(f"{APP} select[name=size]").select_option("25")
    page.get_by_role("button", name="Next").click()
    page.get_by_role("button", name="Next").click()
    assert shown_ids(page) == ids(by_id(ROWS))[50:75]
    assert parse_qs(urlsplit(page.url).query) == {"size": ["25"], "page": ["3"]}
    last_page = "true" if len(ROWS) <= 75 else "false"
    assert page.get_by_role("button", name="Next").get_attribute("aria-disabled") == last_page
    context, fresh = open_page(browser)
    try:
        open_explorer(fresh, page.url)
        assert shown_ids(fresh) == ids(by_id(ROWS))[50:75]
        assert controls(fresh) == controls(page)
    finally:
        context.close()


def test_csv_export_holds_exactly_the_filtered_sorted_rows(page, explorer_url, explorer_server):
    party, kind, _ = party_and_type()
    open_explorer(page, explorer_url)
    page.locator(f"{APP} select[name=size]").select_option("25")
    page.locator(f"{APP} select[name=party]").select_option(party)
    expected = by_units_desc([r for r in ROWS if party in r[C["host_parties"]]])
    wait_matching(page, len(expected))
    sort_until(page, "Units issued", "descending")
    assert len(shown_ids(page)) == min(25, len(expected))
    assert page.locator(f"{APP} [data-explorer=csv]").inner_text() == f"Download {len(expected)} rows (CSV)"
    name, records = download_csv(page)
    assert name == "cdm-projects-filtered.csv"
    assert records[0] == COLUMNS
    assert records[1:] == [[csv_value(v) for v in r] for r in expected]
    # The export is not limited to the visible page.
    assert len(records) - 1 == len(expected)
    assert_clean(page, explorer_server.netloc)


def test_csv_export_of_everything_keeps_quotes_commas_and_accents(page, explorer_url, explorer_server):
    open_explorer(page, explorer_url)
    _, records = download_csv(page)
    assert records[0] == COLUMNS
    assert records[1:] == [[csv_value(v) for v in r] for r in by_id(ROWS)]
    titles = {r[C["project_id"]]: r[C["title"]] for r in ROWS}
    tricky = [t for t in titles.values() if t and '"' in t and "," in t]
    assert tricky, "the fixture should have a title with quotes and commas"
    assert_clean(page, explorer_server.netloc)


@pytest.mark.parametrize("fragment", ["tavara", "São Francisco", "RSIPL- WHRB(1&2)", "Sirin\" & \"Gilboa"])
def test_search_finds_a_title_fragment(page, explorer_url, explorer_server, fragment):
    expected = by_id([r for r in ROWS if text_matches(r, fragment)])
    assert expected, f"{fragment!r} matches nothing in the fixture"
    open_explorer(page, explorer_url)
    page.get_by_label("Search projects", exact=True).fill(fragment)
    wait_matching(page, len(expected))
    assert shown_ids(page) == ids(expected)
    # The title is shown as the same text, quotes, ampersands and accents included.
    titles = page.eval_on_selector_all(f"{APP} tbody td.cdm-explorer__title", "tds => tds.map(t => t.textContent)")
    assert titles == [r[C["title"]] for r in expected]
    assert parse_qs(urlsplit(page.url).query)["text"] == [fragment]
    assert_clean(page, explorer_server.netloc)


def test_values_are_rendered_as_text_never_as_html(page, explorer_url, explorer_server):
    hostile = '<img src="x" onerror="window.__pwned=1"><b>bold</b><script>window.__pwned=2</script>'
    data = json.loads(json.dumps(DATA))
    target = by_id(data["rows"])[0]
    target[C["title"]] = hostile
    target[C["entities"]] = ["<i>DOE</i>"]
    page.route("**/" + DATA_PATH, lambda route: route.fulfill(
        status=200, content_type="application/json", body=json.dumps(data)))
    open_explorer(page, explorer_url)
    row = page.locator(f"{APP} tbody tr").first
    assert row.locator("td.cdm-explorer__title").text_content() == hostile
    assert row.locator("td").nth(3).text_content() == "<i>DOE</i>"
    assert page.locator(f"{APP} tbody img, {APP} tbody b, {APP} tbody i, {APP} tbody script").count() == 0
    assert page.evaluate("() => window.__pwned") is None
    assert_clean(page, explorer_server.netloc)


PREVIOUS_FOCUSABLE = """target => {
  const all = Array.from(document.querySelectorAll('a[href], button, input, select, textarea, summary, [tabindex]'))
    .filter(e => e.tabIndex >= 0 && !e.disabled && e.getClientRects().length > 0);
  const i = all.indexOf(target);
  if (i <= 0) return false;
  all[i - 1].focus();
  return document.activeElement === all[i - 1];
}"""

DESCRIBE_FOCUS = """() => {
  const e = document.activeElement;
  const style = getComputedStyle(e);
  const th = e.closest('th[data-key]');
  return {
    name: e.name || (e.dataset && e.dataset.explorer) || (th && 'sort:' + th.dataset.key) || e.tagName.toLowerCase(),
    outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 1,
  };
}"""


def test_keyboard_reaches_and_operates_every_control(page, explorer_url, explorer_server):
    open_explorer(page, explorer_url)
    search = page.get_by_label("Search projects", exact=True)
    assert search.evaluate(PREVIOUS_FOCUSABLE), "nothing focusable before the search field"
    seen = []
    for _ in range(14):
        page.keyboard.press("Tab")
        focus = page.evaluate(DESCRIBE_FOCUS)
        seen.append(focus["name"])
        assert focus["outline"], f"no visible focus on {focus['name']}"
    expected = ["text", "party", "type", "doe", "cp", "kind", "size", "clear", "csv", "permalink", "region",
                "sort:project_id", "sort:title", "sort:host_party_names"]
    assert seen == expected

    # Enter and Space on a sort header button.
    button = sort_header(page, "Units issued").get_by_role("button")
    button.focus()
    page.keyboard.press("Enter")
    assert sort_header(page, "Units issued").get_attribute("aria-sort") == "descending"
    assert shown_ids(page)[0] == by_units_desc(ROWS)[0][C["project_id"]]
    page.keyboard.press("Space")
    assert sort_header(page, "Units issued").get_attribute("aria-sort") == "ascending"
    assert button.evaluate("b => b === document.activeElement"), "sorting lost the focus"

    # Arrow keys on a facet select change the filter.
    party = page.locator(f"{APP} select[name=party]")
    party.focus()
    page.keyboard.press("ArrowDown")
    chosen = party.input_value()
    assert chosen
    wait_matching(page, sum(1 for r in ROWS if chosen in r[C["host_parties"]]))
    page.locator(f"{APP} [data-explorer=clear]").focus()
    page.keyboard.press("Enter")
    wait_matching(page, len(ROWS))

    # The pager, with Enter; focus stays on the button.
    next_button = page.get_by_role("button", name="Next")
    next_button.focus()
    page.keyboard.press("Enter")
    assert page.locator(f"{APP} input[name=page]").input_value() == "2"
    assert next_button.evaluate("b => b === document.activeElement")
    assert_clean(page, explorer_server.netloc)


def test_semantics_caption_headers_labels(page, explorer_url, explorer_server):
    open_explorer(page, explorer_url)
    table = page.get_by_role("table")
    assert table.count() == 1
    caption = page.locator(f"{APP} caption").inner_text()
    assert caption.startswith(f"CDM projects: {len(ROWS)} matching, sorted by Project (ascending)")
    headers = page.locator(f"{APP} thead th")
    assert headers.count() == 9
    assert page.locator(f"{APP} thead th[scope=col] > button[type=button]").count() == 9
    names = [page.get_by_role("columnheader").nth(i).get_by_role("button").inner_text().strip("\u2195\u25b2\u25bc \n")
             for i in range(9)]
    assert names == ["Project", "Title", "Host party", "Type", "DOE", "CP", "Registered", "Units issued",
                     "Units cancelled"]
    assert page.locator(f"{APP} th[aria-sort=ascending][data-key=project_id]").count() == 1
    assert page.locator(f"{APP} tbody th[scope=row]").count() > 0
    for label in ["Search projects", "Host party", "Project type", "DOE", "Commitment period", "Project or programme",
                  "Rows per page"]:
        assert page.get_by_label(label, exact=True).count() == 1, label
    assert page.get_by_role("spinbutton", name="Page").count() == 1
    region = page.get_by_role("region", name="CDM projects table")
    assert region.count() == 1 and region.get_attribute("tabindex") == "0"
    assert page.get_by_role("search", name="Filter CDM projects").count() == 1
    assert page.get_by_role("navigation", name="Pages of the project table").count() == 1
    assert_clean(page, explorer_server.netloc)


def test_no_sideways_page_scroll_at_375px(narrow_page, explorer_url, explorer_server):
    page = narrow_page
    open_explorer(page, explorer_url)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "375-cdm-explorer.png"), full_page=True)
    widths = page.evaluate("() => ({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})")
    assert widths["scroll"] <= widths["inner"], f"the page scrolls sideways at 375 px: {widths}"
    region = page.get_by_role("region", name="CDM projects table")
    assert region.evaluate("e => e.scrollWidth > e.clientWidth"), "the table should scroll inside its region"
    region.focus()
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    page.wait_for_function("e => e.scrollLeft > 0", arg=region.element_handle(), timeout=3000)
    # Every control fits the viewport.
    too_wide = page.eval_on_selector_all(
        f"{APP} form input, {APP} form select, {APP} form button, {APP} nav button",
        "es => es.filter(e => e.getBoundingClientRect().right > window.innerWidth).map(e => e.name || e.textContent)")
    assert not too_wide
    assert_clean(page, explorer_server.netloc)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_light_and_dark_schemes(browser, explorer_url, explorer_server, scheme):
    context = browser.new_context(color_scheme=scheme, viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(explorer_url, wait_until="networkidle")
        page.locator(READY).wait_for(state="attached")
        colours = page.evaluate("""() => {
          const luminance = c => {
            const [r, g, b] = c.match(/[\\d.]+/g).map(Number);
            return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
          };
          const body = getComputedStyle(document.body);
          const cell = getComputedStyle(document.querySelector('#cdm-explorer tbody td'));
          const input = getComputedStyle(document.querySelector('#cdm-explorer input[name=text]'));
          return {scheme: document.body.getAttribute('data-md-color-scheme'), text: luminance(cell.color),
                  background: luminance(body.backgroundColor), input: luminance(input.backgroundColor),
                  inputText: luminance(input.color)};
        }""")
        assert colours["scheme"] == ("slate" if scheme == "dark" else "default")
        if scheme == "dark":
            assert colours["text"] > 0.6 and colours["inputText"] > 0.6
            assert colours["background"] < 0.3 and colours["input"] < 0.3
        else:
            assert colours["text"] < 0.3 and colours["inputText"] < 0.3
            assert colours["background"] > 0.7 and colours["input"] > 0.7
        assert not errors
    finally:
        context.close()


def test_a_failed_data_request_is_reported(page, explorer_url):
    page.route("**/" + DATA_PATH, lambda route: route.fulfill(status=404, body="not found"))
    page.goto(explorer_url, wait_until="networkidle")
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "could not be loaded (HTTP 404)" in alert.inner_text()
    assert page.locator(f"{APP} form").is_hidden()


def test_sort_clicked_while_typing_keeps_the_typed_search(page, explorer_url, explorer_server):
    """A sort clicked before the search field's pause has elapsed applies the typed text too."""
    open_explorer(page, explorer_url)
    word = fold(ROWS[0][C["project_type"]]).split()[0]
    page.get_by_label("Search projects", exact=True).fill(word)
    sort_until(page, "Units issued", "descending")  # clicked at once, no wait for the pause
    assert parse_qs(urlsplit(page.url).query).get("text") == [word]
    assert_clean(page, explorer_server.netloc)
