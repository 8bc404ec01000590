// Bar charts of counts: each .bar-charts .chart box carries its bars as JSON
// (data-bars: [{label, value}]) written by the server; drawn with the vendored Apache
// ECharts (no inline script: the CSP allows scripts from this site only). The same
// figures are in the page's tables, for screen readers and without JavaScript.
document.addEventListener("DOMContentLoaded", function () {
  if (typeof echarts === "undefined") return;
  document.querySelectorAll(".bar-charts").forEach(function (holder) {
    holder.querySelectorAll(".chart[data-bars]").forEach(function (box) {
      var bars = JSON.parse(box.dataset.bars || "[]");
      if (!bars.length) { box.hidden = true; return; }
      box.style.height = "280px";
      var chart = echarts.init(box);
      chart.setOption({
        title: { text: box.dataset.title, textStyle: { fontSize: 15 } },
        tooltip: { trigger: "axis" },
        grid: { top: 40, containLabel: true },
        xAxis: { type: "category", data: bars.map(function (b) { return b.label; }), axisLabel: { interval: 0, rotate: bars.length > 4 ? 30 : 0 } },
        yAxis: { type: "value", minInterval: 1 },
        series: [{ type: "bar", name: holder.dataset.count, data: bars.map(function (b) { return b.value; }), itemStyle: { color: "#b4232a" } }]
      });
      box.dataset.drawn = "1";
      window.addEventListener("resize", function () { chart.resize(); });
    });
  });
});
