// influgraph map, the parts both renderers share (vis-network: map.js, sigma.js: map-sigma.js): page controls,
// legend, facets, the details panel, search results and the time slider. Every user-supplied string is
// inserted with textContent, never as HTML.
(function () {
  "use strict";
  var FILTERS = ["community", "role", "tier", "niche"];
  var HINT = "Click an account to see its metrics and highlight its neighbours.";

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  function setStatus(text) { document.getElementById("status").textContent = text; }
  function clear(box) { while (box.firstChild) box.removeChild(box.firstChild); }

  // the community legend, and a checkbox per edge kind calling onToggle(kind, shown)
  function legend(meta, onToggle) {
    var list = document.getElementById("legend");
    meta.legend.forEach(function (item) {
      var li = el("li"), sw = el("span", null, "swatch"); sw.style.background = item.color;
      li.appendChild(sw); li.appendChild(el("span", item.label)); list.appendChild(li);
    });
    var edgeLegend = document.getElementById("edge-legend");
    meta.edge_legend.forEach(function (item) {
      var li = el("li"), label = el("label"), box = el("input");
      box.type = "checkbox"; box.checked = true; box.className = "kind-toggle"; box.value = item.label;
      var sw = el("span", null, "line"); sw.style.background = item.color;
      label.appendChild(box); label.appendChild(sw); label.appendChild(el("span", item.label));
      li.appendChild(label); edgeLegend.appendChild(li);
      box.addEventListener("change", function () { onToggle(item.label, box.checked); });
    });
  }

  // the filter menus: each change sets state.filters and calls apply()
  function facets(meta, state, apply) {
    FILTERS.forEach(function (name) {
      var select = document.getElementById("filter-" + name);
      meta.facets[name].forEach(function (value) {
        var option = el("option", value[1]); option.value = value[0]; select.appendChild(option);
      });
      select.addEventListener("change", function () { state.filters[name] = select.value; apply(); });
    });
  }
  function resetFilters(state) {
    FILTERS.forEach(function (name) { document.getElementById("filter-" + name).value = ""; state.filters[name] = ""; });
  }
  function matches(n, f) {
    if (f.community !== "" && String(n.community) !== f.community) return false;
    if (f.role !== "" && n.role !== f.role) return false;
    if (f.tier !== "" && n.tier !== f.tier) return false;
    if (f.niche !== "" && (n.niches || []).indexOf(f.niche) < 0) return false;
    return true;
  }

  // the details panel of node n (null: the hint); details are pairs, or one string (large pages: \u001e and \u001f)
  function showDetails(n) {
    var box = document.getElementById("details");
    clear(box);
    if (!n) { box.appendChild(el("dd", HINT)); return; }
    var pairs = typeof n.details === "string" ? n.details.split("\u001e").map(function (p) { return p.split("\u001f"); }) : n.details;
    pairs.forEach(function (pair) {
      box.appendChild(el("dt", pair[0]));
      box.appendChild(el("dd", pair[1], pair[0] === "warnings" || pair[0] === "why" ? "warn" : null));
    });
  }

  // the first 20 search matches as clickable chips, and the status line
  function showMatches(found, select) {
    var results = document.getElementById("results");
    clear(results);
    found.slice(0, 20).forEach(function (n) {
      var li = el("li", n.text); li.setAttribute("dir", "auto");
      li.addEventListener("click", function () { select(n.id); });
      results.appendChild(li);
    });
    setStatus(found.length ? found.length + " match" + (found.length === 1 ? "" : "es") + " highlighted" : "no match");
  }
  // the search box: each keystroke runs the search, Enter also selects the best match
  function searchBox(search, run, select) {
    search.addEventListener("input", run);
    search.addEventListener("keydown", function (e) {
      if (e.key === "Enter") { var found = run(); if (found.length) select(found[0].id); }
    });
  }
  function clearMatches() { clear(document.getElementById("results")); setStatus(""); }

  function wanted() {
    try { return decodeURIComponent(location.hash.slice(1)); } catch (e) { return ""; }
  }
  function ready(state) {
    state.ready = true; state.readyAt = performance.now(); document.body.setAttribute("data-ready", "1");
  }

  // time: items carry `t` (ms since 1970 UTC; null: present throughout); shown when t <= the slider's time
  function stamp(ms, withTime) {
    var iso = new Date(ms).toISOString();
    return withTime ? iso.slice(0, 16).replace("T", " ") + " UTC" : iso.slice(0, 10);
  }
  function shown(item, cutoff) { return cutoff === null || item.t === null || item.t === undefined || item.t <= cutoff; }

  // the time slider (only where the page has a timeline): calls onChange(cutoff) as it moves; returns its API.
  // Keyboard: the range input takes arrows, Page Up/Down, Home and End; the Play button plays the growth.
  function timeSlider(meta, nodes, edges, onChange) {
    var input = document.getElementById("time");
    if (!meta.time || !input) return null;
    var first = meta.time.first, last = meta.time.last, steps = Number(input.max);
    var withTime = last - first < 3 * 86400000;
    var out = document.getElementById("time-range"), play = document.getElementById("play"), timer = null;
    function cutoffAt(step) { return step >= steps ? last : first + (last - first) * step / steps; }
    function update() {
      var cutoff = cutoffAt(Number(input.value)), count = 0, accounts = 0, i;
      for (i = 0; i < edges.length; i++) if (shown(edges[i], cutoff)) count += 1;
      for (i = 0; i < nodes.length; i++) if (shown(nodes[i], cutoff)) accounts += 1;
      var text = stamp(first, withTime) + " to " + stamp(cutoff, withTime) + ": " + accounts.toLocaleString("en") +
                 " of " + nodes.length.toLocaleString("en") + " accounts, " + count.toLocaleString("en") +
                 " of " + edges.length.toLocaleString("en") + " connections";
      out.textContent = text;
      input.setAttribute("aria-valuetext", "up to " + stamp(cutoff, withTime));
      api.cutoff = cutoff; api.count = count; api.accounts = accounts;
      onChange(cutoff);
    }
    function stop() { if (timer !== null) { clearInterval(timer); timer = null; } play.textContent = "Play"; play.setAttribute("aria-pressed", "false"); }
    play.addEventListener("click", function () {
      if (timer !== null) { stop(); return; }
      if (Number(input.value) >= steps) input.value = "0";
      play.textContent = "Pause"; play.setAttribute("aria-pressed", "true");
      timer = setInterval(function () {
        input.value = String(Math.min(steps, Number(input.value) + 1)); update();
        if (Number(input.value) >= steps) stop();
      }, 120);
    });
    input.addEventListener("input", update);
    var api = { input: input, cutoff: last, count: edges.length, accounts: nodes.length, update: update, stop: stop,
                set: function (step) { input.value = String(step); update(); }, cutoffAt: cutoffAt, steps: steps };
    update();
    return api;
  }

  window.influgraphCommon = { el: el, setStatus: setStatus, legend: legend, facets: facets, resetFilters: resetFilters,
                              matches: matches, showDetails: showDetails, showMatches: showMatches,
                              clearMatches: clearMatches, searchBox: searchBox, wanted: wanted, ready: ready, shown: shown,
                              timeSlider: timeSlider };
})();
