/* The completion curve of the reform page: the share of tasks verified at each month end per
   programme (solid), weighted (dashed) and the weighted percent complete (dotted) when one
   programme is shown, the milestone targets as points joined by a dashed line, and a marker
   at the "as of" day. The data is the JSON the page embeds. */
(function () {
  "use strict";
  var source = document.getElementById("reform-chart-data");
  var node = document.getElementById("reform-curve");
  if (!source || !node || typeof echarts === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var colours = ["#1c4f8c", "#a61b1b", "#1d6b3a", "#8a5a00", "#6b3fa0"];
  var single = data.series.length === 1;
  var series = [];
  data.series.forEach(function (line, index) {
    var colour = colours[index % colours.length];
    var points = data.days.map(function (day, i) { return [day, line.rate[i]]; });
    series.push({ name: line.name + " · " + data.labels.rate, type: "line", data: points,
                  showSymbol: false, lineStyle: { color: colour, width: 2 },
                  itemStyle: { color: colour },
                  markLine: index === 0 ? { symbol: "none", silent: true,
                    lineStyle: { color: "#52606d", type: "dotted" },
                    label: { formatter: data.labels.as_of + " " + data.as_of },
                    data: [{ xAxis: data.as_of }] } : undefined });
    if (single) {
      series.push({ name: data.labels.weighted, type: "line", showSymbol: false,
                    data: data.days.map(function (day, i) { return [day, line.weighted[i]]; }),
                    lineStyle: { color: colour, type: "dashed", width: 1.5 }, itemStyle: { color: colour } });
      series.push({ name: data.labels.progress, type: "line", showSymbol: false,
                    data: data.days.map(function (day, i) { return [day, line.progress[i]]; }),
                    lineStyle: { color: "#8a5a00", type: "dotted", width: 1.5 }, itemStyle: { color: "#8a5a00" } });
    }
    var targets = data.targets.filter(function (t) { return t.programme === line.programme; });
    if (targets.length) {
      series.push({ name: line.name + " · " + data.labels.targets, type: "line",
                    data: targets.map(function (t) { return { value: [t.date, t.target], name: t.name }; }),
                    symbol: "diamond", symbolSize: 10, lineStyle: { color: colour, type: "dashed", width: 1 },
                    itemStyle: { color: colour },
                    tooltip: { formatter: function (p) { return p.name + ": " + p.value[1] + "% (" + p.value[0] + ")"; } } });
    }
  });
  var chart = echarts.init(node, null, { renderer: "svg" });
  chart.setOption({
    grid: { left: 48, right: 16, top: 56, bottom: 28 },
    legend: { type: "scroll", top: 0, textStyle: { fontSize: 11 } },
    tooltip: { trigger: "axis", valueFormatter: function (v) { return v === null || v === undefined ? "—" : v + "%"; } },
    xAxis: { type: "time" },
    yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
    series: series
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
