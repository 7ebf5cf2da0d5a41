// Wizard: the cost estimate for the chosen template and lists (text comes from the server).
import { postJSON } from "./app.js";

const box = document.getElementById("cost-estimate");
const form = document.getElementById("campaign-wizard");
let timer = null;

function checked(name) {
  return Array.from(form.querySelectorAll(`input[name="${name}"]:checked`)).map(function (i) { return i.value; });
}

async function refresh() {
  const template = document.getElementById("template_id");
  const policy = document.getElementById("missing_value_policy");
  const payload = { template_id: template ? template.value : "", list_ids: checked("list_ids"),
    exclude_list_ids: checked("exclude_list_ids"), policy: policy ? policy.value : "skip" };
  const response = await postJSON(box.dataset.url, payload);
  if (!response.ok) return;
  const data = await response.json();
  if (data.text) box.querySelector("[data-estimate-text]").textContent = data.text;
  box.querySelector("[data-estimate-notes]").textContent = (data.notes || []).join(" ");
}

function schedule() {
  window.clearTimeout(timer);
  timer = window.setTimeout(refresh, 300);
}

if (box && form) {
  form.addEventListener("change", schedule);
  refresh();
}
