// The conversation list: views (Minhas / Não atribuídas / Da minha equipe / Todas) with
// live counts, filters, sort (recent / deadline, urgent first), paging, SLA and team
// badges, and live upserts that re-apply the active view and filters (server-checked).
import { formatPhone, t } from "../i18n.js";
import { getJSON } from "./api.js";
import { $, el } from "./dom.js";
import { listTime } from "./format.js";
import { renderHeader } from "./panel.js";
import { API, MULTI_NUMBER, noteSync, state } from "./state.js";

const VIEW_KEY = "clickpro.inbox.view";
const RECHECK_MS = 120;
let loadSeq = 0; // a newer list load makes an older answer stale
let pending = new Set(); // conversation ids to re-check against the active filters
let recheckTimer = null;

function filtersForm() {
  return $("inbox-filters");
}

/** The active view (radio in the filters form), defaulting to the page's default. */
export function activeView() {
  const checked = filtersForm().querySelector('input[name="view"]:checked');
  return checked ? checked.value : null;
}

function chooseInitialView() {
  const box = document.querySelector(".inbox-views");
  if (!box) return;
  let wanted = null;
  try { wanted = window.localStorage.getItem(VIEW_KEY); } catch { /* private mode */ }
  const radio = (v) => box.querySelector('input[name="view"][value="' + v + '"]');
  const pick = (wanted && radio(wanted)) || radio(box.dataset.default) || box.querySelector('input[name="view"]');
  if (pick) pick.checked = true;
  box.addEventListener("change", () => {
    try { window.localStorage.setItem(VIEW_KEY, activeView() || ""); } catch { /* ignore */ }
  });
}

function filterParams() {
  const params = new URLSearchParams();
  for (const [key, value] of new FormData(filtersForm()).entries()) if (value) params.append(key, value);
  return params;
}

function sortMode() {
  const sel = filtersForm().elements.sort;
  return sel && sel.value === "deadline" ? "deadline" : "recent";
}

// --------------------------------------------------------------------------- SLA

/** The next SLA instant (ms) of an open conversation, or null (no target / resolved). */
export function deadlineOf(c) {
  if (!c || c.status === "RESOLVED") return null;
  const iso = c.first_response_at ? c.resolution_due_at : (c.first_response_due_at || c.resolution_due_at);
  return iso ? Date.parse(iso) : null;
}

/** "25 min", "1 h", "2 d" for a span in ms. */
export function span(ms) {
  const minutes = Math.max(1, Math.round(Math.abs(ms) / 60000));
  if (minutes < 60) return t("inbox.minutes", { n: minutes });
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return t("inbox.hours", { n: hours });
  return t("inbox.days", { n: Math.floor(hours / 24) });
}

function paintSla(node) {
  const due = Number(node.dataset.due);
  const left = due - Date.now();
  node.textContent = left >= 0 ? t("inbox.slaDueIn", { time: span(left) }) : t("inbox.slaLate", { time: span(left) });
  node.classList.toggle("overdue", left < 0);
  node.classList.toggle("soon", left >= 0 && left < 15 * 60000);
  node.dataset.state = left < 0 ? "overdue" : "ok";
}

function slaBadge(c) {
  const due = deadlineOf(c);
  if (due === null) return null;
  const node = el("span", "inbox-sla");
  node.dataset.testid = "sla";
  node.dataset.due = String(due);
  node.title = c.first_response_at ? t("inbox.slaResolution") : t("inbox.slaFirst");
  paintSla(node);
  return node;
}

setInterval(() => document.querySelectorAll("#conversation-list .inbox-sla").forEach(paintSla), 30000);

// --------------------------------------------------------------------------- rows

/** One list item; a click opens it (delegated in inbox.js, by data-id). */
function convItem(c) {
  const li = el("li", "list-group-item list-group-item-action inbox-conv");
  li.dataset.id = c.id;
  li.dataset.testid = "conversation";
  if (c.priority > 0) li.classList.add("inbox-urgent");
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
  const meta = el("div", "inbox-conv-meta");
  if (c.priority > 0) {
    const urgent = el("span", "badge inbox-priority", t("inbox.urgent"));
    urgent.dataset.testid = "priority";
    meta.append(urgent);
  }
  if (c.team_name) {
    const team = el("span", "badge inbox-team", c.team_name);
    team.dataset.testid = "team-badge";
    team.prepend(el("i", "bi bi-people me-1"));
    meta.append(team);
  }
  if (c.assigned_name) meta.append(el("span", "inbox-assignee text-truncate", c.assigned_name));
  const sla = slaBadge(c);
  if (sla) meta.append(sla);
  if (meta.childNodes.length) li.append(meta);
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

/** The server's order: urgent first, then newest message (or earliest deadline). */
function before(a, b) {
  const pa = a.priority || 0;
  const pb = b.priority || 0;
  if (pa !== pb) return pa > pb;
  if (sortMode() === "deadline") {
    const da = deadlineOf(a) ?? Infinity;
    const db = deadlineOf(b) ?? Infinity;
    if (da !== db) return da < db;
    return a.id < b.id;
  }
  const ta = Date.parse(a.last_message_at || 0);
  const tb = Date.parse(b.last_message_at || 0);
  if (ta !== tb) return ta > tb;
  return a.id > b.id;
}

function showEmpty(list) {
  if (!list.querySelector(".inbox-conv") && !list.querySelector(".inbox-no-items"))
    list.append(el("li", "list-group-item text-muted inbox-no-items", t(activeView() ? "inbox.viewEmpty" : "inbox.empty")));
}

/** Put a conversation where the active sort wants it (or drop it past the loaded page). */
function place(c) {
  const list = $("conversation-list");
  list.querySelectorAll(".inbox-no-items").forEach((n) => n.remove());
  const old = list.querySelector('[data-id="' + c.id + '"]');
  if (old) old.remove();
  const item = convItem(c);
  for (const node of list.querySelectorAll(".inbox-conv")) {
    const other = state.conversations.get(Number(node.dataset.id));
    if (other && before(c, other)) {
      list.insertBefore(item, node);
      return;
    }
  }
  if (!state.cursor) list.append(item); // else it is on a page not loaded yet
}

function removeItem(id) {
  const list = $("conversation-list");
  const old = list.querySelector('[data-id="' + id + '"]');
  if (old) old.remove();
  showEmpty(list);
}

function paintCounts(counts) {
  if (!counts) return;
  document.querySelectorAll(".inbox-view-count").forEach((node) => {
    const n = counts[node.dataset.count];
    node.textContent = n ? String(n) : "";
    node.dataset.value = String(n || 0);
  });
}

// --------------------------------------------------------------------------- live

/** Re-check the queued conversations against the active view and filters (one request),
 *  then insert, move or remove each and refresh the counts. */
async function recheck() {
  recheckTimer = null;
  const ids = Array.from(pending).slice(0, 100); // the endpoint's "only" cap
  ids.forEach((id) => pending.delete(id));
  if (pending.size) recheckTimer = setTimeout(recheck, RECHECK_MS);
  if (!ids.length) return;
  const seq = loadSeq;
  const params = filterParams();
  params.set("only", ids.join(","));
  params.set("limit", String(ids.length));
  let data;
  try {
    data = await getJSON(API + "/conversations?" + params.toString());
  } catch (e) {
    return; // the next event or reconnect catch-up tries again
  }
  if (seq !== loadSeq) return; // the list was reloaded meanwhile (it has the fresh state)
  const matching = new Map(data.items.map((c) => [c.id, c]));
  ids.forEach((id) => {
    const c = matching.get(id);
    if (c) {
      state.conversations.set(c.id, c);
      place(c);
    } else removeItem(id);
  });
  paintCounts(data.counts);
  document.dispatchEvent(new CustomEvent("inbox:rechecked", { detail: { ids: ids } }));
}

function queueRecheck(id) {
  pending.add(id);
  if (!recheckTimer) recheckTimer = setTimeout(recheck, RECHECK_MS);
}

/** A conversation changed (live event, own action): refresh its row now, then
 *  re-check it against the active view and filters (it may appear, move or leave). */
export function upsertConversation(c, moveTop) {
  if (!c) return;
  state.conversations.set(c.id, c);
  const list = $("conversation-list");
  const old = list.querySelector('[data-id="' + c.id + '"]');
  if (old && !moveTop) old.replaceWith(convItem(c));
  if (state.current && state.current.id === c.id) renderHeader(Object.assign(state.current, c));
  queueRecheck(c.id);
}

/** First page (reset) or the next page of the list, with the current view and filters. */
export async function loadConversations(reset) {
  const params = filterParams();
  if (!reset && state.cursor) params.set("cursor", state.cursor);
  const seq = reset ? ++loadSeq : loadSeq;
  const data = await getJSON(API + "/conversations?" + params.toString());
  if (seq !== loadSeq) return; // a newer reset answered first
  noteSync(data);
  const list = $("conversation-list");
  if (reset) list.replaceChildren();
  data.items.forEach((c) => {
    state.conversations.set(c.id, c);
    list.querySelector('[data-id="' + c.id + '"]')?.remove();
    list.append(convItem(c));
  });
  if (reset && !data.items.length) showEmpty(list);
  state.cursor = data.next_cursor;
  $("more-conversations").classList.toggle("d-none", !data.next_cursor);
  paintCounts(data.counts);
}

if (filtersForm()) chooseInitialView();
