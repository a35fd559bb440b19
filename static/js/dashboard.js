// The dashboard's charts (reports/dashboard.html and its print view). The numbers come from the page: the
// <script type="application/json" id="dashboard-charts"> element json_script writes (no inline script, CSP);
// each chart container names its panel in data-tz-chart. Drawn by ECharts with the SVG renderer (sharp on
// screen and on paper); the table beside each chart holds the same numbers.
(function () {
  "use strict";

  var COLOURS = ["#c62828", "#f9a825", "#1565c0", "#2e7d32", "#6a1b9a", "#00838f", "#ef6c00", "#5d4037"];
  var FONT = '"Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif';
  var printing = document.body.classList.contains("tz-print");

  function narrow(el) { return el.clientWidth < 480; }

  function categoryAxis(data, el, horizontal) {
    var label = { fontSize: narrow(el) ? 11 : 12 };
    if (horizontal) {
      label.width = Math.max(96, Math.round(el.clientWidth * 0.36));
      label.overflow = "truncate";
    } else if (data.length <= 8) {  // a few bars: every label, wrapped under its bar
      label.interval = 0;
      label.width = Math.max(40, Math.floor((el.clientWidth - 60) / data.length) - 6);
      label.overflow = "break";
    } else {  // months: as many as fit, turned on a phone
      label.hideOverlap = true;
      label.rotate = narrow(el) ? 45 : 0;
    }
    return { type: "category", data: data, axisLabel: label, axisTick: { alignWithLabel: true } };
  }

  function option(spec, el) {
    var base = {
      color: COLOURS, animation: !printing, textStyle: { fontFamily: FONT },
      tooltip: { trigger: spec.type === "pie" ? "item" : "axis", confine: true },
      legend: { show: spec.series.length > 1, top: 0, type: "scroll", textStyle: { fontSize: 12 } },
      grid: { left: narrow(el) ? 24 : 8, right: 16, top: spec.series.length > 1 ? 34 : 14, bottom: 8, containLabel: true }
    };
    var value = { type: "value", minInterval: 1, axisLabel: { fontSize: narrow(el) ? 10 : 12 } };
    if (spec.type === "pie") {
      // the slices of nobody are left out (their labels would pile up); the table lists every value
      var slices = spec.categories.map(function (name, i) { return { name: name, value: spec.series[0].data[i] }; })
        .filter(function (slice) { return Number(slice.value) > 0; });
      base.series = [{ type: "pie", radius: narrow(el) ? ["28%", "52%"] : ["35%", "62%"], data: slices,
        label: { formatter: "{b}\n{c}", fontSize: narrow(el) ? 11 : 12, overflow: "break",
                 width: narrow(el) ? 90 : 140 } }];
      return base;
    }
    var horizontal = spec.type === "hbar";
    base.xAxis = horizontal ? value : categoryAxis(spec.categories, el, false);
    base.yAxis = horizontal ? categoryAxis(spec.categories, el, true) : value;
    if (horizontal) { base.yAxis.inverse = true; }
    base.series = spec.series.map(function (s) {
      var series = { name: s.name, data: s.data, type: spec.type === "line" ? "line" : "bar" };
      if (spec.type === "line") {
        series.showSymbol = spec.categories.length <= 24;
        series.areaStyle = { opacity: 0.12 };
        series.smooth = false;
      } else {
        series.barMaxWidth = 36;
      }
      if (spec.type === "stacked") { series.stack = "total"; }
      return series;
    });
    if (spec.type === "line" && spec.categories.length > 36 && !printing) {
      base.dataZoom = [{ type: "inside", start: 0, end: 100 }];
    }
    return base;
  }

  function draw() {
    var source = document.getElementById("dashboard-charts");
    if (!source || typeof echarts === "undefined") { return; }
    var specs = JSON.parse(source.textContent);
    var charts = [];
    document.querySelectorAll("[data-tz-chart]").forEach(function (el) {
      var spec = specs[el.dataset.tzChart];
      if (!spec) { return; }
      if (spec.type === "hbar") {  // a bar per row: tall enough for every label
        el.style.height = Math.max(el.clientHeight, spec.categories.length * 26 + 50) + "px";
      }
      var chart = echarts.init(el, null, { renderer: "svg" });
      chart.setOption(option(spec, el));
      charts.push(chart);
    });
    var resize = function () { charts.forEach(function (c) { c.resize(); }); };
    window.addEventListener("resize", resize);
    window.addEventListener("beforeprint", resize);
    window.addEventListener("afterprint", resize);
    document.documentElement.dataset.tzCharts = String(charts.length);  // drawn (the browser test waits for it)
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
