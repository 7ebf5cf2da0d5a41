// Import page: poll the progress JSON until the import is done or failed.
function main() {
  const box = document.getElementById("import-progress");
  if (!box) return;
  const labels = JSON.parse(box.dataset.labels || "{}");
  const colors = { queued: "secondary", running: "primary", done: "success", failed: "danger" };
  function setText(id, value) {
    const el = document.getElementById(id);
    if (el) el.textContent = value;
  }
  function render(p) {
    setText("import-rows", p.rows);
    setText("import-total", p.rows_total === null ? "?" : p.rows_total);
    setText("import-imported", p.imported);
    setText("import-updated", p.updated);
    setText("import-duplicates", p.duplicates);
    setText("import-rejected", p.rejected);
    setText("import-merged", p.merged);
    const bar = document.getElementById("import-bar");
    bar.style.width = p.percent + "%";
    bar.textContent = p.percent + "%";
    bar.parentElement.setAttribute("aria-valuenow", p.percent);
    const finished = p.status === "done" || p.status === "failed";
    bar.classList.toggle("progress-bar-animated", !finished);
    bar.classList.toggle("progress-bar-striped", !finished);
    bar.classList.toggle("bg-danger", p.status === "failed");
    const badge = document.querySelector("#import-status .badge");
    if (badge) {
      badge.className = "badge text-bg-" + (colors[p.status] || "secondary");
      badge.textContent = labels[p.status] || p.status;
      badge.dataset.status = p.status;
    }
    box.dataset.status = p.status;
    const error = document.getElementById("import-error");
    error.textContent = p.error || "";
    error.classList.toggle("d-none", !p.error);
    document.getElementById("import-summary").classList.toggle("d-none", p.status !== "done");
    document.getElementById("rejected-link").classList.toggle("d-none", !(p.rejected || p.merged));
    if (finished && !box.dataset.reloaded && (p.rejected || p.merged) && !document.querySelector("[data-testid=import-report]")) {
      box.dataset.reloaded = "1";
      window.location.reload(); // the report table is rendered by the server
    }
    document.getElementById("import-resume").classList.toggle("d-none", !(p.status === "failed" || p.stalled));
    return finished;
  }
  async function poll() {
    try {
      const response = await fetch(box.dataset.url, { credentials: "same-origin" });
      if (response.ok && render(await response.json())) return;
    } catch (err) {
      // network hiccup: try again
    }
    window.setTimeout(poll, 1000);
  }
  if (box.dataset.status !== "done") poll();
}

main();
