(function () {
  "use strict";
  var text = document.getElementById("case-filter");
  var status = document.getElementById("case-status");
  var count = document.getElementById("case-count");
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr.case"));
  function apply() {
    var needle = text.value.trim().toLowerCase();
    var wanted = status.value;
    var shown = 0;
    rows.forEach(function (row) {
      var ok = (!needle || row.textContent.toLowerCase().indexOf(needle) >= 0) &&
        (wanted === "all" || row.getAttribute("data-status") === wanted);
      row.hidden = !ok;
      if (ok) { shown += 1; }
    });
    count.textContent = shown + " of " + rows.length + " shown";
  }
  if (text && status && count) {
    text.addEventListener("input", apply);
    status.addEventListener("change", apply);
    apply();
  }
})();
