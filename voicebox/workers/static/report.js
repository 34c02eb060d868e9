// The report-back's counts, asked for again every 5 seconds while the page is open.
(function () {
  "use strict";
  var table = document.getElementById("delivery-counts");
  if (!table || !window.fetch) { return; }
  function update() {
    fetch(table.getAttribute("data-url"), { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (counts) {
        if (!counts) { return; }
        table.querySelectorAll("[data-count]").forEach(function (cell) {
          var now = String(counts[cell.getAttribute("data-count")]);
          if (cell.textContent !== now) { cell.textContent = now; }
        });
      })
      .catch(function () { /* the next ask may work */ });
  }
  window.setInterval(update, 5000);
})();
