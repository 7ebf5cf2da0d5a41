// The composer: replies (optimistic), internal notes, media, "/shortcut" quick replies.
import { getJSON, postForm, postJSON } from "./api.js";
import { $, el, messageRow } from "./dom.js";
import { showError } from "./errors.js";
import { appendMessage, optimistic, replaceTmp } from "./messages.js";
import { renderHeader } from "./panel.js";
import { API, state } from "./state.js";
import { openTemplates } from "./templates.js";

export async function send(evt) {
  evt.preventDefault();
  if (!state.current) return;
  showError(null);
  const id = state.current.id;
  const text = $("composer-text").value.trim();
  const file = $("composer-file").files[0];
  const note = document.querySelector('input[name="mode"]:checked').value === "note";
  if (!text && !file) return;
  if (!note && missingIn(text).length) return askVariables(text, missingIn(text));
  $("composer-text").value = "";
  if (file && !note) return sendFile(id, file, text);
  const tmp = note ? null : optimistic(text);
  try {
    const data = await postJSON(API + "/conversations/" + id + (note ? "/notes" : "/messages"), { body: text });
    if (tmp) replaceTmp(tmp, data.message);
    else appendMessage(data.message);
  } catch (err) {
    if (tmp) {
      const row = messageRow(tmp);
      if (err.details && err.details.message) replaceTmp(tmp, err.details.message);
      else if (row) row.remove();
    }
    if (err.code === "window_closed") {
      state.current.window_open = false;
      renderHeader(state.current);
      $("composer-text").value = text;
      openTemplates();
    }
    showError(err);
  }
}

async function sendFile(id, file, caption) {
  const form = new FormData();
  form.append("file", file);
  if (caption) form.append("caption", caption);
  try {
    const data = await postForm(API + "/conversations/" + id + "/media", form);
    appendMessage(data.message);
  } catch (err) {
    showError(err);
  } finally {
    $("composer-file").value = "";
    $("composer-file-name").classList.add("d-none");
  }
}

/** The file picked for sending, shown under the composer. */
export function showFileName() {
  const f = $("composer-file").files[0];
  $("composer-file-name").textContent = f ? f.name : "";
  $("composer-file-name").classList.toggle("d-none", !f);
}

/** "/shortcut" at the start of an empty composer: a menu of matching quick replies. */
export async function quickMenu() {
  const text = $("composer-text").value;
  const menu = $("quick-menu");
  if (!text.startsWith("/") || text.includes(" ") || !state.current) return menu.classList.add("d-none");
  if (!state.quick || state.quick.contact !== state.current.id) {
    const data = await getJSON(API + "/quick-replies?conversation_id=" + state.current.id);
    state.quick = { contact: state.current.id, items: data.items };
  }
  const wanted = text.slice(1).toLowerCase();
  const hits = state.quick.items.filter((q) => q.shortcut.startsWith(wanted)).slice(0, 8);
  menu.replaceChildren();
  hits.forEach((q) => {
    const btn = el("button", "list-group-item list-group-item-action small");
    btn.type = "button";
    btn.append(el("code", "me-2", "/" + q.shortcut), document.createTextNode(q.text));
    btn.addEventListener("click", () => {
      menu.classList.add("d-none");
      if (q.missing && q.missing.length) return askVariables(q.text, q.missing);
      $("composer-text").value = q.text;
      $("composer-text").focus();
    });
    menu.append(btn);
  });
  menu.classList.toggle("d-none", !hits.length);
}

// ---------------------------------------------------------------- quick reply variables
// A quick reply's {{variable}} the contact has no value for is asked here before the text
// reaches the composer (the server refuses a reply that still has one: "Você é de ?"
// never goes out).
const VARIABLE = /\{\{\s*([a-zA-Z0-9_]+)\s*\}\}/g;
let pending = null; // the text waiting for its values

function missingIn(text) {
  return [...new Set([...text.matchAll(VARIABLE)].map((m) => m[1]))];
}

function fillVariables(text, values) {
  return text.replace(VARIABLE, (whole, name) => (values[name] !== undefined ? values[name] : whole));
}

function closeVariables() {
  pending = null;
  $("quick-vars").classList.add("d-none");
  $("composer-text").focus();
}

function bindVariablesPrompt() {
  const box = $("quick-vars");
  if (box.dataset.bound) return;
  box.dataset.bound = "1";
  $("quick-vars-cancel").addEventListener("click", closeVariables);
  $("quick-vars-form").addEventListener("submit", (evt) => {
    evt.preventDefault();
    if (pending === null) return;
    const values = {};
    for (const input of $("quick-vars-fields").querySelectorAll("input")) {
      const value = input.value.trim();
      if (!value) {
        input.classList.add("is-invalid");
        input.focus();
        return;
      }
      values[input.dataset.name] = value;
    }
    $("composer-text").value = fillVariables(pending, values);
    closeVariables();
  });
}

/** Ask the agent for the values of ``names`` in ``text`` (a small form above the composer). */
function askVariables(text, names) {
  bindVariablesPrompt();
  pending = text;
  $("composer-text").value = text;
  const fields = $("quick-vars-fields");
  fields.replaceChildren();
  names.forEach((name, i) => {
    const id = "quick-var-" + i;
    const group = el("div", "inbox-quick-var");
    const label = el("label", "form-label small mb-0", $("quick-vars").dataset.label.replace("%(name)s", name));
    label.htmlFor = id;
    const input = el("input", "form-control form-control-sm");
    Object.assign(input, { id: id, type: "text", maxLength: 1000, required: true });
    input.dataset.name = name;
    input.addEventListener("input", () => input.classList.remove("is-invalid"));
    group.append(label, input);
    fields.append(group);
  });
  $("quick-vars").classList.remove("d-none");
  fields.querySelector("input").focus();
}
