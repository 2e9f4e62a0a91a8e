// Cardinal registry UI: the study page. #/sweeps lists the scaling studies; #/sweeps/<id> shows
// one: best top-1 against MACs (log scale) and against training time, the Pareto fronts, points
// coloured by family, and the table with each point's recommendation and its evidence
// (GET /api/sweeps/{id}). Polls while shown.
"use strict";

(function () {
  const { PALETTE, el, pct, points, verdictBadge, getJson, loadOrShowError } = window.CardinalUi;
  const SVG = "http://www.w3.org/2000/svg";
  const FAMILIES = ["resnet", "resnext", "resnest", "resnet-rs", "wide-resnet"];
  const page = document.getElementById("study-page");

  function familyColor(family) {
    const i = FAMILIES.indexOf(family);
    return PALETTE[i >= 0 ? i : FAMILIES.length + (String(family).length % (PALETTE.length - FAMILIES.length))];
  }

  function svg(tag, attributes, text) {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attributes || {})) node.setAttribute(k, String(v));
    if (text !== undefined) node.textContent = String(text);
    return node;
  }

  // 1234567 -> "1.23 M": MACs and parameters as people say them.
  function count(v) {
    if (v === null || v === undefined) return "–";
    const units = [[1e12, " T"], [1e9, " G"], [1e6, " M"], [1e3, " k"]];
    for (const [size, unit] of units) if (Math.abs(v) >= size) return (v / size).toPrecision(3) + unit;
    return String(v);
  }

  function seconds(v) {
    if (v === null || v === undefined) return "–";
    return v >= 120 ? (v / 60).toFixed(1) + " min" : v.toFixed(1) + " s";
  }

  // ------------------------------------------------------------------ scatter

  // Best top-1 of each scored point against a cost, the Pareto front joined by a line and ringed.
  function scatter(id, sweepPoints, cost, frontKey, options) {
    const figure = document.getElementById(id);
    const shown = sweepPoints.filter((p) => p.best && cost(p) !== null && cost(p) !== undefined && (!options.log || cost(p) > 0));
    figure.dataset.points = String(shown.length);
    figure.dataset.front = shown.filter((p) => p[frontKey]).map((p) => p.pointId).join(",");
    figure.querySelector(".empty").hidden = shown.length > 0;
    const plot = figure.querySelector(".plot");
    plot.replaceChildren();
    if (shown.length === 0) return;
    const width = Math.max(360, plot.clientWidth || 480);
    const height = 280;
    const pad = { left: 56, right: 16, top: 12, bottom: 40 };
    const xOf = (p) => (options.log ? Math.log10(cost(p)) : cost(p));
    let xs = shown.map(xOf);
    let ys = shown.map((p) => p.best.top1);
    let [x0, x1] = [Math.min(...xs), Math.max(...xs)];
    let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
    // A single value still gets an axis around it.
    if (x1 - x0 < 1e-9) { x0 -= options.log ? 0.5 : Math.max(1, x0 * 0.5); x1 += options.log ? 0.5 : Math.max(1, x1 * 0.5); }
    if (y1 - y0 < 1e-9) { y0 -= 0.05; y1 += 0.05; }
    const xMargin = (x1 - x0) * 0.08;
    const yMargin = (y1 - y0) * 0.12;
    x0 -= xMargin; x1 += xMargin; y0 = Math.max(0, y0 - yMargin); y1 = Math.min(1, y1 + yMargin);
    const px = (x) => pad.left + ((x - x0) / (x1 - x0)) * (width - pad.left - pad.right);
    const py = (y) => height - pad.bottom - ((y - y0) / (y1 - y0)) * (height - pad.top - pad.bottom);

    const root = svg("svg", { width, height, viewBox: "0 0 " + width + " " + height, class: "scatter" });
    root.append(svg("line", { x1: pad.left, y1: height - pad.bottom, x2: width - pad.right, y2: height - pad.bottom, class: "axis" }));
    root.append(svg("line", { x1: pad.left, y1: pad.top, x2: pad.left, y2: height - pad.bottom, class: "axis" }));
    for (let i = 0; i <= 4; i++) {
      const y = y0 + ((y1 - y0) * i) / 4;
      root.append(svg("text", { x: pad.left - 6, y: py(y) + 4, class: "tick", "text-anchor": "end" }, (100 * y).toFixed(1) + "%"));
      const x = x0 + ((x1 - x0) * i) / 4;
      root.append(svg("text", { x: px(x), y: height - pad.bottom + 16, class: "tick", "text-anchor": "middle" },
        options.log ? count(Math.pow(10, x)) : options.format(x)));
    }
    root.append(svg("text", { x: (pad.left + width - pad.right) / 2, y: height - 6, class: "axis-label", "text-anchor": "middle" }, options.label));

    const front = shown.filter((p) => p[frontKey]).sort((a, b) => xOf(a) - xOf(b));
    if (front.length > 1) {
      root.append(svg("polyline", { points: front.map((p) => px(xOf(p)) + "," + py(p.best.top1)).join(" "), class: "front" }));
    }
    for (const p of shown) {
      const g = svg("g", { class: "point", "data-point": p.pointId });
      if (p[frontKey]) g.append(svg("circle", { cx: px(xOf(p)), cy: py(p.best.top1), r: 9, class: "front-ring" }));
      const dot = svg("circle", { cx: px(xOf(p)), cy: py(p.best.top1), r: 5, fill: familyColor(p.family) });
      dot.append(svg("title", {}, p.pointId + " (" + (p.family || "unknown family") + "): " + pct(p.best.top1)
        + " top-1 at " + p.best.resolution + " px " + p.best.weights + (p[frontKey] ? " · on the Pareto front" : "")));
      g.append(dot);
      g.append(svg("text", { x: px(xOf(p)) + 8, y: py(p.best.top1) - 8, class: "point-label" }, p.pointId));
      root.append(g);
    }
    plot.append(root);
  }

  function legend(sweepPoints) {
    const families = [...new Set(sweepPoints.map((p) => p.family || "unknown"))].sort();
    document.getElementById("sweep-legend").replaceChildren(...families.map((f) => {
      const item = el("span", null, "legend-item");
      const swatch = el("span", "●", "swatch");
      swatch.style.color = familyColor(f);
      item.append(swatch, " " + f);
      return item;
    }), el("span", "◯ ringed and joined: on the Pareto front", "legend-item"));
  }

  // ------------------------------------------------------------------ table

  function knobs(p) {
    return "×" + p.widthMultiplier + (p.depth ? " · depth " + p.depth : "") + " · " + p.trainResolution + " px · reg ×" + p.regularization;
  }

  function recommendationCell(r) {
    const td = el("td", null, "recommendation");
    if (!r) return td;
    td.dataset.rules = (r.rules || []).join(",");
    td.append(el("strong", r.advice));
    const list = el("ul", null, "evidence");
    for (const fact of r.evidence || []) list.append(el("li", fact));
    td.append(list);
    return td;
  }

  function pointRow(p) {
    const tr = el("tr");
    tr.dataset.point = p.pointId;
    const name = el("td");
    const swatch = el("span", "● ", "swatch");
    swatch.style.color = familyColor(p.family);
    name.append(swatch, p.pointId, el("br"), el("small", p.runId));
    const byResolution = (p.bestByResolution || [])
      .map((s) => s.resolution + " px " + s.weights + " " + pct(s.top1)).join(" · ");
    const best = el("td", null, "num");
    best.append(p.best ? pct(p.best.top1) : "–");
    if (p.best) best.append(el("br"), el("small", p.best.resolution + " px " + p.best.weights));
    if (byResolution) best.title = "best per resolution: " + byResolution;
    const training = el("td", null, "num");
    training.append(count(p.samplesTrained) + " samples", el("br"),
      el("small", (p.trainImagesPerSecond === undefined ? "–" : p.trainImagesPerSecond.toFixed(1)) + " img/s · " + seconds(p.trainSeconds)));
    const scores = el("td", null, "num");
    scores.append(pct(p.bestTop1 ? p.bestTop1.raw : null), el("br"), el("small", "EMA " + pct(p.bestTop1 ? p.bestTop1.ema : null)));
    const verdict = el("td");
    verdict.append(verdictBadge(p.verdict, p.verdictReason), el("br"), el("small", "gap " + points(p.gap)));
    const pareto = [p.paretoMacs ? "MACs" : null, p.paretoTime ? "time" : null].filter((x) => x).join(", ");
    const cost = el("td", null, "num");
    cost.append(count(p.macs), el("br"), el("small", count(p.parameters) + " params"));
    tr.append(name, el("td", (p.family || "–") + " · " + p.preset), el("td", knobs(p)), cost,
      el("td", p.state + (p.message ? " (" + p.message + ")" : "")), training, scores, best,
      verdict, el("td", pareto || "–"), recommendationCell(p.recommendation));
    return tr;
  }

  // ------------------------------------------------------------------ loading

  async function showList(selected) {
    const { body: sweeps } = await getJson("/api/sweeps");
    document.getElementById("sweeps-empty").hidden = sweeps.length > 0;
    document.querySelector("#sweeps tbody").replaceChildren(...sweeps.map((s) => {
      const tr = el("tr", null, s.sweepId === selected ? "selected" : "");
      tr.dataset.sweep = s.sweepId;
      const link = el("a", s.sweepId);
      link.href = "#/sweeps/" + encodeURIComponent(s.sweepId);
      const name = el("td");
      name.append(link);
      tr.append(name, el("td", s.dataset || "–"), el("td", count(s.budgetSamples), "num"),
        el("td", s.pointCount, "num"), el("td", s.pointsDone, "num"),
        el("td", s.state + (s.message ? " (" + s.message + ")" : "")),
        el("td", new Date(s.createdAtMs).toLocaleString()));
      return tr;
    }));
  }

  async function showSweep(id) {
    const section = document.getElementById("sweep");
    const error = document.getElementById("sweep-error");
    section.hidden = false;
    document.getElementById("sweep-title").textContent = "Sweep " + id;
    const sweep = await loadOrShowError("/api/sweeps/" + encodeURIComponent(id), error);
    if (sweep === null) return;
    section.dataset.sweep = sweep.sweepId;
    section.dataset.points = String(sweep.points.length);
    document.getElementById("sweep-summary").textContent = (sweep.dataset || "unknown dataset")
      + " · budget " + count(sweep.budgetSamples) + " samples per point · " + sweep.points.length
      + " points · " + sweep.state + (sweep.message ? " (" + sweep.message + ")" : "")
      + " · started " + new Date(sweep.createdAtMs).toLocaleString();
    scatter("scatter-macs", sweep.points, (p) => p.macs, "paretoMacs",
      { log: true, label: "MACs per image (log scale)" });
    scatter("scatter-time", sweep.points, (p) => p.trainSeconds, "paretoTime",
      { log: false, label: "training time (s, the point's own steps)", format: (x) => x.toFixed(0) });
    legend(sweep.points);
    document.querySelector("#sweep-points tbody").replaceChildren(...sweep.points.map(pointRow));
  }

  let timer = null;

  async function refresh() {
    const match = location.hash.match(/^#\/sweeps(?:\/([^/]+))?$/);
    if (!match) return;
    const id = match[1] ? decodeURIComponent(match[1]) : null;
    try {
      await showList(id);
      if (id) await showSweep(id); else document.getElementById("sweep").hidden = true;
    } catch (e) {
      console.warn("study page failed", e);
    }
  }

  function route() {
    const shown = location.hash.startsWith("#/sweeps");
    page.hidden = !shown;
    clearInterval(timer);
    timer = null;
    if (shown) {
      refresh();
      timer = setInterval(refresh, 5000);
    }
  }

  window.addEventListener("hashchange", route);
  route();
})();
