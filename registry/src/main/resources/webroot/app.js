// Cardinal registry UI: live metric charts (uPlot, fed by /api/stream), evaluation charts,
// leaderboard, pipeline health, the checkpoint table bound to /api/checkpoints, and a page per
// checkpoint (#/checkpoints/<run>/<step>). The study page (#/sweeps) is study.js's.
"use strict";

(function () {
  const {
    PALETTE, num, el, pct, fixed, points, verdictBadge, getJson, showError, loadOrShowError,
  } = window.CardinalUi;
  const colors = {};

  function colorOf(key) {
    if (!(key in colors)) colors[key] = PALETTE[Object.keys(colors).length % PALETTE.length];
    return colors[key];
  }

  // ------------------------------------------------------------------ smoothing

  let smoothing = 0.6;

  // TensorBoard's smoothing: an exponential moving average whose start-up bias toward zero is
  // divided out, so the first points are not dragged down.
  function smooth(values, weight) {
    if (weight <= 0) return values;
    const out = new Array(values.length);
    let last = 0;
    let count = 0;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v === null || !Number.isFinite(v)) {
        out[i] = v;
        continue;
      }
      last = last * weight + (1 - weight) * v;
      count++;
      out[i] = last / (1 - Math.pow(weight, count));
    }
    return out;
  }

  // ------------------------------------------------------------------ charts

  // A uPlot chart of several named series, each a list of (x, y) points kept sorted by x.
  class Chart {
    constructor(id, options) {
      this.figure = document.getElementById(id);
      this.options = Object.assign({ smooth: true, time: false, xLabel: "step", height: 240 }, options);
      this.series = new Map();
      this.plot = null;
      this.key = null;
    }

    clear() {
      this.series.clear();
    }

    add(name, x, y) {
      if (x === null || y === null) return;
      if (!this.series.has(name)) this.series.set(name, { xs: [], ys: [] });
      const s = this.series.get(name);
      const n = s.xs.length;
      if (n === 0 || x > s.xs[n - 1]) {
        s.xs.push(x);
        s.ys.push(y);
        return;
      }
      // A resumed run repeats steps: keep the newest value, in x order.
      let lo = 0, hi = n;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (s.xs[mid] < x) lo = mid + 1; else hi = mid;
      }
      if (s.xs[lo] === x) {
        s.ys[lo] = y;
      } else {
        s.xs.splice(lo, 0, x);
        s.ys.splice(lo, 0, y);
      }
    }

    draw() {
      const names = [...this.series.keys()].sort();
      let points = 0;
      for (const name of names) points += this.series.get(name).xs.length;
      this.figure.dataset.points = String(points);
      this.figure.dataset.runs = names.join(",");
      // Points per series, for readers (tests) that look at one run among others: "name=n;...".
      this.figure.dataset.counts = names.map((name) => name + "=" + this.series.get(name).xs.length).join(";");
      this.figure.querySelector(".empty").hidden = points > 0;
      if (points === 0) {
        if (this.plot) this.plot.destroy();
        this.plot = null;
        this.key = null;
        return;
      }
      const weight = this.options.smooth ? smoothing : 0;
      const data = uPlot.join(names.map((name) => {
        const s = this.series.get(name);
        return [s.xs, smooth(s.ys, weight)];
      }));
      const key = names.join("\u0000");
      if (this.plot && this.key === key) {
        this.plot.setData(data);
        return;
      }
      // The set of series changed: rebuild with one series (and legend entry) each.
      if (this.plot) this.plot.destroy();
      const container = this.figure.querySelector(".plot");
      const opts = {
        width: Math.max(320, container.clientWidth || this.figure.clientWidth - 20),
        height: this.options.height,
        scales: { x: { time: this.options.time } },
        axes: [{ label: this.options.time ? "" : this.options.xLabel }, { size: 60 }],
        series: [{ label: this.options.xLabel }].concat(names.map((name) => ({
          label: name,
          stroke: colorOf(name),
          width: 1.5,
          spanGaps: true,
          points: { show: this.options.points || false },
        }))),
        legend: { live: true },
      };
      this.plot = new uPlot(opts, data, container);
      this.key = key;
    }

    resize() {
      if (this.plot) {
        this.plot.setSize({ width: this.figure.querySelector(".plot").clientWidth, height: this.options.height });
      }
    }
  }

  // Metric name -> chart and how it is plotted. Several names per chart: stages name things
  // differently across versions.
  const LIVE = [
    { chart: new Chart("chart-loss"), metrics: ["loss", "train_loss"], stages: null },
    { chart: new Chart("chart-train-top1"), metrics: ["train_top1"], stages: null },
    { chart: new Chart("chart-lr", { smooth: false }), metrics: ["learning_rate", "lr"], stages: null },
    { chart: new Chart("chart-throughput", { time: true, xLabel: "time" }),
      metrics: ["images_per_s", "imagesPerSecond"], stages: null, byTime: true },
    { chart: new Chart("chart-data-wait"), metrics: ["data_wait_fraction"], stages: null },
  ];
  const evalChart = new Chart("chart-eval", { smooth: false, points: true });
  const gapChart = new Chart("chart-gap", { smooth: false, points: true });
  const resolutionChart = new Chart("chart-by-resolution", { smooth: false, points: true, xLabel: "resolution (px)" });
  const scheduleChart = new Chart("chart-schedule", { smooth: false, xLabel: "step" });
  const allCharts = LIVE.map((l) => l.chart).concat([evalChart, gapChart, resolutionChart, scheduleChart]);

  function seriesName(stage, run) {
    if (!run) return stage;
    return stage === "trainer" ? run : stage + ":" + run;
  }

  function liveOf(metric) {
    return LIVE.find((l) => l.metrics.includes(metric));
  }

  let redrawPending = false;
  function scheduleRedraw() {
    if (redrawPending) return;
    redrawPending = true;
    // Coalesce bursts of events into one redraw per frame.
    requestAnimationFrame(() => {
      redrawPending = false;
      for (const l of LIVE) l.chart.draw();
    });
  }

  function onHistory(list) {
    for (const l of LIVE) l.chart.clear();
    for (const s of list) {
      const live = liveOf(s.metric);
      if (!live) continue;
      const name = live.byTime ? s.stage + (s.run ? ":" + s.run : "") : seriesName(s.stage, s.run);
      for (let i = 0; i < s.steps.length; i++) {
        const x = live.byTime ? s.timestampsMs[i] / 1000 : s.steps[i];
        live.chart.add(name, x, num(s.values[i]));
      }
    }
    scheduleRedraw();
  }

  function onMetric(event) {
    for (const [metric, value] of Object.entries(event.values || {})) {
      const live = liveOf(metric);
      if (!live) continue;
      if (live.byTime) {
        live.chart.add(event.stage + (event.runId ? ":" + event.runId : ""), event.timestampMs / 1000, num(value));
      } else {
        live.chart.add(seriesName(event.stage, event.runId), event.step, num(value));
      }
    }
    scheduleRedraw();
  }

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

  const slider = document.getElementById("smoothing");
  slider.addEventListener("input", () => {
    smoothing = Number(slider.value);
    document.getElementById("smoothing-value").textContent = smoothing.toFixed(2);
    scheduleRedraw();
  });
  window.addEventListener("resize", () => allCharts.forEach((c) => c.resize()));

  // ------------------------------------------------------------------ evaluations over steps

  async function refreshEvaluations() {
    const { body } = await getJson("/api/evaluations?limit=20000");
    evalChart.clear();
    gapChart.clear();
    for (const p of body) {
      const series = p.run + " · " + p.resolution + " · " + p.weights;
      evalChart.add(series, p.step, num(p.top1));
      if (p.trainEvalGap !== undefined && p.trainEvalGap !== null) {
        gapChart.add(series, p.step, num(p.trainEvalGap));
      }
    }
    evalChart.draw();
    gapChart.draw();
  }

  // ------------------------------------------------------------------ leaderboard

  async function refreshRuns() {
    const { body: runs } = await getJson("/api/runs");
    // The registry ranks the runs by its one rule for "best"; unranked runs (no score yet) last.
    const ranked = runs.slice().sort((a, b) => (a.bestRank ?? Infinity) - (b.bestRank ?? Infinity));
    const body = document.querySelector("#leaderboard tbody");
    document.getElementById("leaderboard-empty").hidden = runs.length > 0;
    body.replaceChildren(...ranked.map((r) => {
      const tr = el("tr");
      const name = el("td");
      const swatch = el("span", "■ ");
      swatch.style.color = colorOf(r.run);
      name.append(swatch, r.run);
      const at = el("td");
      if (r.bestTop1Step !== undefined && r.bestTop1Step !== null) {
        const link = el("a", "step " + r.bestTop1Step + " · " + r.bestTop1Resolution + "px " + r.bestTop1Weights);
        link.href = "#/checkpoints/" + encodeURIComponent(r.run) + "/" + r.bestTop1Step;
        at.append(link);
      }
      const verdict = el("td");
      verdict.append(verdictBadge(r.verdict, r.verdict ? "at step " + r.verdictStep : ""));
      tr.append(el("td", r.bestRank ?? "", "num"), name,
        el("td", r.model || ""), el("td", pct(r.bestTop1), "num"), at,
        el("td", r.checkpoints, "num"), el("td", r.latestStep ?? "–", "num"), verdict,
        el("td", Object.entries(r.aliases || {}).map(([a, s]) => a + "→" + s).join(", ")));
      return tr;
    }));
    const select = document.getElementById("run-filter");
    const chosen = select.value;
    const names = runs.map((r) => r.run).sort();
    const current = [...select.options].slice(1).map((o) => o.value);
    if (current.join("\u0000") !== names.join("\u0000")) {
      select.replaceChildren(el("option", "all"), ...names.map((n) => {
        const option = el("option", n);
        option.value = n;
        return option;
      }));
      select.options[0].value = "";
      select.value = names.includes(chosen) ? chosen : "";
    }
  }

  // ------------------------------------------------------------------ pipeline health

  async function refreshHealth() {
    const { body: h } = await getJson("/api/health");
    const section = document.getElementById("health");
    section.dataset.sampled = String(h.sampledAtMs || 0);
    document.getElementById("health-note").textContent = h.error
      ? "(" + h.error + ")"
      : h.sampledAtMs ? "sampled " + new Date(h.sampledAtMs).toLocaleTimeString() : "";
    const lagByStage = {};
    for (const g of h.groups || []) lagByStage[g.stage] = (lagByStage[g.stage] || 0) + g.lag;
    const stages = new Set(Object.keys(h.deadLetters || {}).concat(Object.keys(lagByStage),
      Object.keys(h.throughput || {})));
    const order = ["ingest", "augment", "trainer", "evaluator", "registry"];
    const sorted = [...stages].sort((a, b) => (order.indexOf(a) + 99 * (order.indexOf(a) < 0))
      - (order.indexOf(b) + 99 * (order.indexOf(b) < 0)));
    document.querySelector("#health-stages tbody").replaceChildren(...sorted.map((stage) => {
      const tr = el("tr");
      tr.dataset.stage = stage;
      const dlq = (h.deadLetters || {})[stage] || 0;
      const rate = (h.throughput || {})[stage];
      tr.append(el("td", stage), el("td", stage in lagByStage ? lagByStage[stage] : "–", "num"),
        el("td", dlq, dlq > 0 ? "num warn" : "num"),
        el("td", rate === undefined ? "–" : rate.toFixed(1), "num"));
      return tr;
    }));
    document.querySelector("#health-groups tbody").replaceChildren(...(h.groups || []).map((g) => {
      const tr = el("tr");
      tr.dataset.group = g.group;
      tr.append(el("td", g.group), el("td", (g.topics || []).join(", ")), el("td", g.lag, "num"));
      return tr;
    }));
  }

  // ------------------------------------------------------------------ checkpoint table

  let nextCursor = null;

  function filterQuery() {
    const form = document.getElementById("filters");
    const params = new URLSearchParams();
    params.set("limit", "50");
    for (const input of form.querySelectorAll("input, select")) {
      const name = input.name;
      if (!name) continue;
      if (input.type === "checkbox") {
        if (input.checked) params.set(name, "true");
        continue;
      }
      let value = input.value.trim();
      if (value === "") continue;
      if (name === "sort" && value === "created") continue;
      if (name === "minTop1") value = String(Number(value) / 100);
      params.set(name, value);
    }
    return params;
  }

  function evaluationCells(c) {
    const evals = el("td");
    for (const e of c.evaluations) {
      const text = e.error
        ? e.resolution + "/" + e.weights + ": failed (" + e.error + ")"
        : e.resolution + "/" + e.weights + ": " + pct(e.top1) + ", " + pct(e.top5) + ", "
          + (e.nll === undefined || e.nll === null ? "–" : e.nll.toFixed(3));
      evals.append(el("span", text, e.error ? "eval failed" : "eval"));
    }
    return evals;
  }

  function checkpointRow(c) {
    const tr = el("tr", null, c.deleted ? "deleted" : "");
    tr.dataset.id = c.id;
    const tags = el("td");
    for (const t of (c.aliases || [])) tags.append(el("span", t, "tag alias"));
    for (const t of (c.tags || [])) tags.append(el("span", t, "tag"));
    const step = el("td", null, "num");
    const link = el("a", c.step);
    link.href = "#/checkpoints/" + encodeURIComponent(c.run) + "/" + c.step;
    step.append(link);
    const verdict = el("td");
    verdict.append(verdictBadge(c.verdict, c.verdictReason));
    tr.append(el("td", c.run), step, el("td", c.epoch, "num"), el("td", c.model || ""),
      el("td", new Date(c.createdAtMs).toLocaleString()), evaluationCells(c), verdict, tags);
    return tr;
  }

  async function refreshCheckpoints(append) {
    const params = filterQuery();
    if (append && nextCursor) params.set("cursor", nextCursor);
    const query = params.toString();
    const error = document.getElementById("filter-error");
    const table = document.getElementById("checkpoints");
    let result;
    try {
      result = await getJson("/api/checkpoints?" + query);
    } catch (e) {
      if (e.status !== 400) throw e;
      // The server names what is wrong with a filter: show it next to the filters.
      showError(error, e.message);
      return;
    }
    showError(error, null);
    nextCursor = result.next;
    document.getElementById("more").hidden = !nextCursor;
    const body = table.querySelector("tbody");
    const rows = result.body.map(checkpointRow);
    if (append) body.append(...rows); else body.replaceChildren(...rows);
    table.dataset.query = query;
    table.dataset.rows = String(body.children.length);
    document.getElementById("checkpoints-empty").hidden = body.children.length > 0;
  }

  let filterTimer = null;
  function filtersChanged() {
    clearTimeout(filterTimer);
    filterTimer = setTimeout(() => refreshCheckpoints(false).catch((e) => console.warn(e)), 150);
  }

  // ------------------------------------------------------------------ checkpoint page

  // The schedule the checkpoint was trained under, as the registry samples it with core's
  // Schedule.at: the same values trainer and augment used, the parameters its segments set.
  async function drawSchedule(c) {
    const note = document.getElementById("schedule-note");
    let sampled = null;
    let problem = "";
    if (c.schedule && Array.isArray(c.schedule.segments) && c.schedule.segments.length) {
      try {
        sampled = (await getJson("/api/runs/" + encodeURIComponent(c.run) + "/schedule?step="
          + encodeURIComponent(c.step) + "&points=201")).body;
      } catch (e) {
        problem = e.message;
      }
    }
    // Cleared only now, after the wait, so that two refreshes never draw into each other.
    scheduleChart.clear();
    if (!sampled) {
      note.textContent = problem;
      scheduleChart.draw();
      return;
    }
    const perEpoch = sampled.stepsPerEpoch;
    scheduleChart.options.xLabel = perEpoch ? "step" : "epoch";
    note.textContent = (sampled.name ? sampled.name + ", " : "")
      + (perEpoch ? "≈" + Math.round(perEpoch) + " steps/epoch; " : "")
      + "resolution in px/100, regularization as set";
    for (const p of sampled.parameters) {
      const series = p === "trainResolution" ? "trainResolution (px/100)" : p;
      for (const sample of sampled.samples) {
        const v = sample.stage[p];
        scheduleChart.add(series, perEpoch ? sample.epoch * perEpoch : sample.epoch,
          p === "trainResolution" ? v / 100 : v);
      }
    }
    scheduleChart.draw();
  }

  // The best resolution of each weight set, as the evaluator reported it with each evaluation
  // (by core's one rule for "best"); evaluations from older evaluators name none.
  function bestResolutions(evaluations) {
    const best = {};
    for (const e of evaluations) {
      if (!e.error && e.bestResolution !== undefined && e.bestResolution !== null) {
        best[e.weights] = e.bestResolution;
      }
    }
    return best;
  }

  function showVerdict(c) {
    const box = document.getElementById("checkpoint-verdict");
    box.hidden = !c.verdict;
    box.dataset.verdict = c.verdict || "";
    document.getElementById("checkpoint-verdict-badge").replaceChildren(verdictBadge(c.verdict));
    document.getElementById("checkpoint-verdict-reason").textContent = c.verdictReason || "";
    const evidence = document.getElementById("checkpoint-verdict-evidence");
    evidence.replaceChildren(...Object.entries(c.verdictEvidence || {}).map(([k, v]) =>
      el("span", k + " " + (Number.isInteger(v) ? v : v.toFixed(3)))));
    const line = document.getElementById("checkpoint-best");
    line.textContent = c.bestResolution
      ? "Best: " + pct(c.bestTop1) + " top-1 at " + c.bestResolution + " px with " + c.bestWeights + " weights"
      : "";
  }

  // Per-class top-1 of one weight set at its best resolution, as a bar list. The chosen weight
  // set is kept across refreshes of the page.
  function showPerClass(c, best) {
    const section = document.getElementById("per-class");
    const select = document.getElementById("per-class-weights");
    const withClasses = c.evaluations.filter((e) => Array.isArray(e.perClassAccuracy) && !e.error);
    const weightSets = [...new Set(withClasses.map((e) => e.weights))].sort();
    const chosen = weightSets.includes(select.value) ? select.value
      : weightSets.includes(c.bestWeights) ? c.bestWeights : weightSets[0];
    select.replaceChildren(...weightSets.map((w) => {
      const option = el("option", w);
      option.value = w;
      return option;
    }));
    select.value = chosen || "";
    select.onchange = () => showPerClass(c, best);
    const ofWeights = withClasses.filter((e) => e.weights === chosen);
    // The registry's best evaluation where it is of these weights, else the first it lists.
    const e = ofWeights.find((x) => x.resolution === best[chosen])
      || ofWeights.find((x) => x.weights === c.bestWeights && x.resolution === c.bestResolution)
      || ofWeights[0];
    const body = document.querySelector("#per-class-accuracy tbody");
    const note = document.getElementById("per-class-note");
    document.getElementById("per-class-empty").hidden = !!e;
    document.getElementById("per-class-accuracy").hidden = !e;
    section.dataset.weights = e ? e.weights : "";
    section.dataset.resolution = e ? String(e.resolution) : "";
    section.dataset.classes = e ? String(e.perClassAccuracy.length) : "0";
    if (!e) {
      body.replaceChildren();
      note.textContent = "";
      return;
    }
    const known = e.perClassAccuracy.map((a, i) => [i, a]).filter(([, a]) => a !== null && a !== undefined);
    const worst = known.reduce((w, x) => (w === null || x[1] < w[1] ? x : w), null);
    note.textContent = e.weights + " weights at " + e.resolution + " px"
      + (best[e.weights] === e.resolution ? " (their best resolution)" : "") + " · "
      + e.perClassAccuracy.length + " classes"
      + (known.length < e.perClassAccuracy.length ? ", " + (e.perClassAccuracy.length - known.length) + " without images" : "")
      + (worst ? " · lowest: class " + worst[0] + " at " + pct(worst[1]) : "");
    body.replaceChildren(...e.perClassAccuracy.map((a, i) => {
      const tr = el("tr");
      tr.dataset.class = String(i);
      const bar = el("td", null, "bar-cell");
      if (a !== null && a !== undefined) {
        const fill = el("span", null, "bar");
        fill.style.width = (100 * Math.max(0, Math.min(1, a))).toFixed(1) + "%";
        bar.append(fill);
      }
      tr.append(el("td", i, "num"), el("td", a === null || a === undefined ? "no images" : pct(a), "num"), bar);
      return tr;
    }));
  }

  async function showCheckpoint(run, step) {
    document.getElementById("dashboard").hidden = true;
    const page = document.getElementById("checkpoint-page");
    page.hidden = false;
    const error = document.getElementById("checkpoint-error");
    document.getElementById("checkpoint-title").textContent = "Checkpoint " + run + " @ step " + step;
    const c = await loadOrShowError(
      "/api/checkpoints/" + encodeURIComponent(run) + "/" + encodeURIComponent(step), error);
    if (c === null) return;
    page.dataset.id = c.id;
    document.getElementById("checkpoint-summary").textContent =
      (c.model || "unknown model") + " · epoch " + c.epoch + " · " + c.samplesSeen + " samples · "
      + new Date(c.createdAtMs).toLocaleString()
      + (c.deleted ? " · deleted by retention" : "")
      + ((c.aliases || []).length ? " · aliases: " + c.aliases.join(", ") : "")
      + ((c.tags || []).length ? " · tags: " + c.tags.join(", ") : "");

    showVerdict(c);
    resolutionChart.clear();
    for (const e of c.evaluations) {
      if (e.top1 !== undefined && e.top1 !== null) {
        resolutionChart.add("top-1 " + e.weights, e.resolution, e.top1);
      }
      if (e.top5 !== undefined && e.top5 !== null) {
        resolutionChart.add("top-5 " + e.weights, e.resolution, e.top5);
      }
      if (e.ece !== undefined && e.ece !== null) {
        resolutionChart.add("ECE " + e.weights, e.resolution, e.ece);
      }
    }
    resolutionChart.draw();
    drawSchedule(c);

    const best = bestResolutions(c.evaluations);
    document.querySelector("#checkpoint-evaluations tbody").replaceChildren(...c.evaluations.map((e) => {
      const tr = el("tr", null, e.error ? "failed" : "");
      tr.dataset.id = e.id;
      const resolution = el("td", e.resolution, "num");
      if (!e.error && best[e.weights] === e.resolution) {
        // The best resolution of this weight set; the checkpoint's overall best row stands out.
        resolution.prepend(el("span", "best", "badge best"), " ");
        tr.dataset.best = "true";
      }
      if (!e.error && e.resolution === c.bestResolution && e.weights === c.bestWeights) {
        tr.classList.add("best");
      }
      const gap = el("td", points(e.trainEvalGap), "num");
      if (e.trainEvalGap !== undefined && e.trainEvalGap !== null && e.trainResolution) {
        gap.title = "train top-1 at " + e.trainResolution + " px (training augmentation) minus this eval top-1";
      }
      const top1 = el("td", pct(e.top1), "num");
      if (e.testFlip && e.singleViewTop1 !== undefined && e.singleViewTop1 !== null) {
        // What test-time flip added: the image alone beside the image averaged with its mirror.
        top1.append(el("span", " (" + pct(e.singleViewTop1) + " one view)", "single-view"));
        top1.title = "each image's prediction averaged with its mirror image's; the image alone: "
          + pct(e.singleViewTop1);
      }
      tr.append(resolution, el("td", e.weights), top1,
        el("td", pct(e.top5), "num"), el("td", fixed(e.nll, 4), "num"),
        el("td", fixed(e.ece, 4), "num ece"), el("td", pct(e.trainTop1), "num"), gap,
        el("td", e.images, "num"), el("td", e.error ? "evaluation failed: " + e.error : "", e.error ? "error" : ""));
      return tr;
    }));
    // How the checkpoint was scored, from a scored evaluation where there is one.
    const planned = c.evaluations.filter((e) => e.trainResolution || e.cropFraction);
    const plan = planned.find((e) => !e.error) || planned[0];
    document.getElementById("checkpoint-evaluation-note").textContent = plan
      ? "Trained at " + (plan.trainResolution ? plan.trainResolution + " px" : "an unknown resolution")
        + (plan.cropFraction ? "; evaluated on a centre crop of " + (100 * plan.cropFraction).toFixed(1)
          + "% of the shorter side, resized" : "")
        + (plan.testFlip ? "; each image's prediction averaged with its mirror image's (test-time flip),"
          + " top-1 of the image alone in brackets" : "")
        + ". ‘best’ marks each weight set's best resolution."
      : "";
    showPerClass(c, best);

    document.getElementById("manifest").textContent = JSON.stringify(c, null, 2);

    const downloads = document.getElementById("downloads");
    downloads.replaceChildren();
    try {
      const { body } = await getJson("/api/checkpoints/" + encodeURIComponent(run) + "/" + encodeURIComponent(step) + "/download");
      downloads.append("Download (links valid " + Math.round(body.expiresInSeconds / 60) + " min): ");
      for (const [name, url] of Object.entries(body.urls)) {
        const a = el("a", name);
        a.href = url;
        downloads.append(a, " ");
      }
    } catch (e) {
      downloads.textContent = e.message;
    }
  }

  // ------------------------------------------------------------------ routing and refresh

  function route() {
    const match = location.hash.match(/^#\/checkpoints\/([^/]+)\/([^/]+)$/);
    if (match) {
      showCheckpoint(decodeURIComponent(match[1]), decodeURIComponent(match[2]));
    } else if (location.hash.startsWith("#/sweeps")) {
      document.getElementById("checkpoint-page").hidden = true;
      document.getElementById("dashboard").hidden = true;
    } else {
      document.getElementById("checkpoint-page").hidden = true;
      document.getElementById("dashboard").hidden = false;
      allCharts.forEach((c) => c.resize());
    }
  }

  async function refresh() {
    if (!document.getElementById("dashboard").hidden) {
      for (const step of [refreshRuns, refreshHealth, refreshEvaluations]) {
        try { await step(); } catch (e) { console.warn(step.name + " failed", e); }
      }
      // A later page would be lost by a refresh: only the first page follows new checkpoints.
      if (!nextCursor || document.getElementById("checkpoints").querySelector("tbody").children.length <= 50) {
        try { await refreshCheckpoints(false); } catch (e) { console.warn("checkpoints failed", e); }
      }
    }
  }

  const filters = document.getElementById("filters");
  filters.addEventListener("change", filtersChanged);
  filters.addEventListener("input", filtersChanged);
  // Filters apply as they change; Enter must not submit (the CSP forbids inline handlers).
  filters.addEventListener("submit", (e) => e.preventDefault());
  document.getElementById("more").addEventListener("click", () => refreshCheckpoints(true));
  window.addEventListener("hashchange", route);
  connect();
  route();
  refresh();
  setInterval(refresh, 5000);
})();
