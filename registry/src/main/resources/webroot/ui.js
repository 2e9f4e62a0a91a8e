// Cardinal registry UI: helpers the dashboard (app.js) and the study page (study.js) share.
"use strict";

window.CardinalUi = (function () {
  const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22"];

  function num(v) {
    const n = typeof v === "number" ? v : Number(v);
    return v !== null && v !== undefined && Number.isFinite(n) ? n : null;
  }

  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  function pct(v) {
    return v === null || v === undefined ? "–" : (100 * v).toFixed(2) + "%";
  }

  function fixed(v, digits) {
    return v === null || v === undefined ? "–" : v.toFixed(digits);
  }

  // A difference of two accuracies, in percentage points with its sign.
  function points(v) {
    if (v === null || v === undefined) return "–";
    return (v > 0 ? "+" : v < 0 ? "−" : "") + Math.abs(100 * v).toFixed(2) + " pp";
  }

  // The regularization verdict as a short coloured badge; the reason is its tooltip.
  function verdictBadge(verdict, title) {
    if (!verdict) return el("span", "");
    const badge = el("span", verdict, "badge verdict-" + verdict.replace(/[^a-z-]/g, ""));
    if (title) badge.title = title;
    return badge;
  }

  async function getJson(url) {
    const response = await fetch(url, { headers: { Accept: "application/json" } });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      const error = new Error(body.error || url + ": HTTP " + response.status);
      error.status = response.status;
      throw error;
    }
    return { body, next: response.headers.get("X-Next-Cursor") };
  }

  // Shows a message in a page's error box, or hides the box when message is null.
  function showError(box, message) {
    box.textContent = message || "";
    box.hidden = message === null;
  }

  // A page's own record: the body of url, or null after showing the server's error in errorBox.
  async function loadOrShowError(url, errorBox) {
    try {
      const { body } = await getJson(url);
      showError(errorBox, null);
      return body;
    } catch (e) {
      showError(errorBox, e.message);
      return null;
    }
  }

  return { PALETTE, num, el, pct, fixed, points, verdictBadge, getJson, showError, loadOrShowError };
})();
