// AI playground: sends the test question with the page's switches (unsaved
// instructions, knowledge base, tools) and appends the rendered turn to the chat.
const form = document.getElementById("pg-ask");
const chat = document.getElementById("pg-chat");
const instructions = document.getElementById("pg-instructions");
const note = document.getElementById("pg-override-note");
const errorBox = document.getElementById("pg-ask-error");

function overridden() {
  return instructions && instructions.value !== instructions.dataset.saved;
}

function syncNote() {
  if (note) note.hidden = !overridden();
}

function fill() {
  form.elements.instructions.value = instructions ? instructions.value : "";
  form.elements.override.value = overridden() ? "1" : "0";
  form.elements.use_knowledge.value = document.getElementById("pg-knowledge").checked ? "1" : "0";
  form.elements.use_tools.value = document.getElementById("pg-tools").checked ? "1" : "0";
}

function scrollDown() {
  chat.scrollTop = chat.scrollHeight;
}

// The save form is submitted by confirm.js (form.submit(): no submit event), so its
// hidden copy of the instructions follows the textarea as it is typed.
const saveText = document.getElementById("pg-save-text");
function syncSave() {
  if (saveText && instructions) saveText.value = instructions.value;
}
if (instructions) {
  instructions.addEventListener("input", () => {
    syncNote();
    syncSave();
  });
  syncSave();
}

if (form) {
  scrollDown();
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    fill();
    const input = form.elements.question;
    const button = form.querySelector("button");
    if (!input.value.trim()) return;
    errorBox.textContent = "";
    button.disabled = true;
    input.disabled = true;
    const pending = document.createElement("div");
    pending.className = "small text-muted";
    pending.dataset.testid = "pg-pending";
    pending.textContent = form.dataset.msgWait;
    chat.appendChild(pending);
    scrollDown();
    try {
      const body = new FormData(form);
      body.set("question", input.value);
      const response = await fetch(form.action, {
        method: "POST",
        body,
        headers: { Accept: "application/json" },
      });
      const data = await response.json();
      if (!response.ok) {
        errorBox.textContent = data.error || response.statusText;
        return;
      }
      document.getElementById("pg-empty")?.classList.add("d-none");
      chat.insertAdjacentHTML("beforeend", data.html);
      input.value = "";
    } catch (error) {
      errorBox.textContent = String(error);
    } finally {
      pending.remove();
      button.disabled = false;
      input.disabled = false;
      input.focus();
      scrollDown();
    }
  });
}
