// Presence heartbeat: while a panel tab is visible, tell the server every minute that
// the agent is here (least-busy routing only picks agents seen in the last 3 minutes).
import { csrfToken } from "./app.js";

const script = document.getElementById("presence-script");
const url = script && script.dataset.heartbeatUrl;
const EVERY_MS = 60000;

function beat() {
  if (!url || document.visibilityState !== "visible") return;
  fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
  }).catch(() => {});
}

if (url) {
  beat();
  setInterval(beat, EVERY_MS);
  document.addEventListener("visibilitychange", beat);
}
