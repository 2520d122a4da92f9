// influgraph map (vis-network): every user-supplied string is inserted with textContent or drawn
// with fillText, never as HTML.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("graph-data").textContent);
  var nodes = new vis.DataSet(data.nodes);
  var edges = new vis.DataSet(data.edges);
  var container = document.getElementById("map");
  var network = new vis.Network(container, { nodes: nodes, edges: edges }, data.options);
  var state = { ready: false, selected: null, matches: {}, labels: [], hiddenKinds: {},
                filters: { community: "", role: "", tier: "", niche: "" } };
  var topLabels = data.meta.top_labels || 10;
  var colours = {}, order = data.nodes.slice().sort(function (a, b) { return a.priority - b.priority; });
  var topIds = {};
  order.slice(0, topLabels).forEach(function (n) { topIds[n.id] = true; });
  data.nodes.forEach(function (n) { colours[n.id] = n.color; });
  window.influgraphMap = { network: network, nodes: nodes, edges: edges, state: state, meta: data.meta,
                           labels: function () { return state.labels; }, topIds: Object.keys(topIds),
                           overlaps: function () { return influgraphLabels.overlaps(state.labels); } };

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  function setStatus(text) { document.getElementById("status").textContent = text; }

  // legend, with a toggle per edge kind
  var legend = document.getElementById("legend");
  data.meta.legend.forEach(function (item) {
    var li = el("li");
    var sw = el("span", null, "swatch"); sw.style.background = item.color;
    li.appendChild(sw); li.appendChild(el("span", item.label)); legend.appendChild(li);
  });
  var edgeLegend = document.getElementById("edge-legend");
  data.meta.edge_legend.forEach(function (item) {
    var li = el("li"), label = el("label"), box = el("input");
    box.type = "checkbox"; box.checked = true; box.className = "kind-toggle"; box.value = item.label;
    var sw = el("span", null, "line"); sw.style.background = item.color;
    label.appendChild(box); label.appendChild(sw); label.appendChild(el("span", item.label));
    li.appendChild(label); edgeLegend.appendChild(li);
    box.addEventListener("change", function () {
      state.hiddenKinds[item.label] = !box.checked;
      var updates = [];
      edges.forEach(function (e) { if (e.kind === item.label) updates.push({ id: e.id, hidden: !box.checked }); });
      edges.update(updates);
    });
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

  // colours: the selection's neighbours, or the search matches, stay bright; the rest fade
  function recolour() {
    var keep = null;
    if (state.selected !== null) {
      keep = {}; keep[state.selected] = true;
      network.getConnectedNodes(state.selected).forEach(function (other) { keep[other] = true; });
    } else if (Object.keys(state.matches).length) {
      keep = state.matches;
    }
    var updates = [];
    nodes.forEach(function (n) {
      var bright = keep === null || keep[n.id];
      var border = state.matches[n.id] ? "#111" : undefined;
      updates.push({ id: n.id, color: bright ? (border ? { background: colours[n.id], border: border } : colours[n.id]) : "rgba(200,200,200,0.35)",
                     borderWidth: state.matches[n.id] ? 3 : 1 });
    });
    nodes.update(updates);
  }

  function showDetails(id) {
    var box = document.getElementById("details");
    while (box.firstChild) box.removeChild(box.firstChild);
    var n = id === null ? null : nodes.get(id);
    if (!n) { box.appendChild(el("dd", "Click an account to see its metrics and highlight its neighbours.")); return; }
    n.details.forEach(function (pair) {
      box.appendChild(el("dt", pair[0]));
      box.appendChild(el("dd", pair[1], pair[0] === "warnings" || pair[0] === "why" ? "warn" : null));
    });
  }

  function select(id) {
    state.selected = id;
    recolour();
    showDetails(id);
    if (id !== null) {
      network.selectNodes([id]);
      network.focus(id, { scale: Math.max(network.getScale(), 1.0), animation: false });
    } else {
      network.unselectAll();
    }
  }
  window.influgraphMap.select = select;
  network.on("click", function (params) { select(params.nodes.length ? params.nodes[0] : null); });

  // labels: drawn by the page, never overlapping (map-labels.js)
  network.on("afterDrawing", function (ctx) {
    var ratio = ctx.canvas.width / Math.max(ctx.canvas.clientWidth, 1);
    var positions = network.getPositions(), scale = network.getScale(), cands = [];
    for (var i = 0; i < order.length; i++) {
      var n = order[i];
      var live = nodes.get(n.id);
      if (!live || live.hidden) continue;
      var dom = network.canvasToDOM(positions[n.id]);
      cands.push({ id: n.id, x: dom.x, y: dom.y, r: n.size * scale, text: n.text,
                   top: topIds[n.id] || state.matches[n.id] || state.selected === n.id });
    }
    cands.sort(function (a, b) { return (b.top ? 1 : 0) - (a.top ? 1 : 0); });
    ctx.save();
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    state.labels = influgraphLabels.place(ctx, cands, ctx.canvas.clientWidth, ctx.canvas.clientHeight, {});
    influgraphLabels.draw(ctx, state.labels);
    ctx.restore();
  });

  // search: matches are ringed and the others fade; the view centres on the best match
  var search = document.getElementById("search");
  var results = document.getElementById("results");
  function runSearch() {
    var q = search.value.trim().toLocaleLowerCase();
    while (results.firstChild) results.removeChild(results.firstChild);
    state.matches = {};
    if (!q) { setStatus(""); recolour(); return []; }
    var found = nodes.get({ filter: function (n) { return !n.hidden && n.search.indexOf(q) >= 0; } });
    found.sort(function (a, b) { return a.priority - b.priority; });
    found.forEach(function (n) { state.matches[n.id] = true; });
    found.slice(0, 20).forEach(function (n) {
      var li = el("li", n.text);
      li.setAttribute("dir", "auto");
      li.addEventListener("click", function () { select(n.id); });
      results.appendChild(li);
    });
    setStatus(found.length ? found.length + " match" + (found.length === 1 ? "" : "es") + " highlighted" : "no match");
    recolour();
    if (found.length) network.focus(found[0].id, { scale: Math.max(network.getScale(), 0.8), animation: false });
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
    search.value = ""; runSearch(); applyFilters(); select(null); network.fit({ animation: false });
  });

  network.once("afterDrawing", function () {
    var wanted = "";
    try { wanted = decodeURIComponent(location.hash.slice(1)); } catch (e) { wanted = ""; }
    if (wanted && nodes.get(wanted)) select(wanted);
    state.ready = true; state.readyAt = performance.now(); document.body.setAttribute("data-ready", "1");
  });
})();
