// The composer's interactive message: reply buttons (1–3) or a list (≤ 10 options),
// inside the 24 h window. The server validates the limits and answers them in the error.
import { postJSON } from "./api.js";
import { $ } from "./dom.js";
import { showError } from "./errors.js";
import { appendMessage } from "./messages.js";
import { API, present, state } from "./state.js";

function kind() {
  return document.querySelector('input[name="ikind"]:checked').value;
}

function toggleKind() {
  const list = kind() === "list";
  $("interactive-buttons").classList.toggle("d-none", list);
  $("interactive-list").classList.toggle("d-none", !list);
}

function open() {
  if (!state.current) return;
  $("template-panel").classList.add("d-none");
  $("interactive-panel").classList.remove("d-none");
  const draft = $("composer-text").value.trim();
  if (draft && !$("interactive-body").value) $("interactive-body").value = draft;
  $("interactive-body").focus();
}

function close() {
  $("interactive-panel").classList.add("d-none");
}

/** "title | description" lines → rows. */
function rows() {
  return $("ilist-rows").value.split("\n").map((line) => line.trim()).filter(Boolean).map((line) => {
    const [title, ...rest] = line.split("|");
    const description = rest.join("|").trim();
    return description ? { title: title.trim(), description: description } : { title: title.trim() };
  });
}

function body() {
  const data = { kind: kind(), body: $("interactive-body").value };
  if (data.kind === "buttons") {
    data.buttons = Array.from(document.querySelectorAll(".inbox-ibutton")).map((i) => i.value.trim()).filter(Boolean);
  } else {
    data.button = $("ilist-button").value;
    const section = { rows: rows() };
    if ($("ilist-section").value.trim()) section.title = $("ilist-section").value.trim();
    data.sections = [section];
  }
  return data;
}

async function send(evt) {
  evt.preventDefault();
  if (!state.current) return;
  showError(null);
  try {
    const data = await postJSON(API + "/conversations/" + state.current.id + "/interactive", body());
    appendMessage(data.message);
    $("interactive-panel").reset();
    toggleKind();
    $("composer-text").value = "";
    close();
  } catch (err) {
    if (err.details && err.details.message) appendMessage(err.details.message);
    showError(err);
  }
}

function wire() {
  $("interactive-open").addEventListener("click", open);
  $("interactive-close").addEventListener("click", close);
  document.querySelectorAll('input[name="ikind"]').forEach((r) => r.addEventListener("change", toggleKind));
  $("interactive-panel").addEventListener("submit", send);
}

if (present && $("interactive-panel")) wire();
