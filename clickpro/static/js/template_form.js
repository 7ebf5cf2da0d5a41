/*
 * ClickPro — guided template form (vanilla JS, no libraries).
 *
 * Works on <form data-template-form>:
 *   - one example input per body variable, added/removed as {{n}} are typed
 *     ([data-body-examples], inputs name="body_example" data-preview="body_example");
 *   - header parts shown by format ([data-header-format], [data-header-part="TEXT|MEDIA"]),
 *     the header example only when the header text has {{1}} ([data-header-example]);
 *   - button rows: add ([data-add-button], clones <template data-button-template>),
 *     remove ([data-remove-button]), fields shown by type ([data-show-for="URL …"]);
 *   - the name is checked before submit (lower-case letters, digits, _).
 * The live preview itself is template_preview.js (it watches the same inputs).
 * The server (validate_draft) stays the reference for every rule.
 */
import { t } from "./i18n.js";

function main() {
  let NAME_RE = /^[a-z0-9_]+$/;
  let VAR_RE = /\{\{(\d+)\}\}/g;

  function variableCount(text) {
    let max = 0;
    String(text || "").replace(VAR_RE, function (match, n) {
      max = Math.max(max, parseInt(n, 10));
      return match;
    });
    return Math.min(max, 100);
  }

  function syncExamples(form) {
    let body = form.querySelector("#body_text");
    let box = form.querySelector("[data-body-examples]");
    if (!body || !box) return;
    let wanted = variableCount(body.value);
    let rows = box.querySelectorAll("[data-example-row]");
    for (let i = rows.length; i < wanted; i++) {
      let n = i + 1;
      let row = document.createElement("div");
      row.className = "input-group input-group-sm mb-2";
      row.setAttribute("data-example-row", "");
      row.setAttribute("data-var", String(n));
      let label = document.createElement("span");
      label.className = "input-group-text";
      label.textContent = t("template.example", { n: n });
      let input = document.createElement("input");
      input.name = "body_example";
      input.className = "form-control";
      input.setAttribute("data-preview", "body_example");
      input.setAttribute("aria-label", t("template.exampleLabel", { n: n }));
      input.placeholder = t("template.examplePlaceholder", { n: n });
      row.appendChild(label);
      row.appendChild(input);
      box.appendChild(row);
    }
    // Extra rows are removed only while empty, so a typo in the body loses no example.
    for (let j = rows.length - 1; j >= wanted; j--) {
      let extra = rows[j].querySelector("input");
      if (extra && extra.value.trim() !== "") break;
      rows[j].remove();
    }
  }

  function syncHeader(form) {
    let select = form.querySelector("[data-header-format]");
    if (!select) return;
    let fmt = select.value;
    let textPart = form.querySelector('[data-header-part="TEXT"]');
    let mediaPart = form.querySelector('[data-header-part="MEDIA"]');
    if (textPart) textPart.hidden = fmt !== "TEXT";
    if (mediaPart) mediaPart.hidden = ["IMAGE", "VIDEO", "DOCUMENT"].indexOf(fmt) < 0;
    let text = form.querySelector("#header_text");
    let example = form.querySelector("[data-header-example]");
    if (example && text) example.hidden = variableCount(text.value) === 0;
  }

  function syncButtonRow(row) {
    let type = row.querySelector("[data-button-type]");
    let value = type ? type.value : "QUICK_REPLY";
    let parts = row.querySelectorAll("[data-show-for]");
    Array.prototype.forEach.call(parts, function (part) {
      let types = part.getAttribute("data-show-for").split(/\s+/);
      part.hidden = types.indexOf(value) < 0;
    });
  }

  function syncButtons(form) {
    let rows = form.querySelectorAll("[data-button-row]");
    Array.prototype.forEach.call(rows, syncButtonRow);
    let add = form.querySelector("[data-add-button]");
    if (add) add.disabled = rows.length >= parseInt(add.getAttribute("data-max") || "10", 10);
  }

  function addButton(form) {
    let tpl = form.querySelector("template[data-button-template]");
    let list = form.querySelector("[data-button-list]");
    if (!tpl || !list) return;
    let fragment = tpl.content.cloneNode(true);
    list.appendChild(fragment);
    syncButtons(form);
    let rows = list.querySelectorAll("[data-button-row]");
    let input = rows[rows.length - 1].querySelector('input[name="button_text"]');
    if (input) input.focus();
  }

  function checkName(form) {
    let input = form.querySelector("[data-template-name]");
    if (!input) return true;
    let ok = input.value === "" || NAME_RE.test(input.value);
    input.classList.toggle("is-invalid", !ok);
    let message = form.querySelector("[data-name-error]");
    if (message) message.classList.toggle("d-block", !ok);
    return ok;
  }

  function bind(form) {
    form.addEventListener("input", function (event) {
      let target = event.target;
      if (target.id === "body_text") syncExamples(form);
      if (target.id === "header_text") syncHeader(form);
      if (target.hasAttribute("data-template-name")) checkName(form);
    });
    form.addEventListener("change", function (event) {
      let target = event.target;
      if (target.hasAttribute("data-header-format")) syncHeader(form);
      if (target.hasAttribute("data-button-type")) syncButtonRow(target.closest("[data-button-row]"));
    });
    form.addEventListener("click", function (event) {
      let add = event.target.closest("[data-add-button]");
      if (add) {
        event.preventDefault();
        addButton(form);
        return;
      }
      let remove = event.target.closest("[data-remove-button]");
      if (remove) {
        event.preventDefault();
        remove.closest("[data-button-row]").remove();
        syncButtons(form);
      }
    });
    form.addEventListener("submit", function (event) {
      let input = form.querySelector("[data-template-name]");
      if (!checkName(form) || (input && input.value.trim() === "")) {
        event.preventDefault();
        if (input) {
          input.classList.add("is-invalid");
          let message = form.querySelector("[data-name-error]");
          if (message) message.classList.add("d-block");
          input.focus();
        }
      }
    });
    syncExamples(form);
    syncHeader(form);
    syncButtons(form);
  }

  function init() {
    let forms = document.querySelectorAll("form[data-template-form]");
    Array.prototype.forEach.call(forms, bind);
  }

  window.ClickProTemplateForm = { init: init, variableCount: variableCount };

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
}

main();
