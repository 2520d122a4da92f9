// influgraph report: sortable tables, rows that open their evidence, filters and search.
// It moves rows and toggles attributes; it never writes HTML.
(function () {
  "use strict";
  function key(cell) {
    var raw = cell.getAttribute("data-sort") || "";
    var number = raw === "" ? NaN : Number(raw);
    return isNaN(number) ? { n: false, v: raw } : { n: true, v: number };
  }
  function compare(a, b) {
    if (a.n && b.n) return a.v - b.v;
    if (a.n !== b.n) return a.n ? -1 : 1;
    return a.v.localeCompare(b.v);
  }
  function mainRows(table) {
    return Array.prototype.filter.call(table.tBodies[0].rows, function (r) { return r.classList.contains("main"); });
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    var headers = table.querySelectorAll("th");
    headers.forEach(function (th, index) {
      function sort() {
        var descending = th.getAttribute("aria-sort") !== "descending";
        headers.forEach(function (other) { other.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", descending ? "descending" : "ascending");
        var body = table.tBodies[0];
        var rows = mainRows(table);
        rows.sort(function (r1, r2) {
          var c = compare(key(r1.cells[index]), key(r2.cells[index]));
          return descending ? -c : c;
        });
        rows.forEach(function (row) {
          var detail = row.nextElementSibling;
          body.appendChild(row);
          if (detail && detail.classList.contains("detail")) body.appendChild(detail);
        });
      }
      th.tabIndex = 0;
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (e) { if (e.key === "Enter") sort(); });
    });
    table.addEventListener("click", function (e) {
      if (e.target.closest("a")) return;
      var row = e.target.closest("tr.main");
      if (!row) return;
      var detail = row.nextElementSibling;
      if (!detail || !detail.classList.contains("detail")) return;
      detail.hidden = !detail.hidden;
      row.classList.toggle("open", !detail.hidden);
    });
  });

  document.querySelectorAll(".filters").forEach(function (box) {
    var table = document.getElementById(box.getAttribute("data-table"));
    if (!table) return;
    var count = box.querySelector(".count");
    function value(cls) { var e = box.querySelector(cls); return e ? e.value : ""; }
    function apply() {
      var q = value(".f-search").trim().toLocaleLowerCase();
      var tier = value(".f-tier"), role = value(".f-role"), lang = value(".f-lang"), flag = value(".f-flag");
      var rows = mainRows(table), shown = 0;
      rows.forEach(function (row) {
        var flags = row.getAttribute("data-flags");
        var ok = (!q || row.getAttribute("data-search").indexOf(q) >= 0)
          && (!tier || row.getAttribute("data-tier") === tier)
          && (!role || row.getAttribute("data-role") === role)
          && (!lang || row.getAttribute("data-lang") === lang)
          && (!flag || (flag === "*" ? flags !== "" : flag === "-" ? flags === "" : flags.split("|").indexOf(flag) >= 0));
        row.hidden = !ok;
        var detail = row.nextElementSibling;
        if (!ok && detail && detail.classList.contains("detail")) { detail.hidden = true; row.classList.remove("open"); }
        if (ok) shown += 1;
      });
      count.textContent = shown + " of " + rows.length + " shown";
    }
    box.querySelectorAll("input, select").forEach(function (e) { e.addEventListener("input", apply); e.addEventListener("change", apply); });
  });

  var ids = document.getElementById("show-ids");
  if (ids) ids.addEventListener("change", function () { document.body.classList.toggle("show-ids", ids.checked); });
  document.body.setAttribute("data-ready", "1");
})();
