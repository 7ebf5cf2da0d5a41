// Transfer dialog (team and/or agent, internal note) and the conversation's history
// (ConversationEvent rows) in the side panel. Endpoints: /teams, /conversations/<id>/transfer,
// /conversations/<id>/events (clickpro/blueprints/inbox/transfer.py).
import { t } from "../i18n.js";
import { getJSON, postJSON } from "./api.js";
import { upsertConversation } from "./conversations.js";
import { $, el } from "./dom.js";
import { fmtDay, fmtTime } from "./format.js";
import { API, state } from "./state.js";

let directory = null; // {teams: [{id, name, member_ids}], agents: [{id, name}], me}
let historyFor = null;

async function loadDirectory() {
  if (!directory) directory = await getJSON(API + "/teams");
  return directory;
}

function option(value, text) {
  const o = el("option", "", text);
  o.value = value === null ? "" : String(value);
  return o;
}

/** The agent menu: the chosen team's members (none chosen: everyone). */
function fillAgents(teamId, selected) {
  const sel = $("transfer-user");
  sel.replaceChildren(option(null, t("inbox.teamQueue")));
  const team = directory.teams.find((x) => String(x.id) === String(teamId));
  if (team) {
    const group = el("optgroup");
    group.label = t("inbox.teamMembers");
    directory.agents.filter((a) => team.member_ids.includes(a.id)).forEach((a) => group.append(option(a.id, a.name)));
    sel.append(group);
  } else directory.agents.forEach((a) => sel.append(option(a.id, a.name)));
  sel.value = selected ? String(selected) : "";
  if (sel.value !== String(selected || "")) sel.value = "";
}

async function openDialog() {
  const c = state.current;
  if (!c) return;
  await loadDirectory();
  const teamSel = $("transfer-team");
  teamSel.replaceChildren(option(null, t("inbox.noTeam")));
  directory.teams.forEach((x) => teamSel.append(option(x.id, x.name)));
  teamSel.value = c.team_id ? String(c.team_id) : "";
  fillAgents(teamSel.value, c.assigned_user_id);
  $("transfer-note").value = "";
  $("transfer-error").textContent = "";
  const modal = $("transfer-modal");
  if (modal.parentElement !== document.body) document.body.append(modal); // out of the panes' layout
  window.bootstrap.Modal.getOrCreateInstance(modal).show();
}

async function submit(e) {
  e.preventDefault();
  const c = state.current;
  if (!c) return;
  const body = {
    team_id: $("transfer-team").value ? Number($("transfer-team").value) : null,
    user_id: $("transfer-user").value ? Number($("transfer-user").value) : null,
    note: $("transfer-note").value.trim() || null,
  };
  const button = e.target.querySelector('[type="submit"]');
  button.disabled = true;
  try {
    const data = await postJSON(API + "/conversations/" + c.id + "/transfer", body);
    window.bootstrap.Modal.getOrCreateInstance($("transfer-modal")).hide();
    upsertConversation(data.conversation, false);
    renderHistory(data.events);
  } catch (err) {
    $("transfer-error").textContent = err.message || String(err);
  } finally {
    button.disabled = false;
  }
}

// --------------------------------------------------------------------------- history

function actorName(ev) {
  if (ev.actor_name) return ev.actor_name;
  const key = { system: "inbox.actorSystem", ai: "inbox.actorAi", api: "inbox.actorApi", flow: "inbox.actorFlow", rule: "inbox.actorRule" }[ev.actor];
  return t(key || "inbox.actorSomeone");
}

function eventText(ev) {
  const actor = actorName(ev);
  const target = [ev.to_team_name, ev.to_user_name].filter(Boolean).join(" · ");
  switch (ev.kind) {
    case "assigned":
    case "transferred":
      if (!target) return t("inbox.evUnassigned", { actor: actor });
      return t(ev.kind === "transferred" ? "inbox.evTransferred" : "inbox.evAssigned", { actor: actor, target: target });
    case "resolved": return t("inbox.evResolved", { actor: actor });
    case "reopened": return t("inbox.evReopened", { actor: actor });
    case "snoozed": return t("inbox.evSnoozed", { actor: actor });
    case "unsnoozed": return t("inbox.evUnsnoozed");
    case "off_hours_reply": return t("inbox.evOffHours");
    case "sla_breached": return t("inbox.evSlaBreached");
    case "csat": return t("inbox.evCsat", { score: (ev.data && ev.data.score) || "" });
    default: return t("inbox.evOther", { actor: actor, kind: ev.kind });
  }
}

function renderHistory(items) {
  const list = $("side-history");
  if (!list) return;
  list.replaceChildren();
  if (!items.length) list.append(el("li", "text-muted", t("inbox.historyEmpty")));
  items.slice().reverse().forEach((ev) => {
    const li = el("li", "inbox-event inbox-event-" + ev.kind);
    li.dataset.testid = "history-event";
    li.dataset.kind = ev.kind;
    li.append(el("div", "inbox-event-text", eventText(ev)));
    if (ev.note) {
      const note = el("div", "inbox-event-note", ev.note);
      note.dataset.testid = "history-note";
      li.append(note);
    }
    li.append(el("time", "inbox-event-time text-muted", fmtDay(ev.created_at) + " " + fmtTime(ev.created_at)));
    list.append(li);
  });
}

/** Load the open conversation's history into the side panel. */
export async function loadHistory(conversationId) {
  historyFor = conversationId;
  try {
    const data = await getJSON(API + "/conversations/" + conversationId + "/events");
    if (historyFor === conversationId) renderHistory(data.items);
  } catch (e) { /* the panel keeps the last history */ }
}

if ($("transfer-form")) {
  $("thread-transfer").addEventListener("click", () => openDialog().catch((err) => { $("transfer-error").textContent = String(err); }));
  $("transfer-team").addEventListener("change", () => fillAgents($("transfer-team").value, $("transfer-user").value));
  $("transfer-form").addEventListener("submit", submit);
  // The open conversation's header is drawn (panel.js): another conversation → its history.
  document.addEventListener("inbox:header", (e) => {
    if (e.detail && e.detail.id !== historyFor) loadHistory(e.detail.id);
  });
  // A live change of the open conversation (transfer elsewhere, resolve...): fresh history.
  document.addEventListener("inbox:rechecked", (e) => {
    if (state.current && e.detail.ids.includes(state.current.id)) loadHistory(state.current.id);
  });
}
