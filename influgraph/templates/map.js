// influgraph map (vis-network): every user-supplied string is inserted with textContent or drawn
// with fillText, never as HTML. Controls shared with the sigma.js page are in map-common.js.
(function () {
  "use strict";
  var common = window.influgraphCommon;
  var data = JSON.parse(document.getElementById("graph-data").textContent);
  var nodes = new vis.DataSet(data.nodes);
  var edges = new vis.DataSet(data.edges);
  var container = document.getElementById("map");
  var network = new vis.Network(container, { nodes: nodes, edges: edges }, data.options);
  var state = { ready: false, selected: null, matches: {}, labels: [], hiddenKinds: {}, cutoff: null,
                filters: { community: "", role: "", tier: "", niche: "" } };
  var topLabels = data.meta.top_labels || 10;
  var colours = {}, order = data.nodes.slice().sort(function (a, b) { return a.priority - b.priority; });
  var topIds = {};
  order.slice(0, topLabels).forEach(function (n) { topIds[n.id] = true; });
  data.nodes.forEach(function (n) { colours[n.id] = n.color; });
  window.influgraphMap = { network: network, nodes: nodes, edges: edges, state: state, meta: data.meta,
                           labels: function () { return state.labels; }, topIds: Object.keys(topIds),
                           overlaps: function () { return influgraphLabels.overlaps(state.labels); },
                           visibleEdges: function () { return edges.get({ filter: function (e) { return !e.hidden; } }).length; },
                           visibleNodes: function () { return nodes.get({ filter: function (n) { return !n.hidden; } }).length; } };

  // edges: hidden when their kind is unticked or they come after the time slider
  function applyEdges() {
    var updates = [];
    edges.forEach(function (e) {
      var hide = Boolean(state.hiddenKinds[e.kind]) || !common.shown(e, state.cutoff);
      if (Boolean(e.hidden) !== hide) updates.push({ id: e.id, hidden: hide });
    });
    edges.update(updates);
  }
  common.legend(data.meta, function (kind, shown) { state.hiddenKinds[kind] = !shown; applyEdges(); });

  // nodes: hidden when a filter excludes them or they appear after the time slider
  function applyNodes() {
    var updates = [], shown = 0;
    nodes.forEach(function (n) {
      var show = common.matches(n, state.filters) && common.shown(n, state.cutoff);
      if (show) shown += 1;
      if (Boolean(n.hidden) === show) updates.push({ id: n.id, hidden: !show });
    });
    nodes.update(updates);
    return shown;
  }
  function applyFilters() {
    var shown = applyNodes();
    common.setStatus(shown + " of " + nodes.length + " accounts shown");
  }
  common.facets(data.meta, state, applyFilters);

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

  function select(id) {
    state.selected = id;
    recolour();
    common.showDetails(id === null ? null : nodes.get(id));
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
  function runSearch() {
    var q = search.value.trim().toLocaleLowerCase();
    state.matches = {};
    if (!q) { common.clearMatches(); recolour(); return []; }
    var found = nodes.get({ filter: function (n) { return !n.hidden && n.search.indexOf(q) >= 0; } });
    found.sort(function (a, b) { return a.priority - b.priority; });
    found.forEach(function (n) { state.matches[n.id] = true; });
    common.showMatches(found, select);
    recolour();
    if (found.length) network.focus(found[0].id, { scale: Math.max(network.getScale(), 0.8), animation: false });
    return found;
  }
  common.searchBox(search, runSearch, select);

  document.getElementById("reset").addEventListener("click", function () {
    common.resetFilters(state);
    search.value = ""; runSearch(); applyFilters(); select(null); network.fit({ animation: false });
  });

  // the time slider (pages of a workspace with time): accounts and connections appear as it moves
  window.influgraphMap.time = common.timeSlider(data.meta, data.nodes, data.edges, function (cutoff) {
    state.cutoff = cutoff; applyNodes(); applyEdges();
  });

  network.once("afterDrawing", function () {
    var wanted = common.wanted();
    if (wanted && nodes.get(wanted)) select(wanted);
    common.ready(state);
  });
})();
