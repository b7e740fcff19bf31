// Shared helpers for the dashboard pages (no build step, no framework).
"use strict";
const ft4j = {
  async get(url) {
    const r = await fetch(url, {cache: "no-store"});
    if (!r.ok) throw new Error(url + ": " + r.status + " " + (await r.text()));
    return r.json();
  },
  fmt(v, digits = 4) {
    if (v === null || v === undefined) return "-";
    if (typeof v === "number") return Number.isInteger(v) ? String(v) : v.toFixed(digits);
    return String(v);
  },
  esc(s) {
    return String(s).replace(/[&<>"]/g, c => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;"}[c]));
  },
  duration(s) {
    if (s === null || s === undefined) return "-";
    s = Math.round(s);
    return s >= 3600 ? Math.floor(s / 3600) + "h" + String(Math.floor(s / 60) % 60).padStart(2, "0") + "m"
      : Math.floor(s / 60) + "m" + String(s % 60).padStart(2, "0") + "s";
  },
  // uPlot data from series {step: [...], value: [...]} keyed by name: one shared x axis (the union of steps).
  align(seriesList) {
    const xs = [...new Set(seriesList.flatMap(s => s ? s.step : []))].sort((a, b) => a - b);
    const index = new Map(xs.map((x, i) => [x, i]));
    const ys = seriesList.map(s => {
      const y = new Array(xs.length).fill(null);
      if (s) s.step.forEach((x, i) => { y[index.get(x)] = s.value[i]; });
      return y;
    });
    return [xs, ...ys];
  },
  palette: ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"],
  chart(el, title, names, data, opts = {}) {
    // opts.rightAxis: the name of a series drawn on its own scale, labelled on the right
    const series = [{label: opts.xLabel || "step"}].concat(names.map((n, i) => ({
      label: n, stroke: ft4j.palette[i % ft4j.palette.length], width: 1.5, spanGaps: true,
      points: {show: !!(opts.points && opts.points[i])}, scale: n === opts.rightAxis ? "right" : "y",
    })));
    const axes = [{label: opts.xLabel || "step"}, {scale: "y", label: opts.yLabel || "", size: 70,
      // uPlot's default ticks round small values (a learning rate of 3e-5 reads as 0)
      values: opts.exponent ? (u, vals) => vals.map(v => v === 0 ? "0" : v.toExponential(1)) : undefined}];
    if (opts.rightAxis) axes.push({scale: "right", side: 1, size: 70, label: opts.rightAxis, grid: {show: false}});
    return new uPlot({title, width: Math.max(500, el.clientWidth - 20), height: 280, series,
      scales: {x: {time: false}}, axes}, data, el);
  },
};
