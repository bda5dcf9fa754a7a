// Draws the daily forecast chart as inline SVG: 95% and 80% bands, the forecast line, the
// absolute alert thresholds and a marker on each alert day. Data: <script id="chart-data">.
(function () {
  "use strict";
  var NS = "http://www.w3.org/2000/svg";  // the SVG namespace name, not a URL that is fetched
  var holder = document.getElementById("chart");
  var source = document.getElementById("chart-data");
  if (!holder || !source) { return; }
  var d = JSON.parse(source.textContent);
  var n = d.dates.length;
  if (!n) { holder.textContent = "No forecast days in this window."; return; }

  var W = 960, H = 380, M = {top: 20, right: 120, bottom: 48, left: 76};
  var iw = W - M.left - M.right, ih = H - M.top - M.bottom;
  var scale = d.display_unit.indexOf("万") === 0 ? 1e4 : 1;
  var levels = ["blue", "yellow", "orange", "red"];

  function el(name, attrs, parent, text) {
    var node = document.createElementNS(NS, name);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) { node.textContent = text; }
    if (parent) { parent.appendChild(node); }
    return node;
  }
  function finite(v) { return typeof v === "number" && isFinite(v); }
  var values = [].concat(d.yhat, d.lo95, d.hi95, d.lo80, d.hi80).filter(finite);
  var lo = Math.min.apply(null, values), hi = Math.max.apply(null, values);
  levels.forEach(function (lv) {
    var t = d.thresholds[lv];
    if (finite(t) && t <= hi * 1.15) { hi = Math.max(hi, t); }
  });
  lo = Math.max(0, lo - (hi - lo) * 0.08); hi = hi + (hi - lo) * 0.06;
  function x(i) { return M.left + (n === 1 ? iw / 2 : i * iw / (n - 1)); }
  function y(v) { return M.top + ih - (v - lo) / (hi - lo) * ih; }
  function fmt(v) { var u = v / scale; return (u >= 100 ? u.toFixed(0) : u.toFixed(1)); }

  var svg = el("svg", {viewBox: "0 0 " + W + " " + H, width: "100%", role: "img", "class": "forecast-chart",
                       "aria-label": d.title});
  el("title", {}, svg, d.title);

  // y grid and ticks
  var axis = el("g", {"class": "axis y-axis"}, svg);
  for (var k = 0; k <= 5; k++) {
    var v = lo + (hi - lo) * k / 5;
    el("line", {x1: M.left, x2: M.left + iw, y1: y(v), y2: y(v), "class": "grid"}, axis);
    el("text", {x: M.left - 8, y: y(v) + 4, "text-anchor": "end", "class": "tick"}, axis, fmt(v));
  }
  el("text", {x: 14, y: M.top + ih / 2, transform: "rotate(-90 14 " + (M.top + ih / 2) + ")", "text-anchor": "middle",
              "class": "axis-label"}, axis, d.display_unit + " / day");
  // x ticks every 5 days, and the Spring Festival day
  var xaxis = el("g", {"class": "axis x-axis"}, svg);
  el("line", {x1: M.left, x2: M.left + iw, y1: M.top + ih, y2: M.top + ih, "class": "baseline"}, xaxis);
  d.dates.forEach(function (day, i) {
    if (i % 5 === 0 || i === n - 1) {
      el("line", {x1: x(i), x2: x(i), y1: M.top + ih, y2: M.top + ih + 5, "class": "tick-mark"}, xaxis);
      el("text", {x: x(i), y: M.top + ih + 20, "text-anchor": "middle", "class": "tick"}, xaxis, day.slice(5));
    }
    if (day === d.spring_festival) {
      el("line", {x1: x(i), x2: x(i), y1: M.top, y2: M.top + ih, "class": "festival"}, xaxis);
      el("text", {x: x(i) + 4, y: M.top + 12, "class": "festival-label"}, xaxis, "春节 " + day.slice(5));
    }
  });

  function band(lower, upper, cls) {
    var top = [], bottom = [];
    for (var i = 0; i < n; i++) {
      if (finite(lower[i]) && finite(upper[i])) {
        top.push(x(i).toFixed(1) + "," + y(upper[i]).toFixed(1));
        bottom.unshift(x(i).toFixed(1) + "," + y(lower[i]).toFixed(1));
      }
    }
    if (top.length) { el("path", {d: "M" + top.concat(bottom).join("L") + "Z", "class": cls}, svg); }
  }
  band(d.lo95, d.hi95, "band band-95");
  band(d.lo80, d.hi80, "band band-80");

  // absolute thresholds
  levels.forEach(function (lv) {
    var t = d.thresholds[lv];
    if (!finite(t) || t < lo || t > hi) { return; }
    el("line", {x1: M.left, x2: M.left + iw, y1: y(t), y2: y(t), "class": "threshold threshold-" + lv,
                stroke: d.colours[lv]}, svg);
    el("text", {x: M.left + iw + 6, y: y(t) + 4, "class": "threshold-label", fill: d.colours[lv]}, svg,
       lv + " " + fmt(t) + d.display_unit);
  });

  var line = [];
  d.yhat.forEach(function (v, i) { if (finite(v)) { line.push((line.length ? "L" : "M") + x(i).toFixed(1) + "," + y(v).toFixed(1)); } });
  el("path", {d: line.join(""), "class": "line yhat"}, svg);

  // alert days
  var index = {};
  d.dates.forEach(function (day, i) { index[day] = i; });
  var marks = el("g", {"class": "alerts"}, svg);
  d.alerts.forEach(function (a) {
    var i = index[a.date];
    if (i === undefined || !finite(d.yhat[i])) { return; }
    var c = el("circle", {cx: x(i), cy: y(d.yhat[i]), r: 5.5, "class": "alert-marker alert-" + a.level,
                          fill: a.colour, "data-date": a.date, "data-level": a.level}, marks);
    el("title", {}, c, a.message);
  });

  // legend
  var legend = el("g", {"class": "legend", transform: "translate(" + (M.left + 8) + "," + (H - 14) + ")"}, svg);
  el("rect", {x: 0, y: -9, width: 14, height: 10, "class": "band band-95"}, legend);
  el("text", {x: 18, y: 0, "class": "tick"}, legend, "95%");
  el("rect", {x: 56, y: -9, width: 14, height: 10, "class": "band band-80"}, legend);
  el("text", {x: 74, y: 0, "class": "tick"}, legend, "80%");
  el("line", {x1: 112, x2: 130, y1: -4, y2: -4, "class": "line yhat"}, legend);
  el("text", {x: 134, y: 0, "class": "tick"}, legend, "forecast 预测");
  el("circle", {cx: 232, cy: -4, r: 5, fill: d.colours.red}, legend);
  el("text", {x: 242, y: 0, "class": "tick"}, legend, "alert day 预警日");

  holder.appendChild(svg);
}());
