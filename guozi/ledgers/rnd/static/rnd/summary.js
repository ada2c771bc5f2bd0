/* The summary's chart: budget, spend and reported R&D by year (bars, 10k yuan), and the share
   of reported R&D the key projects cover (line, %). A missing figure is a gap, never 0. */
(function () {
  "use strict";
  var source = document.getElementById("rd-chart-data");
  var node = document.getElementById("rd-chart");
  if (!source || !node || typeof echarts === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var labels = data.labels;
  var chart = echarts.init(node, null, { renderer: "svg" });
  var font = window.getComputedStyle(document.body).fontFamily;
  function bars(name, values, color) {
    return { name: name, type: "bar", data: values, itemStyle: { color: color } };
  }
  chart.setOption({
    textStyle: { fontFamily: font },
    grid: { left: 72, right: 56, top: 40, bottom: 28 },
    legend: { top: 4 },
    tooltip: { trigger: "axis" },
    xAxis: { type: "category", data: data.years },
    yAxis: [
      { type: "value", name: labels.unit },
      { type: "value", name: "%", min: 0, splitLine: { show: false } }
    ],
    series: [
      bars(labels.budget, data.budget, "#9db7d5"),
      bars(labels.spend, data.spend, "#1c4f8c"),
      bars(labels.reported, data.reported, "#d08c2f"),
      { name: labels.share, type: "line", yAxisIndex: 1, data: data.share,
        connectNulls: false, symbolSize: 6, itemStyle: { color: "#b42318" } }
    ]
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
