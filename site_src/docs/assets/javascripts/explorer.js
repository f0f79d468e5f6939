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
   rendering, sorting and paging (about 150 lines). */
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

  function prepare(data) {
    columns = data.columns;
    const at = {};
    columns.forEach((name, i) => (at[name] = i));
    const get = (raw, name) => (name in at ? raw[at[name]] : null);
    rows = data.rows.map((raw) => {
      const r = { raw: raw };
      columns.forEach((name) => (r[name] = get(raw, name)));
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
      r.facets = {};
      FACET_NAMES.forEach((f) => (r.facets[f] = FACETS[f].values(r)));
      r.host_parties.forEach((code, i) => {
        if (code && r.host_party_names[i]) partyNames[code] = r.host_party_names[i];
      });
      return r;
    });
  }

  // Sort keys: numbers as numbers, everything else as folded text; null sorts last either way.
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

  function matches(r, tokens, skip) {
    for (const t of tokens) if (r.search.indexOf(t) === -1) return false;
    for (const f of FACET_NAMES) {
      if (f !== skip && state[f] && r.facets[f].indexOf(state[f]) === -1) return false;
    }
    return true;
  }

  function tokens() {
    return fold(state.text).split(/\s+/).filter(Boolean);
  }

  function compute() {
    const t = tokens();
    const header = headers.find((h) => h.dataset.key === state.sort) || headers[0];
    const key = header.dataset.key;
    const type = header.dataset.type;
    const sign = state.dir === "desc" ? -1 : 1;
    const keyed = rows.filter((r) => matches(r, t, null)).map((r) => ({ r: r, k: sortKey(r, key, type) }));
    keyed.sort((a, b) => {
      if (a.k === null || b.k === null) {
        if (a.k !== b.k) return a.k === null ? 1 : -1;
      } else {
        const c = compare(a.k, b.k);
        if (c) return sign * c;
      }
      return compare(a.r.idNumber, b.r.idNumber) || compare(a.r.id, b.r.id);
    });
    view = keyed.map((x) => x.r);
  }

  // --- facets ------------------------------------------------------------------------------

  function facetLabel(f, value) {
    if (value === NONE) return text("not_recorded");
    return FACETS[f].label ? FACETS[f].label(value, partyNames) : value;
  }

  function facetOrder(f, a, b) {
    if (a === NONE || b === NONE) return a === NONE ? 1 : -1;
    if (f === "cp") return Number(a) - Number(b);
    return fold(facetLabel(f, a)).localeCompare(fold(facetLabel(f, b)));
  }

  function buildFacets() {
    FACET_NAMES.forEach((f) => {
      const select = form.elements[f];
      const seen = new Set();
      rows.forEach((r) => r.facets[f].forEach((v) => seen.add(v)));
      const values = Array.from(seen).sort((a, b) => facetOrder(f, a, b));
      select.replaceChildren();
      select.appendChild(new Option(text("all"), ""));
      values.forEach((v) => {
        const option = new Option(facetLabel(f, v), v);
        option.dataset.label = facetLabel(f, v);
        select.appendChild(option);
      });
    });
  }

  // Each option's count is the number of rows it would give with the other filters kept.
  function updateFacetCounts() {
    const t = tokens();
    FACET_NAMES.forEach((f) => {
      const counts = new Map();
      let all = 0;
      rows.forEach((r) => {
        if (!matches(r, t, f)) return;
        all += 1;
        new Set(r.facets[f]).forEach((v) => counts.set(v, (counts.get(v) || 0) + 1));
      });
      Array.from(form.elements[f].options).forEach((option) => {
        const n = option.value ? counts.get(option.value) || 0 : all;
        const label = option.value ? option.dataset.label : text("all");
        option.textContent = text("option", { label: label, count: formatNumber(n) });
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
      if (value && Array.from(form.elements[f].options).some((o) => o.value === value)) next[f] = value;
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

  function render() {
    compute();
    const size = Number(state.size);
    const pages = Math.max(1, Math.ceil(view.length / size));
    state.page = Math.min(Math.max(1, state.page), pages);
    const start = (state.page - 1) * size;
    const slice = view.slice(start, start + size);

    const fragment = document.createDocumentFragment();
    slice.forEach((r) => fragment.appendChild(rowElement(r)));
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
    const counts = { matching: formatNumber(shown), total: formatNumber(total), first: formatNumber(first), last: formatNumber(last) };
    status.textContent = text(shown === total ? "status_all" : "status_some", counts);
    caption.textContent = text(state.dir === "desc" ? "caption_descending" : "caption_ascending",
      { matching: counts.matching, column: sortedBy, page: formatNumber(state.page), pages: formatNumber(pages) });
    csvButton.textContent = text(shown === 1 ? "csv_one" : "csv_many", { count: counts.matching });

    pageInput.max = String(pages);
    pageInput.value = String(state.page);
    pageCount.textContent = formatNumber(pages);
    pager.querySelectorAll("button[data-page]").forEach((button) => {
      const which = button.dataset.page;
      const off = (which === "first" || which === "prev") ? state.page <= 1 : state.page >= pages;
      button.setAttribute("aria-disabled", off ? "true" : "false");
    });

    updateFacetCounts();
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

  // Run work, then let the browser breathe (paint, input) before the next step.
  function nextTask(work) {
    return new Promise((resolve) => {
      work();
      setTimeout(resolve, 0);
    });
  }

  const source = new URL(app.getAttribute("data-src"), window.location.href);
  fetch(source, { credentials: "same-origin" })
    .then((response) => {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    })
    // Three short tasks instead of one long one: the page stays responsive while 8,000+
    // rows are indexed (a task over 50 ms blocks input; Lighthouse counts it as blocking).
    .then((data) => nextTask(() => prepare(data)))
    .then(() => nextTask(buildFacets))
    .then(() => {
      bind();
      readUrl();
      writeControls();
      form.hidden = false;
      region.hidden = false;
      pager.hidden = false;
      render();
      app.dataset.ready = "true";
    })
    .catch((error) => fail(error.message || String(error)));
})();
