/* netdoc hub: client-side search across all clients. The data is a script
   (search-index.js), so this works offline and from file://. Every value is
   written with textContent: nothing from the data is ever parsed as HTML. */
(function () {
  "use strict";
  var rows = window.NETDOC_HUB_INDEX || [];
  var input = document.getElementById("hub-search");
  var table = document.getElementById("hub-results");
  var count = document.getElementById("hub-count");
  if (!input || !table) { return; }
  var body = table.querySelector("tbody");
  var LIMIT = 200;
  function hex(text) { return text.toLowerCase().replace(/[^0-9a-f]/g, ""); }
  var prepared = rows.map(function (r) {
    return { row: r, text: (r[0] + " " + r[1] + " " + r[2] + " " + r[4] + " " + r[5] + " " + r[6]).toLowerCase(),
             macs: r[3].split(" ").map(hex) };
  });
  function cell(tr, text, href) {
    var td = document.createElement("td");
    if (href) { var a = document.createElement("a"); a.setAttribute("href", href); a.textContent = text; td.appendChild(a); }
    else { td.textContent = text; }
    tr.appendChild(td);
  }
  function search() {
    var query = input.value.trim().toLowerCase();
    while (body.firstChild) { body.removeChild(body.firstChild); }
    if (query.length < 2) { table.classList.add("hidden"); count.textContent = ""; return; }
    var macQuery = hex(query);
    var looksLikeMac = /^[0-9a-f]{2}([:.\-]?[0-9a-f]{2}){2,}/.test(query) && macQuery.length >= 4;
    var found = 0;
    prepared.forEach(function (p) {
      var hit = p.text.indexOf(query) >= 0 ||
        (looksLikeMac && p.macs.some(function (m) { return m.indexOf(macQuery) >= 0; }));
      if (!hit) { return; }
      found += 1;
      if (found > LIMIT) { return; }
      var r = p.row, tr = document.createElement("tr");
      tr.className = "hit";
      cell(tr, r[0], "clients/" + encodeURIComponent(r[0]) + ".html");
      cell(tr, r[1] || r[2], r[7]);
      cell(tr, r[2]); cell(tr, r[3]); cell(tr, r[4]); cell(tr, (r[6] + " " + r[5]).trim());
      body.appendChild(tr);
    });
    table.classList.toggle("hidden", found === 0);
    count.textContent = found === 0 ? "no match" : found > LIMIT ? found + " matches (first " + LIMIT + " shown)" : found + " match" + (found === 1 ? "" : "es");
  }
  input.addEventListener("input", search);
  if (location.hash.indexOf("#q=") === 0) { input.value = decodeURIComponent(location.hash.slice(3)); search(); }
}());
