// The flow editor: drawflow canvas <-> graph JSON, side panel, live validation,
// autosave, publish. The server validates and stores; this only edits.
import { postJSON, ready } from "../app.js";
import { DEFAULTS, exitsOf, newStepId, setExit, summaryOf } from "./graph.js";
import { startSimulator } from "./simulator.js";

const ICONS = { send: "chat-left-text", ask: "question-circle", condition: "signpost-split", set: "tags", http: "globe", ai: "robot", handoff: "person-raised-hand", wait: "hourglass-split", end: "stop-circle" };
const $ = (id) => document.getElementById(id);
const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

ready(() => {
  const base = $("flows-editor").dataset.base;
  const t = JSON.parse($("flows-i18n").textContent);
  const graph = JSON.parse($("flow-graph").textContent);
  graph.steps = graph.steps || {};
  let problems = JSON.parse($("flow-problems").textContent);
  let selected = null;
  let rendering = false;
  const nodeOf = {}; // step id -> drawflow node id
  const stepOf = {}; // drawflow node id -> step id

  const editor = new window.Drawflow($("drawflow"));
  editor.reroute = false;
  editor.start();

  function nodeHtml(id, step) {
    const mine = problems.filter((p) => p.step_id === id);
    const errs = mine.filter((p) => p.level === "error").length;
    const badge = mine.length ? `<span class="badge ${errs ? "text-bg-danger" : "text-bg-warning"} flow-badge" data-testid="node-badge">${mine.length}</span>` : "";
    const start = graph.start === id ? `<span class="badge text-bg-success">${esc(t.start)}</span> ` : "";
    const labels = exitsOf(step, t).map(([, label]) => `<span>${esc(label)}</span>`).join("");
    return `<div class="flow-node" data-step="${esc(id)}" data-testid="flow-node">${badge}<div class="fw-semibold"><i class="bi bi-${ICONS[step.type] || "square"}"></i> ${start}${esc(step.name || id)}</div><div class="small text-body-secondary text-truncate">${esc(summaryOf(step))}</div><div class="flow-exits">${labels}</div></div>`;
  }

  function render() {
    rendering = true;
    editor.clear();
    for (const k of Object.keys(nodeOf)) delete nodeOf[k];
    Object.entries(graph.steps).forEach(([id, step], i) => {
      step.ui = step.ui || { x: 80 + (i % 4) * 260, y: 40 + Math.floor(i / 4) * 160 };
      const outs = exitsOf(step, t).length;
      const nid = editor.addNode(id, 1, outs, step.ui.x, step.ui.y, `flow-${step.type}`, {}, nodeHtml(id, step));
      nodeOf[id] = nid; stepOf[nid] = id;
    });
    Object.entries(graph.steps).forEach(([id, step]) => {
      exitsOf(step, t).forEach(([, , target], i) => {
        if (target && nodeOf[target]) editor.addConnection(nodeOf[id], nodeOf[target], `output_${i + 1}`, "input_1");
      });
    });
    rendering = false;
    renderProblems();
  }

  function renderProblems() {
    const ul = $("problems");
    ul.innerHTML = problems.length ? problems.map((p) => `<li class="${p.level === "error" ? "text-danger" : "text-warning-emphasis"}" data-testid="problem"><i class="bi bi-${p.level === "error" ? "x-circle" : "exclamation-triangle"}"></i> ${p.step_id ? `<a href="#" data-go="${esc(p.step_id)}">${esc((graph.steps[p.step_id] || {}).name || p.step_id)}</a>: ` : ""}${esc(p.message)}</li>`).join("") : `<li class="text-success">${esc(t.noProblems)}</li>`;
    ul.querySelectorAll("[data-go]").forEach((a) => a.addEventListener("click", (e) => { e.preventDefault(); select(a.dataset.go); }));
    Object.entries(graph.steps).forEach(([id, step]) => {
      const el = document.querySelector(`#node-${nodeOf[id]} .drawflow_content_node`);
      if (el) el.innerHTML = nodeHtml(id, step);
    });
  }

  // ---- changes: debounce validate, autosave
  let timer = null;
  function changed(redraw = false) {
    if (redraw) render();
    $("save-state").textContent = t.unsaved;
    clearTimeout(timer);
    timer = setTimeout(save, 1200);
  }
  async function save() {
    clearTimeout(timer);
    $("save-state").textContent = t.saving;
    const r = await postJSON(`${base}/draft`, graph);
    const data = await r.json().catch(() => ({}));
    if (data.problems) { problems = data.problems; renderProblems(); }
    $("save-state").textContent = r.ok ? t.saved : (data.error || t.saveFailed);
    return r.ok;
  }
  async function validateNow() {
    const r = await postJSON(`${base}/validate`, graph);
    const data = await r.json().catch(() => ({}));
    if (data.problems) { problems = data.problems; renderProblems(); }
  }

  editor.on("nodeMoved", (nid) => {
    const id = stepOf[nid];
    const n = editor.getNodeFromId(nid);
    graph.steps[id].ui = { x: Math.round(n.pos_x), y: Math.round(n.pos_y) };
    changed();
  });
  function onConnection(info, target) {
    if (rendering) return;
    const id = stepOf[info.output_id];
    const step = graph.steps[id];
    const index = parseInt(String(info.output_class).replace("output_", ""), 10) - 1;
    const exit = exitsOf(step, t)[index];
    if (!exit) return;
    if (target) { // one connection per exit: drop the older one
      const out = editor.getNodeFromId(info.output_id).outputs[info.output_class].connections;
      out.filter((c) => String(c.node) !== String(info.input_id)).forEach((c) => editor.removeSingleConnection(info.output_id, c.node, info.output_class, "input_1"));
    }
    setExit(step, exit[0], target ? stepOf[info.input_id] : null);
    changed();
    validateNow();
  }
  editor.on("connectionCreated", (info) => onConnection(info, true));
  editor.on("connectionRemoved", (info) => onConnection(info, false));
  editor.on("nodeSelected", (nid) => select(stepOf[nid]));

  // ---- palette
  document.querySelectorAll("[data-add]").forEach((b) => b.addEventListener("click", () => {
    const type = b.dataset.add;
    const id = newStepId(graph, type);
    graph.steps[id] = { type, name: b.dataset.label, ui: { x: 60 - editor.canvas_x, y: 60 - editor.canvas_y }, ...DEFAULTS[type]() };
    if (!graph.start) graph.start = id;
    changed(true);
    validateNow();
    select(id);
  }));

  // ---- side panel
  function select(id) {
    selected = id;
    const step = graph.steps[id];
    const panel = $("step-panel");
    if (!step) { panel.innerHTML = ""; preview(null); return; }
    const msg = step.message || null;
    const v = step.validation || {};
    const choiceLines = (v.choices || []).map((c) => `${c.id} | ${c.title}`).join("\n");
    const { ui, ...fields } = step;
    panel.innerHTML = `<h2 class="h6"><i class="bi bi-${ICONS[step.type]}"></i> ${esc(id)}</h2>
      <label class="form-label small w-100">${esc(t.name)}<input class="form-control form-control-sm" data-f="name" value="${esc(step.name || "")}" maxlength="80"></label>
      ${msg ? `<label class="form-label small w-100">${esc(t.text)}<textarea class="form-control form-control-sm" data-f="message.text" rows="3" data-testid="field-text">${esc(msg.text || "")}</textarea></label>` : ""}
      ${step.type === "ask" ? `<label class="form-label small w-100">${esc(t.validation)}<select class="form-select form-select-sm" data-f="validation.kind">${["text", "number", "email", "cpf", "cnpj", "cpf_cnpj", "date", "choice"].map((k) => `<option${v.kind === k ? " selected" : ""}>${k}</option>`).join("")}</select></label>
        <label class="form-label small w-100">${esc(t.saveAs)}<input class="form-control form-control-sm" data-f="save_as" value="${esc(step.save_as || "")}"></label>
        <label class="form-label small w-100">${esc(t.invalid)}<input class="form-control form-control-sm" data-f="invalid_message" value="${esc(step.invalid_message || "")}"></label>
        ${v.kind === "choice" ? `<label class="form-label small w-100">${esc(t.choices)}<textarea class="form-control form-control-sm" data-f="choices" rows="4">${esc(choiceLines)}</textarea></label>` : ""}` : ""}
      <details><summary class="small">${esc(t.fields)}</summary><textarea class="form-control form-control-sm font-monospace" rows="10" data-f="json">${esc(JSON.stringify(fields, null, 2))}</textarea>
        <button class="btn btn-sm btn-outline-primary mt-1" data-act="json">${esc(t.apply)}</button></details>
      <div class="d-flex gap-2 mt-2"><button class="btn btn-sm btn-outline-success" data-act="start">${esc(t.setStart)}</button><button class="btn btn-sm btn-outline-danger" data-act="delete">${esc(t.delete)}</button></div>
      <div class="text-danger small" data-err></div>`;
    panel.querySelectorAll("[data-f]").forEach((el) => el.addEventListener(el.tagName === "SELECT" ? "change" : "input", () => edit(id, el)));
    panel.querySelector('[data-act="delete"]').addEventListener("click", () => {
      delete graph.steps[id];
      if (graph.start === id) graph.start = Object.keys(graph.steps)[0] || null;
      Object.values(graph.steps).forEach((s) => exitsOf(s, t).forEach(([f, , target]) => { if (target === id) setExit(s, f, null); }));
      select(null); changed(true); validateNow();
    });
    panel.querySelector('[data-act="start"]').addEventListener("click", () => { graph.start = id; changed(); renderProblems(); validateNow(); });
    panel.querySelector('[data-act="json"]').addEventListener("click", () => {
      try {
        const data = JSON.parse(panel.querySelector('[data-f="json"]').value);
        graph.steps[id] = { ...data, ui: step.ui };
        changed(true); validateNow(); select(id);
      } catch { panel.querySelector("[data-err]").textContent = t.badJson; }
    });
    preview(step);
  }

  let vtimer = null;
  function edit(id, el) {
    const step = graph.steps[id];
    const f = el.dataset.f;
    if (f === "json") return;
    if (f === "name") step.name = el.value;
    else if (f === "message.text") step.message.text = el.value;
    else if (f === "save_as" || f === "invalid_message") step[f] = el.value;
    else if (f === "validation.kind") { step.validation = { ...(step.validation || {}), kind: el.value }; if (el.value === "choice" && !step.validation.choices) step.validation.choices = []; changed(true); select(id); return; }
    else if (f === "choices") {
      const old = step.validation.choices || [];
      step.validation.choices = el.value.split("\n").filter((l) => l.trim()).map((line, i) => {
        const [cid, ...rest] = line.split("|");
        const title = rest.join("|").trim() || cid.trim();
        return { id: cid.trim(), title, description: "", next: (old[i] || {}).next || null };
      });
      clearTimeout(vtimer); vtimer = setTimeout(() => { render(); validateNow(); }, 600);
      changed(); preview(step); return;
    }
    const node = document.querySelector(`#node-${nodeOf[id]} .drawflow_content_node`);
    if (node) node.innerHTML = nodeHtml(id, step);
    preview(step);
    changed();
    clearTimeout(vtimer); vtimer = setTimeout(validateNow, 500);
  }

  function preview(step) {
    const box = $("preview");
    const msg = step && step.message;
    if (!msg) { box.classList.add("d-none"); return; }
    box.classList.remove("d-none");
    let extra = "";
    const choices = (step.validation || {}).choices || [];
    const buttons = msg.kind === "buttons" ? msg.buttons || [] : (choices.length && choices.length <= 3 ? choices : []);
    if (buttons.length) extra = buttons.map((b) => `<div class="wa-button">${esc(b.title)}</div>`).join("");
    else if (msg.kind === "list" || choices.length > 3) extra = `<div class="wa-button"><i class="bi bi-list-ul"></i> ${esc(msg.button || t.seeOptions)}</div>`;
    box.innerHTML = `<div class="wa-bubble">${msg.kind === "media" ? `<div class="small text-body-secondary"><i class="bi bi-paperclip"></i> ${esc(msg.media_type)}</div>` : ""}${esc(msg.text || msg.caption || "")}</div>${extra}`;
  }

  // ---- settings
  const s = graph.settings = graph.settings || {};
  $("set-timeout").value = s.timeout_minutes || 30;
  $("set-timeout-msg").value = s.timeout_message || "";
  $("set-exit").value = (s.exit_keywords || []).join(", ");
  $("set-triggers").value = JSON.stringify(graph.triggers || [], null, 1);
  $("settings-apply").addEventListener("click", async () => {
    s.timeout_minutes = parseInt($("set-timeout").value, 10) || 30;
    s.timeout_message = $("set-timeout-msg").value;
    s.exit_keywords = $("set-exit").value.split(",").map((w) => w.trim()).filter(Boolean);
    try { graph.triggers = JSON.parse($("set-triggers").value || "[]"); } catch { $("save-state").textContent = t.badJson; return; }
    await postJSON(`${base}/settings`, { name: $("set-name").value, number_id: $("set-number").value || null });
    await save();
  });

  $("save-btn").addEventListener("click", save);
  $("publish-btn").addEventListener("click", async () => {
    if (!(await save())) return;
    const r = await postJSON(`${base}/publish`, { note: $("publish-note").value });
    const data = await r.json().catch(() => ({}));
    $("publish-error").classList.toggle("d-none", r.ok);
    $("publish-ok").classList.toggle("d-none", !r.ok);
    if (r.ok) $("publish-ok").textContent = data.message;
    else {
      $("publish-error").textContent = `${t.publishErrors} ${data.error || ""}`;
      if (data.problems) { problems = data.problems; renderProblems(); }
    }
  });

  render();
  startSimulator(base, t, async () => { await save(); });
  window.ClickPro.flowGraph = graph;
});
