// Media of a message bubble: thumbnails (lightbox), players, transcripts, documents,
// "baixando mídia…", expired/failed explanations (and fetching expired media again).
import { t } from "../i18n.js";
import { postJSON } from "./api.js";
import { el } from "./dom.js";

const ICONS = { document: "bi-file-earmark-text", audio: "bi-music-note-beamed", voice: "bi-mic-fill", video: "bi-camera-video", image: "bi-image", sticker: "bi-emoji-smile" };
const KIND_KEYS = { image: "inbox.media.image", sticker: "inbox.media.sticker", video: "inbox.media.video", audio: "inbox.media.audio", voice: "inbox.media.voice", document: "inbox.media.document" };

/** "1:05" for 65.2 seconds. */
export function fmtDuration(seconds) {
  if (seconds === null || seconds === undefined || !isFinite(seconds)) return "";
  const s = Math.max(0, Math.round(seconds));
  return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
}

/** "1,2 MB" / "830 KB" (pt_BR decimal comma follows the page's locale). */
export function fmtSize(bytes) {
  if (!bytes && bytes !== 0) return "";
  const units = ["B", "KB", "MB", "GB"];
  let value = bytes;
  let i = 0;
  while (value >= 1024 && i < units.length - 1) { value /= 1024; i += 1; }
  const digits = i === 0 || value >= 10 ? 0 : 1;
  return value.toLocaleString(document.documentElement.lang || "pt-BR", { maximumFractionDigits: digits }) + " " + units[i];
}

function typeLabel(media) {
  const mime = media.mime || "";
  const sub = mime.split("/")[1] || "";
  if (sub === "pdf") return "PDF";
  if (media.filename && media.filename.includes(".")) return media.filename.split(".").pop().toUpperCase();
  return sub.toUpperCase() || t(KIND_KEYS[media.kind] || "inbox.media.document");
}

// ------------------------------------------------------------------ lightbox

let lightbox = null;
let lastFocus = null;

function closeLightbox() {
  if (!lightbox || lightbox.hidden) return;
  lightbox.hidden = true;
  lightbox.querySelector("img").removeAttribute("src");
  document.body.classList.remove("inbox-media-lightbox-open");
  if (lastFocus) lastFocus.focus();
}

function ensureLightbox() {
  if (lightbox) return lightbox;
  lightbox = el("div", "inbox-media-lightbox");
  lightbox.hidden = true;
  lightbox.dataset.testid = "media-lightbox";
  lightbox.setAttribute("role", "dialog");
  lightbox.setAttribute("aria-modal", "true");
  lightbox.setAttribute("aria-label", t("inbox.media.image"));
  const close = el("button", "inbox-media-lightbox-close btn btn-light btn-sm");
  close.type = "button";
  close.setAttribute("aria-label", t("inbox.media.close"));
  close.append(el("i", "bi bi-x-lg"));
  const img = el("img", "inbox-media-lightbox-img");
  const open = el("a", "inbox-media-lightbox-open btn btn-light btn-sm", t("inbox.download"));
  open.target = "_blank";
  open.rel = "noopener";
  lightbox.append(img, close, open);
  lightbox.addEventListener("click", (e) => { if (e.target === lightbox) closeLightbox(); });
  close.addEventListener("click", closeLightbox);
  document.addEventListener("keydown", (e) => { if (e.key === "Escape") closeLightbox(); });
  document.body.append(lightbox);
  return lightbox;
}

function openLightbox(media, alt, opener) {
  const box = ensureLightbox();
  lastFocus = opener;
  const img = box.querySelector("img");
  img.src = media.url;
  img.alt = alt || t("inbox.media.image");
  box.querySelector(".inbox-media-lightbox-open").href = media.url;
  box.hidden = false;
  document.body.classList.add("inbox-media-lightbox-open");
  box.querySelector(".inbox-media-lightbox-close").focus();
}

// ------------------------------------------------------------------ parts

function notice(cls, icon, text) {
  const box = el("div", "inbox-media-notice " + cls);
  box.append(el("i", "bi " + icon), el("span", "", text));
  return box;
}

function thumbnail(media, caption) {
  const button = el("button", "inbox-media-thumb" + (media.kind === "sticker" ? " inbox-media-sticker" : ""));
  button.type = "button";
  button.dataset.testid = "media-thumb";
  button.setAttribute("aria-label", t("inbox.media.enlarge"));
  const img = el("img");
  img.src = media.url;
  img.alt = caption || t(KIND_KEYS[media.kind]);
  img.loading = "lazy";
  img.decoding = "async";
  img.addEventListener("error", () => button.classList.add("inbox-media-broken"));
  button.append(img);
  button.addEventListener("click", () => openLightbox(media, img.alt, button));
  return button;
}

function player(media) {
  const box = el("div", "inbox-media-audio");
  box.dataset.testid = "media-audio";
  const head = el("div", "inbox-media-audio-head");
  head.append(el("i", "bi " + ICONS[media.kind]), el("span", "", t(KIND_KEYS[media.kind])));
  if (media.duration_s) head.append(el("span", "inbox-media-duration", fmtDuration(media.duration_s)));
  const audio = el("audio");
  audio.controls = true;
  audio.preload = "metadata";
  audio.src = media.url;
  box.append(head, audio);
  return box;
}

function transcript(media) {
  const status = media.transcript_status;
  if (status === "PENDING") {
    const box = notice("inbox-media-transcribing", "bi-hourglass-split", t("inbox.media.transcribing"));
    box.dataset.testid = "media-transcribing";
    return box;
  }
  if (status === "DONE" && media.transcript) {
    const box = el("div", "inbox-media-transcript");
    box.dataset.testid = "media-transcript";
    box.append(el("div", "inbox-media-transcript-title", t("inbox.media.transcript")));
    box.append(el("div", "inbox-media-transcript-text", media.transcript));
    return box;
  }
  if (status === "FAILED") return notice("inbox-media-muted", "bi-exclamation-circle", t("inbox.media.transcriptFailed"));
  return null;
}

function documentCard(media) {
  const card = el("a", "inbox-media-doc");
  card.dataset.testid = "media-document";
  card.href = media.url;
  card.download = media.filename || "";
  card.append(el("i", "bi " + ICONS.document + " inbox-media-doc-icon"));
  const text = el("span", "inbox-media-doc-text");
  text.append(el("span", "inbox-media-doc-name", media.filename || t("inbox.media.document")));
  const facts = [typeLabel(media), fmtSize(media.size)].filter(Boolean).join(" · ");
  text.append(el("span", "inbox-media-doc-facts", facts));
  card.append(text, el("i", "bi bi-download inbox-media-doc-dl"));
  card.title = t("inbox.download");
  return card;
}

function unavailable(m, media, onUpdate) {
  const box = el("div", "inbox-media-unavailable");
  box.dataset.testid = "media-unavailable";
  box.dataset.status = media.status;
  const head = el("div", "inbox-media-unavailable-head");
  head.append(el("i", "bi " + (ICONS[media.kind] || "bi-paperclip")));
  head.append(el("span", "", t(media.status === "EXPIRED" ? "inbox.media.expired" : "inbox.media.failed")));
  box.append(head);
  if (media.explanation) box.append(el("div", "inbox-media-explanation", media.explanation));
  if (media.refetch) {
    const again = el("button", "btn btn-sm btn-outline-secondary inbox-media-refetch", t("inbox.media.refetch"));
    again.type = "button";
    again.dataset.testid = "media-refetch";
    again.addEventListener("click", async () => {
      again.disabled = true;
      try {
        const data = await postJSON(media.url + "/fetch", {});
        onUpdate({ ...m, media: data.media });
      } catch (e) {
        const detail = e && e.message ? e.message : t("inbox.media.failed");
        onUpdate({ ...m, media: { ...media, status: "FAILED", refetch: false, explanation: detail } });
      }
    });
    box.append(again);
  }
  return box;
}

/** The media block of message ``m`` (null without media). ``onUpdate(m)`` re-renders it. */
export function mediaBlock(m, onUpdate) {
  const media = m.media;
  if (!media) return null;
  const box = el("div", "inbox-media inbox-media-" + media.kind);
  box.dataset.testid = "media";
  box.dataset.kind = media.kind;
  box.dataset.status = media.status;
  const ready = media.status === "STORED" || media.status === "REMOTE";
  if (media.status === "PENDING") {
    const wait = notice("inbox-media-pending", "bi-cloud-arrow-down", t("inbox.media.pending"));
    wait.dataset.testid = "media-pending";
    box.append(wait);
    return box;
  }
  if (!ready) {
    box.append(unavailable(m, media, onUpdate));
    return box;
  }
  if (media.kind === "image" || media.kind === "sticker") box.append(thumbnail(media, m.body));
  else if (media.kind === "video") {
    const video = el("video", "inbox-media-video");
    video.controls = true;
    video.preload = "metadata";
    video.src = media.url;
    video.dataset.testid = "media-video";
    box.append(video);
  } else if (media.kind === "audio" || media.kind === "voice") {
    box.append(player(media));
    const text = transcript(media);
    if (text) box.append(text);
  } else box.append(documentCard(media));
  return box;
}

/** The text to show under the media: the caption without the webhook's stand-in label
 * ("[Imagem] foto" → "foto"); nothing when the body is the label or the transcript. */
export function captionOf(m) {
  const body = (m.body || "").trim();
  if (!m.media) return m.body;
  if (m.media.transcript && body === m.media.transcript.trim()) return "";
  let text = body.replace(/^\[[^\]]+\]\s*/, "");
  const name = m.media.filename || "";
  if (m.media.kind === "document" && name && text.startsWith(name)) text = text.slice(name.length).trim();
  return text;
}
