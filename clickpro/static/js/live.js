// One Socket.IO connection per page (namespace /inbox): the live bell, and the inbox
// page subscribes through ClickPro.live. The server authenticates it by the session.
(function () {
  "use strict";
  if (!window.io || !document.body.dataset.clientId) return;
  const socket = window.io("/inbox", { reconnectionDelayMax: 5000 });
  const bell = () => document.getElementById("bell-count");
  let wasConnected = false;

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

  socket.on("notification:new", function () {
    const el = bell();
    if (!el) return;
    el.textContent = (parseInt(el.textContent, 10) || 0) + 1;
    el.classList.remove("d-none");
  });
  socket.on("connect", function () {
    if (wasConnected) resyncBell(); // missed notifications while offline
    wasConnected = true;
  });
  window.ClickPro = window.ClickPro || {};
  ClickPro.live = { socket: socket };
  document.dispatchEvent(new CustomEvent("clickpro:live", { detail: socket }));
})();
