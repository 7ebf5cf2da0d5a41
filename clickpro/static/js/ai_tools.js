// AI tool form: live JSON check of the arguments schema, "Usar o exemplo", and the
// "Testar" button (POST to /ai/tools/<id>/test, shows what the AI would read).
const editor = document.querySelector("[data-schema-editor]");
const status = document.querySelector("[data-testid=schema-status]");

function checkSchema() {
  if (!editor || !status) return;
  try {
    const value = JSON.parse(editor.value || "{}");
    const ok = value && typeof value === "object" && !Array.isArray(value);
    status.textContent = ok ? editor.dataset.msgOk : editor.dataset.msgBad;
    status.classList.toggle("text-danger", !ok);
    editor.classList.toggle("is-invalid", !ok);
  } catch (error) {
    status.textContent = `${editor.dataset.msgBad}: ${error.message}`;
    status.classList.add("text-danger");
    editor.classList.add("is-invalid");
  }
}

if (editor) {
  editor.addEventListener("input", checkSchema);
  checkSchema();
  document.querySelector("[data-use-example]")?.addEventListener("click", () => {
    editor.value = document.querySelector("[data-testid=schema-example]").textContent;
    checkSchema();
  });
}

const testForm = document.querySelector("[data-tool-test]");
if (testForm) {
  const box = document.querySelector("[data-testid=test-result]");
  testForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = testForm.querySelector("button");
    button.disabled = true;
    try {
      const response = await fetch(testForm.action, {
        method: "POST",
        body: new FormData(testForm),
        headers: { Accept: "application/json" },
      });
      const data = await response.json();
      box.hidden = false;
      const log = data.log || {};
      const ok = response.ok && log.status === "ok";
      box.querySelector("[data-result-title]").textContent = ok
        ? testForm.dataset.msgOk
        : testForm.dataset.msgFailed;
      box.querySelector("[data-result-title]").className = ok ? "fw-semibold text-success" : "fw-semibold text-danger";
      box.querySelector("[data-result-meta]").textContent = log.status
        ? `${log.status} · ${log.ms} ms${log.http_status ? ` · HTTP ${log.http_status}` : ""}`
        : "";
      box.querySelector("[data-result-output]").textContent = data.error || data.output || "";
    } finally {
      button.disabled = false;
    }
  });
}
