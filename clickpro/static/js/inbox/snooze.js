// Snooze the open conversation (header menu: presets in the client's time zone or a
// custom date-time) and bring it back. The list hides snoozed conversations unless the
// "Adiadas" (SNOOZED) filter is chosen; the wake job reopens them (conversation:update).
import { locale, t } from "../i18n.js";
import { onLive } from "../live.js";
import { getJSON, postJSON } from "./api.js";
import { upsertConversation } from "./conversations.js";
import { $ } from "./dom.js";
import { showError } from "./errors.js";
import { API, TZ, present, state } from "./state.js";

const untilFmt = new Intl.DateTimeFormat(locale, {
  timeZone: TZ, weekday: "short", day: "2-digit", month: "2-digit", hour: "2-digit", minute: "2-digit",
});
const shortFmt = new Intl.DateTimeFormat(locale, {
  timeZone: TZ, day: "2-digit", month: "2-digit", hour: "2-digit", minute: "2-digit",
});

function statusFilter() {
  const select = document.querySelector('#inbox-filters [name="status"]');
  return select ? select.value : "";
}

/** Drop a row the status filter no longer shows (snoozed under "Abertas", woken under "Adiadas"). */
function syncRow(c) {
  if (!c) return;
  const filter = statusFilter();
  const hide = (c.status === "SNOOZED" && filter && filter !== "SNOOZED" && filter !== "ALL")
    || (filter === "SNOOZED" && c.status !== "SNOOZED");
  if (!hide) return;
  const row = $("conversation-list").querySelector('[data-id="' + c.id + '"]');
  if (row) row.remove();
}

/** The header's snooze controls for conversation ``c``. */
function renderSnooze(c) {
  const box = $("thread-snooze-box");
  const back = $("thread-unsnooze");
  if (!box || !back || !c) return;
  const snoozed = c.status === "SNOOZED";
  box.classList.toggle("d-none", snoozed || c.status === "RESOLVED");
  back.classList.toggle("d-none", !snoozed);
  const when = snoozed && c.snoozed_until ? new Date(c.snoozed_until) : null;
  const full = when ? t("snooze.until", { time: untilFmt.format(when) }) : "";
  $("thread-snoozed-until").textContent = when ? shortFmt.format(when) : "";
  $("thread-snoozed-full").textContent = full;
  back.title = full ? full + " — " + t("snooze.wake") : "";
}

async function snooze(body) {
  if (!state.current) return;
  const id = state.current.id;
  try {
    const data = await postJSON(API + "/conversations/" + id + "/snooze", body);
    upsertConversation(data.conversation, false);
    syncRow(data.conversation);
    renderSnooze(data.conversation);
  } catch (err) { showError(err); }
}

async function fillPresets() {
  try {
    const data = await getJSON(API + "/snooze/presets");
    data.items.forEach((p) => {
      const slot = document.querySelector('#snooze-menu [data-preset="' + p.preset + '"] [data-local]');
      if (slot) slot.textContent = untilFmt.format(new Date(p.until));
    });
  } catch (e) { /* the labels stay without the time */ }
}

function wire() {
  const menu = $("snooze-menu");
  if (!menu) return;
  $("thread-snooze").addEventListener("click", fillPresets);
  menu.querySelectorAll("[data-preset]").forEach((item) =>
    item.addEventListener("click", () => snooze({ preset: item.dataset.preset })));
  $("snooze-custom").addEventListener("submit", (e) => {
    e.preventDefault();
    const value = e.target.elements.until.value; // local wall time: the server reads it in the client's zone
    if (value) snooze({ until: value });
  });
  $("thread-unsnooze").addEventListener("click", async () => {
    if (!state.current) return;
    try {
      const data = await postJSON(API + "/conversations/" + state.current.id + "/unsnooze", {});
      upsertConversation(data.conversation, false);
      syncRow(data.conversation);
      renderSnooze(data.conversation);
    } catch (err) { showError(err); }
  });
  document.addEventListener("inbox:header", (e) => renderSnooze(e.detail));
  onLive((socket) => socket.on("conversation:update", (data) => syncRow(data && data.conversation)));
}

if (present) wire();
