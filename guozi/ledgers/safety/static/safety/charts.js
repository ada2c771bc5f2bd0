/* The statistics chart: incidents per grade, stacked, and deaths as a line, from the JSON the
   page embeds. Years run along the bottom; enterprises, industries and cities down the side. */
(function () {
  "use strict";
  var source = document.getElementById("incident-chart-data");
  var node = document.getElementById("incident-chart");
  if (!source || !node || typeof echarts === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var colours = {
    especially_serious: "#7a0916", major: "#c0392b", serious: "#d68910", general: "#5b7fa6"
  };
  var horizontal = data.horizontal;
  var categories = horizontal ? data.categories.slice().reverse() : data.categories;
  var ordered = function (values) { return horizontal ? values.slice().reverse() : values; };
  var series = data.series.map(function (grade) {
    return {
      name: grade.name, type: "bar", stack: "grades", data: ordered(grade.data),
      itemStyle: { color: colours[grade.grade] }, emphasis: { focus: "series" }
    };
  });
  var countAxis = { type: "value", minInterval: 1 };
  var categoryAxis = { type: "category", data: categories, axisLabel: { width: 160, overflow: "truncate" } };
  var option = {
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
    legend: { top: 0 },
    grid: { left: horizontal ? 170 : 48, right: 48, top: 36, bottom: 28 },
    xAxis: horizontal ? countAxis : categoryAxis,
    yAxis: horizontal ? categoryAxis : [countAxis, { type: "value", minInterval: 1, name: data.deaths.name }],
    series: series
  };
  if (!horizontal) {
    option.series = series.concat([{
      name: data.deaths.name, type: "line", yAxisIndex: 1, data: data.deaths.data,
      itemStyle: { color: "#222" }, lineStyle: { color: "#222" }, symbolSize: 6
    }]);
  }
  if (horizontal) {
    node.style.height = Math.max(240, 28 * categories.length + 80) + "px";
  }
  var chart = echarts.init(node, null, { renderer: "svg" });
  chart.setOption(option);
  window.addEventListener("resize", function () { chart.resize(); });
})();
