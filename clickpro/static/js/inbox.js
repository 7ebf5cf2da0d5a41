// Live inbox, entry module: wires the page's controls to the inbox/ modules.
// Data: /inbox/api/* (inbox/api.js); live events: the page's socket (live.js, namespace
// /inbox, inbox/realtime.js). Strings: i18n.js; nothing user-facing is written here.
import { onLive } from "./live.js";
import { send, quickMenu, showFileName } from "./inbox/composer.js";
import { loadConversations } from "./inbox/conversations.js";
import { $ } from "./inbox/dom.js";
import { showError } from "./inbox/errors.js";
import { postJSON } from "./inbox/api.js";
import { bindSocket, catchUp } from "./inbox/realtime.js";
import { API, present, state } from "./inbox/state.js";
import { openTemplates, selectTemplate, sendTemplate } from "./inbox/templates.js";
import { act, loadOlder, openConversation } from "./inbox/thread.js";

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
  $("open-templates").addEventListener("click", () => openTemplates().catch(showError));
  $("template-close").addEventListener("click", () => $("template-panel").classList.add("d-none"));
  $("template-select").addEventListener("change", () => selectTemplate($("template-select").value));
  $("template-send").addEventListener("click", sendTemplate);
  $("thread-assign").addEventListener("change", () => act("/assign", { user_id: $("thread-assign").value || null }));
  $("thread-resolve").addEventListener("click", () =>
    act("/status", { status: state.current && state.current.status === "RESOLVED" ? "OPEN" : "RESOLVED" }));
  $("side-ai").addEventListener("change", () => act("/ai", { paused: $("side-ai").checked }));
  document.querySelectorAll(".side-label").forEach((box) => box.addEventListener("change", () => {
    const ids = Array.from(document.querySelectorAll(".side-label:checked")).map((b) => Number(b.value));
    act("/labels", { label_ids: ids });
  }));
  $("new-label").addEventListener("submit", async (e) => {
    e.preventDefault();
    const name = e.target.elements.name.value.trim();
    if (!name) return;
    try {
      await postJSON(API + "/labels", { name: name });
      window.location.reload();
    } catch (err) { showError(err); }
  });
}

/** The conversation a URL names (/inbox/c/<id>), or null. */
function conversationInUrl() {
  const match = window.location.pathname.match(/\/c\/(\d+)\/?$/);
  return match ? Number(match[1]) : null;
}

/** Back/forward between conversations: reopen the one the URL names. */
function onHistory() {
  const id = conversationInUrl();
  if (id && (!state.current || state.current.id !== id)) openConversation(id, false).catch(showError);
}

if (present) {
  wire();
  loadConversations(true).catch(showError);
  const opened = conversationInUrl(); // deep link: a reload keeps the conversation open
  if (opened) openConversation(opened, false).catch(showError);
  window.addEventListener("popstate", onHistory);
  onLive(bindSocket);
  window.ClickProInbox = { state, catchUp }; // console / test hook
}
