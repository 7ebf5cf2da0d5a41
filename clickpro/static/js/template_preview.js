/*
 * ClickPro — live WhatsApp template preview (vanilla JS, no libraries).
 *
 * Wiring (no need to edit this file):
 *   <div data-template-preview></div>            preview container; its value may be a CSS
 *                                                 selector of the form to read (default: the
 *                                                 closest <form>, else the whole document)
 *   <input data-preview="name|header_format|header_text|header_example|body_text|
 *                        body_example|footer_text|button_type|button_text">
 *       body_example, button_type and button_text repeat and are read in DOM order
 *       (the n-th button_type pairs with the n-th button_text).
 *   <span data-counter-for="body_text"></span>   live counter "x/1024" (also header_text,
 *                                                 footer_text)
 *   <ul data-preview-warnings></ul>               optional place for the warning list
 *                                                 (default: under the preview)
 *
 * Self-check / tests: window.ClickProTemplatePreview.render(state) -> html string, where
 *   state = {name, header_format, header_text, header_example, body_text,
 *            body_examples: [..], footer_text, buttons: [{type, text}]}
 * Styles: static/css/whatsapp.css (.wa-chat, .wa-bubble…).
 */
import { t } from "./i18n.js";

function main() {
  let LIMITS = { header_text: 60, body_text: 1024, footer_text: 60, button_text: 25 };
  let MEDIA = {
    IMAGE: { icon: "\uD83D\uDDBC\uFE0F", label: t("template.image") },
    VIDEO: { icon: "\u25B6\uFE0F", label: t("template.video") },
    DOCUMENT: { icon: "\uD83D\uDCC4", label: t("template.document") },
    LOCATION: { icon: "\uD83D\uDCCD", label: t("template.location") },
  };
  let BUTTON_ICONS = {
    QUICK_REPLY: "\u21A9\uFE0E",
    URL: "\u2197\uFE0E",
    PHONE_NUMBER: "\u260E\uFE0E",
    COPY_CODE: "\u2398",
  };
  let BUTTON_DEFAULT_TEXT = {
    QUICK_REPLY: t("template.quickReply"),
    URL: t("template.visitSite"),
    PHONE_NUMBER: t("template.call"),
    COPY_CODE: t("template.copyCode"),
  };
  let VAR_RE = /\{\{(\d+)\}\}/g;

  function escapeHtml(value) {
    return String(value == null ? "" : value)
      .replace(/&/g, "&amp;")
      .replace(/</g, "&lt;")
      .replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;")
      .replace(/'/g, "&#39;");
  }

  /** Distinct variable numbers in order of first appearance: "{{2}} {{1}}" -> [2, 1]. */
  function variablesIn(text) {
    let seen = [];
    String(text || "").replace(VAR_RE, function (_, n) {
      n = parseInt(n, 10);
      if (seen.indexOf(n) < 0) seen.push(n);
      return _;
    });
    return seen;
  }

  /** WhatsApp text: *bold*, _italic_, ~strike~, ```mono```, line breaks; {{n}} replaced
   *  by the example (escaped) or shown highlighted when there is none. */
  function formatText(text, examples) {
    let tokens = [];
    let marked = String(text || "").replace(VAR_RE, function (match, n) {
      tokens.push(n);
      return "\u0000" + (tokens.length - 1) + "\u0000";
    });
    let html = escapeHtml(marked)
      .replace(/```([^`]+)```/g, "<code>$1</code>")
      .replace(/(^|[\s>])\*([^*\n]+)\*(?=$|[\s<.,!?;:])/g, "$1<strong>$2</strong>")
      .replace(/(^|[\s>])_([^_\n]+)_(?=$|[\s<.,!?;:])/g, "$1<em>$2</em>")
      .replace(/(^|[\s>])~([^~\n]+)~(?=$|[\s<.,!?;:])/g, "$1<s>$2</s>")
      .replace(/\n/g, "<br>");
    return html.replace(/\u0000(\d+)\u0000/g, function (_, i) {
      let n = parseInt(tokens[parseInt(i, 10)], 10);
      let example = (examples || [])[n - 1];
      if (example != null && String(example).trim() !== "") {
        return '<span class="wa-var-filled">' + escapeHtml(example) + "</span>";
      }
      return '<span class="wa-var">{{' + n + "}}</span>";
    });
  }

  function normalizeState(state) {
    state = state || {};
    return {
      name: state.name || "",
      header_format: String(state.header_format || "NONE").toUpperCase(),
      header_text: state.header_text || "",
      header_example: state.header_example || "",
      body_text: state.body_text || "",
      body_examples: state.body_examples || [],
      footer_text: state.footer_text || "",
      buttons: (state.buttons || []).map(function (b) {
        return { type: String(b.type || "QUICK_REPLY").toUpperCase(), text: b.text || "" };
      }),
    };
  }

  function renderButton(button) {
    let type = button.type;
    let text = type === "COPY_CODE" ? BUTTON_DEFAULT_TEXT.COPY_CODE : button.text.trim();
    return (
      '<div class="wa-button wa-button-' + escapeHtml(type.toLowerCase()) + '">' +
      '<span class="wa-button-icon" aria-hidden="true">' + (BUTTON_ICONS[type] || "") + "</span>" +
      escapeHtml(text || BUTTON_DEFAULT_TEXT[type] || t("template.button")) +
      "</div>"
    );
  }

  /** Pure render: the preview's HTML (phone-like chat with one outgoing bubble). */
  function render(rawState) {
    let s = normalizeState(rawState);
    let parts = ['<div class="wa-chat">', '<div class="wa-chat-bar">'];
    parts.push('<span class="wa-avatar" aria-hidden="true"></span>');
    parts.push('<span class="wa-chat-title">' + escapeHtml(s.name || t("template.preview")) + "</span>");
    parts.push("</div>", '<div class="wa-chat-body">', '<div class="wa-message wa-message-out">');
    parts.push('<div class="wa-bubble wa-bubble-out">');
    if (s.header_format === "TEXT" && s.header_text.trim()) {
      parts.push('<div class="wa-header">' + formatText(s.header_text, [s.header_example]) + "</div>");
    } else if (MEDIA[s.header_format]) {
      let media = MEDIA[s.header_format];
      parts.push(
        '<div class="wa-media wa-media-' + s.header_format.toLowerCase() + '">' +
        '<span class="wa-media-icon" aria-hidden="true">' + media.icon + "</span>" +
        '<span class="wa-media-label">' + escapeHtml(media.label) + "</span></div>"
      );
    }
    let body = s.body_text.trim()
      ? formatText(s.body_text, s.body_examples)
      : '<span class="wa-placeholder">' + escapeHtml(t("template.typeBody")) + "</span>";
    parts.push('<div class="wa-body">' + body + "</div>");
    if (s.footer_text.trim()) {
      parts.push('<div class="wa-footer">' + escapeHtml(s.footer_text) + "</div>");
    }
    parts.push(
      '<div class="wa-meta"><span class="wa-time">12:00</span>' +
      '<span class="wa-ticks read" aria-label="' + escapeHtml(t("template.read")) + '">\u2713\u2713</span></div>'
    );
    parts.push("</div>");
    if (s.buttons.length) {
      let shown = s.buttons.length > 3 ? s.buttons.slice(0, 2) : s.buttons;
      parts.push('<div class="wa-buttons">');
      shown.forEach(function (b) {
        parts.push(renderButton(b));
      });
      if (s.buttons.length > 3) {
        parts.push(
          '<div class="wa-button wa-button-more"><span class="wa-button-icon" aria-hidden="true">' +
          "\u2630</span>" + escapeHtml(t("template.allOptions")) + "</div>"
        );
      }
      parts.push("</div>");
    }
    parts.push("</div>", "</div>", "</div>");
    return parts.join("");
  }

  function orderProblem(numbers) {
    for (let i = 0; i < numbers.length; i++) {
      if (numbers[i] !== i + 1) {
        let sorted = numbers.slice().sort(function (a, b) { return a - b; });
        if (sorted.join() === numbers.join()) {
          for (let m = 1; m <= numbers[numbers.length - 1]; m++) {
            if (numbers.indexOf(m) < 0) return t("template.missingVar", { n: m });
          }
        }
        return t("template.varBefore", { n: numbers[i], m: i + 1 });
      }
    }
    return null;
  }

  /** Obvious client-side problems (the server-side validation remains the reference). */
  function warnings(rawState) {
    let s = normalizeState(rawState);
    let list = [];
    if (s.name && !/^[a-z0-9_]+$/.test(s.name)) {
      list.push(t("template.badName"));
    }
    let body = variablesIn(s.body_text);
    let problem = orderProblem(body);
    if (problem) list.push(t("template.bodyOrder", { problem: problem }));
    body.forEach(function (n) {
      let ex = s.body_examples[n - 1];
      if (ex == null || String(ex).trim() === "") list.push(t("template.noExample", { n: n }));
      else if (/[\n\t]| {4,}/.test(ex)) list.push(t("template.exampleBreaks", { n: n }));
    });
    let trimmed = s.body_text.trim();
    if (body.length && (/^\{\{\d+\}\}/.test(trimmed) || /\{\{\d+\}\}$/.test(trimmed))) {
      list.push(t("template.bodyEdges"));
    }
    if (s.header_format === "TEXT") {
      let header = variablesIn(s.header_text);
      if (header.length > 1 || (header.length === 1 && header[0] !== 1)) {
        list.push(t("template.headerOneVar"));
      } else if (header.length === 1 && !s.header_example.trim()) {
        list.push(t("template.headerNoExample"));
      }
    }
    if (/\{\{.*?\}\}/.test(s.footer_text)) list.push(t("template.footerVars"));
    [["header_text", "template.headerTooLong"], ["body_text", "template.bodyTooLong"], ["footer_text", "template.footerTooLong"]].forEach(
      function (pair) {
        let len = pair[0] === "header_text" && s.header_format !== "TEXT" ? 0 : s[pair[0]].length;
        if (len > LIMITS[pair[0]]) list.push(t(pair[1], { max: LIMITS[pair[0]] }));
      }
    );
    if (s.buttons.length > 10) list.push(t("template.tooManyButtons", { max: 10 }));
    let kinds = s.buttons.map(function (b) { return b.type === "QUICK_REPLY" ? "Q" : "C"; }).join("");
    if (/Q+C+Q|C+Q+C/.test(kinds)) {
      list.push(t("template.groupQuickReplies"));
    }
    s.buttons.forEach(function (b, i) {
      if (b.type !== "COPY_CODE" && b.text.length > LIMITS.button_text) {
        list.push(t("template.buttonTooLong", { n: i + 1, max: LIMITS.button_text }));
      }
    });
    return list;
  }

  function renderWarnings(list) {
    if (!list.length) return "";
    return list.map(function (w) { return "<li>" + escapeHtml(w) + "</li>"; }).join("");
  }

  // ------------------------------------------------------------------ DOM binding

  function isActive(el) {
    return !((el.type === "radio" || el.type === "checkbox") && !el.checked);
  }

  function readState(scope) {
    let state = { body_examples: [], buttons: [] };
    let types = [];
    let texts = [];
    let fields = scope.querySelectorAll("[data-preview]");
    Array.prototype.forEach.call(fields, function (el) {
      if (!isActive(el)) return;
      let key = el.getAttribute("data-preview");
      let value = el.value != null ? el.value : el.textContent;
      if (key === "body_example") state.body_examples.push(value);
      else if (key === "button_type") types.push(value);
      else if (key === "button_text") texts.push(value);
      else state[key] = value;
    });
    for (let i = 0; i < Math.max(types.length, texts.length); i++) {
      state.buttons.push({ type: types[i] || "QUICK_REPLY", text: texts[i] || "" });
    }
    return state;
  }

  function updateCounters(scope, state) {
    let counters = scope.querySelectorAll("[data-counter-for]");
    Array.prototype.forEach.call(counters, function (el) {
      let key = el.getAttribute("data-counter-for");
      let limit = LIMITS[key];
      let len = String(state[key] || "").length;
      let text = limit ? len + "/" + limit : String(len);
      if (el.textContent !== text) el.textContent = text; // avoid needless DOM mutations
      el.classList.toggle("wa-counter-over", !!limit && len > limit);
    });
  }

  function scopeFor(container) {
    let selector = container.getAttribute("data-template-preview");
    if (selector) {
      let target = document.querySelector(selector);
      if (target) return target;
    }
    return container.closest("form") || document;
  }

  function refresh(container) {
    let scope = scopeFor(container);
    let state = readState(scope);
    let list = warnings(state);
    let target = scope.querySelector("[data-preview-warnings]") ||
      document.querySelector("[data-preview-warnings]");
    let html = render(state);
    if (target) {
      let warningsHtml = renderWarnings(list);
      if (target.innerHTML !== warningsHtml) target.innerHTML = warningsHtml;
      target.hidden = !list.length;
    } else if (list.length) {
      html += '<ul class="wa-warnings" role="status">' + renderWarnings(list) + "</ul>";
    }
    if (container.__clickproHtml !== html) {
      container.__clickproHtml = html;
      container.innerHTML = html;
    }
    updateCounters(scope === document ? document : scope, state);
    if (scope !== document) updateCounters(document, state);
  }

  function bind(container) {
    if (container.__clickproPreview) return;
    container.__clickproPreview = true;
    let scope = scopeFor(container);
    let pending = false;
    let schedule = function () {
      if (pending) return;
      pending = true;
      (window.requestAnimationFrame || setTimeout)(function () {
        pending = false;
        refresh(container);
      });
    };
    scope.addEventListener("input", schedule);
    scope.addEventListener("change", schedule);
    if (window.MutationObserver && scope !== document) {
      // Button / example rows added or removed by the form's own script.
      // Our own output (preview, counters, warnings) is ignored to avoid a refresh loop.
      let ownOutput = function (node) {
        let el = node.nodeType === 1 ? node : node.parentElement;
        return !el || container.contains(el) ||
          !!el.closest("[data-counter-for], [data-preview-warnings]");
      };
      new MutationObserver(function (mutations) {
        for (let i = 0; i < mutations.length; i++) {
          if (!ownOutput(mutations[i].target)) return schedule();
        }
      }).observe(scope, { childList: true, subtree: true });
    }
    refresh(container);
  }

  function init(root) {
    let containers = (root || document).querySelectorAll("[data-template-preview]");
    Array.prototype.forEach.call(containers, bind);
  }

  window.ClickProTemplatePreview = {
    render: render,
    warnings: warnings,
    variablesIn: variablesIn,
    readState: readState,
    refresh: refresh,
    init: init,
  };

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { init(); });
  } else {
    init();
  }
}

main();
