/* The portfolio chart: key inputs by category, stacked by concentration band, from the JSON
   the page embeds. */
(function () {
  "use strict";
  var source = document.getElementById("supply-series");
  var node = document.getElementById("supply-chart");
  if (!source || !node || typeof echarts === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var colours = { unconcentrated: "#2e7d32", moderate: "#c77700", high: "#b42318", none: "#9aa5b1" };
  var chart = echarts.init(node, null, { renderer: "svg" });
  chart.setOption({
    // The page's own (served) font: the machine may have no Chinese font for the default.
    textStyle: { fontFamily: window.getComputedStyle(document.body).fontFamily },
    grid: { left: 40, right: 16, top: 40, bottom: 56 },
    legend: { top: 4, itemGap: 16 },
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
    xAxis: { type: "category", data: data.categories, axisLabel: { interval: 0, rotate: 20 } },
    yAxis: { type: "value", minInterval: 1 },
    series: data.series.map(function (series) {
      return {
        name: series.name, type: "bar", stack: "inputs", data: series.data,
        itemStyle: { color: colours[series.band] }
      };
    })
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
