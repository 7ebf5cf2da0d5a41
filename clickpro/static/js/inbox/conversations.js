// The conversation list: filters, paging, one item per contact per number, live upserts.
import { formatPhone, t } from "../i18n.js";
import { getJSON } from "./api.js";
import { $, el } from "./dom.js";
import { listTime } from "./format.js";
import { renderHeader } from "./panel.js";
import { API, MULTI_NUMBER, noteSync, state } from "./state.js";

function filterParams() {
  const params = new URLSearchParams();
  for (const [key, value] of new FormData($("inbox-filters")).entries()) if (value) params.append(key, value);
  return params;
}

/** One list item; a click opens it (delegated in inbox.js, by data-id). */
function convItem(c) {
  const li = el("li", "list-group-item list-group-item-action inbox-conv");
  li.dataset.id = c.id;
  li.dataset.testid = "conversation";
  if (state.current && state.current.id === c.id) li.classList.add("active");
  const top = el("div", "d-flex justify-content-between align-items-center gap-1");
  const name = el("span", "fw-semibold text-truncate", c.name || c.contact_label || formatPhone(c.phone));
  const dot = el("span", "inbox-window-dot " + (c.window_open ? "open" : "closed"));
  dot.title = c.window_open ? t("inbox.windowOpen") : t("inbox.windowClosed");
  name.prepend(dot);
  top.append(name, el("small", "text-muted flex-none", listTime(c.last_message_at)));
  const bottom = el("div", "d-flex justify-content-between align-items-center gap-1");
  bottom.append(el("small", "text-muted text-truncate inbox-preview", c.last_message_preview || ""));
  const badges = el("span", "d-flex gap-1 flex-none");
  if (c.opted_out) badges.append(el("span", "badge text-bg-dark", t("inbox.optedOut")));
  badges.append(el("span", "badge " + (c.ai_paused ? "text-bg-warning" : "text-bg-info"),
    c.ai_paused ? t("inbox.human") : t("inbox.ai")));
  if (c.unread_count) {
    const unread = el("span", "badge rounded-pill text-bg-success inbox-unread", String(c.unread_count));
    unread.dataset.testid = "unread";
    badges.append(unread);
  }
  bottom.append(badges);
  li.append(top, bottom);
  if (MULTI_NUMBER && c.number_name) {
    const via = el("div", "small text-muted text-truncate inbox-number");
    via.dataset.testid = "conversation-number";
    via.append(el("i", "bi bi-telephone me-1"), document.createTextNode(c.number_name));
    li.append(via);
  }
  if (c.labels && c.labels.length) {
    const labels = el("div", "d-flex flex-wrap gap-1 mt-1");
    c.labels.forEach((l) => labels.append(el("span", "badge text-bg-" + l.color, l.name)));
    li.append(labels);
  }
  return li;
}

/** Insert or refresh a conversation (moveTop: it has a new message). */
export function upsertConversation(c, moveTop) {
  if (!c) return;
  state.conversations.set(c.id, c);
  const list = $("conversation-list");
  list.querySelectorAll(".inbox-no-items").forEach((n) => n.remove());
  const old = list.querySelector('[data-id="' + c.id + '"]');
  const item = convItem(c);
  if (old && !moveTop) old.replaceWith(item);
  else {
    if (old) old.remove();
    list.prepend(item);
  }
  if (state.current && state.current.id === c.id) renderHeader(Object.assign(state.current, c));
}

/** First page (reset) or the next page of the list, with the current filters. */
export async function loadConversations(reset) {
  const params = filterParams();
  if (!reset && state.cursor) params.set("cursor", state.cursor);
  const data = await getJSON(API + "/conversations?" + params.toString());
  noteSync(data);
  const list = $("conversation-list");
  if (reset) list.replaceChildren();
  data.items.forEach((c) => {
    state.conversations.set(c.id, c);
    list.append(convItem(c));
  });
  if (reset && !data.items.length) list.append(el("li", "list-group-item text-muted inbox-no-items", t("inbox.empty")));
  state.cursor = data.next_cursor;
  $("more-conversations").classList.toggle("d-none", !data.next_cursor);
}
