// The simulation's breakdowns as bar charts: each .chart box carries its buckets as JSON
// (data-buckets: label, eligible, amount_fen) written by the server; drawn with the
// vendored Apache ECharts (no inline script: the CSP allows scripts from this site only).
document.addEventListener("DOMContentLoaded", function () {
  var holder = document.querySelector(".simulation .charts");
  if (!holder || typeof echarts === "undefined") return;
  holder.querySelectorAll(".chart[data-buckets]").forEach(function (box) {
    var buckets = JSON.parse(box.dataset.buckets || "[]");
    if (!buckets.length) { box.hidden = true; return; }
    box.style.height = "280px";
    var chart = echarts.init(box);
    chart.setOption({
      title: { text: box.dataset.title, textStyle: { fontSize: 15 } },
      tooltip: { trigger: "axis" },
      grid: { top: 40, containLabel: true },
      xAxis: { type: "category", data: buckets.map(function (b) { return b.label; }), axisLabel: { interval: 0, rotate: buckets.length > 4 ? 30 : 0 } },
      yAxis: { type: "value" },
      series: [{ type: "bar", name: holder.dataset.eligible, data: buckets.map(function (b) { return b.eligible; }), itemStyle: { color: "#b4232a" } }]
    });
    box.dataset.drawn = "1";
    window.addEventListener("resize", function () { chart.resize(); });
  });
});
