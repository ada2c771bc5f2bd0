/* The statistics page's chart: problems closed and still open per line (stacked bars), and the
   shares of households, people and amounts done (lines, right axis). An undefined share is a
   gap, never a 0. The data and the series names come from the JSON the page embeds. */
(function () {
  "use strict";
  var source = document.getElementById("legacy-chart-data");
  var node = document.getElementById("legacy-chart");
  if (!source || !node || typeof echarts === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var names = data.names;
  var chart = echarts.init(node, null, { renderer: "svg" });
  function share(name, values, color) {
    return { name: name, type: "line", yAxisIndex: 1, data: values, connectNulls: false,
             symbolSize: 6, lineStyle: { color: color }, itemStyle: { color: color } };
  }
  chart.setOption({
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 48, right: 56, top: 40, bottom: 90 },
    xAxis: { type: "category", data: data.labels,
             axisLabel: { interval: 0, rotate: data.labels.length > 6 ? 35 : 0 } },
    yAxis: [
      { type: "value", name: names.problems, minInterval: 1 },
      { type: "value", name: "%", min: 0, max: 100 }
    ],
    series: [
      { name: names.closed, type: "bar", stack: "problems", data: data.closed,
        itemStyle: { color: "#1d6b3a" } },
      { name: names.open, type: "bar", stack: "problems", data: data.open,
        itemStyle: { color: "#c9d6e3" } },
      share(names.households, data.households, "#1c4f8c"),
      share(names.people, data.people, "#8a5a00"),
      share(names.amounts, data.amounts, "#a61b1b")
    ]
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
