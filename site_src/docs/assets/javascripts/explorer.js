/* CDM project explorer: filter, facet, sort, page and export the project list client-side.

   Reads the JSON named by #cdm-explorer[data-src] ({"columns": [...], "rows": [[...], ...]}),
   renders every value with textContent (never as HTML), keeps the whole view in the page's
   query string (a shareable link; "q" and "h" are left to mkdocs-material's search), and
   exports exactly the matching rows, in the shown order, with every column, as CSV. Project
   links are data-root + url, so they work from any sub-path.

   Every word it shows comes from the page: the JSON in #cdm-explorer-messages, translated by
   the page's template, whose %(name)s placeholders are filled here (the English below is
   only a fallback). Numbers are written in the page's language (<html lang>), with Latin
   digits as the pages' numbers are; values as published (titles, types, entities) are marked
   as English on pages in another language.

   Hand-written rather than a vendored table library, because it is smaller and does more of
   what this page needs (sizes of the npm packages' minified files):
     this file                 22.4 kB raw,  7.0 kB gzip (not minified), MIT
     simple-datatables 10.3.0  104 kB raw,  27 kB gzip + 4.9 kB CSS; LGPL-3.0
     gridjs 6.2.0               53 kB raw,  17 kB gzip + 7.8 kB CSS; no aria-sort, no caption
     tabulator-tables 6.5.3    448 kB raw, 102 kB gzip + 28 kB CSS; ARIA grid of divs, no caption
   None of them provides facets with counts, URL state or a CSV of the filtered, sorted rows
   with list columns, which are most of this file; a library would only replace the
   rendering, sorting and paging (about 150 lines).

   Loading stays off the critical path and never blocks the page for long: the list is
   requested once the page has painted, the 8,000+ rows are indexed and the filters filled in
   slices of a few milliseconds that yield to the browser between them (scheduler.yield where
   available, else a new task), and the table is drawn once, with only its visible page of rows.
   Every later change (filter, sort, page) filters, counts and sorts in one pass over the rows,
   with sort keys computed once per column and cached. */
(function () {
  "use strict";

  const app = document.getElementById("cdm-explorer");
  if (!app) return;

  const part = (name) => app.querySelector('[data-explorer="' + name + '"]');
  const form = part("form");
  const status = part("status");
  const region = part("region");
  const caption = part("caption");
  const pager = part("pages");
  const csvButton = part("csv");
  const permalink = part("permalink");
  const tbody = region.querySelector("tbody");
  const headers = Array.from(region.querySelectorAll("thead th[data-key]"));
  const textInput = form.elements.text;
  const sizeSelect = form.elements.size;
  const pageInput = pager.querySelector('input[name="page"]');
  const pageCount = part("page-count");
  const root = app.getAttribute("data-root") || "";

  const NONE = "none"; // facet value of a row with nothing recorded
  const SIZES = ["25", "50", "100", "250"];
  const DEFAULT = { text: "", party: "", type: "", doe: "", cp: "", kind: "", sort: "project_id", dir: "asc", page: 1, size: "50" };
  const PARAMS = Object.keys(DEFAULT);
  const language = document.documentElement.lang || "en";
  const SOURCE_LANGUAGE = "en"; // the language of the data values (titles, types, names)
  const numberFormat = makeNumberFormat();

  // The English of every message, used only where the page provides none.
  const ENGLISH = {
    all: "All",
    option: "%(label)s (%(count)s)",
    not_recorded: "Not recorded",
    period: "CP%(period)s",
    kind_pa: "Project activity (PA)",
    kind_poa: "Programme of activities (PoA)",
    badge_poa: "PoA",
    empty: "No project matches these filters.",
    status_all: "Showing %(first)s\u2013%(last)s of all %(total)s projects.",
    status_some: "%(matching)s of %(total)s projects match. Showing %(first)s\u2013%(last)s.",
    caption_ascending: "CDM projects: %(matching)s matching, sorted by %(column)s (ascending), page %(page)s of %(pages)s",
    caption_descending: "CDM projects: %(matching)s matching, sorted by %(column)s (descending), page %(page)s of %(pages)s",
    csv_one: "Download %(count)s row (CSV)",
    csv_many: "Download %(count)s rows (CSV)",
    failed: "The project list could not be loaded (%(error)s). Reload the page to try again.",
  };
  const MESSAGES = readMessages();
  const PARTY_NAMES = readJSON("cdm-explorer-parties");

  // Facets: which values a row has for each filter, and how an option is labelled.
  const FACETS = {
    party: { values: (r) => r.host_parties.map((code, i) => code || r.host_party_names[i] || NONE), label: (v, names) => names[v] || v },
    type: { values: (r) => [r.project_type || NONE] },
    doe: { values: (r) => (r.entities.length ? r.entities : [NONE]) },
    cp: { values: (r) => (r.commitment_periods.length ? r.commitment_periods.map(String) : [NONE]), label: (v) => text("period", { period: v }) },
    kind: { values: (r) => [r.activity_type || NONE], label: (v) => ({ PA: text("kind_pa"), PoA: text("kind_poa") })[v] || v },
  };
  const FACET_NAMES = Object.keys(FACETS);

  let rows = [];
  let columns = [];
  let partyNames = {};
  // Each facet's values, numbered in the order rows bring them (filled while preparing): a
  // row holds its values' numbers, so filtering and counting compare and index small integers.
  let facetValues = {}; // facet -> Map(value -> number)
  let facetList = {}; // facet -> [value, ...] by number
  let state = Object.assign({}, DEFAULT);
  let view = [];

  // --- messages and numbers ----------------------------------------------------------------

  function readMessages() {
    const element = document.getElementById("cdm-explorer-messages");
    const messages = {};
    if (!element) return messages;
    try {
      const data = JSON.parse(element.textContent);
      Object.keys(ENGLISH).forEach((key) => {
        if (data && typeof data[key] === "string" && data[key]) messages[key] = data[key];
      });
    } catch (error) {
      // Malformed messages: the English fallback is used.
    }
    return messages;
  }

  // The message named key in the page's language, its %(name)s placeholders filled.
  function readJSON(id) {
    const element = document.getElementById(id);
    try {
      const data = element ? JSON.parse(element.textContent) : null;
      return data && typeof data === "object" ? data : {};
    } catch (error) {
      return {};
    }
  }

  function text(key, values) {
    const message = MESSAGES[key] || ENGLISH[key];
    if (!values) return message;
    return message.replace(/%\((\w+)\)s/g, (whole, name) => (name in values ? String(values[name]) : whole));
  }

  function makeNumberFormat() {
    const options = { numberingSystem: "latn", useGrouping: "always" };
    try {
      return new Intl.NumberFormat(language, options);
    } catch (error) {
      return new Intl.NumberFormat("en", options);
    }
  }

  function formatNumber(value) {
    return numberFormat.format(value);
  }

  // Values as their source published them (English: titles, types, names) are marked with
  // its language and direction on a page in another language. Only inline elements are
  // marked: the value is isolated, so a title's closing parenthesis or full stop stays at its
  // end on a right-to-left page, while its cell keeps the page's direction and alignment.
  const otherLanguage = language.split("-")[0].toLowerCase() !== SOURCE_LANGUAGE;

  function mark(inline) {
    if (otherLanguage) {
      inline.lang = SOURCE_LANGUAGE;
      inline.dir = "ltr";
    }
    return inline;
  }

  // A published value: plain text on an English page, a marked span on any other.
  function published(value) {
    return otherLanguage ? mark(cell("span", value)) : document.createTextNode(value);
  }

  // A cell holding a published value, or the dash when there is none.
  function valueCell(value, className) {
    const td = cell("td", "", className);
    td.appendChild(value === null || value === undefined || value === "" ? document.createTextNode(show(null)) : published(String(value)));
    return td;
  }

  // --- text helpers ------------------------------------------------------------------------

  function fold(text) {
    return String(text).normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  function list(value) {
    return Array.isArray(value) ? value.filter((v) => v !== null && v !== "") : [];
  }

  function show(value) {
    return value === null || value === undefined || value === "" ? "\u2014" : String(value);
  }

  // --- data --------------------------------------------------------------------------------

  // Indexes the rows a slice at a time (see slices()), collecting each facet's values.
  function prepare(data) {
    columns = data.columns;
    const at = {};
    columns.forEach((name, i) => (at[name] = i));
    const get = (raw, name) => (name in at ? raw[at[name]] : null);
    FACET_NAMES.forEach((f) => {
      facetValues[f] = new Map();
      facetList[f] = [];
    });
    const raws = data.rows;
    rows = new Array(raws.length);
    return slices(raws.length, (index) => {
      const raw = raws[index];
      const r = { raw: raw };
      columns.forEach((name) => (r[name] = get(raw, name)));
      r.keys = {}; // sort keys, by column (cachedSortKey)
      r.k = null; // the sort key of the current sort
      ["host_parties", "host_party_names", "entities", "commitment_periods"].forEach((name) => {
        r[name] = Array.isArray(r[name]) ? r[name] : [];
      });
      // Host parties are named in the page's language (the page's #cdm-explorer-parties, made
      // from CLDR), the data file holds the names as published.
      r.host_party_names = r.host_party_names.map((name, i) => PARTY_NAMES[r.host_parties[i]] || name);
      r.id = String(r.project_id);
      r.idNumber = parseInt(r.id, 10);
      r.search = fold([r.id, r.title, r.host_party_names.join(" "), r.host_parties.join(" "), r.activity_type,
        r.project_type, r.project_subtype, r.entities.join(" ")].filter((v) => v !== null && v !== undefined).join(" "));
      // The numbers of each facet's distinct values for this row (a row counts once for a value).
      r.facets = {};
      FACET_NAMES.forEach((f) => {
        const numbers = facetValues[f];
        const own = [];
        for (const v of FACETS[f].values(r)) {
          let number = numbers.get(v);
          if (number === undefined) {
            number = facetList[f].length;
            numbers.set(v, number);
            facetList[f].push(v);
          }
          if (own.indexOf(number) === -1) own.push(number);
        }
        r.facets[f] = own;
      });
      r.host_parties.forEach((code, i) => {
        if (code && r.host_party_names[i]) partyNames[code] = r.host_party_names[i];
      });
      rows[index] = r;
    });
  }

  // --- scheduling --------------------------------------------------------------------------

  const SLICE_MS = 5; // work per task while loading; a task over 50 ms would block input

  // Lets the browser paint and handle input before the work goes on.
  function yieldToMain() {
    if (window.scheduler && typeof window.scheduler.yield === "function") return window.scheduler.yield();
    return new Promise((resolve) => setTimeout(resolve, 0));
  }

  // Runs work(0) .. work(count - 1) in tasks of about SLICE_MS each.
  async function slices(count, work) {
    let start = performance.now();
    for (let i = 0; i < count; i += 1) {
      work(i);
      if ((i & 15) === 15 && performance.now() - start > SLICE_MS) {
        await yieldToMain();
        start = performance.now();
      }
    }
  }

  // Sort keys: numbers as numbers, everything else as folded text; null sorts last either way.
  // Computed once per row and column (folding text is the costly part of a sort).
  function cachedSortKey(r, key, type) {
    if (!(key in r.keys)) r.keys[key] = sortKey(r, key, type);
    return r.keys[key];
  }

  function sortKey(r, key, type) {
    const value = r[key];
    if (key === "project_id") return isNaN(r.idNumber) ? null : r.idNumber;
    if (type === "number") return typeof value === "number" ? value : null;
    if (Array.isArray(value)) return list(value).length ? fold(list(value).join(", ")) : null;
    if (key === "project_type" && value) return fold(value + " " + (r.project_subtype || ""));
    return value === null || value === undefined || value === "" ? null : fold(value);
  }

  function compare(a, b) {
    return a < b ? -1 : a > b ? 1 : 0;
  }

  // --- filtering and sorting ---------------------------------------------------------------

  function tokens() {
    return fold(state.text).split(/\s+/).filter(Boolean);
  }

  // One pass over the rows: the rows matching every filter, and each facet option's count,
  // the number of rows it would give with the other filters kept (a row failing exactly one
  // facet's filter counts for that facet only).
  let counts = {}; // facet -> { all: rows for "All", values: rows by value number }

  function startScan() {
    const active = FACET_NAMES.filter((f) => state[f]);
    // The chosen value's number (-1: a value no row has, which no row matches).
    const chosen = active.map((f) => (facetValues[f].has(state[f]) ? facetValues[f].get(state[f]) : -1));
    counts = {};
    FACET_NAMES.forEach((f) => (counts[f] = { all: 0, values: new Int32Array(facetList[f].length) }));
    return { tokens: tokens(), active: active, chosen: chosen, matching: [] };
  }

  function tally(f, r) {
    const count = counts[f];
    count.all += 1;
    for (const v of r.facets[f]) count.values[v] += 1;
  }

  function scanRow(scan, r) {
    for (const token of scan.tokens) if (r.search.indexOf(token) === -1) return;
    let failed = null;
    for (let i = 0; i < scan.active.length; i += 1) {
      const f = scan.active[i];
      if (r.facets[f].indexOf(scan.chosen[i]) === -1) {
        if (failed) return;
        failed = f;
      }
    }
    if (failed) {
      tally(failed, r);
    } else {
      scan.matching.push(r);
      for (const f of FACET_NAMES) tally(f, r);
    }
  }

  function sortHeader() {
    return headers.find((h) => h.dataset.key === state.sort) || headers[0];
  }

  function finishScan(scan) {
    const header = sortHeader();
    const key = header.dataset.key;
    const type = header.dataset.type;
    const sign = state.dir === "desc" ? -1 : 1;
    const matching = scan.matching;
    for (const r of matching) r.k = cachedSortKey(r, key, type);
    matching.sort((a, b) => {
      if (a.k === null || b.k === null) {
        if (a.k !== b.k) return a.k === null ? 1 : -1;
      } else {
        const c = compare(a.k, b.k);
        if (c) return sign * c;
      }
      return compare(a.idNumber, b.idNumber) || compare(a.id, b.id);
    });
    view = matching;
  }

  function compute() {
    const scan = startScan();
    for (const r of rows) scanRow(scan, r);
    finishScan(scan);
  }

  // The same, for the page's first view, in slices; the sort keys are made in them too.
  async function computeInSlices() {
    const scan = startScan();
    const header = sortHeader();
    await slices(rows.length, (i) => {
      scanRow(scan, rows[i]);
      cachedSortKey(rows[i], header.dataset.key, header.dataset.type);
    });
    await yieldToMain();
    finishScan(scan);
  }

  // --- facets ------------------------------------------------------------------------------

  function facetLabel(f, value) {
    if (value === NONE) return text("not_recorded");
    return FACETS[f].label ? FACETS[f].label(value, partyNames) : value;
  }

  let collator = null; // what String.prototype.localeCompare uses; made when first needed

  // Options in label order ("Not recorded" last, periods by number), each label folded once.
  function facetOptions(f) {
    const values = facetList[f].map((v) => ({ v: v, label: facetLabel(f, v) }));
    values.forEach((o) => (o.folded = fold(o.label)));
    collator = collator || new Intl.Collator();
    return values.sort((a, b) => {
      if (a.v === NONE || b.v === NONE) return a.v === NONE ? (b.v === NONE ? 0 : 1) : -1;
      if (f === "cp") return Number(a.v) - Number(b.v);
      return collator.compare(a.folded, b.folded);
    });
  }

  function buildFacet(f) {
    const select = form.elements[f];
    const fragment = document.createDocumentFragment();
    fragment.appendChild(new Option(text("all"), ""));
    facetOptions(f).forEach((o) => {
      const option = new Option(o.label, o.v);
      option.dataset.label = o.label;
      fragment.appendChild(option);
    });
    select.replaceChildren(fragment);
  }

  // Each option's count is the number of rows it would give with the other filters kept
  // (counted by compute()); an option's text is only written when it changes.
  function updateFacetCounts() {
    FACET_NAMES.forEach((f) => {
      const count = counts[f];
      const numbers = facetValues[f];
      Array.from(form.elements[f].options).forEach((option) => {
        const n = option.value ? count.values[numbers.get(option.value)] || 0 : count.all;
        const label = option.value ? option.dataset.label : text("all");
        const shown = text("option", { label: label, count: formatNumber(n) });
        if (option.textContent !== shown) option.textContent = shown;
      });
    });
  }

  // --- URL state ---------------------------------------------------------------------------

  function readUrl() {
    const params = new URLSearchParams(window.location.search);
    const next = Object.assign({}, DEFAULT);
    next.text = params.get("text") || "";
    FACET_NAMES.forEach((f) => {
      const value = params.get(f);
      if (value && facetValues[f] && facetValues[f].has(value)) next[f] = value;
    });
    const sort = params.get("sort");
    if (sort && headers.some((h) => h.dataset.key === sort)) next.sort = sort;
    if (params.get("dir") === "desc" || params.get("dir") === "asc") next.dir = params.get("dir");
    if (SIZES.indexOf(params.get("size")) !== -1) next.size = params.get("size");
    const page = parseInt(params.get("page"), 10);
    if (page > 0) next.page = page;
    state = next;
  }

  function query() {
    const params = new URLSearchParams(window.location.search);
    PARAMS.forEach((name) => params.delete(name));
    PARAMS.forEach((name) => {
      if (String(state[name]) !== String(DEFAULT[name])) params.set(name, state[name]);
    });
    const text = params.toString();
    return text ? "?" + text : "";
  }

  function writeUrl() {
    const search = query();
    if (search !== window.location.search) {
      window.history.replaceState(window.history.state, "", window.location.pathname + search + window.location.hash);
    }
    permalink.setAttribute("href", "./" + search);
  }

  function writeControls() {
    textInput.value = state.text;
    FACET_NAMES.forEach((f) => (form.elements[f].value = state[f]));
    sizeSelect.value = state.size;
  }

  // --- rendering ---------------------------------------------------------------------------

  function cell(tag, text, className) {
    const element = document.createElement(tag);
    element.textContent = text;
    if (className) element.className = className;
    return element;
  }

  function rowElement(r) {
    const tr = document.createElement("tr");
    const head = document.createElement("th");
    head.scope = "row";
    if (r.url) {
      const link = document.createElement("a");
      link.href = root + r.url;
      link.textContent = r.id;
      head.appendChild(link);
    } else {
      head.textContent = r.id;
    }
    if (r.activity_type === "PoA") head.appendChild(cell("span", text("badge_poa"), "cdm-explorer__badge"));
    tr.appendChild(head);
    tr.appendChild(valueCell(r.title, "cdm-explorer__title"));
    // Translated party names are the page's own words; as published, they are marked.
    const parties = list(r.host_party_names).join(", ");
    tr.appendChild(Object.keys(PARTY_NAMES).length ? cell("td", parties || show(null)) : valueCell(parties));
    const type = valueCell(r.project_type);
    if (r.project_subtype) type.appendChild(cell("span", "", "cdm-explorer__sub")).appendChild(published(r.project_subtype));
    tr.appendChild(type);
    const entities = document.createElement("td");
    list(r.entities).forEach((name, i) => {
      if (i) entities.appendChild(document.createTextNode(", "));
      entities.appendChild(mark(cell("span", name, "cdm-explorer__nowrap")));
    });
    if (!entities.firstChild) entities.textContent = show(null);
    tr.appendChild(entities);
    tr.appendChild(cell("td", show(list(r.commitment_periods).join(", "))));
    const date = document.createElement("td");
    if (r.registration_date) {
      const time = cell("time", r.registration_date);
      time.dateTime = r.registration_date;
      date.appendChild(time);
    } else {
      date.textContent = show(null);
    }
    date.className = "cdm-explorer__date";
    tr.appendChild(date);
    ["units_issued", "units_cancelled"].forEach((key) => {
      const value = r[key];
      tr.appendChild(cell("td", typeof value === "number" ? formatNumber(value) : show(null), "cdm-explorer__num"));
    });
    return tr;
  }

  let drawing = 0; // the number of the last render(): a first view still drawing stops when it changes
  let pending = []; // rows of the first view still to be drawn

  // Draws the view. firstView: the page's first view, already computed (its filtering and its
  // drawing are two tasks), whose rows after the first FIRST_ROWS are drawn by drawRest().
  function render(firstView) {
    drawing += 1;
    pending = [];
    if (!firstView) compute();
    const size = Number(state.size);
    const pages = Math.max(1, Math.ceil(view.length / size));
    state.page = Math.min(Math.max(1, state.page), pages);
    const start = (state.page - 1) * size;
    const slice = view.slice(start, start + size);

    const fragment = document.createDocumentFragment();
    if (firstView) pending = slice.slice(FIRST_ROWS);
    (firstView ? slice.slice(0, FIRST_ROWS) : slice).forEach((r) => fragment.appendChild(rowElement(r)));
    if (!slice.length) {
      const tr = document.createElement("tr");
      const td = cell("td", text("empty"), "cdm-explorer__empty");
      td.colSpan = headers.length;
      tr.appendChild(td);
      fragment.appendChild(tr);
    }
    tbody.replaceChildren(fragment);

    let sortedBy = "";
    headers.forEach((h) => {
      const sorted = h.dataset.key === state.sort;
      const indicator = h.querySelector(".cdm-explorer__arrow");
      if (sorted) {
        h.setAttribute("aria-sort", state.dir === "desc" ? "descending" : "ascending");
        sortedBy = h.querySelector("button").firstChild.textContent;
      } else {
        h.removeAttribute("aria-sort");
      }
      indicator.textContent = sorted ? (state.dir === "desc" ? "\u25BC" : "\u25B2") : "\u2195";
    });

    const total = rows.length;
    const shown = view.length;
    const first = shown ? start + 1 : 0;
    const last = start + slice.length;
    status.dataset.matching = String(shown);
    status.dataset.total = String(total);
    const figures = { matching: formatNumber(shown), total: formatNumber(total), first: formatNumber(first), last: formatNumber(last) };
    status.textContent = text(shown === total ? "status_all" : "status_some", figures);
    caption.textContent = text(state.dir === "desc" ? "caption_descending" : "caption_ascending",
      { matching: figures.matching, column: sortedBy, page: formatNumber(state.page), pages: formatNumber(pages) });
    csvButton.textContent = text(shown === 1 ? "csv_one" : "csv_many", { count: figures.matching });

    pageInput.max = String(pages);
    pageInput.value = String(state.page);
    pageCount.textContent = formatNumber(pages);
    pager.querySelectorAll("button[data-page]").forEach((button) => {
      const which = button.dataset.page;
      const off = (which === "first" || which === "prev") ? state.page <= 1 : state.page >= pages;
      button.setAttribute("aria-disabled", off ? "true" : "false");
    });

    if (!firstView) updateFacetCounts(); // the first view's counts are written before it
    writeUrl();
  }

  // --- CSV ---------------------------------------------------------------------------------

  function csvField(value) {
    let text = value === null || value === undefined ? "" : Array.isArray(value) ? value.map((v) => (v === null ? "" : v)).join(";") : String(value);
    return /[",\r\n]|^\s|\s$/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
  }

  function exportCsv() {
    const lines = [columns.map(csvField).join(",")];
    view.forEach((r) => lines.push(r.raw.map(csvField).join(",")));
    const blob = new Blob([lines.join("\r\n") + "\r\n"], { type: "text/csv;charset=utf-8" });
    const url = URL.createObjectURL(blob);
    const link = document.createElement("a");
    link.href = url;
    link.download = "cdm-projects-filtered.csv";
    link.hidden = true;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  // --- events ------------------------------------------------------------------------------

  let textTimer = null;

  // Every change reads the search field as it is now, so a sort or filter clicked while a
  // typed search is still waiting for its pause is applied (and put in the URL) with it.
  function update(changes) {
    clearTimeout(textTimer);
    const typed = textInput.value !== state.text ? { text: textInput.value, page: 1 } : {};
    Object.assign(state, typed, changes);
    render();
  }

  function bind() {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      update({ text: textInput.value, page: 1 });
    });
    textInput.addEventListener("input", () => {
      clearTimeout(textTimer);
      textTimer = setTimeout(() => update({ text: textInput.value, page: 1 }), 200);
    });
    FACET_NAMES.forEach((f) => form.elements[f].addEventListener("change", (event) => update({ [f]: event.target.value, page: 1 })));
    sizeSelect.addEventListener("change", () => update({ size: sizeSelect.value, page: 1 }));
    part("clear").addEventListener("click", () => {
      state = Object.assign({}, DEFAULT, { sort: state.sort, dir: state.dir, size: state.size });
      writeControls();
      render();
    });
    csvButton.addEventListener("click", exportCsv);

    headers.forEach((h) => {
      const button = h.querySelector("button");
      const arrow = cell("span", "", "cdm-explorer__arrow");
      arrow.setAttribute("aria-hidden", "true");
      button.appendChild(arrow);
      button.addEventListener("click", () => {
        const key = h.dataset.key;
        const first = h.dataset.type === "number" || h.dataset.type === "date" ? "desc" : "asc";
        const dir = state.sort === key ? (state.dir === "asc" ? "desc" : "asc") : first;
        update({ sort: key, dir: dir, page: 1 });
      });
    });

    pager.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-page]");
      if (!button || button.getAttribute("aria-disabled") === "true") return;
      const pages = Math.max(1, Math.ceil(view.length / Number(state.size)));
      const target = { first: 1, prev: state.page - 1, next: state.page + 1, last: pages }[button.dataset.page];
      update({ page: target });
    });
    const goTo = () => {
      const page = parseInt(pageInput.value, 10);
      update({ page: page > 0 ? page : 1 });
    };
    pageInput.addEventListener("change", goTo);
    pageInput.addEventListener("keydown", (event) => {
      if (event.key === "Enter") goTo();
    });
  }

  function fail(message) {
    status.setAttribute("role", "alert");
    status.textContent = text("failed", { error: message });
  }

  // The first view's table is drawn a few rows a frame: each frame lays out and paints a
  // short task's worth of rows instead of the whole page of rows at once. Any other render
  // (the reader changed the view) draws its rows at once and ends this.
  const FIRST_ROWS = 10;
  const ROWS_PER_FRAME = 10;

  // After the next frame is painted, in a task of its own; a page that paints no frames
  // (hidden) goes on in the next task.
  function nextFrame() {
    return new Promise((resolve) => {
      if (document.visibilityState === "hidden" || typeof requestAnimationFrame !== "function") return setTimeout(resolve, 0);
      requestAnimationFrame(() => setTimeout(resolve, 0));
    });
  }

  async function drawRest() {
    const run = drawing;
    while (pending.length) {
      await nextFrame();
      if (run !== drawing) return;
      const fragment = document.createDocumentFragment();
      pending.splice(0, ROWS_PER_FRAME).forEach((r) => fragment.appendChild(rowElement(r)));
      tbody.appendChild(fragment);
    }
  }

  async function start() {
    await nextFrame(); // once the page's text has painted: the list is not needed for it
    const source = new URL(app.getAttribute("data-src"), window.location.href);
    const response = await fetch(source, { credentials: "same-origin" });
    if (!response.ok) throw new Error("HTTP " + response.status);
    const data = await response.json();
    // The rows are indexed and the filters filled in short tasks: the page stays responsive
    // (a task over 50 ms blocks input; Lighthouse counts it as blocking).
    await yieldToMain();
    await prepare(data);
    for (const f of FACET_NAMES) {
      await yieldToMain();
      buildFacet(f);
    }
    await yieldToMain();
    readUrl();
    await computeInSlices();
    await yieldToMain();
    updateFacetCounts();
    await yieldToMain();
    bind();
    writeControls();
    form.hidden = false;
    region.hidden = false;
    pager.hidden = false;
    render(true);
    await drawRest();
    app.dataset.ready = "true";
  }

  start().catch((error) => fail(error.message || String(error)));
})();
