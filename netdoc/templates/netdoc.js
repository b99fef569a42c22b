/* netdoc site: map zoom/pan and the sortable, filterable device table.
   Plain JavaScript, no libraries, works from file://. */
(function () {
  "use strict";

  function setupMap(view) {
    var svg = view.querySelector("svg");
    if (!svg) { return null; }
    var box = svg.viewBox && svg.viewBox.baseVal;
    if (!box || !box.width) { return null; }
    var home = { x: box.x, y: box.y, w: box.width, h: box.height };
    var cur = { x: home.x, y: home.y, w: home.w, h: home.h };
    svg.removeAttribute("width");
    svg.removeAttribute("height");
    svg.setAttribute("preserveAspectRatio", "xMidYMid meet");
    function apply() { svg.setAttribute("viewBox", cur.x + " " + cur.y + " " + cur.w + " " + cur.h); }
    function zoom(factor, fx, fy) {
      var cx = cur.x + cur.w * (fx === undefined ? 0.5 : fx);
      var cy = cur.y + cur.h * (fy === undefined ? 0.5 : fy);
      var w = Math.min(Math.max(cur.w * factor, home.w / 40), home.w * 4);
      var h = w * cur.h / cur.w;
      cur.x = cx - (cx - cur.x) * (w / cur.w);
      cur.y = cy - (cy - cur.y) * (h / cur.h);
      cur.w = w; cur.h = h; apply();
    }
    function fit() { cur = { x: home.x, y: home.y, w: home.w, h: home.h }; apply(); }
    view.addEventListener("wheel", function (e) {
      e.preventDefault();
      var r = view.getBoundingClientRect();
      zoom(e.deltaY > 0 ? 1.2 : 1 / 1.2, (e.clientX - r.left) / r.width, (e.clientY - r.top) / r.height);
    }, { passive: false });
    var drag = null;
    view.addEventListener("mousedown", function (e) {
      if (e.button !== 0) { return; }
      drag = { x: e.clientX, y: e.clientY, moved: false };
      view.classList.add("dragging");
    });
    window.addEventListener("mousemove", function (e) {
      if (!drag) { return; }
      var r = view.getBoundingClientRect();
      var scale = Math.max(cur.w / r.width, cur.h / r.height);
      var dx = e.clientX - drag.x, dy = e.clientY - drag.y;
      if (Math.abs(dx) + Math.abs(dy) > 3) { drag.moved = true; }
      cur.x -= dx * scale; cur.y -= dy * scale;
      drag.x = e.clientX; drag.y = e.clientY; apply();
    });
    window.addEventListener("mouseup", function () { drag = null; view.classList.remove("dragging"); });
    view.addEventListener("click", function (e) { if (drag && drag.moved) { e.preventDefault(); } }, true);
    apply();
    return { zoom: zoom, fit: fit };
  }

  function setupMaps() {
    var views = Array.prototype.slice.call(document.querySelectorAll(".mapview"));
    var controllers = views.map(setupMap);
    function visible() {
      for (var i = 0; i < views.length; i++) {
        if (controllers[i] && views[i].offsetParent !== null) { return controllers[i]; }
      }
      return null;
    }
    Array.prototype.forEach.call(document.querySelectorAll("[data-zoom]"), function (button) {
      button.addEventListener("click", function () {
        var map = visible();
        if (!map) { return; }
        var how = button.getAttribute("data-zoom");
        if (how === "in") { map.zoom(1 / 1.4); } else if (how === "out") { map.zoom(1.4); } else { map.fit(); }
      });
    });
    var select = document.getElementById("map-select");
    if (select) {
      select.addEventListener("change", function () {
        Array.prototype.forEach.call(document.querySelectorAll(".map-panel"), function (panel) {
          panel.classList.toggle("hidden", panel.getAttribute("data-map") !== select.value);
        });
      });
    }
  }

  function setupTable() {
    var table = document.querySelector("table.sortable");
    if (!table) { return; }
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    // the archive's rows answer the same filter, outside the count and the sorting
    var archived = Array.prototype.slice.call(document.querySelectorAll("table.archive tbody tr"));
    var text = rows.map(function (row) { return row.textContent.toLowerCase(); });
    var archivedText = archived.map(function (row) { return row.textContent.toLowerCase(); });
    var filter = document.getElementById("filter");
    var role = document.getElementById("filter-role");
    var site = document.getElementById("filter-site");
    var shown = document.getElementById("shown");
    function applyFilter() {
      var words = (filter ? filter.value : "").toLowerCase().split(/\s+/).filter(Boolean);
      var wantRole = role ? role.value : "", wantSite = site ? site.value : "";
      var count = 0;
      rows.forEach(function (row, i) {
        var ok = words.every(function (w) { return text[i].indexOf(w) !== -1; }) &&
          (!wantRole || row.getAttribute("data-role") === wantRole) &&
          (!wantSite || row.getAttribute("data-site") === wantSite);
        row.style.display = ok ? "" : "none";
        if (ok) { count++; }
      });
      archived.forEach(function (row, i) {
        var ok = words.every(function (w) { return archivedText[i].indexOf(w) !== -1; }) &&
          (!wantRole || row.getAttribute("data-role") === wantRole) &&
          (!wantSite || row.getAttribute("data-site") === wantSite);
        row.style.display = ok ? "" : "none";
      });
      if (shown) { shown.textContent = count + " of " + rows.length + " shown"; }
    }
    [filter, role, site].forEach(function (el) { if (el) { el.addEventListener("input", applyFilter); el.addEventListener("change", applyFilter); } });
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, column) {
      th.addEventListener("click", function () {
        var ascending = !th.classList.contains("asc");
        Array.prototype.forEach.call(th.parentNode.cells, function (c) { c.classList.remove("asc", "desc"); });
        th.classList.add(ascending ? "asc" : "desc");
        var byKey = th.getAttribute("data-sort") === "key";
        function value(row) {
          var cell = row.cells[column];
          return byKey ? (cell.getAttribute("data-key") || "") : cell.textContent.trim().toLowerCase();
        }
        rows.sort(function (a, b) {
          var x = value(a), y = value(b);
          return (x < y ? -1 : x > y ? 1 : 0) * (ascending ? 1 : -1);
        });
        rows.forEach(function (row) { body.appendChild(row); });
        text = rows.map(function (row) { return row.textContent.toLowerCase(); });
      });
    });
    applyFilter();
  }

  document.addEventListener("DOMContentLoaded", function () { setupMaps(); setupTable(); });
}());
