// Getting the agent's attention, and telling the customer someone is writing:
// * the typing indicator (POST /typing while the agent writes a reply; the server sends
//   it to WhatsApp at most once per ~20 s per conversation, and so does this page);
// * a short beep (WebAudio, mute toggle kept in localStorage) and a desktop notification
//   (Notification API, permission asked only from the button) for a new conversation, a
//   new message in a conversation assigned to me and an AI handoff, only when the tab is
//   hidden or that conversation is not the open one;
// * "reconectando…" while the Socket.IO connection (or the network) is down.
import { t } from "../i18n.js";
import { onLive, socket } from "../live.js";
import { postJSON } from "./api.js";
import { $ } from "./dom.js";
import { catchUp } from "./realtime.js";
import { API, PAGE, present, state } from "./state.js";

const MUTE_KEY = "clickpro.inbox.muted";
const TYPING_EVERY_MS = 20000;
const me = Number((document.getElementById("inbox") || { dataset: {} }).dataset.userId) || null;
const log = { alerts: [], typing: 0 }; // window.ClickProAttention: what fired (tests)

// --------------------------------------------------------------------------- typing
const typedAt = new Map();

function onTyping() {
  const c = state.current;
  const mode = document.querySelector('#composer [name="mode"]:checked');
  if (!c || (mode && mode.value !== "reply") || !$("composer-text").value.trim()) return;
  const now = Date.now();
  if (now - (typedAt.get(c.id) || 0) < TYPING_EVERY_MS) return;
  typedAt.set(c.id, now);
  log.typing += 1;
  postJSON(API + "/conversations/" + c.id + "/typing", {}).catch(() => {});
}

// --------------------------------------------------------------------------- sound
let audio = null;

function muted() {
  try { return localStorage.getItem(MUTE_KEY) === "1"; } catch { return false; }
}

function renderMute() {
  const button = $("attention-sound");
  if (!button) return;
  const off = muted();
  button.setAttribute("aria-pressed", off ? "true" : "false");
  button.title = off ? t("attention.unmute") : t("attention.mute");
  button.setAttribute("aria-label", button.title);
  button.querySelector("i").className = off ? "bi bi-volume-mute" : "bi bi-volume-up";
}

function unlockAudio() {
  const Ctx = window.AudioContext || window.webkitAudioContext;
  if (!Ctx) return;
  if (!audio) audio = new Ctx();
  if (audio.state === "suspended") audio.resume().catch(() => {});
}

function beep() {
  if (muted() || !audio || audio.state !== "running") return;
  const now = audio.currentTime;
  [880, 1175].forEach((freq, i) => {
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.type = "sine";
    osc.frequency.value = freq;
    gain.gain.setValueAtTime(0.0001, now + i * 0.12);
    gain.gain.exponentialRampToValueAtTime(0.2, now + i * 0.12 + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, now + i * 0.12 + 0.11);
    osc.connect(gain).connect(audio.destination);
    osc.start(now + i * 0.12);
    osc.stop(now + i * 0.12 + 0.12);
  });
}

// --------------------------------------------------------------------------- desktop
const canNotify = "Notification" in window;

function renderDesktop() {
  const button = $("attention-desktop");
  if (button) button.classList.toggle("d-none", !canNotify || Notification.permission !== "default");
}

async function askDesktop() {
  unlockAudio();
  if (!canNotify) return;
  try { await Notification.requestPermission(); } catch { /* old browsers: callback form */ }
  renderDesktop();
}

function desktop(title, body, conversationId) {
  if (!canNotify || Notification.permission !== "granted") return;
  try {
    const note = new Notification(title, { body: body || "", tag: conversationId ? "conversation-" + conversationId : undefined });
    note.onclick = () => {
      window.focus();
      if (conversationId) window.location.assign(PAGE + conversationId);
      note.close();
    };
  } catch { /* some browsers allow notifications only from a service worker */ }
}

// --------------------------------------------------------------------------- alerts
const alerted = new Set();

function looking(conversationId) {
  return document.visibilityState === "visible" && state.current && state.current.id === conversationId;
}

function notifyAgent(kind, key, title, body, conversationId) {
  if (alerted.has(key) || (conversationId && looking(conversationId))) return;
  if (!conversationId && document.visibilityState === "visible") return;
  alerted.add(key);
  log.alerts.push({ kind: kind, conversation_id: conversationId || null });
  beep();
  desktop(title, body, conversationId);
}

function onMessage(data) {
  const m = data && data.message;
  const c = data && data.conversation;
  if (!m || !c || m.direction !== "IN" || m.is_internal_note) return;
  const who = c.name || c.contact_label || "";
  const text = (m.body || c.last_message_preview || "").slice(0, 140);
  if (me && c.assigned_user_id === me) {
    notifyAgent("mine", "m" + m.id, t("attention.newMessage", { name: who }), text, c.id);
  } else if (!c.assigned_user_id && c.unread_count === 1) {
    notifyAgent("new", "m" + m.id, t("attention.newConversation", { name: who }), text, c.id);
  }
}

function onNotification(data) {
  if (!data) return;
  if (data.kind === "handoff" || data.kind === "snooze_due") {
    const title = data.kind === "handoff" ? t("attention.handoff") : t("attention.snoozeDue");
    notifyAgent(data.kind, "n" + data.id, title, data.text, data.conversation_id || null);
  }
}

// --------------------------------------------------------------------------- connection
function showReconnecting(down) {
  const bar = $("inbox-reconnecting");
  if (bar) bar.classList.toggle("d-none", !down);
}

function bindConnection(sock) {
  sock.on("disconnect", () => showReconnecting(true));
  sock.on("connect", () => showReconnecting(false));
  sock.io.on("reconnect_attempt", () => showReconnecting(true));
  sock.on("message:new", onMessage);
  sock.on("notification:new", onNotification);
}

function wire() {
  $("composer-text").addEventListener("input", onTyping);
  const sound = $("attention-sound");
  if (sound) {
    sound.addEventListener("click", () => {
      try { localStorage.setItem(MUTE_KEY, muted() ? "0" : "1"); } catch { /* private mode */ }
      unlockAudio();
      renderMute();
    });
  }
  const ask = $("attention-desktop");
  if (ask) ask.addEventListener("click", askDesktop);
  // browsers start audio only after a gesture: the first click anywhere unlocks the beep
  document.addEventListener("pointerdown", unlockAudio, { once: true });
  window.addEventListener("offline", () => showReconnecting(true));
  window.addEventListener("online", () => {
    if (socket && socket.connected) {
      showReconnecting(false);
      catchUp(); // the socket survived, events may not have: fill the gap (no duplicates)
    }
  });
  const bar = $("inbox-reconnecting");
  if (bar) document.body.append(bar); // fixed, over whichever pane the phone shows
  renderMute();
  renderDesktop();
  onLive(bindConnection);
  if (!navigator.onLine) showReconnecting(true);
  window.ClickProAttention = log;
}

if (present) wire();
