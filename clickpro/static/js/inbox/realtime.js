// Socket.IO events of the inbox; after a reconnect /updates fills the gap (since_id/since).
import { t } from "../i18n.js";
import { getJSON } from "./api.js";
import { loadConversations, upsertConversation } from "./conversations.js";
import { $, messageRow } from "./dom.js";
import { appendMessage, bubble, refreshMessage, updateStatus } from "./messages.js";
import { API, noteSync, seen, state } from "./state.js";
import { markRead } from "./thread.js";

/** Whether message ``m`` belongs to the open conversation (its contact on its number). */
function inCurrent(m) {
  const c = state.current;
  return Boolean(c && m && m.contact_id === c.contact_id && m.number_id === c.number_id);
}

function onMessage(data) {
  const m = data.message;
  if (data.conversation) upsertConversation(data.conversation, true);
  if (inCurrent(m)) {
    appendMessage(m);
    if (m.direction === "IN" && document.visibilityState === "visible") markRead(state.current.id);
  } else if (m) seen(m.id);
}

export async function catchUp() {
  const params = new URLSearchParams({ since_id: String(state.lastId) });
  if (state.syncedAt) params.set("since", state.syncedAt);
  try {
    const data = await getJSON(API + "/updates?" + params.toString());
    noteSync(data);
    data.conversations.forEach((c) => upsertConversation(c, false));
    data.messages.forEach((m) => {
      if (inCurrent(m)) {
        const row = messageRow(m.id);
        if (row) row.replaceWith(bubble(m));
        else appendMessage(m);
      }
      seen(m.id);
    });
    if (data.truncated) loadConversations(true);
  } catch (e) { /* retried at the next reconnect */ }
}

function showLive(online) {
  const live = $("inbox-live");
  live.dataset.state = online ? "online" : "offline";
  live.textContent = online ? t("inbox.online") : t("inbox.offline");
}

export function bindSocket(socket) {
  let connectedOnce = false;
  socket.on("connect", () => {
    showLive(true);
    if (connectedOnce) catchUp();
    connectedOnce = true;
  });
  socket.on("disconnect", () => showLive(false));
  socket.on("message:new", onMessage);
  socket.on("message:status", updateStatus);
  socket.on("message:update", (data) => refreshMessage(data.message)); // media fetched, transcript done
  socket.on("conversation:update", (data) => upsertConversation(data.conversation, false));
  if (socket.connected) {
    connectedOnce = true;
    showLive(true);
  }
}
