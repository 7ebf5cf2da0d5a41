// Template fallback when the 24 h window is closed: pick an approved template, fill its slots.
import { t } from "../i18n.js";
import { getJSON, postJSON } from "./api.js";
import { $, el } from "./dom.js";
import { showError } from "./errors.js";
import { appendMessage } from "./messages.js";
import { API, state } from "./state.js";

/** One input per variable of the template (header media link, header, body, buttons). */
export function slotInputs(tpl) {
  const box = $("template-vars");
  box.replaceChildren();
  const add = (group, key, label) => {
    const input = el("input", "form-control form-control-sm mb-1");
    input.dataset.group = group;
    if (key !== undefined) input.dataset.key = key;
    input.placeholder = label;
    input.setAttribute("aria-label", label);
    box.append(input);
  };
  const s = tpl.slots || {};
  if (s.header_media) add("header_media", undefined, t("inbox.mediaLink") + " (" + s.header_media + ")");
  for (let i = 1; i <= (s.header || 0); i++) add("header", undefined, t("inbox.header") + " {{" + i + "}}");
  for (let i = 1; i <= (s.body || 0); i++) add("body", undefined, t("inbox.body") + " {{" + i + "}}");
  Object.entries(s.buttons || {}).forEach(([idx, n]) => {
    for (let i = 1; i <= n; i++) add("buttons", idx, t("inbox.button") + " " + (Number(idx) + 1) + " {{" + i + "}}");
  });
  $("template-preview").textContent = [tpl.header, tpl.body].filter(Boolean).join(" — ");
}

export async function openTemplates() {
  $("template-panel").classList.remove("d-none");
  // Only the approved templates of this conversation's number's WABA (another WABA's
  // would be refused by Meta), fetched again for each conversation.
  const id = state.current ? state.current.id : null;
  if (!state.templates || state.templatesFor !== id) {
    state.templates = (await getJSON(API + "/templates" + (id ? "?conversation_id=" + id : ""))).items;
    state.templatesFor = id;
  }
  const select = $("template-select");
  select.replaceChildren();
  if (!state.templates.length) select.append(el("option", "", t("inbox.noTemplates")));
  state.templates.forEach((tpl) => {
    const opt = el("option", "", tpl.name + " (" + tpl.language + ")");
    opt.value = tpl.id;
    select.append(opt);
  });
  if (state.templates.length) slotInputs(state.templates[0]);
}

/** The selected template again (after a change of the select). */
export function selectTemplate(id) {
  const tpl = (state.templates || []).find((x) => String(x.id) === id);
  if (tpl) slotInputs(tpl);
}

function templateValues() {
  const values = { header: [], body: [], buttons: {} };
  $("template-vars").querySelectorAll("input").forEach((input) => {
    const g = input.dataset.group;
    if (g === "header_media") values.header_media = { link: input.value.trim() };
    else if (g === "buttons") (values.buttons[input.dataset.key] = values.buttons[input.dataset.key] || []).push(input.value);
    else values[g].push(input.value);
  });
  return values;
}

export async function sendTemplate() {
  if (!state.current) return;
  showError(null);
  try {
    const data = await postJSON(API + "/conversations/" + state.current.id + "/template", {
      template_id: Number($("template-select").value), values: templateValues(),
    });
    appendMessage(data.message);
    $("template-panel").classList.add("d-none");
  } catch (err) {
    if (err.details && err.details.message) appendMessage(err.details.message);
    showError(err);
  }
}
