// influgraph map: every user-supplied string is inserted with textContent, never as HTML.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("graph-data").textContent);
  var nodes = new vis.DataSet(data.nodes);
  var edges = new vis.DataSet(data.edges);
  var network = new vis.Network(document.getElementById("map"), { nodes: nodes, edges: edges }, data.options);
  var state = { ready: false, selected: null, filters: { community: "", role: "", tier: "", niche: "" } };
  window.influgraphMap = { network: network, nodes: nodes, edges: edges, state: state, meta: data.meta };
  var colours = {};
  data.nodes.forEach(function (n) { colours[n.id] = n.color; });

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }

  // legend
  var legend = document.getElementById("legend");
  data.meta.legend.forEach(function (item) {
    var li = el("li");
    var sw = el("span", null, "swatch"); sw.style.background = item.color;
    li.appendChild(sw); li.appendChild(el("span", item.label)); legend.appendChild(li);
  });
  var edgeLegend = document.getElementById("edge-legend");
  data.meta.edge_legend.forEach(function (item) {
    var li = el("li");
    var sw = el("span", null, "line"); sw.style.background = item.color;
    li.appendChild(sw); li.appendChild(el("span", item.label)); edgeLegend.appendChild(li);
  });

  // filters
  ["community", "role", "tier", "niche"].forEach(function (name) {
    var select = document.getElementById("filter-" + name);
    data.meta.facets[name].forEach(function (value) {
      var option = el("option", value[1]); option.value = value[0]; select.appendChild(option);
    });
    select.addEventListener("change", function () { state.filters[name] = select.value; applyFilters(); });
  });

  function visible(n) {
    var f = state.filters;
    if (f.community !== "" && String(n.community) !== f.community) return false;
    if (f.role !== "" && n.role !== f.role) return false;
    if (f.tier !== "" && n.tier !== f.tier) return false;
    if (f.niche !== "" && (n.niches || []).indexOf(f.niche) < 0) return false;
    return true;
  }

  function applyFilters() {
    var updates = [], shown = 0;
    nodes.forEach(function (n) {
      var show = visible(n);
      if (show) shown += 1;
      if (Boolean(n.hidden) === show) updates.push({ id: n.id, hidden: !show });
    });
    nodes.update(updates);
    setStatus(shown + " of " + nodes.length + " accounts shown");
  }

  function setStatus(text) { document.getElementById("status").textContent = text; }

  // neighbour highlighting and details
  function highlight(id) {
    var updates = [];
    if (id === null) {
      nodes.forEach(function (n) { updates.push({ id: n.id, color: colours[n.id] }); });
    } else {
      var keep = {}; keep[id] = true;
      network.getConnectedNodes(id).forEach(function (other) { keep[other] = true; });
      nodes.forEach(function (n) { updates.push({ id: n.id, color: keep[n.id] ? colours[n.id] : "rgba(200,200,200,0.35)" }); });
    }
    nodes.update(updates);
  }

  function showDetails(id) {
    var box = document.getElementById("details");
    while (box.firstChild) box.removeChild(box.firstChild);
    var n = id === null ? null : nodes.get(id);
    if (!n) { box.appendChild(el("dd", "Click an account to see its metrics and highlight its neighbours.")); return; }
    n.details.forEach(function (pair) { box.appendChild(el("dt", pair[0])); box.appendChild(el("dd", pair[1])); });
  }

  function select(id) {
    state.selected = id;
    highlight(id);
    showDetails(id);
    if (id !== null) {
      network.selectNodes([id]);
      network.focus(id, { scale: 1.2, animation: false });
    } else {
      network.unselectAll();
    }
  }

  network.on("click", function (params) { select(params.nodes.length ? params.nodes[0] : null); });

  // search
  var search = document.getElementById("search");
  var results = document.getElementById("results");
  function runSearch() {
    var q = search.value.trim().toLocaleLowerCase();
    while (results.firstChild) results.removeChild(results.firstChild);
    if (!q) { setStatus(""); return []; }
    var found = nodes.get({ filter: function (n) { return !n.hidden && n.search.indexOf(q) >= 0; } }).slice(0, 20);
    found.forEach(function (n) {
      var li = el("li", n.label);
      li.setAttribute("dir", "auto");
      li.addEventListener("click", function () { select(n.id); });
      results.appendChild(li);
    });
    setStatus(found.length ? found.length + (found.length === 20 ? "+" : "") + " matches" : "no match");
    return found;
  }
  search.addEventListener("input", runSearch);
  search.addEventListener("keydown", function (e) {
    if (e.key === "Enter") { var found = runSearch(); if (found.length) select(found[0].id); }
  });

  document.getElementById("reset").addEventListener("click", function () {
    ["community", "role", "tier", "niche"].forEach(function (name) {
      document.getElementById("filter-" + name).value = ""; state.filters[name] = "";
    });
    search.value = ""; runSearch(); applyFilters(); select(null);
  });

  network.once("afterDrawing", function () {
    state.ready = true; state.readyAt = performance.now(); document.body.setAttribute("data-ready", "1");
  });
})();
