// Message bubbles of the open thread: ticks, media, day separators, optimistic rows.
import { metaError, t } from "../i18n.js";
import { $, el, messageRow } from "./dom.js";
import { dayLabel, fmtDay, fmtTime } from "./format.js";
import { captionOf, mediaBlock } from "./media.js";
import { decorate } from "./interactive_view.js";
import { MEDIA, seen, state } from "./state.js";

const TICKS = { QUEUED: "bi-clock", SENDING: "bi-clock", SENT: "bi-check", DELIVERED: "bi-check-all", READ: "bi-check-all" };
const STATUS_KEYS = { QUEUED: "inbox.queued", SENDING: "inbox.queued", SENT: "inbox.sent", DELIVERED: "inbox.delivered", READ: "inbox.read" };

function ticks(m) {
  const span = el("span", "wa-ticks");
  span.dataset.status = m.status;
  if (m.status === "FAILED") {
    span.className = "wa-ticks text-danger";
    span.append(el("i", "bi bi-exclamation-circle"));
    span.title = t("inbox.failed") + (m.error_title || m.error_code ? ": " + metaError(m.error_code, m.error_title) : "") + (m.error_code ? " (" + m.error_code + ")" : "");
    return span;
  }
  if (m.status === "READ") span.classList.add("read");
  span.append(el("i", "bi " + (TICKS[m.status] || "bi-question-circle")));
  span.title = t(STATUS_KEYS[m.status] || "inbox.unknown");
  return span;
}

/** The row of one message (in or out, note, media, location, failure). */
export function bubble(m) {
  const out = m.direction === "OUT";
  const row = el("div", "wa-message " + (out ? "wa-message-out" : "wa-message-in"));
  row.dataset.id = m.id;
  row.dataset.testid = "message";
  row.dataset.day = fmtDay(m.created_at);
  const b = el("div", "wa-bubble " + (out ? "wa-bubble-out" : "wa-bubble-in") + (m.is_note ? " inbox-note" : ""));
  b.append(el("div", "inbox-author small fw-semibold", m.is_note ? t("inbox.note") + " · " + m.author_label : m.author_label));
  const mediaBox = mediaBlock(m, refreshMessage);
  if (mediaBox) b.append(mediaBox);
  else if (m.has_media) {
    const media = el("div", "wa-media small");
    media.append(el("span", "badge text-bg-light me-1", m.type));
    const link = el("a", "", t("inbox.download"));
    link.href = MEDIA + m.id;
    media.append(link);
    b.append(media);
  }
  if (m.location) {
    const link = el("a", "d-block small", "📍 " + (m.location.name || t("inbox.map")));
    link.href = m.location.url;
    link.target = "_blank";
    link.rel = "noopener";
    b.append(link);
  }
  const text = mediaBox ? captionOf(m) : m.body;
  if (!mediaBox || text) b.append(el("div", "wa-body", text));
  const meta = el("div", "wa-meta");
  meta.append(el("span", "wa-time", fmtTime(m.created_at)));
  if (out && !m.is_note) meta.append(ticks(m));
  b.append(meta);
  if (m.interactive || m.reply || m.context) decorate(b, m); // buttons, lists, replies
  if (m.status === "FAILED" && (m.error_title || m.error_code)) b.append(el("div", "small text-danger inbox-error", metaError(m.error_code, m.error_title)));
  row.append(b);
  return row;
}

function daySeparator(iso) {
  const sep = el("div", "inbox-day align-self-center badge text-bg-light", dayLabel(iso));
  sep.dataset.day = fmtDay(iso);
  return sep;
}

/** A message:update event (its media fetched, its transcript done): redraw the bubble in
 * place when it is on screen, keeping the scroll at the bottom if it was there. */
export function refreshMessage(m) {
  const row = m && messageRow(m.id);
  if (!row) return;
  const box = $("messages");
  const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
  row.replaceWith(bubble(m));
  if (atBottom) box.scrollTop = box.scrollHeight;
}

/** Add (or refresh in place) a message at the bottom of the thread. */
export function appendMessage(m) {
  seen(m.id);
  const box = $("messages");
  const existing = messageRow(m.id);
  if (existing) return existing.replaceWith(bubble(m));
  const bubbles = box.querySelectorAll(".wa-message");
  const last = bubbles[bubbles.length - 1];
  if (!last || last.dataset.day !== fmtDay(m.created_at)) box.append(daySeparator(m.created_at));
  box.append(bubble(m));
  box.scrollTop = box.scrollHeight;
}

/** Put an older page (oldest first) above the thread, keeping the scroll position. */
export function prependMessages(items) {
  const box = $("messages");
  const older = $("load-older");
  const before = box.scrollHeight;
  const firstDay = box.querySelector(".inbox-day");
  const frag = document.createDocumentFragment();
  let day = null;
  items.forEach((m) => {
    seen(m.id);
    if (fmtDay(m.created_at) !== day) {
      day = fmtDay(m.created_at);
      frag.append(daySeparator(m.created_at));
    }
    frag.append(bubble(m));
  });
  if (firstDay && day === firstDay.dataset.day) firstDay.remove();
  older.after(frag);
  box.scrollTop += box.scrollHeight - before;
}

/** A message:status event: new ticks (and the failure text). */
export function updateStatus(s) {
  const row = messageRow(s.id);
  if (!row) return;
  const old = row.querySelector(".wa-ticks");
  if (!old) return;
  old.replaceWith(ticks({ status: s.status, error_title: s.error_title, error_code: s.error_code }));
  if (s.status === "FAILED" && (s.error_title || s.error_code) && !row.querySelector(".inbox-error")) {
    row.querySelector(".wa-bubble").append(el("div", "small text-danger inbox-error", metaError(s.error_code, s.error_title)));
  }
}

/** Show a reply at once as QUEUED; returns its temporary id. */
export function optimistic(body) {
  state.tmp -= 1;
  const m = {
    id: "tmp" + state.tmp, direction: "OUT", author: "AGENT", author_label: "", type: "text", body: body,
    status: "QUEUED", created_at: new Date().toISOString(), is_note: false,
  };
  appendMessage(m);
  return m.id;
}

/** Swap the optimistic row for the saved message (or drop it when the socket was faster). */
export function replaceTmp(tmpId, message) {
  const row = messageRow(tmpId);
  const already = messageRow(message.id);
  if (row && already) row.remove();
  else if (row) row.replaceWith(bubble(message));
  else appendMessage(message);
  seen(message.id);
}
