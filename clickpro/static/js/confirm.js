// Destructive actions ask first. Any form with data-confirm="question" (on every page:
// base.html loads this module) opens a dialog with that question; the action runs only
// after "Confirmar" (data-confirm-button names the button, e.g. "Revogar"). Without
// Bootstrap the browser's confirm() asks instead. Forms marked the older way
// (class js-confirm) are the same thing.
const SELECTOR = "form[data-confirm], form.js-confirm";

function question(form) {
  return form.dataset.confirm || "";
}

function submitConfirmed(form, submitter) {
  // form.submit() fires no submit event: no listener (ours or a page's) asks again.
  if (submitter && submitter.name) {
    const carry = document.createElement("input");
    carry.type = "hidden";
    carry.name = submitter.name;
    carry.value = submitter.value;
    form.appendChild(carry);
  }
  HTMLFormElement.prototype.submit.call(form);
}

function dialog() {
  let modal = document.getElementById("confirm-modal");
  if (modal) return modal;
  const template = document.getElementById("confirm-dialog");
  if (!template || !window.bootstrap) return null;
  document.body.appendChild(template.content.cloneNode(true));
  modal = document.getElementById("confirm-modal");
  return modal;
}

function ask(form, submitter) {
  const modal = dialog();
  if (!modal) {
    if (window.confirm(question(form))) submitConfirmed(form, submitter);
    return;
  }
  modal.querySelector("[data-confirm-text]").textContent = question(form);
  const ok = modal.querySelector("[data-confirm-ok]");
  ok.textContent = form.dataset.confirmButton || ok.dataset.defaultLabel;
  const instance = window.bootstrap.Modal.getOrCreateInstance(modal);
  const onOk = () => {
    instance.hide();
    submitConfirmed(form, submitter);
  };
  ok.addEventListener("click", onOk, { once: true });
  modal.addEventListener("hidden.bs.modal", () => ok.removeEventListener("click", onOk), {
    once: true,
  });
  instance.show();
  modal.addEventListener("shown.bs.modal", () => ok.focus(), { once: true });
}

function onSubmit(event) {
  const form = event.target instanceof HTMLFormElement ? event.target : null;
  if (!form || !form.matches(SELECTOR)) return;
  // Capture phase on the document: runs before the form's own listeners, which never
  // see an unconfirmed submit.
  event.preventDefault();
  event.stopImmediatePropagation();
  ask(form, event.submitter);
}

if (!window.ClickProConfirm) {
  window.ClickProConfirm = true;
  document.addEventListener("submit", onSubmit, true);
}
