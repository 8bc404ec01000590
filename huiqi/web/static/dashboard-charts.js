// The officers' dashboard charts: each .chart box names its JSON source
// (/api/v1/dashboard/totals, read with the session cookie) and the dimension to draw;
// drawn with the vendored Apache ECharts. Amounts stay integer fen until a label shows
// them in yuan. No inline script: the page's CSP allows scripts from this site only.
document.addEventListener("DOMContentLoaded", function () {
  var holder = document.querySelector(".charts");
  if (!holder || typeof echarts === "undefined") return;
  var unit = holder.dataset.unit, count = holder.dataset.count;
  var names = JSON.parse(holder.dataset.districts || "{}");
  var statuses = JSON.parse(holder.dataset.statuses || "{}");
  var english = holder.dataset.lang === "en";
  function label(key, value) {
    if (value === null || value === undefined) return "—";
    if (key === "district" && names[value]) return english ? names[value].en : names[value].zh;
    return String(value);
  }
  function yuan(fen) { return window.huiqiYuan(fen); }
  holder.querySelectorAll(".chart[data-source]").forEach(function (box) {
    fetch(box.dataset.source, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : []; })
      .then(function (rows) {
        if (!rows.length) { box.hidden = true; return; }
        var key = box.dataset.key === "policy" ? "policy_id" : box.dataset.key;
        var categories = [];
        rows.forEach(function (row) {
          var c = label(box.dataset.key, row[key]);
          if (categories.indexOf(c) < 0) categories.push(c);
        });
        var series;
        if (box.dataset.stack) {
          var byStack = {};
          rows.forEach(function (row) {
            var s = statuses[row[box.dataset.stack]] || String(row[box.dataset.stack]);
            byStack[s] = byStack[s] || categories.map(function () { return 0; });
            byStack[s][categories.indexOf(label(box.dataset.key, row[key]))] += row.n;
          });
          series = Object.keys(byStack).map(function (s) {
            return { type: "bar", stack: "all", name: s, data: byStack[s] };
          });
        } else {
          var sums = categories.map(function () { return 0; });
          rows.forEach(function (row) { sums[categories.indexOf(label(box.dataset.key, row[key]))] += row.amount_fen; });
          series = [{ type: box.dataset.kind || "bar", name: box.dataset.title, data: sums, itemStyle: { color: "#b4232a" } }];
        }
        box.style.height = "300px";
        var chart = echarts.init(box);
        var money = !box.dataset.stack;
        chart.setOption({
          title: { text: box.dataset.title, textStyle: { fontSize: 15 } },
          tooltip: { trigger: "axis", valueFormatter: function (v) { return money ? yuan(v) + " " + unit : v + " " + count; } },
          legend: box.dataset.stack ? { bottom: 0 } : undefined,
          grid: { top: 40, bottom: box.dataset.stack ? 36 : 10, containLabel: true },
          xAxis: { type: "category", data: categories, axisLabel: { interval: 0, rotate: categories.length > 4 ? 30 : 0 } },
          yAxis: { type: "value", axisLabel: { formatter: function (v) { return money ? yuan(v) : v; } } },
          series: series
        });
        box.dataset.drawn = "1";
        window.addEventListener("resize", function () { chart.resize(); });
      });
  });
});
