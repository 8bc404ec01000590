// The officers' dashboard charts: each .chart box names its JSON source
// (/api/v1/dashboard/totals, read with the session cookie) and the dimension to draw;
// drawn with the vendored Apache ECharts. Amounts stay integer fen until a label shows
// them in yuan. No inline script: the page's CSP allows scripts from this site only.
(function () {
  // An axis label takes at most LABEL_WIDTH columns, a CJK (full-width) character counting
  // two: a long policy title is cut, at a space when there is one in its second half, and
  // ends with "…"; the tooltip names the policy in full.
  var LABEL_WIDTH = 24;
  var WIDE = /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/;
  function columns(ch) { return WIDE.test(ch) ? 2 : 1; }
  window.huiqiShortLabel = function (text) {
    var chars = Array.from(String(text)), width = 0, i;
    for (i = 0; i < chars.length; i++) width += columns(chars[i]);
    if (width <= LABEL_WIDTH) return String(text);
    width = 0;
    for (i = 0; i < chars.length && width + columns(chars[i]) <= LABEL_WIDTH - 1; i++) {
      width += columns(chars[i]);
    }
    var cut = chars.slice(0, i).join("");
    var space = cut.lastIndexOf(" ");
    if (space >= cut.length / 2) cut = cut.slice(0, space);
    return cut.replace(/[\s,.:;，、。：；（(·\-]+$/, "") + "…";
  };
})();

document.addEventListener("DOMContentLoaded", function () {
  var holder = document.querySelector(".charts");
  if (!holder || typeof echarts === "undefined") return;
  var unit = holder.dataset.unit, count = holder.dataset.count;
  var names = JSON.parse(holder.dataset.districts || "{}");
  var statuses = JSON.parse(holder.dataset.statuses || "{}");
  var english = holder.dataset.lang === "en";
  var encode = echarts.format.encodeHTML;
  function label(key, value) {
    if (value === null || value === undefined) return "—";
    if (key === "district" && names[value]) return english ? names[value].en : names[value].zh;
    return String(value);
  }
  // What the axis (short) and the tooltip (full) call a row's category: a policy by its
  // title in the page's language (the API sends it with each row), the tooltip adding its
  // id; a policy without a title by its id.
  function named(key, row) {
    var value = row[key === "policy" ? "policy_id" : key];
    var title = key === "policy" && row.title ? (english ? row.title.en || row.title.zh : row.title.zh || row.title.en) : "";
    if (title && value !== null && value !== undefined) {
      return { short: window.huiqiShortLabel(title), full: title + " (" + value + ")" };
    }
    var text = label(key, value);
    return { short: text, full: text };
  }
  function yuan(fen) { return window.huiqiYuan(fen); }
  holder.querySelectorAll(".chart[data-source]").forEach(function (box) {
    fetch(box.dataset.source, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : []; })
      .then(function (rows) {
        if (!rows.length) { box.hidden = true; return; }
        var key = box.dataset.key;
        // The axis's categories are the rows' own values (policy ids, district codes), so
        // that two policies whose titles read alike stay two bars; labels name them.
        var categories = [], shown = {};
        function category(row) {
          var value = row[key === "policy" ? "policy_id" : key];
          return value === null || value === undefined ? "—" : String(value);
        }
        rows.forEach(function (row) {
          var c = category(row);
          if (categories.indexOf(c) < 0) { categories.push(c); shown[c] = named(key, row); }
        });
        var series;
        if (box.dataset.stack) {
          var byStack = {};
          rows.forEach(function (row) {
            var s = statuses[row[box.dataset.stack]] || String(row[box.dataset.stack]);
            byStack[s] = byStack[s] || categories.map(function () { return 0; });
            byStack[s][categories.indexOf(category(row))] += row.n;
          });
          series = Object.keys(byStack).map(function (s) {
            return { type: "bar", stack: "all", name: s, data: byStack[s] };
          });
        } else {
          var sums = categories.map(function () { return 0; });
          rows.forEach(function (row) { sums[categories.indexOf(category(row))] += row.amount_fen; });
          series = [{ type: box.dataset.kind || "bar", name: box.dataset.title, data: sums, itemStyle: { color: "#b4232a" } }];
        }
        box.style.height = "300px";
        var chart = echarts.init(box);
        var money = !box.dataset.stack;
        function value(v) { return money ? yuan(v) + " " + unit : v + " " + count; }
        chart.setOption({
          title: { text: box.dataset.title, textStyle: { fontSize: 15 } },
          tooltip: {
            trigger: "axis",
            // Text from the data is encoded: a policy's title is an officer's words.
            formatter: function (params) {
              var list = [].concat(params);
              if (!list.length) return "";
              var c = list[0].axisValue;
              var head = "<strong>" + encode(shown[c] ? shown[c].full : c) + "</strong>";
              return head + list.map(function (p) {
                return "<br>" + p.marker + encode(p.seriesName) + ": " + encode(value(p.value));
              }).join("");
            }
          },
          legend: box.dataset.stack ? { bottom: 0 } : undefined,
          grid: { top: 40, bottom: box.dataset.stack ? 36 : 10, containLabel: true },
          xAxis: {
            type: "category",
            data: categories,
            axisLabel: {
              interval: 0,
              rotate: categories.length > 4 ? 30 : 0,
              formatter: function (c) { return shown[c] ? shown[c].short : c; }
            }
          },
          yAxis: { type: "value", axisLabel: { formatter: function (v) { return money ? yuan(v) : v; } } },
          series: series
        });
        box.dataset.drawn = "1";
        window.addEventListener("resize", function () { chart.resize(); });
      });
  });
});
