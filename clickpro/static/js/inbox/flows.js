// "Iniciar fluxo" in the contact side panel (#20, h3): the flows an agent may start on
// the open conversation, the one it is in (with "Encerrar fluxo"), refreshed when another
// conversation opens. Texts come from the panel's data-* attributes (pt_BR/en by gettext).
import { getJSON, postJSON } from "./api.js";
import { $ } from "./dom.js";
import { showError } from "./errors.js";
import { API, present, state } from "./state.js";

let shownFor = null;
let loadedAt = 0;
const REFRESH_MS = 3000; // the header re-renders on live updates: re-read at most this often

function fill(text, params) {
  return text.replace(/\{(\w+)\}/g, (_m, key) => (params[key] ?? ""));
}

function render(data) {
  const box = $("side-flow");
  const active = $("side-flow-active");
  const select = $("side-flow-select");
  box.classList.remove("d-none");
  const run = data.active;
  active.classList.toggle("d-none", !run);
  $("side-flow-exit").classList.toggle("d-none", !run);
  $("side-flow-pick").classList.toggle("d-none", Boolean(run) || !data.flows.length);
  active.textContent = run
    ? fill(box.dataset.running, { name: run.flow_name })
      + (run.current_step ? " · " + fill(box.dataset.step, { step: run.current_step }) : "")
    : "";
  select.replaceChildren(...data.flows.map((f) => new Option(f.name, String(f.id))));
  $("side-flow-note").textContent = !run && !data.flows.length ? box.dataset.empty : "";
}

async function load(conversationId) {
  shownFor = conversationId;
  loadedAt = Date.now();
  try {
    const data = await getJSON(API + "/conversations/" + conversationId + "/flows");
    if (shownFor === conversationId) render(data);
  } catch (err) { $("side-flow").classList.add("d-none"); }
}

async function post(path, body) {
  if (!state.current) return null;
  const id = state.current.id;
  const button = path ? $("side-flow-exit") : $("side-flow-start");
  button.disabled = true;
  try {
    const data = await postJSON(API + "/conversations/" + id + "/flows" + path, body);
    if (state.current && state.current.id === id) render(data);
    return data;
  } catch (err) {
    showError(err);
    load(id); // e.g. 409: the conversation entered a flow meanwhile
    return null;
  } finally { button.disabled = false; }
}

function wire() {
  const box = $("side-flow");
  if (!box) return;
  $("side-flow-start").addEventListener("click", async () => {
    const flowId = Number($("side-flow-select").value);
    if (!flowId) return;
    const data = await post("", { flow_id: flowId });
    if (data) $("side-flow-note").textContent = box.dataset.started;
  });
  $("side-flow-exit").addEventListener("click", () => post("/exit", {}));
  document.addEventListener("inbox:header", (e) => {
    const c = e.detail;
    if (c && (c.id !== shownFor || Date.now() - loadedAt > REFRESH_MS)) load(c.id);
  });
}

if (present) wire();
