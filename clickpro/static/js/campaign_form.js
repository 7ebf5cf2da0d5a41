// Campaign wizard: the number → its WABA's templates, template slots → variable inputs,
// live audience count (with the number's tier warning), sample preview.
import { postJSON } from "./app.js";
import { formatPhone, t } from "./i18n.js";

function main() {
  const form = document.getElementById("campaign-wizard");
  if (!form) return;
  const templateSelect = document.getElementById("template_id");
  const numberInput = document.getElementById("number_id");
  const fieldsBox = document.getElementById("variable-fields");
  const saved = JSON.parse(form.dataset.variables || "{}");
  let attributes = [];
  let timer = null;

  function el(tag, attrs, textValue) {
    const node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (textValue !== undefined) node.textContent = textValue;
    return node;
  }

  function collect(selector) {
    const result = { header: [], body: [], buttons: {} };
    fieldsBox.querySelectorAll(selector).forEach(function (input) {
      const part = input.dataset.part, index = Number(input.dataset.index);
      if (part === "button") {
        (result.buttons[input.dataset.button] = result.buttons[input.dataset.button] || [])[index] = input.value;
      } else if (part === "media") {
        result.header_media = { link: input.value };
      } else {
        result[part][index] = input.value;
      }
    });
    return result;
  }

  function variables() {
    const result = collect("input[data-part]:not([data-default])");
    result.defaults = collect("input[data-default]");
    return result;
  }

  function fallbackMode() {
    return document.getElementById("missing_value_policy").value === "fallback";
  }

  function toggleDefaults() {
    fieldsBox.querySelectorAll(".default-box").forEach(function (box) { box.classList.toggle("d-none", !fallbackMode()); });
  }

  function checked(name) {
    return Array.from(form.querySelectorAll('input[name="' + name + '"]:checked')).map(function (i) { return i.value; });
  }

  function suggestionList() {
    const list = el("datalist", { id: "contact-fields" });
    ["{{contact.name}}", "{{contact.phone}}"].concat(attributes.map(function (a) { return "{{contact." + a + "}}"; }))
      .forEach(function (value) { list.appendChild(el("option", { value: value })); });
    return list;
  }

  function addInput(label, name, part, index, value, extra, defaultValue) {
    const row = el("div", { class: "row g-2 mb-2 align-items-end" });
    const main = el("div", { class: part === "media" ? "col-12" : "col-md-7" });
    main.appendChild(el("label", { class: "form-label small mb-0", for: name }, label));
    const attrs = Object.assign({ class: "form-control form-control-sm", id: name, name: name, list: "contact-fields",
      "data-part": part, "data-index": String(index), required: "required", maxlength: "1000" }, extra || {});
    const input = el("input", attrs);
    input.value = value || "";
    input.addEventListener("input", schedule);
    main.appendChild(input);
    row.appendChild(main);
    if (part !== "media") {
      // Each variable's own default (used with the "fallback" policy).
      const defaultName = name.replace(/^var-/, "default-");
      const box = el("div", { class: "col-md-5 default-box" });
      box.appendChild(el("label", { class: "form-label small mb-0 text-muted", for: defaultName }, t("campaign.defaultFor", { label: label })));
      const defAttrs = Object.assign({ class: "form-control form-control-sm", id: defaultName, name: defaultName, maxlength: "200",
        placeholder: t("campaign.noDefault"), "data-part": part, "data-index": String(index), "data-default": "1" },
        extra && extra["data-button"] !== undefined ? { "data-button": extra["data-button"] } : {});
      const def = el("input", defAttrs);
      def.value = defaultValue || "";
      def.addEventListener("input", schedule);
      box.appendChild(def);
      row.appendChild(box);
    }
    fieldsBox.appendChild(row);
  }

  function buildFields(slots) {
    fieldsBox.replaceChildren(suggestionList());
    const fromSaved = function (part, i) { return (saved[part] || [])[i] || (part === "body" && i === 0 ? "{{contact.name}}" : ""); };
    const defaults = saved.defaults || {};
    // A campaign saved with one default for all (the API's "fallback") pre-fills each one.
    const savedDefault = function (values, i) { return (values || [])[i] || saved.fallback || ""; };
    for (let i = 0; i < slots.header; i++) addInput(t("campaign.header", { n: i + 1 }), "var-header-" + i, "header", i, fromSaved("header", i), null, savedDefault(defaults.header, i));
    for (let i = 0; i < slots.body; i++) addInput(t("campaign.body", { n: i + 1 }), "var-body-" + i, "body", i, fromSaved("body", i), null, savedDefault(defaults.body, i));
    Object.keys(slots.buttons).forEach(function (b) {
      for (let i = 0; i < slots.buttons[b]; i++) {
        const value = ((saved.buttons || {})[b] || [])[i] || "";
        addInput(t("campaign.button", { button: Number(b) + 1, n: i + 1 }), "var-button-" + b + "-" + i, "button", i, value, { "data-button": b },
          savedDefault((defaults.buttons || {})[b], i));
      }
    });
    toggleDefaults();
    if (slots.header_media && slots.header_media !== "LOCATION") {
      addInput(t("campaign.mediaLink", { format: slots.header_media }), "header_media_link", "media", 0,
        (saved.header_media || {}).link || "", { type: "url", list: "" });
    }
    if (!fieldsBox.querySelector("input")) fieldsBox.appendChild(el("p", { class: "text-muted small" }, t("campaign.noVariables")));
  }

  function showPreview(box, data) {
    box.replaceChildren();
    if (data.header) box.appendChild(el("div", { class: "fw-semibold" }, data.header));
    box.appendChild(el("div", { style: "white-space: pre-wrap" }, data.body || ""));
    if (data.footer) box.appendChild(el("div", { class: "text-muted" }, data.footer));
  }

  // Only templates of the chosen number's WABA can be sent from it (the server checks too).
  function applyNumber() {
    if (!numberInput || numberInput.tagName !== "SELECT") return;
    const option = numberInput.selectedOptions[0];
    if (!option) return;
    const waba = option.dataset.waba;
    let fitting = 0;
    Array.from(templateSelect.options).forEach(function (o) {
      if (!o.value) return;
      const fits = o.dataset.waba === waba;
      o.hidden = !fits;
      o.disabled = !fits;
      if (fits) fitting += 1;
    });
    const none = document.getElementById("no-number-templates");
    if (none) none.classList.toggle("d-none", fitting > 0);
    if (templateSelect.selectedOptions[0] && templateSelect.selectedOptions[0].disabled) {
      templateSelect.value = "";
      loadTemplate();
    }
    const rate = document.getElementById("rate_mps");
    const limitText = document.getElementById("throughput-text");
    const limit = option.dataset.throughput;
    if (rate && limit) rate.max = limit;
    if (limitText && limit) limitText.textContent = limitText.dataset.text.replace("{n}", limit);
  }

  async function loadTemplate() {
    const id = templateSelect.value;
    if (!id) { fieldsBox.replaceChildren(); return; }
    const url = form.dataset.templateUrl.replace(/0\.json$/, id + ".json");
    const response = await fetch(url, { credentials: "same-origin" });
    if (!response.ok) return;
    const data = await response.json();
    attributes = data.attributes;
    showPreview(document.getElementById("template-preview"), data.preview);
    buildFields(data.slots);
    refresh();
  }

  async function refresh() {
    const lists = checked("list_ids");
    const policy = document.getElementById("missing_value_policy").value;
    const payload = { list_ids: lists, exclude_list_ids: checked("exclude_list_ids"), variables: variables(), policy: policy,
      template_id: templateSelect.value, fallback: "", campaign_id: form.dataset.campaignId || null,
      number_id: numberInput ? numberInput.value : null };
    const box = document.getElementById("audience-count");
    if (lists.length) {
      const response = await postJSON(form.dataset.audienceUrl, payload);
      if (response.ok) {
        const c = await response.json();
        // The same numbers as the review page (one function computes both).
        box.textContent = t("campaign.audience", { eligible: c.eligible, opted_out: c.opted_out, missing: c.missing }) +
          " " + t("campaign.audienceSkip");
        if (c.defaulted) box.textContent += " · " + t("campaign.audienceDefaulted", { n: c.defaulted });
        box.dataset.eligible = c.eligible;
        box.className = "alert mt-3 mb-0 " + (c.tier_warning ? "alert-warning" : "alert-info");
        if (c.tier_warning) box.appendChild(el("div", { class: "mt-1" }, c.tier_warning));
      }
    } else {
      box.textContent = t("campaign.pickList");
    }
    if (templateSelect.value) {
      const response = await postJSON(form.dataset.previewUrl, payload);
      if (response.ok) {
        const p = await response.json();
        const box2 = document.getElementById("sample-preview");
        showPreview(box2, p);
        if (p.contact) box2.prepend(el("div", { class: "text-muted mb-1" }, t("campaign.sampleFor", { name: p.contact.name, phone: formatPhone(p.contact.phone) })));
        if (p.missing && p.missing.length) box2.appendChild(el("div", { class: "text-danger mt-1" }, t("campaign.missing", { names: p.missing.join(", ") })));
      }
    }
  }

  function schedule() {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, 250);
  }

  templateSelect.addEventListener("change", loadTemplate);
  if (numberInput) numberInput.addEventListener("change", applyNumber);
  form.querySelectorAll(".audience-input").forEach(function (i) { i.addEventListener("change", schedule); });
  document.getElementById("missing_value_policy").addEventListener("change", toggleDefaults);
  loadTemplate();
}

main();
