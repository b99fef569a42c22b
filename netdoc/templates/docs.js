/* netdoc documentation page: the page-wide search and the firewall rule filter.
   Plain JavaScript, no libraries, works from file://. */
(function () {
  var page = document.getElementById("page-filter");
  if (page) {
    page.addEventListener("input", function () {
      var words = page.value.toLowerCase().split(/\s+/).filter(Boolean);
      var items = document.querySelectorAll("main table tbody tr, main section.runbook");
      for (var i = 0; i < items.length; i++) {
        var text = items[i].textContent.toLowerCase();
        items[i].style.display = words.every(function (w) { return text.indexOf(w) >= 0; }) ? "" : "none";
      }
    });
  }
}());
(function () {
  var box = document.getElementById("rule-filter");
  if (!box) { return; }
  box.addEventListener("input", function () {
    var words = box.value.toLowerCase().split(/\s+/).filter(Boolean);
    var rows = document.querySelectorAll("table.docs-rules tbody tr");
    for (var i = 0; i < rows.length; i++) {
      var text = rows[i].textContent.toLowerCase();
      rows[i].style.display = words.every(function (w) { return text.indexOf(w) >= 0; }) ? "" : "none";
    }
  });
}());
