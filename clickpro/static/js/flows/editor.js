// The flow editor: drawflow canvas <-> graph JSON, side panel, live validation,
// autosave, publish. The server validates and stores; this only edits.
import { postJSON, ready } from "../app.js";
import { DEFAULTS, exitsOf, newStepId, setExit, summaryOf } from "./graph.js";
import { esc, mountPanel, showProblems } from "./panel.js";
import { startSimulator } from "./simulator.js";
import { mountTriggers } from "./triggers.js";

const ICONS = { send: "chat-left-text", ask: "question-circle", condition: "signpost-split", set: "tags", http: "globe", ai: "robot", handoff: "person-raised-hand", wait: "hourglass-split", end: "stop-circle" };
const $ = (id) => document.getElementById(id);

ready(() => {
  const base = $("flows-editor").dataset.base;
  const t = JSON.parse($("flows-i18n").textContent);
  const graph = JSON.parse($("flow-graph").textContent);
  const lists = JSON.parse($("flow-lists").textContent); // the client's teams, agents, labels, numbers, campaigns
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
    fillPicker();
  }

  function renderProblems() {
    const ul = $("problems");
    ul.innerHTML = problems.length ? problems.map((p) => `<li class="${p.level === "error" ? "text-danger" : "text-warning-emphasis"}" data-testid="problem"><i class="bi bi-${p.level === "error" ? "x-circle" : "exclamation-triangle"}"></i> ${p.step_id ? `<a href="#" data-go="${esc(p.step_id)}">${esc((graph.steps[p.step_id] || {}).name || p.step_id)}</a>: ` : ""}${esc(p.message)}</li>`).join("") : `<li class="text-success">${esc(t.noProblems)}</li>`;
    ul.querySelectorAll("[data-go]").forEach((a) => a.addEventListener("click", (e) => { e.preventDefault(); select(a.dataset.go); }));
    Object.entries(graph.steps).forEach(([id, step]) => {
      const el = document.querySelector(`#node-${nodeOf[id]} .drawflow_content_node`);
      if (el) el.innerHTML = nodeHtml(id, step);
    });
    showProblems($("step-panel"), problems, selected);
    showProblems($("flow-settings"), problems, null);
    showProblems($("triggers"), problems, null);
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
  /** The first grid cell (from the visible top-left) no step covers, so a new step hides none. */
  function freeSpot() {
    const zoom = editor.zoom || 1;
    const x0 = Math.round(-editor.canvas_x / zoom) + 40;
    const y0 = Math.round(-editor.canvas_y / zoom) + 40;
    const cols = Math.max(1, Math.floor(($("drawflow").clientWidth / zoom - 40) / 250));
    const taken = Object.values(graph.steps).map((st) => st.ui || { x: 0, y: 0 });
    for (let n = 0; n < 400; n += 1) {
      const x = x0 + (n % cols) * 250;
      const y = y0 + Math.floor(n / cols) * 150;
      if (!taken.some((u) => Math.abs(u.x - x) < 235 && Math.abs(u.y - y) < 130)) return { x, y };
    }
    return { x: x0, y: y0 };
  }

  document.querySelectorAll("[data-add]").forEach((b) => b.addEventListener("click", () => {
    const type = b.dataset.add;
    const id = newStepId(graph, type);
    graph.steps[id] = { type, name: b.dataset.label, ui: freeSpot(), ...DEFAULTS[type]() };
    if (!graph.start) graph.start = id;
    changed(true);
    validateNow();
    select(id);
  }));

  // ---- side panel (forms: panel.js)
  function hooks(id) {
    return {
      t, graph, lists, icon: ICONS[graph.steps[id].type] || "square",
      changed: (redraw) => stepChanged(id, redraw),
      setStart: () => { graph.start = id; changed(); renderProblems(); validateNow(); },
      deleted: () => {
        delete graph.steps[id];
        if (graph.start === id) graph.start = Object.keys(graph.steps)[0] || null;
        Object.values(graph.steps).forEach((s) => exitsOf(s, t).forEach(([f, , target]) => { if (target === id) setExit(s, f, null); }));
        select(null); changed(true); validateNow();
      },
    };
  }

  function select(id) {
    selected = id && graph.steps[id] ? id : null;
    const panel = $("step-panel");
    fillPicker();
    if (!selected) {
      panel._detach?.();
      panel.innerHTML = `<p class="text-body-secondary small">${esc(t.clickStep)}</p>`;
      preview(null);
      return;
    }
    mountPanel(panel, selected, hooks(selected));
    showProblems(panel, problems, selected);
    preview(graph.steps[selected]);
  }

  let vtimer = null;
  function stepChanged(id, redraw) {
    const step = graph.steps[id];
    if (redraw) render();
    else {
      const node = document.querySelector(`#node-${nodeOf[id]} .drawflow_content_node`);
      if (node) node.innerHTML = nodeHtml(id, step);
    }
    preview(step);
    changed();
    clearTimeout(vtimer); vtimer = setTimeout(validateNow, 500);
  }

  // the step list, for small screens where the canvas is hidden
  function fillPicker() {
    const picker = $("step-picker");
    if (!picker) return;
    picker.innerHTML = `<option value="">${esc(t.chooseStep)}</option>${Object.entries(graph.steps).map(([id, st]) => `<option value="${esc(id)}"${id === selected ? " selected" : ""}>${esc(st.name || id)} (${esc(t[`type_${st.type}`] || st.type)})</option>`).join("")}`;
  }
  $("step-picker")?.addEventListener("change", (e) => select(e.target.value || null));

  function preview(step) {
    const box = $("preview");
    const msg = step && step.message;
    if (!msg || typeof msg !== "object") { box.classList.add("d-none"); return; }
    box.classList.remove("d-none");
    let extra = "";
    const choices = step.type === "ask" && (step.validation || {}).kind === "choice" ? (step.validation.choices || []) : [];
    const buttons = msg.kind === "buttons" ? msg.buttons || [] : (choices.length && choices.length <= 3 ? choices : []);
    const rows = msg.kind === "list" ? (msg.sections || []).flatMap((sec) => (sec.rows || []).map((r, j) => ({ ...r, section: j === 0 ? sec.title : "" }))) : (choices.length > 3 && choices.length <= 10 ? choices : []);
    if (buttons.length) extra = buttons.map((b) => `<div class="wa-button" data-testid="preview-button">${esc(b.title || "…")}</div>`).join("");
    else if (rows.length) {
      extra = `<div class="wa-button"><i class="bi bi-list-ul"></i> ${esc((msg.kind === "list" ? msg.button : step.list_button) || t.seeOptions)}</div>
        <div class="wa-list" data-testid="preview-list">${rows.map((r) => `${r.section ? `<div class="wa-list-section">${esc(r.section)}</div>` : ""}<div class="wa-list-row" data-testid="preview-row"><div>${esc(r.title || "…")}</div>${r.description ? `<div class="small text-body-secondary">${esc(r.description)}</div>` : ""}</div>`).join("")}</div>`;
    } else if (choices.length > 10) extra = `<div class="small text-body-secondary mt-1">${choices.map((c, i) => `${i + 1}. ${esc(c.title)}`).join("<br>")}</div>`;
    let media = "";
    if (msg.kind === "media") {
      const icon = { image: "image", video: "camera-video", audio: "mic", document: "file-earmark-text" }[msg.media_type] || "paperclip";
      const file = String(msg.url || "").split("/").pop() || "";
      media = `<div class="wa-media" data-testid="preview-media"><i class="bi bi-${icon} fs-3"></i><div class="small text-truncate">${esc(msg.filename || file || t[`m_${msg.media_type}`] || msg.media_type || "")}</div></div>`;
    }
    box.innerHTML = `<div class="small text-body-secondary mb-1">${esc(t.preview)}</div><div class="wa-bubble">${media}${esc(msg.text || msg.caption || "")}</div>${extra}`;
  }

  // ---- triggers and settings (triggers.js): live, autosaved with the draft
  mountTriggers($("triggers"), graph, { t, lists, changed: () => { changed(); clearTimeout(vtimer); vtimer = setTimeout(validateNow, 500); } });
  const s = graph.settings = graph.settings || {};
  $("set-timeout").value = Number.isInteger(s.timeout_minutes) ? s.timeout_minutes : 30;
  $("set-timeout-msg").value = s.timeout_message || "";
  $("set-exit").value = (s.exit_keywords || ["atendente"]).join(", ");
  const settingChanged = () => { changed(); clearTimeout(vtimer); vtimer = setTimeout(validateNow, 500); };
  $("set-timeout").addEventListener("input", () => {
    const n = parseInt($("set-timeout").value, 10);
    if (Number.isNaN(n)) delete s.timeout_minutes; else s.timeout_minutes = n;
    settingChanged();
  });
  $("set-timeout-msg").addEventListener("input", () => { s.timeout_message = $("set-timeout-msg").value; settingChanged(); });
  $("set-exit").addEventListener("input", () => { s.exit_keywords = $("set-exit").value.split(",").map((w) => w.trim()).filter(Boolean); settingChanged(); });
  const flowSettings = async () => {
    const r = await postJSON(`${base}/settings`, { name: $("set-name").value, number_id: $("set-number").value || null });
    const data = await r.json().catch(() => ({}));
    $("settings-error").textContent = r.ok ? "" : (data.error || t.saveFailed);
  };
  $("set-name").addEventListener("change", flowSettings);
  $("set-number").addEventListener("change", flowSettings);

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
