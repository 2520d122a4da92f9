// influgraph map labels: greedy placement with no two label boxes overlapping, at any zoom.
// Candidates come in priority order (the top accounts by score first). Each label tries eight
// positions around its node (right, left, above, below, then the corners); the first box that
// stays inside the canvas and hits no box already placed wins, else the label is left out. The
// top accounts also try positions further out, so they are drawn whenever any room is left.
// Boxes are kept in a uniform grid, so placing n labels costs O(n). Text is drawn with fillText:
// no HTML is ever written.
(function () {
  "use strict";
  var CELL = 64;
  var FONT = "12px system-ui, 'Noto Sans', 'Noto Sans Arabic', sans-serif";
  var TOP_FONT = "bold 13px system-ui, 'Noto Sans', 'Noto Sans Arabic', sans-serif";

  var widths = {};  // text width per label and font, measured once

  function Grid() { this.cells = {}; }
  Grid.prototype.keys = function (b) {
    var out = [];
    for (var gx = Math.floor(b.x / CELL); gx <= Math.floor((b.x + b.w) / CELL); gx++)
      for (var gy = Math.floor(b.y / CELL); gy <= Math.floor((b.y + b.h) / CELL); gy++) out.push(gx + ":" + gy);
    return out;
  };
  Grid.prototype.hits = function (b) {
    var keys = this.keys(b);
    for (var i = 0; i < keys.length; i++) {
      var list = this.cells[keys[i]];
      if (!list) continue;
      for (var j = 0; j < list.length; j++) {
        var o = list[j];
        if (b.x < o.x + o.w && o.x < b.x + b.w && b.y < o.y + o.h && o.y < b.y + b.h) return true;
      }
    }
    return false;
  };
  Grid.prototype.add = function (b) {
    var keys = this.keys(b);
    for (var i = 0; i < keys.length; i++) (this.cells[keys[i]] = this.cells[keys[i]] || []).push(b);
  };

  function spots(c, w, h, ring) {
    var d = c.r + 3 + (ring - 1) * (h + 4);
    return [[c.x + d, c.y - h / 2], [c.x - d - w, c.y - h / 2], [c.x - w / 2, c.y - d - h], [c.x - w / 2, c.y + d],
            [c.x + d * 0.7, c.y - d * 0.7 - h], [c.x + d * 0.7, c.y + d * 0.7], [c.x - d * 0.7 - w, c.y - d * 0.7 - h],
            [c.x - d * 0.7 - w, c.y + d * 0.7]];
  }

  // cands: [{id, x, y, r, text, top}] in screen pixels, in priority order.
  // Returns the placed boxes [{id, x, y, w, h, text, top}].
  function place(ctx, cands, width, height, options) {
    var grid = new Grid(), placed = [], minRadius = options.minRadius || 2.5, max = options.maxLabels || 400;
    for (var i = 0; i < cands.length; i++) {
      var c = cands[i];
      if (!c.top && (placed.length >= max || c.r < minRadius)) continue;
      if (c.x < -50 || c.y < -50 || c.x > width + 50 || c.y > height + 50) continue;
      var font = c.top ? TOP_FONT : FONT, key = (c.top ? "b" : "n") + c.text, w = widths[key];
      if (w === undefined) { ctx.font = font; w = widths[key] = Math.ceil(ctx.measureText(c.text).width) + 4; }
      var h = c.top ? 17 : 15;
      var rings = c.top ? 4 : 1, done = false;
      for (var ring = 1; ring <= rings && !done; ring++) {
        var options8 = spots(c, w, h, ring);
        for (var k = 0; k < options8.length; k++) {
          var b = { x: options8[k][0], y: options8[k][1], w: w, h: h };
          if (b.x < 0 || b.y < 0 || b.x + w > width || b.y + h > height) continue;
          if (grid.hits(b)) continue;
          b.id = c.id; b.text = c.text; b.top = !!c.top;
          grid.add(b); placed.push(b); done = true; break;
        }
      }
    }
    return placed;
  }

  function draw(ctx, boxes) {
    ctx.save();
    ctx.textBaseline = "middle";
    ctx.lineJoin = "round";
    for (var i = 0; i < boxes.length; i++) {
      var b = boxes[i];
      ctx.font = b.top ? TOP_FONT : FONT;
      ctx.lineWidth = 3;
      ctx.strokeStyle = "rgba(255,255,255,0.9)";
      ctx.strokeText(b.text, b.x + 2, b.y + b.h / 2);
      ctx.fillStyle = b.top ? "#0b1220" : "#2b3345";
      ctx.fillText(b.text, b.x + 2, b.y + b.h / 2);
    }
    ctx.restore();
  }

  // How many pairs of boxes overlap (the browser test asserts 0).
  function overlaps(boxes) {
    var n = 0;
    for (var i = 0; i < boxes.length; i++)
      for (var j = i + 1; j < boxes.length; j++) {
        var a = boxes[i], b = boxes[j];
        if (a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h) n++;
      }
    return n;
  }

  window.influgraphLabels = { place: place, draw: draw, overlaps: overlaps };
})();
