// The grants page's chart: the enterprise's grants by month, from the JSON API
// (/api/v1/grants, with the session cookie), drawn with the vendored Apache ECharts.
// Amounts stay integer fen until the axis label shows them in yuan.
document.addEventListener("DOMContentLoaded", function () {
  var box = document.getElementById("grants-chart");
  if (!box || typeof echarts === "undefined") return;
  fetch(box.dataset.source, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (r) { return r.ok ? r.json() : []; })
    .then(function (grants) {
      var byMonth = {};
      grants.forEach(function (g) {
        if (g.status === "superseded") return;
        var month = g.created_at.slice(0, 7);
        byMonth[month] = (byMonth[month] || 0) + g.amount_fen;
      });
      var months = Object.keys(byMonth).sort();
      if (!months.length) { box.hidden = true; return; }
      box.style.height = "280px";
      var chart = echarts.init(box);
      chart.setOption({
        title: { text: box.dataset.title, textStyle: { fontSize: 15 } },
        tooltip: { trigger: "axis", valueFormatter: function (fen) { return window.huiqiYuan(fen) + " " + box.dataset.unit; } },
        xAxis: { type: "category", data: months },
        yAxis: { type: "value", axisLabel: { formatter: function (fen) { return (fen / 100).toLocaleString(); } } },
        series: [{ type: "bar", name: box.dataset.title, data: months.map(function (m) { return byMonth[m]; }), itemStyle: { color: "#b4232a" } }]
      });
      window.addEventListener("resize", function () { chart.resize(); });
    });
});
