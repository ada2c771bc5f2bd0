/* The charts of the enterprise profile: each chart's ECharts option is built on the server
   (guozi.lib.charts.echarts_option, the same description the documents draw) and embedded as
   JSON next to its node. A missing value is a gap, never 0. */
(function () {
  "use strict";
  if (typeof echarts === "undefined") { return; }
  var charts = [];
  document.querySelectorAll("[data-profile-chart]").forEach(function (node) {
    var source = document.getElementById(node.getAttribute("data-profile-chart"));
    if (!source) { return; }
    var option = JSON.parse(source.textContent);
    option.tooltip = option.tooltip || {};
    option.tooltip.valueFormatter = function (value) {
      return value === null || value === undefined ? "—"
        : Number(value).toLocaleString(undefined, { maximumFractionDigits: 2 });
    };
    var chart = echarts.init(node, null, { renderer: "svg" });
    chart.setOption(option);
    charts.push(chart);
  });
  window.addEventListener("resize", function () {
    charts.forEach(function (chart) { chart.resize(); });
  });
})();
