// "Nova conversa": pick a contact (search) or type a phone / BSUID, pick the number;
// outside that number's 24 h window an approved template of its WABA (variables
// pre-filled from the contact, editable, WhatsApp-style preview), inside it free text.
// On send the page goes to /inbox/c/<id> of that conversation.
import { t } from "../i18n.js";
import { getJSON, postJSON } from "./api.js";
import { $, el } from "./dom.js";
import { API, PAGE, present } from "./state.js";

const nc = { contact: null, typed: null, templates: [], windowOpen: false, seq: 0 };
const PLACEHOLDER = /\{\{\s*(\d+)\s*\}\}/g;

function setError(message) {
  $("newconv-error").textContent = message || "";
}

function show(open) {
  $("newconv").classList.toggle("d-none", !open);
  if (open) $("newconv-to").focus();
}

function reset() {
  Object.assign(nc, { contact: null, typed: null, templates: [], windowOpen: false });
  $("newconv-to").value = "";
  $("newconv-name").value = "";
  $("newconv-text").value = "";
  $("newconv-hits").classList.add("d-none");
  $("newconv-chosen").classList.add("d-none");
  $("newconv-name").classList.add("d-none");
  $("newconv-text-box").classList.add("d-none");
  $("newconv-template-box").classList.add("d-none");
  $("newconv-window").textContent = "";
  setError("");
}

export function openNewConversation() {
  reset();
  show(true);
}

/** What a typed text is: a phone (8+ digits), a BSUID ("BR.xxxx"), or nothing. */
function typedKind(text) {
  const value = text.trim();
  if (/^[A-Za-z]{2}\.[A-Za-z0-9.]+$/.test(value)) return "bsuid";
  if ((value.match(/\d/g) || []).length >= 8 && /^[\d\s()+\-.]+$/.test(value)) return "phone";
  return null;
}

function hit(label, detail, onPick, testid) {
  const btn = el("button", "list-group-item list-group-item-action small py-1");
  btn.type = "button";
  btn.dataset.testid = testid;
  btn.append(el("span", "fw-semibold", label));
  if (detail) btn.append(el("span", "text-muted ms-2", detail));
  btn.addEventListener("click", onPick);
  return btn;
}

async function search() {
  const text = $("newconv-to").value;
  const box = $("newconv-hits");
  const seq = ++nc.seq;
  box.replaceChildren();
  if (!text.trim()) return box.classList.add("d-none");
  const kind = typedKind(text);
  let items = [];
  try {
    items = (await getJSON(API + "/new-conversation/contacts?q=" + encodeURIComponent(text.trim()))).items;
  } catch { items = []; }
  if (seq !== nc.seq) return; // a newer keystroke answered first
  items.forEach((c) => {
    const label = c.name || c.phone_display || c.username || c.bsuid;
    const detail = [c.phone_display, c.opted_out ? t("inbox.optedOut") : ""].filter(Boolean).join(" · ");
    box.append(hit(label, detail, () => chooseContact(c), "newconv-hit"));
  });
  if (kind && !items.length) {
    box.append(hit(t("inbox.ncNewContact", { value: text.trim() }), "", () => chooseTyped(text.trim(), kind), "newconv-typed"));
  }
  box.classList.toggle("d-none", !box.children.length);
}

function showChosen(text) {
  $("newconv-hits").classList.add("d-none");
  const chip = $("newconv-chosen");
  chip.replaceChildren(el("i", "bi bi-person-circle me-1"), document.createTextNode(text));
  const change = el("button", "btn btn-link btn-sm p-0 ms-2", t("inbox.ncChange"));
  change.type = "button";
  change.addEventListener("click", () => { reset(); $("newconv-to").focus(); });
  chip.append(change);
  chip.classList.remove("d-none");
  $("newconv-to").value = "";
}

export async function chooseContact(contact) {
  nc.contact = contact;
  nc.typed = null;
  showChosen([contact.name, contact.phone_display || contact.bsuid].filter(Boolean).join(" · "));
  $("newconv-name").classList.add("d-none");
  await refresh();
  const c = nc.contact; // the server's fields (a link from a contact's page brings only the id)
  showChosen([c.name, c.phone_display || c.bsuid].filter(Boolean).join(" · "));
}

function chooseTyped(value, kind) {
  nc.contact = null;
  nc.typed = { value: value, kind: kind };
  showChosen(value);
  $("newconv-name").classList.remove("d-none");
  refresh();
}

/** The contact's fields the template variables start from. */
function fields() {
  if (nc.contact) return { name: nc.contact.first_name || nc.contact.name || "", phone: nc.contact.phone_display || "" };
  const name = $("newconv-name").value.trim();
  return { name: name.split(/\s+/)[0] || "", phone: nc.typed && nc.typed.kind === "phone" ? nc.typed.value : "" };
}

async function refresh() {
  setError("");
  const numberId = $("newconv-number").value;
  if (!nc.contact && !nc.typed) return;
  nc.windowOpen = false;
  if (nc.contact) {
    const state = await getJSON(API + "/new-conversation/state?number_id=" + numberId + "&contact_id=" + nc.contact.id);
    nc.contact = state.contact;
    nc.windowOpen = state.window_open;
    if (state.contact.opted_out) setError(t("inbox.ncOptedOut"));
  }
  const win = $("newconv-window");
  $("newconv-text-box").classList.toggle("d-none", !nc.windowOpen);
  $("newconv-template-box").classList.toggle("d-none", nc.windowOpen);
  if (nc.windowOpen) {
    win.textContent = win.dataset.open;
    $("newconv-text").focus();
    return;
  }
  nc.templates = (await getJSON(API + "/templates?number_id=" + numberId)).items;
  win.textContent = nc.templates.length ? win.dataset.closed : win.dataset.none;
  $("newconv-template-box").classList.toggle("d-none", !nc.templates.length);
  const select = $("newconv-template");
  select.replaceChildren(...nc.templates.map((tpl) => {
    const opt = el("option", "", tpl.name + " (" + tpl.language + ")");
    opt.value = tpl.id;
    return opt;
  }));
  if (nc.templates.length) templateVars(nc.templates[0]);
}

/** The guessed value of {{n}} from the words before it ("Olá {{1}}" → the name). */
function guess(text, n, group, f) {
  const at = text.indexOf("{{" + n + "}}");
  const before = at >= 0 ? text.slice(Math.max(0, at - 24), at).toLowerCase() : "";
  if (/(telefone|n[úu]mero|whatsapp|celular)\D{0,4}$/.test(before)) return f.phone;
  if (/(ol[áa]|oi|nome|prezad[oa]|car[oa]|bom dia|boa tarde|boa noite)[\s,!:]*$/.test(before)) return f.name;
  return group === "body" && n === 1 ? f.name : "";
}

function templateVars(tpl) {
  const box = $("newconv-vars");
  box.replaceChildren();
  const f = fields();
  const add = (group, key, n, label, value) => {
    const wrap = el("div", "inbox-newconv-var");
    const input = el("input", "form-control form-control-sm");
    Object.assign(input, { type: "text", value: value || "", maxLength: 1000 });
    input.dataset.group = group;
    input.dataset.testid = "newconv-var";
    if (key !== undefined) input.dataset.key = key;
    input.placeholder = label;
    input.setAttribute("aria-label", label);
    input.addEventListener("input", () => preview(tpl));
    wrap.append(input);
    box.append(wrap);
  };
  const s = tpl.slots || {};
  if (s.header_media) add("header_media", undefined, 0, t("inbox.mediaLink") + " (" + s.header_media + ")", "");
  for (let i = 1; i <= (s.header || 0); i++) add("header", undefined, i, t("inbox.header") + " {{" + i + "}}", guess(tpl.header, i, "header", f));
  for (let i = 1; i <= (s.body || 0); i++) add("body", undefined, i, t("inbox.body") + " {{" + i + "}}", guess(tpl.body, i, "body", f));
  Object.entries(s.buttons || {}).forEach(([idx, count]) => {
    for (let i = 1; i <= count; i++) add("buttons", idx, i, t("inbox.button") + " " + (Number(idx) + 1) + " {{" + i + "}}", "");
  });
  preview(tpl);
}

function values() {
  const out = { header: [], body: [], buttons: {} };
  $("newconv-vars").querySelectorAll("input").forEach((input) => {
    const g = input.dataset.group;
    if (g === "header_media") out.header_media = { link: input.value.trim() };
    else if (g === "buttons") (out.buttons[input.dataset.key] = out.buttons[input.dataset.key] || []).push(input.value);
    else out[g].push(input.value);
  });
  return out;
}

function fill(text, list) {
  return (text || "").replace(PLACEHOLDER, (whole, n) => list[Number(n) - 1] || whole);
}

/** The template as the customer will see it (WhatsApp bubble). */
function preview(tpl) {
  const v = values();
  const b = $("newconv-preview");
  b.replaceChildren();
  if (tpl.header) b.append(el("div", "fw-semibold mb-1", fill(tpl.header, v.header)));
  b.append(el("div", "wa-body", fill(tpl.body, v.body)));
  if (tpl.footer) b.append(el("div", "small text-muted mt-1", tpl.footer));
  if ((tpl.buttons || []).length) {
    const row = el("div", "inbox-ia-buttons");
    tpl.buttons.forEach((text) => row.append(el("div", "inbox-ia-button", text)));
    b.append(row);
  }
}

async function submit(evt) {
  evt.preventDefault();
  setError("");
  if (!nc.contact && !nc.typed) {
    const kind = typedKind($("newconv-to").value);
    if (!kind) return setError(t("inbox.ncPick"));
    chooseTyped($("newconv-to").value.trim(), kind);
    return;
  }
  const body = { number_id: Number($("newconv-number").value) };
  if (nc.contact) body.contact_id = nc.contact.id;
  else {
    body[nc.typed.kind] = nc.typed.value;
    body.name = $("newconv-name").value.trim();
  }
  if (nc.windowOpen) body.text = $("newconv-text").value;
  else if (nc.templates.length) {
    body.template_id = Number($("newconv-template").value);
    body.values = values();
  }
  $("newconv-send").disabled = true;
  try {
    const data = await postJSON(API + "/new-conversation", body);
    window.location.assign(PAGE + data.conversation_id);
  } catch (err) {
    setError(err.message);
  } finally {
    $("newconv-send").disabled = false;
  }
}

function wire() {
  let timer = null;
  $("newconv-open").addEventListener("click", openNewConversation);
  $("newconv-close").addEventListener("click", () => show(false));
  $("newconv-cancel").addEventListener("click", () => show(false));
  $("newconv").addEventListener("keydown", (e) => { if (e.key === "Escape") show(false); });
  $("newconv-to").addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(search, 200);
  });
  $("newconv-number").addEventListener("change", () => refresh().catch((e) => setError(e.message)));
  $("newconv-name").addEventListener("input", () => {
    const tpl = nc.templates.find((x) => String(x.id) === $("newconv-template").value);
    if (tpl) templateVars(tpl);
  });
  $("newconv-template").addEventListener("change", () => {
    const tpl = nc.templates.find((x) => String(x.id) === $("newconv-template").value);
    if (tpl) templateVars(tpl);
  });
  $("newconv-form").addEventListener("submit", submit);
  // From a contact's page: /inbox/?new=<contact id>
  const wanted = new URLSearchParams(window.location.search).get("new");
  if (wanted && /^\d+$/.test(wanted)) {
    openNewConversation();
    chooseContact({ id: Number(wanted), name: "" }).catch((e) => setError(e.message));
  }
}

if (present && $("newconv")) wire();
