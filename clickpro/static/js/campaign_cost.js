// Campaign cost card: refresh the running cost while the campaign is active.
const box = document.getElementById("campaign-cost");

async function refresh() {
  const response = await fetch(box.dataset.url, { credentials: "same-origin" });
  if (!response.ok) return;
  const data = await response.json();
  for (const key of ["actual", "per_delivered", "per_read"]) {
    const cell = box.querySelector(`[data-cost="${key}"]`);
    if (cell && data.text[key]) cell.textContent = data.text[key];
  }
}

if (box && box.dataset.live === "yes") window.setInterval(refresh, 5000);
