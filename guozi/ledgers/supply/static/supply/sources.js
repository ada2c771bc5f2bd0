/* The suppliers' table: "Add a row" copies the formset's empty row and counts it in. */
(function () {
  "use strict";
  var button = document.getElementById("add-source-row");
  var template = document.getElementById("source-row-template");
  var rows = document.getElementById("source-rows");
  var total = document.getElementById("id_sources-TOTAL_FORMS");
  if (!button || !template || !rows || !total) { return; }
  button.addEventListener("click", function () {
    var index = parseInt(total.value, 10);
    var row = template.innerHTML.replace(/__prefix__/g, String(index));
    rows.insertAdjacentHTML("beforeend", row);
    total.value = String(index + 1);
  });
})();
