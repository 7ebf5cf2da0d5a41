// The simulator pane: the admin talks to the draft as the customer (JSON endpoints).
import { postJSON } from "../app.js";

const $ = (id) => document.getElementById(id);
const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

export function startSimulator(base, t, beforeStart) {
  let runId = null;
  $("sim-chat").innerHTML = `<p class="text-body-secondary small">${esc(t.startFirst)}</p>`;

  function bubble(item, last) {
    const m = item.message || {};
    const text = item.text || m.text || m.caption || "";
    let extra = "";
    if (item.from === "bot" && last) {
      if (m.kind === "buttons") extra = (m.buttons || []).map((b) => `<button class="btn btn-sm btn-outline-success w-100 mt-1" data-reply="${esc(b.id)}" data-testid="sim-button">${esc(b.title)}</button>`).join("");
      if (m.kind === "list") extra = (m.sections || []).flatMap((sec) => sec.rows || []).map((r) => `<button class="btn btn-sm btn-outline-success w-100 mt-1 text-start" data-reply="${esc(r.id)}" data-testid="sim-row">${esc(r.title)}${r.description ? `<br><small>${esc(r.description)}</small>` : ""}</button>`).join("");
    }
    return `<div class="sim-msg sim-${esc(item.from)}" data-testid="sim-${esc(item.from)}"><div class="sim-bubble">${esc(text)}</div>${extra}</div>`;
  }

  function show(data) {
    if (!data || !data.items) return;
    const lastBot = data.items.map((i) => i.from).lastIndexOf("bot");
    $("sim-chat").innerHTML = data.items.map((it, i) => bubble(it, i === lastBot && data.status === "waiting_input")).join("");
    $("sim-chat").scrollTop = $("sim-chat").scrollHeight;
    $("sim-status").textContent = t[data.status] || data.status || "";
    $("sim-status").dataset.status = data.status || "";
    $("sim-vars").innerHTML = Object.entries(data.variables || {}).map(([k, v]) => `<tr data-testid="sim-var"><th>${esc(k)}</th><td>${esc(typeof v === "object" ? JSON.stringify(v) : v)}</td></tr>`).join("");
    $("sim-chat").querySelectorAll("[data-reply]").forEach((b) => b.addEventListener("click", () => send({ reply_id: b.dataset.reply, text: b.textContent })));
  }

  async function call(url, body) {
    $("sim-error").textContent = "";
    const r = await postJSON(url, body);
    const data = await r.json().catch(() => ({}));
    if (!r.ok) { $("sim-error").textContent = data.error || r.statusText; return null; }
    return data;
  }
  async function send(body) {
    if (!runId) return;
    const data = await call(`${base}/simulator/${runId}/input`, body);
    show(data);
  }

  $("sim-start").addEventListener("click", async () => {
    await beforeStart();
    const data = await call(`${base}/simulator`, {});
    if (data) { runId = data.run_id; $("sim-start").innerHTML = `<i class="bi bi-arrow-counterclockwise"></i> ${esc(t.restart)}`; show(data); }
  });
  $("sim-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const text = $("sim-text").value.trim();
    if (!text) return;
    $("sim-text").value = "";
    send({ text });
  });
}
