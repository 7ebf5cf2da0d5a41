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
(function () {
  "use strict";

  var NAME_RE = /^[a-z0-9_]+$/;
  var VAR_RE = /\{\{(\d+)\}\}/g;

  function variableCount(text) {
    var max = 0;
    String(text || "").replace(VAR_RE, function (match, n) {
      max = Math.max(max, parseInt(n, 10));
      return match;
    });
    return Math.min(max, 100);
  }

  function syncExamples(form) {
    var body = form.querySelector("#body_text");
    var box = form.querySelector("[data-body-examples]");
    if (!body || !box) return;
    var wanted = variableCount(body.value);
    var rows = box.querySelectorAll("[data-example-row]");
    for (var i = rows.length; i < wanted; i++) {
      var n = i + 1;
      var row = document.createElement("div");
      row.className = "input-group input-group-sm mb-2";
      row.setAttribute("data-example-row", "");
      row.setAttribute("data-var", String(n));
      var label = document.createElement("span");
      label.className = "input-group-text";
      label.textContent = "Exemplo {{" + n + "}}";
      var input = document.createElement("input");
      input.name = "body_example";
      input.className = "form-control";
      input.setAttribute("data-preview", "body_example");
      input.setAttribute("aria-label", "Exemplo da variável " + n);
      input.placeholder = "Valor de exemplo para {{" + n + "}}";
      row.appendChild(label);
      row.appendChild(input);
      box.appendChild(row);
    }
    // Extra rows are removed only while empty, so a typo in the body loses no example.
    for (var j = rows.length - 1; j >= wanted; j--) {
      var extra = rows[j].querySelector("input");
      if (extra && extra.value.trim() !== "") break;
      rows[j].remove();
    }
  }

  function syncHeader(form) {
    var select = form.querySelector("[data-header-format]");
    if (!select) return;
    var fmt = select.value;
    var textPart = form.querySelector('[data-header-part="TEXT"]');
    var mediaPart = form.querySelector('[data-header-part="MEDIA"]');
    if (textPart) textPart.hidden = fmt !== "TEXT";
    if (mediaPart) mediaPart.hidden = ["IMAGE", "VIDEO", "DOCUMENT"].indexOf(fmt) < 0;
    var text = form.querySelector("#header_text");
    var example = form.querySelector("[data-header-example]");
    if (example && text) example.hidden = variableCount(text.value) === 0;
  }

  function syncButtonRow(row) {
    var type = row.querySelector("[data-button-type]");
    var value = type ? type.value : "QUICK_REPLY";
    var parts = row.querySelectorAll("[data-show-for]");
    Array.prototype.forEach.call(parts, function (part) {
      var types = part.getAttribute("data-show-for").split(/\s+/);
      part.hidden = types.indexOf(value) < 0;
    });
  }

  function syncButtons(form) {
    var rows = form.querySelectorAll("[data-button-row]");
    Array.prototype.forEach.call(rows, syncButtonRow);
    var add = form.querySelector("[data-add-button]");
    if (add) add.disabled = rows.length >= parseInt(add.getAttribute("data-max") || "10", 10);
  }

  function addButton(form) {
    var tpl = form.querySelector("template[data-button-template]");
    var list = form.querySelector("[data-button-list]");
    if (!tpl || !list) return;
    var fragment = tpl.content.cloneNode(true);
    list.appendChild(fragment);
    syncButtons(form);
    var rows = list.querySelectorAll("[data-button-row]");
    var input = rows[rows.length - 1].querySelector('input[name="button_text"]');
    if (input) input.focus();
  }

  function checkName(form) {
    var input = form.querySelector("[data-template-name]");
    if (!input) return true;
    var ok = input.value === "" || NAME_RE.test(input.value);
    input.classList.toggle("is-invalid", !ok);
    var message = form.querySelector("[data-name-error]");
    if (message) message.classList.toggle("d-block", !ok);
    return ok;
  }

  function bind(form) {
    form.addEventListener("input", function (event) {
      var target = event.target;
      if (target.id === "body_text") syncExamples(form);
      if (target.id === "header_text") syncHeader(form);
      if (target.hasAttribute("data-template-name")) checkName(form);
    });
    form.addEventListener("change", function (event) {
      var target = event.target;
      if (target.hasAttribute("data-header-format")) syncHeader(form);
      if (target.hasAttribute("data-button-type")) syncButtonRow(target.closest("[data-button-row]"));
    });
    form.addEventListener("click", function (event) {
      var add = event.target.closest("[data-add-button]");
      if (add) {
        event.preventDefault();
        addButton(form);
        return;
      }
      var remove = event.target.closest("[data-remove-button]");
      if (remove) {
        event.preventDefault();
        remove.closest("[data-button-row]").remove();
        syncButtons(form);
      }
    });
    form.addEventListener("submit", function (event) {
      var input = form.querySelector("[data-template-name]");
      if (!checkName(form) || (input && input.value.trim() === "")) {
        event.preventDefault();
        if (input) {
          input.classList.add("is-invalid");
          var message = form.querySelector("[data-name-error]");
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
    var forms = document.querySelectorAll("form[data-template-form]");
    Array.prototype.forEach.call(forms, bind);
  }

  window.ClickProTemplateForm = { init: init, variableCount: variableCount };

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
