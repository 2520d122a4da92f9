// influgraph map for large views (sigma.js on graphology, WebGL): the same data and controls as the
// vis-network page. Every user-supplied string is inserted with textContent or drawn with fillText.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("graph-data").textContent);
  var container = document.getElementById("map");
  var graph = new graphology.Graph({ type: "directed", multi: false, allowSelfLoops: false });
  var byId = {}, order = data.nodes.slice().sort(function (a, b) { return a.priority - b.priority; });
  var topLabels = data.meta.top_labels || 10, topIds = {};
  order.slice(0, topLabels).forEach(function (n) { topIds[n.id] = true; });
  data.nodes.forEach(function (n) {
    byId[n.id] = n;
    graph.addNode(n.id, { x: n.x, y: -n.y, size: Math.max(1.5, n.size / 4), color: n.color, label: null });
  });
  var maxValue = 1;
  data.edges.forEach(function (e) { if (e.value > maxValue) maxValue = e.value; });
  data.edges.forEach(function (e) {
    if (e.from === e.to || !byId[e.from] || !byId[e.to] || graph.hasEdge(e.from, e.to)) return;
    graph.addEdge(e.from, e.to, { size: 0.5 + 2 * e.value / maxValue, color: e.color, kind: e.kind });
  });
  var state = { ready: false, selected: null, neighbours: null, matches: {}, labels: [], hiddenKinds: {},
                filters: { community: "", role: "", tier: "", niche: "" } };
  var faded = "#e4e6ea";
  function visible(n) {
    var f = state.filters;
    if (f.community !== "" && String(n.community) !== f.community) return false;
    if (f.role !== "" && n.role !== f.role) return false;
    if (f.tier !== "" && n.tier !== f.tier) return false;
    if (f.niche !== "" && (n.niches || []).indexOf(f.niche) < 0) return false;
    return true;
  }
  var hidden = {};
  var renderer = new Sigma.Sigma(graph, container, {
    renderLabels: false, defaultEdgeType: "line", hideEdgesOnMove: true, zIndex: true,
    nodeReducer: function (id, attrs) {
      var out = Object.assign({}, attrs);
      if (hidden[id]) { out.hidden = true; return out; }
      var keep = Object.keys(state.matches).length ? state.matches : null;
      if (keep && !keep[id]) { out.color = faded; out.zIndex = 0; } else { out.zIndex = 1; }
      if (state.matches[id] || (state.neighbours && state.neighbours[id])) { out.highlighted = true; out.zIndex = 2; }
      return out;
    },
    edgeReducer: function (id, attrs) {
      var out = Object.assign({}, attrs);
      if (state.hiddenKinds[attrs.kind]) { out.hidden = true; return out; }
      if (state.neighbours) {
        var ends = graph.extremities(id);
        if (ends[0] !== state.selected && ends[1] !== state.selected) out.hidden = true;
      }
      return out;
    }
  });
  var nodesApi = { length: data.nodes.length, getIds: function () { return data.nodes.map(function (n) { return n.id; }); },
                   get: function (id) { return id === undefined ? data.nodes : byId[id] || null; } };
  window.influgraphMap = { renderer: renderer, graph: graph, nodes: nodesApi, state: state, meta: data.meta,
                           edges: { length: graph.size }, topIds: Object.keys(topIds),
                           labels: function () { return state.labels; },
                           overlaps: function () { return influgraphLabels.overlaps(state.labels); } };

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  function setStatus(text) { document.getElementById("status").textContent = text; }

  // labels on an overlay canvas, placed by map-labels.js after each frame
  var overlay = document.createElement("canvas");
  overlay.className = "label-layer";
  container.style.position = "relative";
  container.appendChild(overlay);
  function drawLabels() {
    var w = container.clientWidth, h = container.clientHeight, ratio = window.devicePixelRatio || 1;
    if (overlay.width !== Math.round(w * ratio) || overlay.height !== Math.round(h * ratio)) {
      overlay.width = Math.round(w * ratio); overlay.height = Math.round(h * ratio);
      overlay.style.width = w + "px"; overlay.style.height = h + "px";
    }
    var ctx = overlay.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, w, h);
    var cands = [], limit = Math.min(order.length, 1500);
    for (var i = 0; i < limit; i++) {
      var n = order[i];
      if (hidden[n.id]) continue;
      var d = renderer.getNodeDisplayData(n.id);
      if (!d) continue;
      var p = renderer.framedGraphToViewport(d);
      cands.push({ id: n.id, x: p.x, y: p.y, r: renderer.scaleSize(d.size), text: n.text,
                   top: topIds[n.id] || state.matches[n.id] || state.selected === n.id });
    }
    cands.sort(function (a, b) { return (b.top ? 1 : 0) - (a.top ? 1 : 0); });
    state.labels = influgraphLabels.place(ctx, cands, w, h, { minRadius: 2, maxLabels: 250 });
    influgraphLabels.draw(ctx, state.labels);
  }
  renderer.on("afterRender", drawLabels);

  // legend and edge-kind toggles
  var legend = document.getElementById("legend");
  data.meta.legend.forEach(function (item) {
    var li = el("li"), sw = el("span", null, "swatch"); sw.style.background = item.color;
    li.appendChild(sw); li.appendChild(el("span", item.label)); legend.appendChild(li);
  });
  var edgeLegend = document.getElementById("edge-legend");
  data.meta.edge_legend.forEach(function (item) {
    var li = el("li"), label = el("label"), box = el("input");
    box.type = "checkbox"; box.checked = true; box.className = "kind-toggle"; box.value = item.label;
    var sw = el("span", null, "line"); sw.style.background = item.color;
    label.appendChild(box); label.appendChild(sw); label.appendChild(el("span", item.label));
    li.appendChild(label); edgeLegend.appendChild(li);
    box.addEventListener("change", function () { state.hiddenKinds[item.label] = !box.checked; renderer.refresh({ skipIndexation: true, schedule: true }); });
  });

  ["community", "role", "tier", "niche"].forEach(function (name) {
    var select = document.getElementById("filter-" + name);
    data.meta.facets[name].forEach(function (value) {
      var option = el("option", value[1]); option.value = value[0]; select.appendChild(option);
    });
    select.addEventListener("change", function () { state.filters[name] = select.value; applyFilters(); });
  });
  function applyFilters() {
    var shown = 0;
    hidden = {};
    data.nodes.forEach(function (n) { if (visible(n)) shown += 1; else hidden[n.id] = true; });
    renderer.refresh();
    setStatus(shown + " of " + data.nodes.length + " accounts shown");
  }

  function showDetails(id) {
    var box = document.getElementById("details");
    while (box.firstChild) box.removeChild(box.firstChild);
    var n = id === null ? null : byId[id];
    if (!n) { box.appendChild(el("dd", "Click an account to see its metrics and highlight its neighbours.")); return; }
    var pairs = typeof n.details === "string" ? n.details.split("\u001e").map(function (p) { return p.split("\u001f"); }) : n.details;
    pairs.forEach(function (pair) {
      box.appendChild(el("dt", pair[0]));
      box.appendChild(el("dd", pair[1], pair[0] === "warnings" || pair[0] === "why" ? "warn" : null));
    });
  }
  function centre(id, ratio) {
    var d = renderer.getNodeDisplayData(id);
    if (d) renderer.getCamera().setState({ x: d.x, y: d.y, ratio: ratio === undefined ? renderer.getCamera().ratio : ratio });
  }
  // a selection rings the account and its neighbours and hides the other edges; only those nodes are
  // reprocessed (a full refresh of 20,000 nodes would delay the answer to the click)
  function select(id) {
    var changed = Object.keys(state.neighbours || {});
    state.selected = id;
    state.neighbours = null;
    if (id !== null) {
      state.neighbours = {}; state.neighbours[id] = true;
      graph.forEachNeighbor(id, function (other) { state.neighbours[other] = true; changed.push(other); });
      changed.push(id);
    }
    showDetails(id);
    state.clickedAt = performance.now();
    renderer.refresh({ partialGraph: { nodes: changed, edges: graph.edges() }, skipIndexation: true, schedule: true });
    if (id !== null) centre(id);
  }
  window.influgraphMap.select = select;
  renderer.on("clickNode", function (e) { select(e.node); });
  renderer.on("clickStage", function () { select(null); });

  var search = document.getElementById("search"), results = document.getElementById("results");
  function runSearch() {
    var q = search.value.trim().toLocaleLowerCase();
    while (results.firstChild) results.removeChild(results.firstChild);
    state.matches = {};
    if (!q) { setStatus(""); renderer.refresh({ skipIndexation: true, schedule: true }); return []; }
    var found = order.filter(function (n) { return !hidden[n.id] && n.search.indexOf(q) >= 0; });
    found.forEach(function (n) { state.matches[n.id] = true; });
    found.slice(0, 20).forEach(function (n) {
      var li = el("li", n.text); li.setAttribute("dir", "auto");
      li.addEventListener("click", function () { select(n.id); });
      results.appendChild(li);
    });
    setStatus(found.length ? found.length + " match" + (found.length === 1 ? "" : "es") + " highlighted" : "no match");
    renderer.refresh({ skipIndexation: true, schedule: true });
    if (found.length) centre(found[0].id);
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
    search.value = ""; runSearch(); applyFilters(); select(null); renderer.getCamera().setState({ x: 0.5, y: 0.5, ratio: 1 });
  });

  var wanted = "";
  try { wanted = decodeURIComponent(location.hash.slice(1)); } catch (e) { wanted = ""; }
  if (wanted && byId[wanted]) select(wanted);
  requestAnimationFrame(function () {
    drawLabels();
    state.ready = true; state.readyAt = performance.now(); document.body.setAttribute("data-ready", "1");
  });
})();
