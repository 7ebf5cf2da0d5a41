// Opening a conversation: details + last messages, read receipts, older pages, team actions.
import { getJSON, postJSON } from "./api.js";
import { upsertConversation } from "./conversations.js";
import { $ } from "./dom.js";
import { showError } from "./errors.js";
import { prependMessages } from "./messages.js";
import { LIST, setView } from "./layout.js";
import { renderHeader, renderSide } from "./panel.js";
import { API, PAGE, state } from "./state.js";

/** Open conversation ``id``; ``push``: record it in the history (its own URL). */
export async function openConversation(id, push = true) {
  if (push && window.location.pathname !== PAGE + id) {
    // fromList: the phone's back button returns to the list entry it came from
    const fromList = window.location.pathname === LIST;
    window.history.pushState({ conversation: id, fromList: fromList }, "", PAGE + id);
  }
  setView("thread");
  state.opening = id; // a later open (or back to the list) wins over this one's answers
  state.quick = null;
  $("thread-empty").classList.add("d-none");
  $("thread").classList.remove("d-none");
  $("template-panel").classList.add("d-none");
  showError(null);
  document.querySelectorAll(".inbox-conv.active").forEach((n) => n.classList.remove("active"));
  const item = $("conversation-list").querySelector('[data-id="' + id + '"]');
  if (item) item.classList.add("active");
  const [detail, page] = await Promise.all([
    getJSON(API + "/conversations/" + id),
    getJSON(API + "/conversations/" + id + "/messages"),
  ]);
  if (state.opening !== id) return;
  state.current = detail.conversation;
  // the list may have loaded meanwhile (deep link: both requests run at once)
  const row = $("conversation-list").querySelector('[data-id="' + id + '"]');
  if (row) row.classList.add("active");
  renderHeader(state.current);
  renderSide(state.current);
  const box = $("messages");
  box.querySelectorAll(".wa-message, .inbox-day").forEach((n) => n.remove());
  prependMessages(page.items);
  box.scrollTop = box.scrollHeight;
  state.olderCursor = page.next_cursor;
  $("load-older").classList.toggle("d-none", !page.next_cursor);
  if (state.current.unread_count) markRead(id);
}

/** No conversation open (the list's URL): the empty pane, the list on small screens. */
export function closeConversation() {
  state.opening = null;
  state.current = null;
  state.olderCursor = null;
  $("thread").classList.add("d-none");
  $("thread-empty").classList.remove("d-none");
  $("side").classList.add("d-none");
  document.querySelectorAll(".inbox-conv.active").forEach((n) => n.classList.remove("active"));
  setView("list");
}

export async function markRead(id) {
  try {
    const data = await postJSON(API + "/conversations/" + id + "/read", {});
    upsertConversation(data.conversation, false);
  } catch (e) { /* next open retries */ }
}

export async function loadOlder() {
  if (!state.current || !state.olderCursor) return;
  const url = API + "/conversations/" + state.current.id + "/messages?before_id=" + state.olderCursor;
  const page = await getJSON(url);
  prependMessages(page.items);
  state.olderCursor = page.next_cursor;
  $("load-older").classList.toggle("d-none", !page.next_cursor);
}

/** A team action on the open conversation (assign, status, AI pause, labels). */
export async function act(path, body) {
  if (!state.current) return;
  try {
    const data = await postJSON(API + "/conversations/" + state.current.id + path, body);
    upsertConversation(data.conversation, false);
  } catch (err) { showError(err); }
}
