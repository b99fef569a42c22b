/* netdoc documentation page: the page-wide search and the firewall rule filter.
   Plain JavaScript, no libraries, works from file://. */
(function () {
  // a box that hides the rows (and sections) not holding every word typed into it
  function filter(boxId, selector) {
    var box = document.getElementById(boxId);
    if (!box) { return; }
    box.addEventListener("input", function () {
      var words = box.value.toLowerCase().split(/\s+/).filter(Boolean);
      var items = document.querySelectorAll(selector);
      for (var i = 0; i < items.length; i++) {
        var text = items[i].textContent.toLowerCase();
        items[i].style.display = words.every(function (w) { return text.indexOf(w) >= 0; }) ? "" : "none";
      }
    });
  }
  filter("page-filter", "main table tbody tr, main section.runbook");
  filter("rule-filter", "table.docs-rules tbody tr");
}());
