// influgraph report: sortable tables. Sorting moves rows; it never writes HTML.
(function () {
  "use strict";
  function key(cell) {
    var raw = cell.getAttribute("data-sort");
    var number = raw === "" ? NaN : Number(raw);
    return isNaN(number) ? { n: false, v: raw } : { n: true, v: number };
  }
  function compare(a, b) {
    if (a.n && b.n) return a.v - b.v;
    if (a.n !== b.n) return a.n ? -1 : 1;
    return a.v.localeCompare(b.v);
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    var headers = table.querySelectorAll("th");
    headers.forEach(function (th, index) {
      function sort() {
        var descending = th.getAttribute("aria-sort") !== "descending";
        headers.forEach(function (other) { other.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", descending ? "descending" : "ascending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (r1, r2) {
          var c = compare(key(r1.cells[index]), key(r2.cells[index]));
          return descending ? -c : c;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      }
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (e) { if (e.key === "Enter") sort(); });
    });
  });
  document.body.setAttribute("data-ready", "1");
})();
