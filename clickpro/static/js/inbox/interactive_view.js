// Interactive messages in the thread, WhatsApp-style: an outbound message's reply
// buttons or list, a customer's chosen option (button_reply / list_reply / template
// button) and the quoted message it answers (click: scroll to it).
import { t } from "../i18n.js";
import { el, messageRow } from "./dom.js";

function quote(m) {
  const q = el("button", "inbox-ia-quote");
  q.type = "button";
  q.dataset.testid = "reply-quote";
  q.append(el("span", "inbox-ia-quote-text", m.context.body || t("inbox.iaQuoted")));
  if (m.context.id) {
    q.dataset.target = m.context.id;
    q.addEventListener("click", () => {
      const row = messageRow(m.context.id);
      if (!row) return;
      row.scrollIntoView({ block: "center", behavior: "smooth" });
      row.classList.add("inbox-ia-flash");
      setTimeout(() => row.classList.remove("inbox-ia-flash"), 1500);
    });
  } else q.disabled = true;
  return q;
}

function outbound(view) {
  const box = el("div", "inbox-ia-box");
  if (view.type === "button") {
    const row = el("div", "inbox-ia-buttons");
    (view.buttons || []).forEach((title) => row.append(el("div", "inbox-ia-button", title)));
    box.append(row);
  } else if (view.type === "list") {
    const toggle = el("button", "inbox-ia-button inbox-ia-listbtn");
    toggle.type = "button";
    toggle.dataset.testid = "list-button";
    toggle.append(el("i", "bi bi-list-ul me-1"), document.createTextNode(view.button || ""));
    const sheet = el("div", "inbox-ia-sheet d-none");
    (view.sections || []).forEach((section) => {
      if (section.title) sheet.append(el("div", "inbox-ia-section", section.title));
      (section.rows || []).forEach((r) => {
        const item = el("div", "inbox-ia-row");
        item.append(el("div", "inbox-ia-row-title", r.title));
        if (r.description) item.append(el("div", "inbox-ia-row-desc", r.description));
        sheet.append(item);
      });
    });
    toggle.addEventListener("click", () => sheet.classList.toggle("d-none"));
    box.append(toggle, sheet);
  }
  return box;
}

/** Add the interactive parts of ``m`` to its bubble ``b`` (before its time line). */
export function decorate(b, m) {
  const body = b.querySelector(".wa-body") || b.querySelector(".wa-meta");
  if (m.context) b.insertBefore(quote(m), body);
  if (m.reply) {
    b.classList.add("inbox-ia-reply");
    const chosen = el("div", "inbox-ia-chosen");
    chosen.dataset.testid = "reply-chosen";
    chosen.append(el("i", "bi " + (m.reply.kind === "list_reply" ? "bi-list-check" : "bi-reply") + " me-1"),
      document.createTextNode(m.reply.title));
    if (m.reply.description) chosen.append(el("span", "inbox-ia-row-desc ms-1", m.reply.description));
    if (body.classList.contains("wa-body")) body.replaceWith(chosen);
    else b.insertBefore(chosen, body);
  }
  if (m.interactive) {
    const box = outbound(m.interactive);
    if (m.interactive.header) b.insertBefore(el("div", "fw-semibold", m.interactive.header), b.querySelector(".wa-body"));
    const meta = b.querySelector(".wa-meta");
    if (m.interactive.footer) b.insertBefore(el("div", "small text-muted", m.interactive.footer), meta);
    b.insertBefore(box, meta);
  }
}
