/* The header's search: Pagefind's index of the site (build_scripts/search.py writes it), loaded
   only when the reader opens the search, then only the fragments a query needs.

   The box is the theme's (partials/search.html, put in the header by registry-config.js, which
   also gives this script window.__registry_search: this language's root, the shared root,
   the bundles and the words). Bundles of one kind of result each (build_scripts/search.py
   bundles()): this language's search/pages, its host parties (search/cdm/parties, named in
   the language), and the site's language-neutral search/cdm/projects and search/cdm/does,
   every record once, merged with links into this language's record pages.

   What the theme's search does, done here: "/", "s" or "f" opens it; focus opens the dialog;
   arrow keys move through the results, Enter follows one, Escape closes; the count is
   announced (role=status). Queries typed before the index is loaded are searched once it is;
   only the latest query's results are shown, each as soon as its own fragment has arrived.
   A row of toggle buttons (where the site has records) keeps one kind of result: projects,
   host parties, DOEs or pages (each bundle's kind, given to Pagefind as its mergeFilter). */
(function () {
  "use strict";
  var settings = window.__registry_search;
  var form = document.querySelector("[data-registry-search-form]");
  if (!settings || !form) return;
  var input = form.querySelector("input[name=query]");
  var toggle = document.getElementById("__search");
  var status = document.getElementById("registry-search-status");
  var list = document.getElementById("registry-search-results");
  var dialog = form.closest("[data-registry-search]") || form;
  var words = settings.words;
  var language = document.documentElement.lang || "en";
  /* Numbers as the site's pages write them (Babel's formats, Latin digits in every language). */
  var numbers = new Intl.NumberFormat(language + "-u-nu-latn");
  var PAGE = 10;
  var kind = "";       // the kind filter: "" for every kind
  var engine = null;   // the Pagefind module, a promise, once loading started
  var latest = 0;      // the latest search: an older one's results are dropped
  var timer = 0;
  var regions = null;
  var bundles = settings.bundles || [];

  function pathOf(url) { return new URL(url, document.baseURI).pathname; }
  function base(bundle) { return (bundle.shared ? settings.shared : settings.root) + bundle.path + "/"; }

  /* Pagefind fetches its files one after another (its script, then each bundle's entry, then
     its metadata and WebAssembly, the merged bundles only once the WebAssembly is compiled):
     each bundle's entry is read here at once and the files it names fetched beside Pagefind's
     script, so that Pagefind finds them in the browser's cache (the files Pagefind 1.5 names
     in pagefind-entry.json; tests/test_search.py holds the names to the built bundles). A
     failure here costs nothing but the time it meant to save. */
  function warm() {
    bundles.forEach(function (bundle, at) {
      var url = base(bundle);
      fetch(url + "pagefind-entry.json", { cache: "no-cache" }).then(function (response) {
        return response.json();
      }).then(function (entry) {
        var index = entry.languages[language] || entry.languages[Object.keys(entry.languages)[0]];
        fetch(url + "pagefind." + index.hash + ".pf_meta");
        if (at === 0) fetch(url + "wasm." + (index.wasm || "unknown") + ".pagefind");
      }).catch(function () {});
    });
  }

  /* The pages bundle (its WebAssembly has the language's stemmer), merged with the record
     collections' where the site has them (a registry without, e.g. JI alone, has none). */
  function load() {
    if (!engine) {
      warm();
      var root = pathOf(settings.root);
      engine = import(base(bundles[0]) + "pagefind.js").then(function (pagefind) {
        return pagefind.options({ baseUrl: root, excerptLength: 20, mergeFilter: { kind: bundles[0].kind } })
          .then(function () {
            return Promise.all(bundles.slice(1).map(function (bundle) {
              return pagefind.mergeIndex(base(bundle), { baseUrl: root, mergeFilter: { kind: bundle.kind } });
            }));
          })
          .then(function () { return pagefind.init(); })
          .then(function () { return pagefind; });
      });
      engine.catch(function () { engine = null; });
    }
    return engine;
  }

  /* The query as the index holds the text (build_scripts/search.py): Arabic letters in one
     form each (Lucene's ArabicNormalizer), Han characters one by one. */
  function normal(query) {
    return query.normalize("NFC")
      .replace(/[\u064b-\u065f\u0670\u0640]/g, "")
      .replace(/[\u0622\u0623\u0625\u0671]/g, "\u0627")
      .replace(/\u0649/g, "\u064a").replace(/\u0629/g, "\u0647")
      .replace(/([\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff])/g, " $1 ")
      .replace(/\s+/g, " ").trim();
  }

  /* An id typed whole (a project number, a party code): Pagefind matches every word as a
     prefix (1000 finds 10008 first, 100 every "100 MW"), so the exact search of the record's
     id word (build_scripts/search.py id_word) runs beside it and that record comes first. */
  function exactQuery(query) {
    return /^[0-9]+$/.test(query) || /^[A-Za-z]{2}$/.test(query) ? '"' + query.toLowerCase() + '_id"' : null;
  }

  function options() { return kind ? { filters: { kind: kind } } : {}; }

  function count(n) {
    if (n === 0) return words.none;
    if (n === 1) return words.one;
    return words.other.replace("#", numbers.format(n));
  }

  function say(text) { status.textContent = text; }

  function partyName(code) {
    try {
      regions = regions || new Intl.DisplayNames([language], { type: "region" });
      return (code.length === 2 && regions.of(code)) || code;
    } catch (error) { return code; }
  }

  /* Text with Pagefind's <mark>s kept and nothing else: the excerpt is parsed inert
     (DOMParser runs no script) and rebuilt from its text. */
  function excerpt(target, markup) {
    var body = new DOMParser().parseFromString(markup || "", "text/html").body;
    body.childNodes.forEach(function (node) {
      if (node.nodeName === "MARK") {
        var mark = document.createElement("mark");
        mark.textContent = node.textContent;
        target.appendChild(mark);
      } else {
        target.appendChild(document.createTextNode(node.textContent));
      }
    });
  }

  function item(data) {
    var li = document.createElement("li");
    li.className = "md-search-result__item";
    var link = document.createElement("a");
    link.className = "md-search-result__link";
    link.href = data.url;
    var article = document.createElement("article");
    article.className = "md-search-result__article md-typeset";
    var icon = document.createElement("div");
    icon.className = "md-search-result__icon md-icon";
    var title = document.createElement("h1");
    title.textContent = data.meta.title || data.url;
    var line = document.createElement("p");
    var kind = data.meta.kind && words.kinds[data.meta.kind];
    if (kind) {
      /* A record: its title as published (English), its kind, id and parties in the page's language. */
      article.classList.add("md-search-result__article--document");
      title.lang = "en";
      var parts = [kind.replace("%(id)s", data.meta.id)];
      if (data.meta.kind === "cdm/parties") parts.push(data.meta.id);
      if (data.meta.kind === "cdm/projects" && data.meta.parties) {
        parts.push(data.meta.parties.split(" ").map(partyName).join(", "));
      }
      if (data.meta.units) parts.push(words.units.replace("%(units)s", numbers.format(Number(data.meta.units))));
      line.textContent = parts.join(" · ");
    } else {
      excerpt(line, data.excerpt);
    }
    article.append(icon, title, line);
    link.appendChild(article);
    li.appendChild(link);
    return li;
  }

  /* A result's entries: a page is one; a page of grouped records (build_scripts/search.py
     group_page: language-neutral records, RECORDS_PER_PAGE to a page) one per record whose
     section matched (Pagefind's sub-results, each named "#r<position>"), the best first by
     Pagefind's own scores of its words, each linked to the record's page in this language. */
  function entries(found) {
    if (!found.meta.records) return [found];
    var records = JSON.parse(found.meta.records);
    var root = pathOf(settings.root);
    return (found.sub_results || []).map(function (sub, at) {
      var position = /#r([0-9]+)$/.exec(sub.url);
      var score = (sub.weighted_locations || []).reduce(function (sum, l) { return sum + l.balanced_score; }, 0);
      return { position: position && records[Number(position[1])], title: sub.title, score: score, at: at };
    }).filter(function (sub) { return sub.position; }).sort(function (a, b) {
      return b.score - a.score || a.at - b.at;
    }).map(function (sub) {
      var record = sub.position;
      return { url: root + record[0], meta: { title: sub.title, kind: found.meta.kind, id: record[1], parties: record[2],
                                              units: record[3] === null ? "" : String(record[3]) } };
    });
  }

  /* The next results, at least PAGE entries of them where there are as many, each shown as
     soon as it and those before it have arrived: the fragments of as many results as may fill
     the page are fetched at once (a page of grouped records has at most as many entries as
     matched words), the first result never waits for the tenth. The count is exact once every
     result is shown; before, it says how many are shown. */
  function show(state, ticket) {
    var more = list.querySelector(".registry-search-more");
    if (more) more.remove();
    var wanted = PAGE;
    function add(entry) {
      if (ticket !== latest || state.seen[entry.url]) return;
      state.seen[entry.url] = true;
      state.shown += 1;
      wanted -= 1;
      list.appendChild(item(entry));
    }
    function wave() {
      if (ticket !== latest || wanted <= 0 || state.next >= state.results.length) return Promise.resolve();
      var batch = [];
      var expected = 0;
      while (state.next < state.results.length && expected < wanted) {
        var result = state.results[state.next++];
        batch.push(result.data());
        expected += Math.max(1, (result.words || []).length);
      }
      var shown = Promise.resolve();
      batch.forEach(function (data) {
        shown = shown.then(function () { return data; }).then(function (found) { entries(found).forEach(add); });
      });
      return shown.then(wave);
    }
    var first = state.exact ? state.exact.then(function (found) { entries(found).slice(0, 1).forEach(add); }) : Promise.resolve();
    state.exact = null;
    return first.then(wave).then(function () {
      if (ticket !== latest) return;
      var done = state.next >= state.results.length;
      say(done ? count(state.shown) : words.first.replace("%(count)s", numbers.format(state.shown)));
      if (!done) {
        var li = document.createElement("li");
        li.className = "registry-search-more";
        var button = document.createElement("button");
        button.type = "button";
        button.className = "md-button";
        button.textContent = words.more;
        button.addEventListener("click", function () {
          var next = list.children.length - 1;
          show(state, ticket).then(function () {
            var link = list.children[next] && list.children[next].querySelector("a");
            if (link) link.focus();
          });
        });
        li.appendChild(button);
        list.appendChild(li);
      }
    });
  }

  function search() {
    var ticket = ++latest;
    var query = normal(input.value);
    if (kinds) kinds.hidden = !query;
    if (!query) {
      list.replaceChildren();
      say(words.placeholder);
      return;
    }
    var ready = false;
    load().then(function (pagefind) {
      ready = true;
      var exact = exactQuery(query);
      return Promise.all([pagefind.search(query, options()), exact ? pagefind.search(exact, options()) : null]).then(function (found) {
        if (ticket !== latest) return;
        var results = found[0] ? found[0].results : [];
        /* The id word is one record's alone (a project's or DOE's number, a party's code): that
           record first, its fragment fetched beside the first results'. */
        var hit = found[1] && found[1].results[0];
        list.replaceChildren();
        if (!results.length && !hit) {
          say(count(0));
          return;
        }
        /* The count is said once the first results are shown (the total of grouped records is
           known only at the end); until then, nothing that is no longer true. */
        say("");
        var state = { results: results, next: 0, shown: 0, seen: {}, exact: hit ? hit.data() : null };
        return show(state, ticket);
      });
    }).catch(function () {
      ready = true;
      if (ticket === latest) say(words.failed);
    });
    setTimeout(function () { if (!ready && ticket === latest) say(words.initializer); }, 100);
  }

  /* The kind filter: toggle buttons under the count, one pressed. */
  var kinds = null;
  if (bundles.length > 1 && words.filter) {
    kinds = document.createElement("div");
    kinds.className = "registry-search-kinds";
    kinds.setAttribute("role", "group");
    kinds.setAttribute("aria-label", words.filter.label);
    kinds.hidden = true;
    [["", words.filter.all]].concat(bundles.slice(1).concat(bundles.slice(0, 1)).map(function (bundle) {
      return [bundle.kind, words.filter.kinds[bundle.kind] || bundle.kind];
    })).forEach(function (pair) {
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = pair[1];
      button.dataset.kind = pair[0];
      button.setAttribute("aria-pressed", String(pair[0] === kind));
      button.addEventListener("click", function () {
        kind = pair[0];
        kinds.querySelectorAll("button").forEach(function (b) { b.setAttribute("aria-pressed", String(b === button)); });
        search();
      });
      kinds.appendChild(button);
    });
    list.parentNode.insertBefore(kinds, list);
  }

  function open() {
    if (!toggle.checked) toggle.checked = true;
    input.focus();
    /* Where the box is shown only once the toggle is checked (a phone), it takes focus a frame later. */
    if (document.activeElement !== input) requestAnimationFrame(function () { input.focus(); });
    load();
  }

  function close() {
    toggle.checked = false;
    input.blur();
  }

  function links() { return Array.prototype.slice.call(list.querySelectorAll("a.md-search-result__link")); }

  input.addEventListener("focus", function () { toggle.checked = true; load(); });
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(search, 120);
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var first = links()[0];
    if (first) first.click();
  });
  form.addEventListener("reset", function () {
    setTimeout(function () { search(); input.focus(); }, 0);
  });
  toggle.addEventListener("change", function () {
    if (toggle.checked) setTimeout(function () { input.focus(); }, 0);
    else input.blur();
  });

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    var inSearch = toggle.checked && (target === input || dialog.contains(target));
    if (inSearch) {
      var all = links();
      var at = all.indexOf(target);
      if (event.key === "Escape") {
        event.preventDefault();
        close();
      } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        if (!all.length) return;
        event.preventDefault();
        var next = event.key === "ArrowDown" ? at + 1 : (at < 0 ? all.length - 1 : at - 1);
        if (next < 0) input.focus();
        else all[Math.min(next, all.length - 1)].focus();
      }
      return;
    }
    var typing = target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName);
    if (!typing && (event.key === "/" || event.key === "s" || event.key === "f")) {
      event.preventDefault();
      open();
      input.select();
    }
  });
})();
