// The flow's triggers and timeout settings as form fields (graph.triggers / graph.settings,
// the shapes graph.py validates). Every change goes to the graph at once; the editor
// autosaves and re-validates.
import { esc } from "./panel.js";

const KINDS = ["keyword", "new_conversation", "off_hours", "campaign_reply", "manual"];
const MAX_TRIGGERS = 20;

function defaults(kind) {
  if (kind === "keyword") return { kind, keywords: [], match: "exact" };
  if (kind === "campaign_reply") return { kind, campaign_id: null };
  return { kind };
}

const words = (value) => value.split(",").map((w) => w.trim()).filter(Boolean);

/** Draw and wire the triggers list into `root`; `changed()` is the editor's autosave hook. */
export function mountTriggers(root, graph, { t, lists, changed }) {
  graph.triggers = Array.isArray(graph.triggers) ? graph.triggers : [];
  const triggers = graph.triggers;

  function card(trig, i) {
    const kind = KINDS.includes(trig.kind) ? trig.kind : "";
    let body = "";
    if (kind === "keyword") {
      body = `<div data-pf="triggers.${i}.keywords"><label class="form-label small mb-0 w-100">${esc(t.keywords)}<input class="form-control form-control-sm" data-tf="keywords" data-i="${i}" value="${esc((trig.keywords || []).join(", "))}" maxlength="3000" placeholder="${esc(t.keywordsPlaceholder)}" data-testid="trigger-keywords"></label><div class="flow-field-problems"></div></div>
        <div data-pf="triggers.${i}.match"><label class="form-label small mb-0 w-100">${esc(t.match)}<select class="form-select form-select-sm" data-tf="match" data-i="${i}" data-testid="trigger-match"><option value="exact"${trig.match !== "contains" ? " selected" : ""}>${esc(t.matchExact)}</option><option value="contains"${trig.match === "contains" ? " selected" : ""}>${esc(t.matchContains)}</option></select></label><div class="flow-field-problems"></div></div>`;
    } else if (kind === "campaign_reply") {
      const campaigns = lists.campaigns || [];
      body = `<div data-pf="triggers.${i}.campaign_id"><label class="form-label small mb-0 w-100">${esc(t.campaign)}<select class="form-select form-select-sm" data-tf="campaign_id" data-i="${i}" data-testid="trigger-campaign"><option value="">${esc(t.anyCampaign)}</option>${campaigns.map((c) => `<option value="${c.id}"${trig.campaign_id === c.id ? " selected" : ""}>${esc(c.name)}</option>`).join("")}</select></label><div class="flow-field-problems"></div></div>`;
    }
    const help = t[`trigHelp_${kind}`] || "";
    return `<div class="border rounded p-2 mb-2" data-testid="trigger" data-pf="triggers.${i}">
      <div class="d-flex gap-1 align-items-center mb-1"><select class="form-select form-select-sm" data-tf="kind" data-i="${i}" aria-label="${esc(t.triggerKind)}" data-testid="trigger-kind">${kind ? "" : `<option value="" selected>?</option>`}${KINDS.map((k) => `<option value="${k}"${k === kind ? " selected" : ""}>${esc(t[`trig_${k}`])}</option>`).join("")}</select>
        <button type="button" class="btn btn-sm btn-outline-danger" data-tact="del" data-i="${i}" aria-label="${esc(t.remove)}" data-testid="trigger-remove"><i class="bi bi-x"></i></button></div>
      ${help ? `<div class="small text-body-secondary mb-1">${esc(help)}</div>` : ""}${body}<div class="flow-field-problems"></div></div>`;
  }

  function draw() {
    root.innerHTML = `${triggers.length ? triggers.map(card).join("") : `<p class="small text-warning-emphasis">${esc(t.noTriggers)}</p>`}
      <div data-pf="triggers"><div class="flow-field-problems"></div></div>
      <button type="button" class="btn btn-sm btn-outline-secondary" data-tact="add" data-testid="trigger-add"${triggers.length >= MAX_TRIGGERS ? " disabled" : ""}><i class="bi bi-plus"></i> ${esc(t.addTrigger)}</button>`;
  }

  root.addEventListener("input", (e) => {
    const el = e.target;
    if (el.dataset.tf !== "keywords") return;
    triggers[+el.dataset.i].keywords = words(el.value);
    changed();
  });
  root.addEventListener("change", (e) => {
    const el = e.target;
    const i = +el.dataset.i;
    if (el.dataset.tf === "kind") {
      triggers[i] = defaults(el.value);
      draw();
    } else if (el.dataset.tf === "match") triggers[i].match = el.value;
    else if (el.dataset.tf === "campaign_id") triggers[i].campaign_id = el.value ? parseInt(el.value, 10) : null;
    else return;
    changed();
  });
  root.addEventListener("click", (e) => {
    const b = e.target.closest("[data-tact]");
    if (!b) return;
    if (b.dataset.tact === "add" && triggers.length < MAX_TRIGGERS) triggers.push(defaults("keyword"));
    else if (b.dataset.tact === "del") triggers.splice(+b.dataset.i, 1);
    else return;
    draw();
    changed();
  });
  draw();
}
