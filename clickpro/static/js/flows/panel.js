// The step side panel: one form per step type. The forms write exactly the graph JSON
// (schema 1) that clickpro/services/flows/graph.py validates; nobody types JSON.
// Typing changes the step in place (the panel is not redrawn, the cursor stays);
// structural changes (a row added, the message kind or a rule's subject changed)
// redraw the panel. "Avançado (JSON)" stays, collapsed, for power users.
import { exitsOf, setExit, variablesOf } from "./graph.js";

export const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

// interactive.py limits (Meta's): kept here for live counters; the server re-checks.
export const LIMITS = { buttons: 3, buttonTitle: 20, buttonBody: 1024, listButton: 20, rows: 10, sections: 10, rowTitle: 24, rowDesc: 72, sectionTitle: 24, text: 4096, caption: 1024, rules: 20, choices: 50, kv: 30, labels: 50 };
const VAR_OPS = ["eq", "neq", "contains", "starts_with", "gt", "gte", "lt", "lte", "empty", "not_empty", "in"];
const NO_VALUE_OPS = ["empty", "not_empty"];
const VALIDATION_KINDS = ["text", "number", "email", "cpf", "cnpj", "cpf_cnpj", "date", "choice"];
const UNITS = [["s", 1], ["min", 60], ["h", 3600], ["d", 86400]];
const CONTACT_VARS = ["contact.name", "contact.phone", "contact.email"];

let uid = 0;
const nextUid = () => `fp${++uid}`;

// ---------------------------------------------------------------- paths

function getPath(obj, path) {
  return path.split(".").reduce((o, k) => (o == null ? undefined : o[k]), obj);
}

function setPath(obj, path, value) {
  const keys = path.split(".");
  let o = obj;
  keys.slice(0, -1).forEach((k, i) => {
    if (o[k] == null || typeof o[k] !== "object") o[k] = /^\d+$/.test(keys[i + 1]) ? [] : {};
    o = o[k];
  });
  const last = keys[keys.length - 1];
  if (value === undefined) delete o[last];
  else o[last] = value;
}

/** A short, unique id from a title (a-z, 0-9, _), for choices and list rows. */
export function slugId(title, taken) {
  const base = String(title || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
    .replace(/[^a-z0-9]+/g, "_").replace(/^_+|_+$/g, "").slice(0, 40) || "opcao";
  let id = base;
  let n = 2;
  while (taken.has(id)) id = `${base}_${n++}`;
  return id;
}

// ---------------------------------------------------------------- small builders

function opt(value, label, current) {
  return `<option value="${esc(value)}"${String(current ?? "") === String(value) ? " selected" : ""}>${esc(label)}</option>`;
}

/** A labelled field wrapper; `pf` is the graph field its problems attach to. */
function field(label, inner, pf, extra = "") {
  return `<div class="mb-2 flow-field" ${pf != null ? `data-pf="${esc(pf)}"` : ""}><label class="form-label small mb-0 w-100">${esc(label)}${extra}${inner}</label><div class="flow-field-problems"></div></div>`;
}

function counter(max) {
  return max ? `<span class="flow-counter small text-body-secondary float-end" data-counter>0/${max}</span>` : "";
}

export function makeUI(t, lists, graph) {
  const varOptions = () => variablesOf(graph).concat(CONTACT_VARS);

  /** A select that inserts {{variable}} at the cursor of the field `target` (an id). */
  function insertVar(target) {
    return `<select class="form-select form-select-sm flow-insert-var" data-ins="${esc(target)}" aria-label="${esc(t.insertVar)}" title="${esc(t.insertVar)}" data-testid="insert-var"><option value="">{{ }}</option>${varOptions().map((v) => opt(v, v, "")).join("")}</select>`;
  }

  function input(path, value, { max, type = "text", kind, id, placeholder = "", testid, cls = "", vars = false, rerender = false } = {}) {
    const fid = id || nextUid();
    const attrs = `id="${fid}" data-bind="${esc(path)}"${kind ? ` data-kind="${kind}"` : ""}${max ? ` maxlength="${max}"` : ""}${testid ? ` data-testid="${testid}"` : ""}${rerender ? " data-rerender" : ""} placeholder="${esc(placeholder)}"`;
    const el = `<input type="${type}" class="form-control form-control-sm ${cls}" value="${esc(value ?? "")}" ${attrs}>`;
    return vars ? `<div class="input-group input-group-sm flow-var-group">${el}${insertVar(fid)}</div>` : el;
  }

  function textarea(path, value, { max, rows = 3, testid, vars = false } = {}) {
    const fid = nextUid();
    const el = `<textarea class="form-control form-control-sm" id="${fid}" rows="${rows}" data-bind="${esc(path)}"${max ? ` maxlength="${max}"` : ""}${testid ? ` data-testid="${testid}"` : ""}>${esc(value ?? "")}</textarea>`;
    return vars ? `${el}<div class="mt-1">${insertVar(fid)}</div>` : el;
  }

  function select(path, value, options, { kind, testid, rerender = false } = {}) {
    return `<select class="form-select form-select-sm" data-bind="${esc(path)}"${kind ? ` data-kind="${kind}"` : ""}${testid ? ` data-testid="${testid}"` : ""}${rerender ? " data-rerender" : ""}>${options.map(([v, l]) => opt(v, l, value)).join("")}</select>`;
  }

  const pick = (items, none) => (none != null ? [["", none]] : []).concat((items || []).map((x) => [x.id, x.name]));

  /** key → value rows edited together; the dict is rebuilt from the rows on each change. */
  function kvRows(group, dict, { keyLabel, valueLabel, vars = false, testid, keyMax = 64, valueMax = 1000 }) {
    const entries = Object.entries(dict || {});
    const row = ([k, v]) => {
      const raw = typeof v === "string" ? null : JSON.stringify(v);
      const vid = nextUid();
      return `<div class="flow-kv-row d-flex gap-1 mb-1" data-testid="${testid}-row">
        <input class="form-control form-control-sm kv-k" value="${esc(k)}" maxlength="${keyMax}" placeholder="${esc(keyLabel)}" aria-label="${esc(keyLabel)}" data-testid="${testid}-key">
        <input class="form-control form-control-sm kv-v" id="${vid}" value="${esc(raw ?? v)}" maxlength="${valueMax}" placeholder="${esc(valueLabel)}" aria-label="${esc(valueLabel)}"${raw != null ? ` data-raw="${esc(raw)}"` : ""} data-testid="${testid}-value">
        ${vars ? insertVar(vid) : ""}
        <button type="button" class="btn btn-sm btn-outline-danger" data-act="kv-del" aria-label="${esc(t.remove)}"><i class="bi bi-x"></i></button></div>`;
    };
    return `<div data-kv="${esc(group)}" data-pf="${esc(group)}">${entries.map(row).join("")}
      <div class="flow-field-problems"></div>
      <button type="button" class="btn btn-sm btn-outline-secondary" data-act="kv-add" data-testid="${testid}-add"><i class="bi bi-plus"></i> ${esc(t.addRow)}</button>
      <template>${row(["", ""])}</template></div>`;
  }

  // ------------------------------------------------------------ message (send/end/handoff)

  function messageForm(msg, { kinds = true, optional = false } = {}) {
    const m = msg || {};
    const kind = m.kind || "text";
    let html = kinds ? field(t.kind, select("message.kind", kind, [["text", t.kText], ["buttons", t.kButtons], ["list", t.kList], ["media", t.kMedia]], { testid: "field-kind", rerender: true }), "message.kind") : "";
    if (kind === "media") {
      html += field(t.mediaType, select("message.media_type", m.media_type || "image", [["image", t.mImage], ["document", t.mDocument], ["video", t.mVideo], ["audio", t.mAudio]], { testid: "field-media-type" }), "message.media_type");
      html += field(t.mediaUrl, input("message.url", m.url, { max: 2000, type: "url", placeholder: "https://", testid: "field-media-url", vars: true }), "message.url");
      html += `<p class="small text-body-secondary">${esc(t.mediaHelp)}</p>`;
      html += field(t.caption, textarea("message.caption", m.caption, { max: LIMITS.caption, rows: 2, vars: true }), "message.caption", counter(LIMITS.caption));
      if (m.media_type === "document") html += field(t.filename, input("message.filename", m.filename, { max: 240 }), "message.filename");
      return html;
    }
    const bodyMax = kind === "buttons" ? LIMITS.buttonBody : LIMITS.text;
    html += field(optional ? t.textOptional : t.text, textarea("message.text", m.text, { max: bodyMax, testid: "field-text", vars: true }), "message.text", counter(bodyMax));
    if (kind === "buttons") {
      const buttons = Array.isArray(m.buttons) ? m.buttons : [];
      html += `<div class="mb-2" data-pf="message.buttons"><div class="small fw-semibold">${esc(t.buttons)} <span class="text-body-secondary" data-testid="buttons-count">${buttons.length}/${LIMITS.buttons}</span></div>
        ${buttons.map((b, i) => `<div class="d-flex gap-1 mb-1 align-items-start" data-pf="message.buttons.${i}.title"><div class="flex-grow-1">${input(`message.buttons.${i}.title`, b.title, { max: LIMITS.buttonTitle, testid: "field-button", placeholder: t.buttonTitle })}<div class="d-flex justify-content-end">${counter(LIMITS.buttonTitle)}</div><div class="flow-field-problems"></div></div>
          <button type="button" class="btn btn-sm btn-outline-danger" data-act="list-del" data-arg="message.buttons.${i}" aria-label="${esc(t.remove)}"><i class="bi bi-x"></i></button></div>`).join("")}
        <div class="flow-field-problems"></div>
        <button type="button" class="btn btn-sm btn-outline-secondary" data-act="button-add" data-testid="button-add"${buttons.length >= LIMITS.buttons ? " disabled" : ""}><i class="bi bi-plus"></i> ${esc(t.addButton)}</button>
        ${buttons.length >= LIMITS.buttons ? `<div class="small text-body-secondary">${esc(t.maxButtons)}</div>` : ""}</div>`;
    }
    if (kind === "list") {
      const sections = Array.isArray(m.sections) ? m.sections : [];
      const total = sections.reduce((n, s) => n + ((s && s.rows) || []).length, 0);
      html += field(t.listButton, input("message.button", m.button, { max: LIMITS.listButton, placeholder: t.seeOptions }), "message.button", counter(LIMITS.listButton));
      html += `<div class="mb-2" data-pf="message.sections"><div class="small fw-semibold">${esc(t.listRows)} <span class="${total > LIMITS.rows ? "text-danger" : "text-body-secondary"}" data-testid="rows-count">${total}/${LIMITS.rows}</span></div>
        ${sections.map((s, i) => `<div class="border rounded p-1 mb-1" data-testid="list-section">
          <div class="d-flex gap-1 mb-1">${input(`message.sections.${i}.title`, s.title, { max: LIMITS.sectionTitle, placeholder: t.sectionTitle })}
            <button type="button" class="btn btn-sm btn-outline-danger" data-act="list-del" data-arg="message.sections.${i}" aria-label="${esc(t.remove)}"><i class="bi bi-x"></i></button></div>
          ${((s && s.rows) || []).map((r, j) => `<div class="d-flex gap-1 mb-1 ms-2 align-items-start" data-pf="message.sections.${i}.rows.${j}"><div class="flex-grow-1">${input(`message.sections.${i}.rows.${j}.title`, r.title, { max: LIMITS.rowTitle, placeholder: t.rowTitle, testid: "field-row" })}${input(`message.sections.${i}.rows.${j}.description`, r.description, { max: LIMITS.rowDesc, placeholder: t.rowDescription, cls: "mt-1" })}<div class="flow-field-problems"></div></div>
            <button type="button" class="btn btn-sm btn-outline-danger" data-act="list-del" data-arg="message.sections.${i}.rows.${j}" aria-label="${esc(t.remove)}"><i class="bi bi-x"></i></button></div>`).join("")}
          <button type="button" class="btn btn-sm btn-link" data-act="row-add" data-arg="${i}" data-testid="row-add"${total >= LIMITS.rows ? " disabled" : ""}><i class="bi bi-plus"></i> ${esc(t.addListRow)}</button></div>`).join("")}
        <div class="flow-field-problems"></div>
        <button type="button" class="btn btn-sm btn-outline-secondary" data-act="section-add"${sections.length >= LIMITS.sections || total >= LIMITS.rows ? " disabled" : ""}><i class="bi bi-plus"></i> ${esc(t.addSection)}</button>
        ${total >= LIMITS.rows ? `<div class="small text-body-secondary">${esc(t.maxRows)}</div>` : ""}</div>`;
    }
    return html;
  }

  // ------------------------------------------------------------ per type

  function askForm(step) {
    const v = step.validation || {};
    const kind = v.kind || "text";
    let html = field(t.text, textarea("message.text", (step.message || {}).text, { max: LIMITS.text, testid: "field-text", vars: true }), "message.text");
    html += field(t.validation, select("validation.kind", kind, VALIDATION_KINDS.map((k) => [k, t[`v_${k}`] || k]), { testid: "field-validation", rerender: true }), "validation.kind");
    if (kind === "number") html += `<div class="d-flex gap-2">${field(t.min, input("validation.min", v.min, { type: "number", kind: "optnum" }), "validation.min")}${field(t.max, input("validation.max", v.max, { type: "number", kind: "optnum" }), "validation.max")}</div>`;
    if (kind === "choice") {
      const choices = Array.isArray(v.choices) ? v.choices : [];
      const max = choices.length <= LIMITS.rows ? LIMITS.rowTitle : 200;
      html += `<div class="mb-2" data-pf="validation.choices"><div class="small fw-semibold">${esc(t.choices)} <span class="text-body-secondary">${choices.length}</span></div>
        <div class="small text-body-secondary mb-1">${esc(choices.length <= LIMITS.buttons ? t.choicesAsButtons : choices.length <= LIMITS.rows ? t.choicesAsList : t.choicesAsText)}</div>
        ${choices.map((c, i) => `<div class="d-flex gap-1 mb-1 align-items-start" data-pf="validation.choices.${i}"><div class="flex-grow-1">${input(`validation.choices.${i}.title`, c.title, { max, placeholder: t.choiceTitle, testid: "field-choice" })}<div class="d-flex justify-content-end">${counter(choices.length <= LIMITS.buttons ? LIMITS.buttonTitle : max)}</div><div class="flow-field-problems"></div></div>
          <button type="button" class="btn btn-sm btn-outline-danger" data-act="list-del" data-arg="validation.choices.${i}" aria-label="${esc(t.remove)}"><i class="bi bi-x"></i></button></div>`).join("")}
        <div class="flow-field-problems"></div>
        <button type="button" class="btn btn-sm btn-outline-secondary" data-act="choice-add" data-testid="choice-add"${choices.length >= LIMITS.choices ? " disabled" : ""}><i class="bi bi-plus"></i> ${esc(t.addChoice)}</button></div>`;
      if (choices.length > LIMITS.buttons) html += field(t.listButton, input("list_button", step.list_button, { max: LIMITS.listButton, placeholder: t.seeOptions }), "list_button", counter(LIMITS.listButton));
    }
    html += field(t.saveAs, input("save_as", step.save_as, { max: 64, testid: "field-save-as" }), "save_as");
    const target = step.save_to_contact || "";
    const toAttr = target && !["name", "email"].includes(target);
    html += field(t.saveToContact, select("save_to_contact", toAttr ? "__attr" : target, [["", t.noContactSave], ["name", t.cName], ["email", t.cEmail], ["__attr", t.attribute]], { rerender: true }), "save_to_contact");
    if (toAttr) html += field(t.attributeName, input("save_to_contact", target, { max: 64, testid: "field-save-attr" }), "save_to_contact");
    html += field(t.invalid, input("invalid_message", step.invalid_message, { max: LIMITS.text, vars: true }), "invalid_message");
    html += field(t.attempts, input("max_attempts", step.max_attempts ?? 3, { type: "number", kind: "optint" }), "max_attempts");
    return html;
  }

  function ruleForm(rule, i, nRules) {
    const c = (rule && rule.if) || {};
    const p = `rules.${i}.if`;
    const src = c.source || "var";
    let body = field(t.subject, select(`${p}.source`, src, [["var", t.sVar], ["contact", t.sContact], ["business_hours", t.sHours], ["time", t.sTime], ["number", t.sNumber], ["label", t.sLabel]], { testid: "rule-source", rerender: true }), `${p}.source`);
    const opsOf = (ops) => ops.map((o) => [o, t[`op_${o}`] || o]);
    const valueField = () => (NO_VALUE_OPS.includes(c.op) ? "" : field(c.op === "in" ? t.valueIn : t.value, input(`${p}.value`, c.value, { max: 1000, testid: "rule-value", vars: true }), `${p}.value`));
    if (src === "var") {
      const known = variablesOf(graph);
      const listId = nextUid();
      body += field(t.variable, `<input class="form-control form-control-sm" list="${listId}" data-bind="${p}.name" value="${esc(c.name || "")}" maxlength="64" data-testid="rule-var"><datalist id="${listId}">${known.map((v) => `<option value="${esc(v)}">`).join("")}</datalist>`, `${p}.name`);
      body += field(t.operator, select(`${p}.op`, c.op || "eq", opsOf(VAR_OPS), { testid: "rule-op", rerender: true }), `${p}.op`) + valueField();
    } else if (src === "contact") {
      const f = c.field || "name";
      const isAttr = f.startsWith("attr:");
      body += field(t.contactField, select(`${p}.field`, isAttr ? "attr:" : f, [["name", t.cName], ["phone", t.cPhone], ["email", t.cEmail], ["attr:", t.attribute]], { kind: "contactfield", rerender: true }), `${p}.field`);
      if (isAttr) body += field(t.attributeName, input(`${p}.field`, f.slice(5), { max: 64, kind: "attrfield", testid: "rule-attr" }), `${p}.field`);
      body += field(t.operator, select(`${p}.op`, c.op || "eq", opsOf(VAR_OPS), { testid: "rule-op", rerender: true }), `${p}.op`) + valueField();
    } else if (src === "business_hours") {
      body += field(t.operator, select(`${p}.op`, c.op || "open", [["open", t.op_open], ["closed", t.op_closed]], { testid: "rule-op" }), `${p}.op`);
      body += field(t.hoursOf, select(`${p}.team_id`, c.team_id ?? "", pick(lists.teams, t.conversationTeam), { kind: "nullint" }), `${p}.team_id`);
    } else if (src === "time") {
      body += `<div class="d-flex gap-2">${field(t.from, input(`${p}.from`, c.from || "08:00", { type: "time" }), `${p}.from`)}${field(t.to, input(`${p}.to`, c.to || "18:00", { type: "time" }), `${p}.to`)}</div>`;
      const days = Array.isArray(c.weekdays) ? c.weekdays : [];
      body += `<div class="mb-2 small" data-pf="${p}.weekdays">${esc(t.weekdays)}<div class="d-flex flex-wrap gap-2">${t.weekdayNames.map((d, n) => `<label class="form-check-label"><input type="checkbox" class="form-check-input" data-weekday="${i}" value="${n}"${days.includes(n) ? " checked" : ""}> ${esc(d)}</label>`).join("")}</div><div class="text-body-secondary">${esc(t.weekdaysHelp)}</div><div class="flow-field-problems"></div></div>`;
    } else if (src === "number") {
      body += field(t.numberIs, select(`${p}.value`, c.value ?? "", pick(lists.numbers, t.choose), { kind: "nullint", testid: "rule-number" }), `${p}.value`);
    } else if (src === "label") {
      body += field(t.operator, select(`${p}.op`, c.op || "has", [["has", t.op_has], ["not_has", t.op_not_has]], { testid: "rule-op" }), `${p}.op`);
      body += field(t.label, select(`${p}.value`, c.value ?? "", pick(lists.labels, t.choose), { kind: "nullint", testid: "rule-label" }), `${p}.value`);
      if (!(lists.labels || []).length) body += `<p class="small text-warning-emphasis">${esc(t.noLabels)}</p>`;
    }
    return `<div class="border rounded p-2 mb-2 flow-rule" data-testid="rule" data-pf="rules.${i}"><div class="d-flex align-items-center mb-1"><span class="fw-semibold small me-auto">${esc(t.rule)} #${i + 1}</span>
      ${i > 0 ? `<button type="button" class="btn btn-sm btn-link p-0 me-1" data-act="rule-up" data-arg="${i}" aria-label="${esc(t.moveUp)}"><i class="bi bi-arrow-up"></i></button>` : ""}
      <button type="button" class="btn btn-sm btn-outline-danger" data-act="list-del" data-arg="rules.${i}" aria-label="${esc(t.remove)}"${nRules <= 1 ? " disabled" : ""}><i class="bi bi-x"></i></button></div>
      ${body}<div class="flow-field-problems"></div>${exitSelect(`rules.${i}.next`, `${t.then} →`, rule && rule.next)}</div>`;
  }

  function conditionForm(step) {
    const rules = Array.isArray(step.rules) ? step.rules : [];
    return `<p class="small text-body-secondary">${esc(t.conditionHelp)}</p><div data-pf="rules">${rules.map((r, i) => ruleForm(r, i, rules.length)).join("")}<div class="flow-field-problems"></div></div>
      <button type="button" class="btn btn-sm btn-outline-secondary mb-2" data-act="rule-add" data-testid="rule-add"${rules.length >= LIMITS.rules ? " disabled" : ""}><i class="bi bi-plus"></i> ${esc(t.addRule)}</button>
      <div class="border rounded p-2 mb-2">${exitSelect("else", `${t.otherwise} →`, step.else)}</div>`;
  }

  function setForm(step) {
    const labels = lists.labels || [];
    const checks = (key) => (labels.length
      ? `<div class="d-flex flex-wrap gap-2" data-labels="${key}">${labels.map((l) => `<label class="form-check-label small"><input type="checkbox" class="form-check-input" value="${l.id}"${(step[key] || []).includes(l.id) ? " checked" : ""} data-testid="${key}-${l.id}"> ${esc(l.name)}</label>`).join("")}</div>`
      : `<p class="small text-body-secondary mb-0">${esc(t.noLabels)}</p>`);
    return `<div class="mb-2" data-pf="add_labels"><div class="small fw-semibold">${esc(t.addLabels)}</div>${checks("add_labels")}<div class="flow-field-problems"></div></div>
      <div class="mb-2" data-pf="remove_labels"><div class="small fw-semibold">${esc(t.removeLabels)}</div>${checks("remove_labels")}<div class="flow-field-problems"></div></div>
      <div class="mb-2"><div class="small fw-semibold">${esc(t.setAttributes)}</div><div class="small text-body-secondary">${esc(t.setAttributesHelp)}</div>${kvRows("attributes", step.attributes, { keyLabel: t.attributeName, valueLabel: t.value, vars: true, testid: "attr" })}</div>
      <div class="mb-2"><div class="small fw-semibold">${esc(t.setVariables)}</div>${kvRows("variables", step.variables, { keyLabel: t.variable, valueLabel: t.value, vars: true, testid: "var" })}</div>`;
  }

  function httpForm(step) {
    const custom = Object.prototype.hasOwnProperty.call(step, "body");
    return field(t.url, input("url", step.url, { max: 2000, type: "url", placeholder: "https://", testid: "field-url", vars: true }), "url")
      + `<p class="small text-body-secondary">${esc(t.urlHelp)}</p>`
      + `<div class="d-flex gap-2">${field(t.method, select("method", step.method || "POST", [["POST", "POST"], ["GET", "GET"]], { rerender: true }), "method")}${field(t.timeout, input("timeout_s", step.timeout_s ?? 10, { type: "number", kind: "optint", testid: "field-timeout" }), "timeout_s")}</div>`
      + ((step.method || "POST") === "POST" ? `<div class="mb-2"><div class="small fw-semibold">${esc(t.body)}</div>
        <div class="form-check small"><input class="form-check-input" type="radio" name="bodymode" value="all" id="bm-all"${custom ? "" : " checked"} data-bodymode><label class="form-check-label" for="bm-all">${esc(t.bodyAll)}</label></div>
        <div class="form-check small"><input class="form-check-input" type="radio" name="bodymode" value="custom" id="bm-custom"${custom ? " checked" : ""} data-bodymode data-testid="body-custom"><label class="form-check-label" for="bm-custom">${esc(t.bodyCustom)}</label></div>
        ${custom ? kvRows("body", step.body && typeof step.body === "object" ? step.body : {}, { keyLabel: t.jsonField, valueLabel: t.value, vars: true, testid: "body" }) : ""}</div>` : "")
      + `<div class="mb-2"><div class="small fw-semibold">${esc(t.responseMap)}</div><div class="small text-body-secondary">${esc(t.responseMapHelp)}</div>${kvRows("map", step.map, { keyLabel: t.variable, valueLabel: t.responsePath, testid: "map", valueMax: 1000 })}</div>`
      + `<details class="mb-2"><summary class="small">${esc(t.headers)}</summary>${kvRows("headers", step.headers, { keyLabel: t.headerName, valueLabel: t.value, vars: true, testid: "header" })}</details>`;
  }

  function handoffForm(step) {
    return field(t.team, select("team_id", step.team_id ?? "", pick(lists.teams, t.teamDefault), { kind: "nullint", testid: "field-team" }), "team_id")
      + (!(lists.teams || []).length ? `<p class="small text-body-secondary">${esc(t.noTeams)}</p>` : "")
      + field(t.agent, select("user_id", step.user_id ?? "", pick(lists.agents, t.agentDefault), { kind: "nullint", testid: "field-agent" }), "user_id")
      + field(t.priority, select("priority", step.priority || "normal", [["normal", t.pNormal], ["urgent", t.pUrgent]]), "priority")
      + field(t.handoffMessage, textarea("message.text", (step.message || {}).text, { max: LIMITS.text, rows: 2, testid: "field-text", vars: true }), "message.text")
      + field(t.note, textarea("note", step.note, { max: LIMITS.text, rows: 2, vars: true }), "note")
      + `<p class="small text-body-secondary">${esc(t.noteHelp)}</p>`;
  }

  function waitForm(step) {
    const secs = Number.isInteger(step.seconds) ? step.seconds : 60;
    const [unit, mult] = [...UNITS].reverse().find(([, m]) => secs % m === 0 && secs >= m) || UNITS[0];
    return `<div class="d-flex gap-2" data-pf="seconds"><label class="form-label small mb-0">${esc(t.duration)}<input type="number" min="1" class="form-control form-control-sm" data-wait="n" value="${secs / mult}" data-testid="field-wait"></label>
      <label class="form-label small mb-0">${esc(t.unit)}<select class="form-select form-select-sm" data-wait="unit" data-testid="field-wait-unit">${UNITS.map(([u, m]) => `<option value="${m}"${u === unit ? " selected" : ""}>${esc(t[`u_${u}`])}</option>`).join("")}</select></label></div><div data-pf="seconds"><div class="flow-field-problems"></div></div>
      <p class="small text-body-secondary">${esc(t.waitHelp)}</p>`;
  }

  function aiForm(step) {
    return field(t.aiInstructions, textarea("instructions", step.instructions, { max: LIMITS.text, rows: 4, testid: "field-instructions", vars: true }), "instructions")
      + `<p class="small text-body-secondary">${esc(t.aiHelp)}</p>`
      + field(t.saveAs, input("save_as", step.save_as, { max: 64, placeholder: "resposta_ia" }), "save_as")
      + `<div class="form-check small mb-2"><input class="form-check-input" type="checkbox" id="ai-send" data-bind="send" data-kind="bool"${step.send === false ? "" : " checked"}><label class="form-check-label" for="ai-send">${esc(t.aiSend)}</label></div>`;
  }

  // ------------------------------------------------------------ exits

  function exitSelect(fieldName, label, target) {
    const options = [["", t.notConnected]].concat(Object.entries(graph.steps).filter(([id]) => id !== currentId).map(([id, s]) => [id, `${s.name || id} (${id})`]));
    return `<div class="d-flex gap-2 align-items-center small flow-exit" data-pf="${esc(fieldName)}"><span class="text-nowrap">${esc(label)}</span><select class="form-select form-select-sm${target ? "" : " is-warning"}" data-exit="${esc(fieldName)}" data-testid="exit-${esc(fieldName)}">${options.map(([v, l]) => opt(v, l, target || "")).join("")}</select></div><div data-pf="${esc(fieldName)}"><div class="flow-field-problems"></div></div>`;
  }

  let currentId = null;

  function exitsBlock(step) {
    const inline = step.type === "condition";
    const exits = exitsOf(step, t).filter(([f]) => !(inline && (f === "else" || f.startsWith("rules."))));
    if (!exits.length) return "";
    return `<div class="mt-2 mb-2"><div class="small fw-semibold">${esc(t.exits)}</div>${exits.map(([f, label, target]) => exitSelect(f, `${label} →`, target)).join("")}</div>`;
  }

  /** The form of step `id` (HTML). */
  function form(id, step) {
    currentId = id;
    const { ui, ...fields } = step;
    const body = {
      send: () => messageForm(step.message),
      ask: () => askForm(step),
      condition: () => conditionForm(step),
      set: () => setForm(step),
      http: () => httpForm(step),
      ai: () => aiForm(step),
      handoff: () => handoffForm(step),
      wait: () => waitForm(step),
      end: () => field(t.endMessage, textarea("message.text", (step.message || {}).text, { max: LIMITS.text, rows: 2, testid: "field-text", vars: true }), "message.text"),
    }[step.type];
    return `${field(t.name, input("name", step.name, { max: 80, testid: "field-name" }), "name")}
      <div class="flow-step-problems" data-pf=""><div class="flow-field-problems"></div></div>
      ${body ? body() : ""}${exitsBlock(step)}
      <details class="mt-2"><summary class="small">${esc(t.advanced)}</summary><textarea class="form-control form-control-sm font-monospace" rows="10" data-json>${esc(JSON.stringify(fields, null, 2))}</textarea>
        <button type="button" class="btn btn-sm btn-outline-primary mt-1" data-act="json">${esc(t.apply)}</button><div class="text-danger small" data-json-err></div></details>`;
  }

  return { form, kvRows, input, select, textarea, field, pick, insertVar };
}

// ---------------------------------------------------------------- wiring

/** Rebuild a key → value group's dict from its rows (empty keys skipped). */
function readKv(box) {
  const out = {};
  box.querySelectorAll(":scope > .flow-kv-row").forEach((row) => {
    const k = row.querySelector(".kv-k").value.trim();
    const vEl = row.querySelector(".kv-v");
    if (!k) return;
    let v = vEl.value;
    if (vEl.dataset.raw != null && v === vEl.dataset.raw) v = JSON.parse(vEl.dataset.raw); // untouched non-text value
    out[k] = v;
  });
  return out;
}

function coerce(el) {
  const kind = el.dataset.kind;
  const v = el.type === "checkbox" ? el.checked : el.value;
  if (kind === "bool") return Boolean(v);
  if (kind === "nullint") return v === "" ? null : parseInt(v, 10);
  if (kind === "optint") return v === "" ? undefined : (Number.isNaN(parseInt(v, 10)) ? undefined : parseInt(v, 10));
  if (kind === "optnum") return v === "" ? undefined : (Number.isNaN(Number(v)) ? undefined : Number(v));
  return v;
}

function updateCounters(root) {
  root.querySelectorAll("[data-counter]").forEach((c) => {
    const box = c.closest(".flow-field, [data-pf]");
    const el = box && box.querySelector("input[maxlength], textarea[maxlength]");
    if (!el) return;
    const max = parseInt(el.getAttribute("maxlength"), 10);
    c.textContent = `${el.value.length}/${max}`;
    c.classList.toggle("text-danger", el.value.length >= max);
  });
}

const CONDITION_DEFAULTS = {
  var: () => ({ source: "var", name: "", op: "eq", value: "" }),
  contact: () => ({ source: "contact", field: "name", op: "eq", value: "" }),
  business_hours: () => ({ source: "business_hours", op: "open" }),
  time: () => ({ source: "time", op: "between", from: "08:00", to: "18:00" }),
  number: (lists) => ({ source: "number", op: "eq", value: (lists.numbers || [])[0] ? lists.numbers[0].id : null }),
  label: (lists) => ({ source: "label", op: "has", value: (lists.labels || [])[0] ? lists.labels[0].id : null }),
};

function convertMessage(msg, kind, t) {
  const text = msg.text || msg.caption || "";
  if (kind === "text") return { kind, text };
  if (kind === "buttons") return { kind, text, buttons: Array.isArray(msg.buttons) && msg.buttons.length ? msg.buttons : [{ id: "btn_1", title: "" }] };
  if (kind === "list") return { kind, text, button: msg.button || t.seeOptions, sections: Array.isArray(msg.sections) && msg.sections.length ? msg.sections : [{ title: "", rows: [auto({ id: "opcao", title: "", description: "" })] }] };
  return { kind: "media", media_type: msg.media_type || "image", url: msg.url || "", caption: text };
}

function rowIds(msg, except = null) {
  return new Set((msg.sections || []).flatMap((s) => (s.rows || []).filter((r) => r !== except).map((r) => r.id)).filter(Boolean));
}

/** Options created in this page whose id still follows their title. */
const autoIds = new WeakSet();
const auto = (x) => { autoIds.add(x); return x; };

/**
 * Draw and wire the panel of step `id` into `root`.
 * hooks: { changed(redraw), rerender(), onExit(), deleted(), setStart(), lists, t, graph }
 */
export function mountPanel(root, id, hooks) {
  const { t, graph, lists } = hooks;
  const step = graph.steps[id];
  if (typeof step.message === "string") step.message = { kind: "text", text: step.message }; // the short form graph.py accepts
  const ui = makeUI(t, lists, graph);
  root.innerHTML = `<h2 class="h6"><i class="bi bi-${hooks.icon}"></i> ${esc(id)} <span class="badge text-bg-light">${esc(t[`type_${step.type}`] || step.type)}</span></h2>${ui.form(id, step)}
    <div class="d-flex gap-2 mt-2"><button type="button" class="btn btn-sm btn-outline-success" data-act="start">${esc(t.setStart)}</button><button type="button" class="btn btn-sm btn-outline-danger" data-act="delete">${esc(t.delete)}</button></div>`;
  updateCounters(root);

  const redraw = () => mountPanel(root, id, hooks);

  root.addEventListener("input", onInput);
  root.addEventListener("change", onChange);
  root.addEventListener("click", onClick);
  // the listeners are per mount: remove them when the panel is drawn again
  const detach = () => { root.removeEventListener("input", onInput); root.removeEventListener("change", onChange); root.removeEventListener("click", onClick); };
  root._detach?.();
  root._detach = detach;

  function bindValue(el) {
    const path = el.dataset.bind;
    const kind = el.dataset.kind;
    if (kind === "contactfield") {
      const cur = getPath(step, path) || "";
      setPath(step, path, el.value === "attr:" ? (cur.startsWith("attr:") ? cur : "attr:") : el.value);
    } else if (kind === "attrfield") setPath(step, path, `attr:${el.value.trim()}`);
    else if (path === "save_to_contact") {
      if (el.tagName === "SELECT" && el.value === "__attr") step.save_to_contact = step.save_to_contact && !["name", "email"].includes(step.save_to_contact) ? step.save_to_contact : step.save_as || "campo";
      else if (el.value.trim() === "") delete step.save_to_contact;
      else step.save_to_contact = el.value.trim();
    } else if (path === "validation.kind") {
      step.validation = { ...(step.validation || {}), kind: el.value };
      if (el.value === "choice" && !Array.isArray(step.validation.choices)) step.validation.choices = [];
      if (el.value !== "choice") { delete step.validation.choices; delete step.list_button; }
      if (el.value !== "number") { delete step.validation.min; delete step.validation.max; }
      if (el.value === "choice") delete step.next; else step.next = step.next ?? null;
    } else if (path === "message.kind") step.message = convertMessage(step.message || {}, el.value, t);
    else if (/^rules\.\d+\.if\.source$/.test(path)) {
      const i = +path.split(".")[1];
      step.rules[i] = { ...step.rules[i], if: CONDITION_DEFAULTS[el.value](lists) };
    } else if (/\.op$/.test(path) && NO_VALUE_OPS.includes(el.value)) {
      setPath(step, path, el.value);
      delete getPath(step, path.replace(/\.op$/, "")).value;
    } else if (path === "message.text" && (step.type === "end" || step.type === "handoff")) {
      if (el.value) step.message = step.message && step.message.kind && step.message.kind !== "text" ? { ...step.message, text: el.value } : { kind: "text", text: el.value };
      else delete step.message; // the optional message left empty
    } else setPath(step, path, coerce(el));
    const titled = /^validation\.choices\.\d+\.title$/.test(path) ? step.validation.choices[+path.split(".")[2]]
      : /^message\.sections\.\d+\.rows\.\d+\.title$/.test(path) ? step.message.sections[+path.split(".")[2]].rows[+path.split(".")[4]] : null;
    if (titled && autoIds.has(titled)) { // a new option's id follows its title (the server needs a-z, 0-9, _)
      const taken = titled.next !== undefined ? new Set(step.validation.choices.filter((x) => x !== titled).map((x) => x.id)) : rowIds(step.message, titled);
      titled.id = slugId(el.value, taken);
    }
  }

  function onInput(e) {
    const el = e.target;
    if (el.dataset.bind && el.tagName !== "SELECT" && el.type !== "checkbox") { bindValue(el); after(); }
    else if (el.closest("[data-kv]") && el.matches("input")) { const box = el.closest("[data-kv]"); step[box.dataset.kv] = readKv(box); after(); }
    else if (el.dataset.wait) { setWait(); after(); }
  }

  function onChange(e) {
    const el = e.target;
    if (el.dataset.ins != null) { insert(el); return; }
    if (el.dataset.exit != null) {
      setExit(step, el.dataset.exit, el.value || null);
      hooks.changed(true);
      redraw();
      return;
    }
    if (el.dataset.bind && (el.tagName === "SELECT" || el.type === "checkbox")) {
      bindValue(el);
      if (el.dataset.rerender != null) { hooks.changed(true); redraw(); return; }
      after();
      return;
    }
    if (el.closest("[data-labels]")) {
      const box = el.closest("[data-labels]");
      step[box.dataset.labels] = [...box.querySelectorAll("input:checked")].map((x) => parseInt(x.value, 10));
      after();
    } else if (el.dataset.weekday != null) {
      const i = +el.dataset.weekday;
      const days = [...root.querySelectorAll(`[data-weekday="${i}"]:checked`)].map((x) => +x.value);
      if (days.length) step.rules[i].if.weekdays = days; else delete step.rules[i].if.weekdays;
      after();
    } else if (el.dataset.bodymode != null) {
      if (el.value === "custom") step.body = step.body && typeof step.body === "object" ? step.body : {};
      else delete step.body;
      hooks.changed(); redraw();
    } else if (el.dataset.wait) { setWait(); after(); }
  }

  function setWait() {
    const n = parseFloat(root.querySelector('[data-wait="n"]').value);
    const mult = parseInt(root.querySelector('[data-wait="unit"]').value, 10);
    step.seconds = Number.isFinite(n) && n > 0 ? Math.round(n * mult) : null;
  }

  function insert(sel) {
    const target = document.getElementById(sel.dataset.ins);
    const name = sel.value;
    sel.value = "";
    if (!target || !name) return;
    const token = `{{${name}}}`;
    const start = target.selectionStart ?? target.value.length;
    const end = target.selectionEnd ?? target.value.length;
    target.value = target.value.slice(0, start) + token + target.value.slice(end);
    target.focus();
    target.setSelectionRange?.(start + token.length, start + token.length);
    target.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function onClick(e) {
    const b = e.target.closest("[data-act]");
    if (!b || !root.contains(b)) return;
    const act = b.dataset.act;
    const arg = b.dataset.arg;
    if (act === "kv-add") {
      const box = b.closest("[data-kv]");
      b.insertAdjacentHTML("beforebegin", box.querySelector(":scope > template").innerHTML);
      box.querySelectorAll(":scope > .flow-kv-row")[box.querySelectorAll(":scope > .flow-kv-row").length - 1].querySelector(".kv-k").focus();
      return;
    }
    if (act === "kv-del") {
      const box = b.closest("[data-kv]");
      b.closest(".flow-kv-row").remove();
      step[box.dataset.kv] = readKv(box);
      after();
      return;
    }
    if (act === "json") {
      try {
        const data = JSON.parse(root.querySelector("[data-json]").value);
        if (!data || typeof data !== "object" || Array.isArray(data)) throw new Error("not an object");
        const ui = step.ui;
        Object.keys(step).forEach((k) => delete step[k]);
        Object.assign(step, data, { ui });
        hooks.changed(true); redraw();
      } catch { root.querySelector("[data-json-err]").textContent = t.badJson; }
      return;
    }
    if (act === "start") { hooks.setStart(); return; }
    if (act === "delete") { hooks.deleted(); return; }
    if (act === "list-del") {
      const parts = arg.split(".");
      const index = +parts.pop();
      const arr = getPath(step, parts.join("."));
      if (Array.isArray(arr)) arr.splice(index, 1);
    } else if (act === "button-add") {
      const buttons = step.message.buttons = step.message.buttons || [];
      if (buttons.length < LIMITS.buttons) {
        const taken = new Set(buttons.map((x) => x.id));
        let n = buttons.length + 1;
        while (taken.has(`btn_${n}`)) n += 1;
        buttons.push({ id: `btn_${n}`, title: "" });
      }
    } else if (act === "section-add") {
      const taken = rowIds(step.message);
      step.message.sections.push({ title: "", rows: [auto({ id: slugId("opcao", taken), title: "", description: "" })] });
    } else if (act === "row-add") {
      const taken = rowIds(step.message);
      step.message.sections[+arg].rows = step.message.sections[+arg].rows || [];
      step.message.sections[+arg].rows.push(auto({ id: slugId("opcao", taken), title: "", description: "" }));
    } else if (act === "choice-add") {
      const choices = step.validation.choices = step.validation.choices || [];
      choices.push(auto({ id: slugId("opcao", new Set(choices.map((c) => c.id))), title: "", description: "", next: null }));
    } else if (act === "rule-add") {
      step.rules = step.rules || [];
      step.rules.push({ if: CONDITION_DEFAULTS.var(lists), next: null });
    } else if (act === "rule-up") {
      const i = +arg;
      [step.rules[i - 1], step.rules[i]] = [step.rules[i], step.rules[i - 1]];
    } else return;
    hooks.changed(true);
    redraw();
  }

  function after() {
    updateCounters(root);
    hooks.changed(false);
  }
}

/** Put each problem next to the field it names (the longest data-pf prefix); the rest on top. */
export function showProblems(root, problems, stepId) {
  if (!root) return;
  root.querySelectorAll(".flow-field-problems").forEach((b) => { b.innerHTML = ""; });
  root.querySelectorAll(".is-invalid").forEach((el) => el.classList.remove("is-invalid"));
  const boxes = [...root.querySelectorAll("[data-pf]")].filter((el) => el.querySelector(":scope > .flow-field-problems, :scope > div > .flow-field-problems"));
  problems.filter((p) => (p.step_id ?? null) === stepId).forEach((p) => {
    const fieldName = p.field || "";
    let best = null;
    let bestLen = -1;
    boxes.forEach((el) => {
      const pf = el.dataset.pf;
      const hit = pf === "" ? true : fieldName === pf || fieldName.startsWith(`${pf}.`);
      if (hit && pf.length > bestLen) { best = el; bestLen = pf.length; }
    });
    if (!best) return;
    const out = best.querySelector(":scope > .flow-field-problems") || best.querySelector(":scope > div > .flow-field-problems");
    out.insertAdjacentHTML("beforeend", `<div class="small ${p.level === "error" ? "text-danger" : "text-warning-emphasis"}" data-testid="field-problem"><i class="bi bi-${p.level === "error" ? "x-circle" : "exclamation-triangle"}"></i> ${esc(p.message)}</div>`);
    if (p.level === "error") best.querySelectorAll(":scope input, :scope select, :scope textarea").forEach((el, i) => { if (i === 0) el.classList.add("is-invalid"); });
  });
}
