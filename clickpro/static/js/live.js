// One Socket.IO connection per page (namespace /inbox): the live bell, and the inbox and
// campaign pages subscribe through onLive(). The server authenticates it by the session.
// socket.io.min.js (vendored, a classic script) runs before this module and defines io.
const enabled = Boolean(window.io && document.body.dataset.clientId);

/** The page's socket, or null when the page has no live connection. */
export const socket = enabled ? window.io("/inbox", { reconnectionDelayMax: 5000 }) : null;

/** Call `fn(socket)` when the page has a live socket (never, otherwise). */
export function onLive(fn) {
  if (socket) fn(socket);
}

const bell = () => document.getElementById("bell-count");

async function resyncBell() {
  const el = bell();
  if (!el) return;
  try {
    const res = await fetch("/notifications/unread.json", { credentials: "same-origin" });
    if (!res.ok) return;
    const data = await res.json();
    el.textContent = data.unread;
    el.classList.toggle("d-none", !data.unread);
  } catch (e) { /* offline: next reconnect resyncs */ }
}

if (socket) {
  let wasConnected = false;
  socket.on("notification:new", () => {
    const el = bell();
    if (!el) return;
    el.textContent = (parseInt(el.textContent, 10) || 0) + 1;
    el.classList.remove("d-none");
  });
  socket.on("connect", () => {
    if (wasConnected) resyncBell(); // missed notifications while offline
    wasConnected = true;
  });
  window.ClickPro = window.ClickPro || {};
  window.ClickPro.live = { socket };
}
