// influgraph map for large views (sigma.js on graphology, WebGL): the same data and controls as the
// vis-network page (shared in map-common.js). Every user-supplied string is inserted with textContent or drawn with fillText.
(function () {
  "use strict";
  var common = window.influgraphCommon;
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
    graph.addEdge(e.from, e.to, { size: 0.5 + 2 * e.value / maxValue, color: e.color, kind: e.kind, t: e.t });
  });
  var state = { ready: false, selected: null, neighbours: null, matches: {}, labels: [], hiddenKinds: {}, cutoff: null,
                filters: { community: "", role: "", tier: "", niche: "" } };
  var faded = "#e4e6ea";
  var hidden = {};
  function edgeHidden(id, attrs) {
    if (state.hiddenKinds[attrs.kind] || !common.shown(attrs, state.cutoff)) return true;
    if (state.neighbours) {
      var ends = graph.extremities(id);
      if (ends[0] !== state.selected && ends[1] !== state.selected) return true;
    }
    return false;
  }
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
      if (edgeHidden(id, attrs)) out.hidden = true;
      return out;
    }
  });
  var nodesApi = { length: data.nodes.length, getIds: function () { return data.nodes.map(function (n) { return n.id; }); },
                   get: function (id) { return id === undefined ? data.nodes : byId[id] || null; } };
  window.influgraphMap = { renderer: renderer, graph: graph, nodes: nodesApi, state: state, meta: data.meta,
                           edges: { length: graph.size }, topIds: Object.keys(topIds),
                           labels: function () { return state.labels; },
                           overlaps: function () { return influgraphLabels.overlaps(state.labels); },
                           visibleEdges: function () { return graph.filterEdges(function (id, attrs) { return !edgeHidden(id, attrs); }).length; },
                           visibleNodes: function () { return data.nodes.filter(function (n) { return !hidden[n.id]; }).length; } };

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
  common.legend(data.meta, function (kind, shown) {
    state.hiddenKinds[kind] = !shown; renderer.refresh({ skipIndexation: true, schedule: true });
  });

  // nodes: hidden when a filter excludes them or they appear after the time slider
  function hideNodes() {
    var shown = 0;
    hidden = {};
    data.nodes.forEach(function (n) {
      if (common.matches(n, state.filters) && common.shown(n, state.cutoff)) shown += 1; else hidden[n.id] = true;
    });
    return shown;
  }
  function applyFilters() {
    var shown = hideNodes();
    renderer.refresh();
    common.setStatus(shown + " of " + data.nodes.length + " accounts shown");
  }
  common.facets(data.meta, state, applyFilters);

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
    common.showDetails(id === null ? null : byId[id]);
    state.clickedAt = performance.now();
    renderer.refresh({ partialGraph: { nodes: changed, edges: graph.edges() }, skipIndexation: true, schedule: true });
    if (id !== null) centre(id);
  }
  window.influgraphMap.select = select;
  renderer.on("clickNode", function (e) { select(e.node); });
  renderer.on("clickStage", function () { select(null); });

  var search = document.getElementById("search");
  function runSearch() {
    var q = search.value.trim().toLocaleLowerCase();
    state.matches = {};
    if (!q) { common.clearMatches(); renderer.refresh({ skipIndexation: true, schedule: true }); return []; }
    var found = order.filter(function (n) { return !hidden[n.id] && n.search.indexOf(q) >= 0; });
    found.forEach(function (n) { state.matches[n.id] = true; });
    common.showMatches(found, select);
    renderer.refresh({ skipIndexation: true, schedule: true });
    if (found.length) centre(found[0].id);
    return found;
  }
  common.searchBox(search, runSearch, select);
  document.getElementById("reset").addEventListener("click", function () {
    common.resetFilters(state);
    search.value = ""; runSearch(); applyFilters(); select(null); renderer.getCamera().setState({ x: 0.5, y: 0.5, ratio: 1 });
  });

  // the time slider (pages of a workspace with time): accounts and connections appear as it moves
  var timed = false;
  window.influgraphMap.time = common.timeSlider(data.meta, data.nodes, data.edges, function (cutoff) {
    state.cutoff = cutoff; hideNodes();
    if (timed) renderer.refresh({ schedule: true });
    timed = true;
  });

  var wanted = common.wanted();
  if (wanted && byId[wanted]) select(wanted);
  requestAnimationFrame(function () {
    drawLabels();
    common.ready(state);
  });
})();
