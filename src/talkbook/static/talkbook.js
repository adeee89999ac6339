/* talkbook: filter and sort the talk catalog table (book/catalog). No dependencies. */
(function () {
  "use strict";
  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }
  function cellKey(row, index) {
    var cell = row.cells[index];
    var text = cell ? cell.textContent : "";
    var label = cell && cell.querySelector(".talkbook-count-label");
    if (label) text = text.replace(label.textContent, "");  // "notes 3" sorts as 3
    text = text.trim();
    var num = Number(text);
    return text !== "" && !isNaN(num) ? num : text.toLocaleLowerCase();
  }
  function setupSort(table) {
    var heads = table.tHead ? table.tHead.rows[0].cells : [];
    Array.prototype.forEach.call(heads, function (th, index) {
      th.setAttribute("role", "columnheader");
      th.setAttribute("aria-sort", "none");
      th.tabIndex = 0;
      th.classList.add("talkbook-sortable");
      function sort() {
        var asc = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(heads, function (h) { h.setAttribute("aria-sort", "none"); });
        th.setAttribute("aria-sort", asc ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = cellKey(a, index), y = cellKey(b, index);
          if (x === y) return 0;
          return (x > y ? 1 : -1) * (asc ? 1 : -1);
        });
        rows.forEach(function (r) { body.appendChild(r); });
      }
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (e) {
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sort(); }
      });
    });
  }
  function setupFilters(form, table) {
    var controls = form.querySelectorAll("[data-filter]");
    var count = form.querySelector(".talkbook-filter-count");
    function apply() {
      var want = {};
      controls.forEach(function (c) { want[c.dataset.filter] = c.value.trim(); });
      var shown = 0;
      Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
        var cls = row.classList;
        var ok = Object.keys(want).every(function (key) {
          var value = want[key];
          if (!value) return true;
          if (key === "text") {
            return row.textContent.toLocaleLowerCase().indexOf(value.toLocaleLowerCase()) >= 0;
          }
          return cls.contains("tb-" + key + "-" + value);
        });
        row.hidden = !ok;
        if (ok) shown += 1;
      });
      if (count) count.textContent = (form.dataset.countFormat || "{n}").replace("{n}", shown);
    }
    controls.forEach(function (c) {
      c.addEventListener("input", apply);
      c.addEventListener("change", apply);
    });
    // ?conference=<id>&tags=<id> preselects filters, so filtered views can be linked
    var params = new URLSearchParams(window.location.search);
    controls.forEach(function (c) {
      if (params.get(c.dataset.filter)) c.value = params.get(c.dataset.filter);
    });
    apply();
  }
  ready(function () {
    var table = document.querySelector("table.talkbook-catalog");
    if (!table) return;
    setupSort(table);
    var form = document.querySelector("form.talkbook-filters");
    if (form) setupFilters(form, table);
  });
})();
