// Live inbox, entry module: wires the page's controls to the inbox/ modules.
// Data: /inbox/api/* (inbox/api.js); live events: the page's socket (live.js, namespace
// /inbox, inbox/realtime.js). Strings: i18n.js; nothing user-facing is written here.
import { onLive } from "./live.js";
import { send, quickMenu, showFileName } from "./inbox/composer.js";
import { bindComposerMedia } from "./inbox/composer-media.js";
import { loadConversations } from "./inbox/conversations.js";
import "./inbox/transfer.js"; // transfer dialog and history (h8)
import { $ } from "./inbox/dom.js";
import { showError } from "./inbox/errors.js";
import { postJSON } from "./inbox/api.js";
import { bindSocket, catchUp } from "./inbox/realtime.js";
import { API, PAGE, present, state } from "./inbox/state.js";
import { openTemplates, selectTemplate, sendTemplate } from "./inbox/templates.js";
import { act, closeConversation, loadOlder, openConversation } from "./inbox/thread.js";
import { LIST, setView, wireLayout } from "./inbox/layout.js";

function wire() {
  let searchTimer = null;
  $("inbox-filters").addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => loadConversations(true).catch(showError), 250);
  });
  $("inbox-filters").addEventListener("submit", (e) => e.preventDefault());
  $("conversation-list").addEventListener("click", (e) => {
    const item = e.target.closest(".inbox-conv");
    if (item) openConversation(Number(item.dataset.id)).catch(showError);
  });
  $("more-conversations").addEventListener("click", () => loadConversations(false).catch(showError));
  $("load-older").addEventListener("click", () => loadOlder().catch(showError));
  $("composer").addEventListener("submit", send);
  $("composer-text").addEventListener("input", () => quickMenu().catch(() => {}));
  $("composer-text").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey) {
      e.preventDefault();
      $("composer").requestSubmit();
    }
  });
  $("composer-file").addEventListener("change", showFileName);
  bindComposerMedia(); // voice notes, paste/drop/attach preview (after showFileName)
  $("open-templates").addEventListener("click", () => openTemplates().catch(showError));
  $("template-close").addEventListener("click", () => $("template-panel").classList.add("d-none"));
  $("template-select").addEventListener("change", () => selectTemplate($("template-select").value));
  $("template-send").addEventListener("click", sendTemplate);
  $("thread-assign").addEventListener("change", () => act("/assign", { user_id: $("thread-assign").value || null }));
  $("thread-resolve").addEventListener("click", () =>
    act("/status", { status: state.current && state.current.status === "RESOLVED" ? "OPEN" : "RESOLVED" }));
  $("side-ai").addEventListener("change", () => act("/ai", { paused: $("side-ai").checked }));
  $("side-labels").addEventListener("change", (e) => {
    if (!e.target.classList.contains("side-label")) return;
    const ids = Array.from(document.querySelectorAll(".side-label:checked")).map((b) => Number(b.value));
    act("/labels", { label_ids: ids });
  });
  $("new-label").addEventListener("submit", async (e) => {
    e.preventDefault();
    const input = e.target.elements.name;
    const name = input.value.trim();
    if (!name) return;
    try {
      const data = await postJSON(API + "/labels", { name: name });
      addLabel(data.label); // in place: the open conversation and its panel stay as they are
      input.value = "";
    } catch (err) { showError(err); }
  });
}

/** A label just created: a toggle in the side panel and an option of the list filter. */
function addLabel(label) {
  if (document.getElementById("label-" + label.id)) return;
  const box = document.createElement("input");
  Object.assign(box, { type: "checkbox", className: "btn-check side-label", id: "label-" + label.id, value: String(label.id) });
  const tag = document.createElement("label");
  tag.className = "btn btn-outline-" + label.color + " btn-sm";
  tag.htmlFor = box.id;
  tag.textContent = label.name;
  $("side-labels").append(box, tag);
  const filter = $("inbox-filters").elements.label;
  if (filter) filter.append(new Option(label.name, String(label.id)));
}

/** The conversation a URL names (/inbox/c/<id>), or null. */
function conversationInUrl() {
  const match = window.location.pathname.match(/\/c\/(\d+)\/?$/);
  return match ? Number(match[1]) : null;
}

/** Back/forward: reopen the conversation the URL names (its details pane if it was
 *  showing them), or the list when the URL names none. */
function onHistory(e) {
  const id = conversationInUrl();
  const entry = (e && e.state) || window.history.state || {};
  if (!id) {
    closeConversation();
    return;
  }
  if (!state.current || state.current.id !== id) openConversation(id, false).catch(showError);
  setView(entry.view === "side" ? "side" : "thread");
}

if (present) {
  wire();
  loadConversations(true).catch(showError);
  wireLayout();
  const opened = conversationInUrl(); // deep link: a reload keeps the conversation open
  if (opened) {
    const entry = window.history.state;
    if (!entry) {
      // a link from outside: put the list behind it, so back returns to the list
      window.history.replaceState({ list: true }, "", LIST);
      window.history.pushState({ conversation: opened, fromList: true }, "", PAGE + opened);
    }
    openConversation(opened, false).catch(showError);
    if (entry && entry.view === "side") setView("side");
  } else {
    setView("list");
  }
  window.addEventListener("popstate", onHistory);
  onLive(bindSocket);
  window.ClickProInbox = { state, catchUp }; // console / test hook
}
