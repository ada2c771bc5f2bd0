/* One line chart per indicator on the enterprise page, from the JSON the page embeds.
   A missing or undefined value is a gap in the line, with its reason in the tooltip. */
(function () {
  "use strict";
  var source = document.getElementById("indicator-series");
  if (!source || typeof echarts === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var charts = [];
  data.charts.forEach(function (series) {
    var node = document.getElementById("chart-" + series.code);
    if (!node) { return; }
    var chart = echarts.init(node, null, { renderer: "svg" });
    chart.setOption({
      title: { text: series.name, subtext: series.unit, left: 8, top: 4,
               textStyle: { fontSize: 13 }, subtextStyle: { fontSize: 11 } },
      grid: { left: 56, right: 16, top: 52, bottom: 28 },
      tooltip: {
        trigger: "axis",
        formatter: function (items) {
          var item = items[0];
          var index = item.dataIndex;
          var shown = series.points[index] === null ? "— " + series.reasons[index]
            : Number(series.points[index]).toLocaleString(undefined, { maximumFractionDigits: 2 });
          return item.axisValue + "<br>" + shown + " " + (series.points[index] === null ? "" : series.unit);
        }
      },
      xAxis: { type: "category", data: data.periods },
      yAxis: { type: "value", scale: true },
      series: [{ type: "line", data: series.points, connectNulls: false, symbolSize: 5,
                 lineStyle: { color: "#1c4f8c" }, itemStyle: { color: "#1c4f8c" } }]
    });
    charts.push(chart);
  });
  window.addEventListener("resize", function () {
    charts.forEach(function (chart) { chart.resize(); });
  });
})();
