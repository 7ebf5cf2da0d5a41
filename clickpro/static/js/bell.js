// Keeps the navbar bell's unread count fresh (GET /notifications/unread.json).
const bell = document.querySelector("[data-testid=bell]");
const badge = document.getElementById("bell-count");

function show(count) {
  badge.textContent = String(count);
  badge.classList.toggle("d-none", !count);
}

async function refresh() {
  if (document.hidden) return;
  try {
    const response = await fetch(bell.dataset.unreadUrl, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    });
    if (response.ok) show((await response.json()).unread || 0);
  } catch (err) {
    // offline for a moment: try again on the next tick
  }
}

if (bell && badge && bell.dataset.unreadUrl) {
  window.ClickPro = window.ClickPro || {};
  window.ClickPro.refreshBell = refresh;
  setInterval(refresh, 30000);
  document.addEventListener("visibilitychange", refresh);
}
