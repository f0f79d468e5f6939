/* The header's search: Pagefind's index of the site (build_scripts/search.py writes it), loaded
   only when the reader opens the search, then only the fragments a query needs.

   The box is the theme's (partials/search.html, put in the header by registry-config.js, which
   also gives this script window.__registry_search: this language's root, the shared root and
   the words). Two bundles: this language's search/pages (its own pages and host parties)
   and the site's search/records (every project and DOE once, language-neutral), merged with
   links into this language's record pages.

   What the theme's search does, done here: "/", "s" or "f" opens it; focus opens the dialog;
   arrow keys move through the results, Enter follows one, Escape closes; the count is
   announced (role=status). Queries typed before the index is loaded are searched once it is;
   only the latest query's results are shown. */
(function () {
  "use strict";
  var settings = window.__registry_search;
  var form = document.querySelector("[data-registry-search-form]");
  if (!settings || !form) return;
  var input = form.querySelector("input[name=query]");
  var toggle = document.getElementById("__search");
  var status = document.getElementById("registry-search-status");
  var list = document.getElementById("registry-search-results");
  var words = settings.words;
  var language = document.documentElement.lang || "en";
  var PAGE = 10;
  var engine = null;   // the Pagefind module, a promise, once loading started
  var latest = 0;      // the latest search: an older one's results are dropped
  var timer = 0;
  var regions = null;

  function pathOf(url) { return new URL(url, document.baseURI).pathname; }

  /* The pages bundle, merged with the records bundle where the site has one (a registry
     without record collections, e.g. JI alone, has none: settings.records). */
  function load() {
    if (!engine) {
      engine = import(settings.root + "search/pages/pagefind.js").then(function (pagefind) {
        return pagefind.options({ baseUrl: pathOf(settings.root), excerptLength: 20 })
          .then(function () {
            return settings.records && pagefind.mergeIndex(settings.shared + "search/records/", { baseUrl: pathOf(settings.root) });
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
    return /^[0-9]+$/.test(query) || /^[A-Za-z]{2}$/.test(query) ? '"id_' + query.toLowerCase() + '"' : null;
  }

  function count(n) {
    if (n === 0) return words.none;
    if (n === 1) return words.one;
    return words.other.replace("#", n.toLocaleString(language));
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
      line.textContent = parts.join(" · ");
    } else {
      excerpt(line, data.excerpt);
    }
    article.append(icon, title, line);
    link.appendChild(article);
    li.appendChild(link);
    return li;
  }

  function show(results, from, ticket) {
    var slice = results.slice(from, from + PAGE);
    return Promise.all(slice.map(function (result) { return result.data(); })).then(function (found) {
      if (ticket !== latest) return;
      var more = list.querySelector(".registry-search-more");
      if (more) more.remove();
      found.forEach(function (data) { list.appendChild(item(data)); });
      if (results.length > from + PAGE) {
        var li = document.createElement("li");
        li.className = "registry-search-more";
        var button = document.createElement("button");
        button.type = "button";
        button.className = "md-button";
        button.textContent = words.more;
        button.addEventListener("click", function () {
          var next = list.children.length - 1;
          show(results, from + PAGE, ticket).then(function () {
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
    if (!query) {
      list.replaceChildren();
      say(words.placeholder);
      return;
    }
    var ready = false;
    load().then(function (pagefind) {
      ready = true;
      var exact = exactQuery(query);
      return Promise.all([pagefind.search(query), exact ? pagefind.search(exact) : null]).then(function (found) {
        if (ticket !== latest) return;
        var results = found[0] ? found[0].results : [];
        var first = found[1] ? found[1].results.slice(0, 5) : [];
        return Promise.all(first.map(function (r) { return r.data(); })).then(function (data) {
          if (ticket !== latest) return;
          var wanted = query.toLowerCase();
          var hit = null;
          data.forEach(function (d, i) { if (!hit && String(d.meta.id || "").toLowerCase() === wanted) hit = first[i]; });
          if (hit) results = [hit].concat(results.filter(function (r) { return r.id !== hit.id; }));
          list.replaceChildren();
          say(count(results.length));
          return show(results, 0, ticket);
        });
      });
    }).catch(function () {
      ready = true;
      if (ticket === latest) say(words.failed);
    });
    setTimeout(function () { if (!ready && ticket === latest) say(words.initializer); }, 100);
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
    var inSearch = toggle.checked && (target === input || list.contains(target));
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
