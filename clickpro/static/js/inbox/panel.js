// The open conversation's header (name, window, assignee, resolve) and contact side panel.
import { formatPhone, t } from "../i18n.js";
import { $, el } from "./dom.js";

export function renderHeader(c) {
  $("thread-name").textContent = c.name || c.contact_label;
  $("thread-phone").textContent = c.contact_label + (c.number_name ? " · " + t("inbox.via", { number: c.number_name }) : "");
  const w = $("thread-window");
  w.className = "badge " + (c.window_open ? "text-bg-success" : "text-bg-secondary");
  w.textContent = c.window_open ? t("inbox.windowOpen") : t("inbox.windowClosed");
  w.dataset.open = c.window_open ? "1" : "0";
  $("window-closed").classList.toggle("d-none", !!c.window_open);
  $("thread-assign").value = c.assigned_user_id || "";
  $("thread-resolve").textContent = c.status === "RESOLVED" ? t("inbox.reopen") : t("inbox.resolve");
  $("side-ai").checked = !!c.ai_paused;
  document.dispatchEvent(new CustomEvent("inbox:header", { detail: c })); // snooze.js
  document.querySelectorAll(".side-label").forEach((box) => {
    box.checked = (c.labels || []).some((l) => String(l.id) === box.value);
  });
}

export function renderSide(c) {
  const details = $("side-details");
  details.replaceChildren();
  [
    [t("inbox.phone"), c.phone ? formatPhone(c.phone) : "—"],
    [t("inbox.username"), c.username ? "@" + c.username.replace(/^@/, "") : ""],
    [t("inbox.number"), c.number_name],
    [t("inbox.optOutStatus"), c.opted_out ? t("inbox.optedOut") : t("inbox.no")],
  ].filter(([, v]) => v).forEach(([k, v]) => details.append(el("dt", "", k), el("dd", "", v)));
  const attrs = $("side-attributes");
  attrs.replaceChildren();
  Object.entries(c.attributes || {}).forEach(([k, v]) => attrs.append(el("dt", "", k), el("dd", "", String(v))));
  const lists = $("side-lists");
  lists.replaceChildren();
  (c.lists || []).forEach((l) => lists.append(el("li", "", l.name)));
  $("side").classList.remove("d-none");
}
