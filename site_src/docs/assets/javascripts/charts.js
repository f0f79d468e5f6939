/* Draw every chart on the page from the figure JSON the build embedded beside it, laid over
   the layout all charts share (chart-defaults.json beside this file).
   plotly.js (local, data-plotly on this script's tag) is fetched only when a chart comes
   near the viewport, so a page whose charts are below the fold costs nothing until the
   reader scrolls to them. Text colour follows the light/dark scheme; the data table next
   to each chart stays the accessible alternative. */
(function () {
  "use strict";

  var script = document.currentScript;
  var plotlySrc = script && script.getAttribute("data-plotly");
  // The layout and configuration every chart shares, cached once for the site: the figure
  // JSON on a page holds only its chart's data and own layout, laid over these.
  var defaultsSrc = script && new URL("chart-defaults.json", script.src).href;
  var defaults = null;
  var waiting = [];
  var requested = false;

  // plotly.js and the shared defaults, fetched side by side the first time a chart is needed.
  function withPlotly(callback) {
    if (window.Plotly && defaults) return callback();
    waiting.push(callback);
    if (requested || !plotlySrc) return;
    requested = true;
    var plotly = new Promise(function (resolve, reject) {
      var tag = document.createElement("script");
      tag.src = plotlySrc;
      tag.async = true;
      tag.onload = resolve;
      tag.onerror = function () { reject(new Error(plotlySrc)); };
      document.head.appendChild(tag);
    });
    var shared = fetch(defaultsSrc, { credentials: "same-origin" }).then(function (response) {
      if (!response.ok) throw new Error(defaultsSrc + ": HTTP " + response.status);
      return response.json();
    });
    Promise.all([plotly, shared]).then(function (loaded) {
      defaults = loaded[1];
      var callbacks = waiting;
      waiting = [];
      callbacks.forEach(function (run) { run(); });
    }).catch(function (error) {
      console.error("charts: could not load " + error.message + "; the tables beside the charts hold the same figures");
    });
  }

  // The figure's layout over the shared one: a key the figure sets (an axis, the margins)
  // replaces the shared key whole, as the build's figures are written to expect. A fresh
  // copy for every chart: plotly.js writes into the layout it is given (an axis's computed
  // range), which must not reach the next chart.
  function layoutOf(own) {
    return Object.assign(JSON.parse(JSON.stringify(defaults.layout)), own || {});
  }

  function textColour() {
    var value = getComputedStyle(document.body).getPropertyValue("--md-default-fg-color");
    return value && value.trim() ? value.trim() : "#222";
  }

  // The page's language decides the chart's number symbols (1 234,5 in French) and, for a
  // right-to-left language (Arabic), its direction: the horizontal axis runs from the right
  // and the value axis stands on the right. The figure JSON is the same in every language.
  function localise(layout) {
    var lang = document.documentElement.lang || "en";
    try {
      var parts = new Intl.NumberFormat(lang, { numberingSystem: "latn" }).formatToParts(12345.6);
      var symbol = function (type, fallback) {
        var part = parts.filter(function (p) { return p.type === type; })[0];
        return part ? part.value : fallback;
      };
      layout.separators = symbol("decimal", ".") + symbol("group", ",");
    } catch (error) { /* an unknown language keeps the figure's separators */ }
    if (document.body.dir === "rtl" || document.documentElement.dir === "rtl") {
      layout.xaxis = Object.assign({}, layout.xaxis, { autorange: "reversed" });
      layout.yaxis = Object.assign({}, layout.yaxis, { side: "right" });
      var margin = layout.margin || {};
      layout.margin = Object.assign({}, margin, { l: margin.r, r: margin.l });
    }
  }

  function draw(figure) {
    var plot = figure.querySelector(".registry-chart__plot");
    var source = figure.querySelector("script.registry-chart__figure");
    if (!plot || !source || !window.Plotly || !defaults) return;
    var spec = JSON.parse(source.textContent);
    var layout = layoutOf(spec.layout);
    layout.font = Object.assign({}, layout.font, { color: textColour() });
    localise(layout);
    // No request to another host, ever: geo assets (unused by the basic bundle) stay local.
    var config = Object.assign({}, defaults.config, { topojsonURL: document.baseURI.replace(/[^/]*$/, "") });
    window.Plotly.newPlot(plot, spec.data, layout, config).then(function () {
      plot.setAttribute("data-rendered", "true");
      // Plotly's SVG is decorative next to the figure's text alternative.
      Array.prototype.forEach.call(plot.querySelectorAll("svg"), function (svg) {
        svg.setAttribute("aria-hidden", "true");
        svg.setAttribute("focusable", "false");
      });
    });
  }

  function drawAll() {
    Array.prototype.forEach.call(document.querySelectorAll("figure.registry-chart"), draw);
  }

  function recolour() {
    Array.prototype.forEach.call(document.querySelectorAll(".registry-chart__plot[data-rendered]"), function (plot) {
      window.Plotly.relayout(plot, { "font.color": textColour() });
    });
  }

  var figures = Array.prototype.slice.call(document.querySelectorAll("figure.registry-chart"));
  if ("IntersectionObserver" in window) {
    var observer = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        if (!entry.isIntersecting) return;
        observer.unobserve(entry.target);
        withPlotly(function () { draw(entry.target); });
      });
    }, { rootMargin: "100px 0px" });
    figures.forEach(function (figure) { observer.observe(figure); });
  } else {
    withPlotly(drawAll);
  }
  new MutationObserver(recolour).observe(document.body, {
    attributes: true,
    attributeFilter: ["data-md-color-scheme"],
  });
})();
