// Cardinal registry UI: live metric charts (uPlot, fed by /api/stream) and the checkpoint tables.
"use strict";

(function () {
  // Metric names the stages may use for each chart.
  const CHARTS = {
    loss: ["loss", "train_loss", "trainLoss"],
    lr: ["lr", "learningRate", "learning_rate"],
    throughput: ["images_per_s", "imagesPerSecond", "images_per_second", "imagesPerSec", "throughput"],
  };
  const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22"];

  // chart -> run -> {steps: [], values: []}, kept sorted by step.
  const series = {};
  const plots = {};
  const runColors = {};
  let redrawPending = false;

  for (const chart of Object.keys(CHARTS)) series[chart] = new Map();

  function chartOf(metric) {
    for (const [chart, names] of Object.entries(CHARTS)) {
      if (names.includes(metric)) return chart;
    }
    return null;
  }

  function colorOf(run) {
    if (!(run in runColors)) {
      runColors[run] = PALETTE[Object.keys(runColors).length % PALETTE.length];
    }
    return runColors[run];
  }

  function num(v) {
    const n = typeof v === "number" ? v : Number(v);
    return Number.isFinite(n) ? n : null;
  }

  function addPoint(chart, run, step, value) {
    const runs = series[chart];
    if (!runs.has(run)) runs.set(run, { steps: [], values: [] });
    const s = runs.get(run);
    const n = s.steps.length;
    if (n === 0 || step > s.steps[n - 1]) {
      s.steps.push(step);
      s.values.push(value);
      return;
    }
    // A resumed run repeats steps: keep the newest value, in step order.
    let lo = 0, hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (s.steps[mid] < step) lo = mid + 1; else hi = mid;
    }
    if (s.steps[lo] === step) {
      s.values[lo] = value;
    } else {
      s.steps.splice(lo, 0, step);
      s.values.splice(lo, 0, value);
    }
  }

  function runLabel(stage, run) {
    return run || stage;
  }

  function onHistory(list) {
    for (const chart of Object.keys(series)) series[chart].clear();
    for (const s of list) {
      const chart = chartOf(s.metric);
      if (!chart) continue;
      const run = runLabel(s.stage, s.run);
      for (let i = 0; i < s.steps.length; i++) {
        addPoint(chart, run, s.steps[i], num(s.values[i]));
      }
    }
    scheduleRedraw();
  }

  function onMetric(event) {
    const run = runLabel(event.stage, event.runId);
    for (const [metric, value] of Object.entries(event.values || {})) {
      const chart = chartOf(metric);
      if (chart) addPoint(chart, run, event.step, num(value));
    }
    scheduleRedraw();
  }

  function scheduleRedraw() {
    if (redrawPending) return;
    redrawPending = true;
    // Coalesce bursts of events into one redraw per frame.
    requestAnimationFrame(() => {
      redrawPending = false;
      for (const chart of Object.keys(series)) redraw(chart);
    });
  }

  function redraw(chart) {
    const figure = document.getElementById("chart-" + chart);
    const runs = [...series[chart].keys()].sort();
    let points = 0;
    for (const run of runs) points += series[chart].get(run).steps.length;
    figure.dataset.points = String(points);
    figure.dataset.runs = runs.join(",");
    figure.querySelector(".empty").hidden = points > 0;
    if (points === 0) return;

    const tables = runs.map((run) => {
      const s = series[chart].get(run);
      return [s.steps, s.values];
    });
    const data = uPlot.join(tables);
    const key = runs.join("\u0000");
    let plot = plots[chart];
    if (plot && plot.key === key) {
      plot.uplot.setData(data);
      return;
    }
    // The set of runs changed: rebuild the chart with one series (and legend entry) per run.
    if (plot) plot.uplot.destroy();
    const container = figure.querySelector(".plot");
    const opts = {
      width: Math.max(320, container.clientWidth || figure.clientWidth - 20),
      height: 240,
      scales: { x: { time: false } },
      axes: [{ label: "step" }, { size: 60 }],
      series: [{ label: "step" }].concat(runs.map((run) => ({
        label: run,
        stroke: colorOf(run),
        width: 1.5,
        spanGaps: true,
        points: { show: false },
      }))),
      legend: { live: true },
    };
    plots[chart] = { key, uplot: new uPlot(opts, data, container) };
  }

  window.addEventListener("resize", () => {
    for (const [chart, plot] of Object.entries(plots)) {
      const figure = document.getElementById("chart-" + chart);
      plot.uplot.setSize({ width: figure.querySelector(".plot").clientWidth, height: 240 });
    }
  });

  function connect() {
    const status = document.getElementById("stream-status");
    const source = new EventSource("/api/stream");
    source.addEventListener("open", () => {
      status.dataset.state = "live";
      status.textContent = "live";
    });
    source.addEventListener("error", () => {
      status.dataset.state = source.readyState === EventSource.CLOSED ? "down" : "connecting";
      status.textContent = source.readyState === EventSource.CLOSED ? "disconnected" : "reconnecting…";
    });
    source.addEventListener("history", (e) => onHistory(JSON.parse(e.data)));
    source.addEventListener("metric", (e) => onMetric(JSON.parse(e.data)));
  }

  // ------------------------------------------------------------------ tables

  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  function pct(v) {
    return v === null || v === undefined ? "–" : (100 * v).toFixed(2) + "%";
  }

  async function getJson(url) {
    const response = await fetch(url, { headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(url + ": " + response.status);
    return response.json();
  }

  async function refreshRuns() {
    const runs = await getJson("/api/runs");
    const body = document.querySelector("#runs tbody");
    body.replaceChildren(...runs.map((r) => {
      const tr = el("tr");
      const name = el("td");
      const swatch = el("span", "■ ");
      swatch.style.color = colorOf(r.run);
      name.append(swatch, r.run);
      tr.append(name, el("td", r.model || ""), el("td", r.checkpoints, "num"),
        el("td", r.latestStep ?? "–", "num"),
        el("td", r.bestTop1 === undefined ? "–" : pct(r.bestTop1) + " @ " + r.bestTop1Step, "num"),
        el("td", Object.entries(r.aliases || {}).map(([a, s]) => a + "→" + s).join(", ")));
      return tr;
    }));
    const select = document.getElementById("run-filter");
    const chosen = select.value;
    select.replaceChildren(el("option", "all"), ...runs.map((r) => el("option", r.run)));
    select.options[0].value = "";
    select.value = runs.some((r) => r.run === chosen) ? chosen : "";
  }

  async function refreshCheckpoints() {
    const run = document.getElementById("run-filter").value;
    const url = "/api/checkpoints?limit=50" + (run ? "&run=" + encodeURIComponent(run) : "");
    const list = await getJson(url);
    const body = document.querySelector("#checkpoints tbody");
    document.getElementById("checkpoints-empty").hidden = list.length > 0;
    body.replaceChildren(...list.map((c) => {
      const tr = el("tr", null, c.deleted ? "deleted" : "");
      const evals = el("td");
      for (const e of c.evaluations) {
        const text = e.error
          ? e.resolution + "/" + e.weights + ": failed (" + e.error + ")"
          : e.resolution + "/" + e.weights + ": " + pct(e.top1) + ", " + pct(e.top5) + ", "
            + (e.nll === undefined ? "–" : e.nll.toFixed(3));
        evals.append(el("span", text, "eval"));
      }
      const tags = el("td");
      for (const t of (c.aliases || []).concat(c.tags || [])) tags.append(el("span", t, "tag"));
      tr.append(el("td", c.run), el("td", c.step, "num"), el("td", c.epoch, "num"),
        el("td", c.model || ""), el("td", new Date(c.createdAtMs).toLocaleString()), evals, tags);
      return tr;
    }));
  }

  async function refresh() {
    try {
      await refreshRuns();
      await refreshCheckpoints();
    } catch (e) {
      console.warn("refresh failed", e);
    }
  }

  document.getElementById("run-filter").addEventListener("change", refreshCheckpoints);
  connect();
  refresh();
  setInterval(refresh, 5000);
})();
