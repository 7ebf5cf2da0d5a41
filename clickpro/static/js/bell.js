// The navbar bell's unread count: pushed live over Socket.IO (live.js, notification:new;
// a reconnect resyncs). This slow poll (GET /notifications/unread.json) runs only while
// the page has no connected socket.
import { socket } from "./live.js";

const bell = document.querySelector("[data-testid=bell]");
const badge = document.getElementById("bell-count");
const FALLBACK_POLL_MS = 60000;

function show(count) {
  badge.textContent = String(count);
  badge.classList.toggle("d-none", !count);
}

const socketDown = () => !socket || !socket.connected;

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
  setInterval(() => { if (socketDown()) refresh(); }, FALLBACK_POLL_MS);
  document.addEventListener("visibilitychange", () => { if (socketDown()) refresh(); });
}
