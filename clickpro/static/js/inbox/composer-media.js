// Composer media: voice notes recorded in the browser, images pasted (Ctrl+V) or dropped
// on the composer, and files from the attach button, previewed with a caption and sent to
// POST /inbox/api/conversations/<id>/media. WhatsApp's types and size limits are checked
// here before the upload and again on the server (the same numbers, the same messages).
// Strings come from the page (#composer-media data-*), translated by the server.
import { postForm } from "./api.js";
import { $ } from "./dom.js";
import { showError } from "./errors.js";
import { appendMessage } from "./messages.js";
import { API, state } from "./state.js";

const MB = 1024 * 1024;
const LIMITS = { image: 5 * MB, video: 16 * MB, audio: 16 * MB, document: 100 * MB };
// extension -> WhatsApp kind (services/inbox/media.py OUTBOUND_TYPES)
const KINDS = {
  jpg: "image", jpeg: "image", png: "image", mp4: "video", "3gp": "video",
  aac: "audio", amr: "audio", mp3: "audio", m4a: "audio", ogg: "audio", opus: "audio",
  pdf: "document", txt: "document", doc: "document", docx: "document", xls: "document",
  xlsx: "document", ppt: "document", pptx: "document",
};
const EXT_OF_TYPE = { "image/png": "png", "image/jpeg": "jpg" }; // a pasted image has no real name
// Recording formats, best first: OGG/Opus (Firefox) needs no conversion; WebM/Opus
// (Chromium) is remuxed to OGG on the server; MP4 (Safari) is re-encoded there.
const RECORDING_TYPES = ["audio/ogg;codecs=opus", "audio/webm;codecs=opus", "audio/webm", "audio/mp4"];
const MAX_RECORDING_S = 15 * 60;

const text = (name) => $("composer-media").dataset[name] || "";
let pending = null; // the file waiting in the preview
let previewUrl = null;
let rec = null; // {recorder, stream, chunks, started, timer, cancelled}

function extOf(name) {
  const dot = name.lastIndexOf(".");
  return dot > 0 ? name.slice(dot + 1).toLowerCase() : "";
}

/** The refusal for ``file`` (type or size, naming the limit), or null when it can go. */
export function refusal(file) {
  const ext = extOf(file.name);
  const kind = KINDS[ext];
  if (!kind) return text("wrongType").replace("%(ext)s", ext || "?");
  if (file.size > LIMITS[kind]) return text("tooBig" + kind[0].toUpperCase() + kind.slice(1));
  return null;
}

function named(file) {
  if (extOf(file.name) || !EXT_OF_TYPE[file.type]) return file;
  return new File([file], "imagem." + EXT_OF_TYPE[file.type], { type: file.type });
}

function fileSize(bytes) {
  if (bytes < 1024) return bytes + " B";
  if (bytes < MB) return Math.round(bytes / 1024) + " KB";
  return (bytes / MB).toFixed(1).replace(".", ",") + " MB";
}

// ---------------------------------------------------------------- preview (image, document)

export function openPreview(file) {
  if (!state.current || !file) return;
  file = named(file);
  showError(null);
  const refused = refusal(file);
  if (refused) return showError({ message: refused });
  closePreview();
  pending = file;
  const kind = KINDS[extOf(file.name)];
  const img = $("media-preview-img");
  if (kind === "image") {
    previewUrl = URL.createObjectURL(file);
    img.src = previewUrl;
  }
  img.classList.toggle("d-none", kind !== "image");
  $("media-preview-icon").classList.toggle("d-none", kind === "image");
  $("media-preview-name").textContent = file.name + " · " + fileSize(file.size);
  const caption = $("media-preview-caption");
  caption.value = $("composer-text").value.trim();
  caption.classList.toggle("d-none", kind === "audio"); // WhatsApp audio has no caption
  $("media-preview").classList.remove("d-none");
  caption.focus();
}

function closePreview() {
  pending = null;
  if (previewUrl) URL.revokeObjectURL(previewUrl);
  previewUrl = null;
  $("media-preview-img").removeAttribute("src");
  $("media-preview").classList.add("d-none");
  $("media-preview-send").disabled = false;
}

async function upload(file, fields) {
  const id = state.current.id;
  const form = new FormData();
  form.append("file", file, file.name);
  for (const [k, v] of Object.entries(fields)) if (v) form.append(k, v);
  const data = await postForm(API + "/conversations/" + id + "/media", form);
  if (state.current && state.current.id === id) appendMessage(data.message);
  return data;
}

async function sendPreview() {
  if (!pending || !state.current) return;
  const file = pending;
  const caption = $("media-preview-caption").value.trim();
  $("media-preview-send").disabled = true;
  showError({ message: text("sending") });
  try {
    await upload(file, { caption: caption });
    if (caption && caption === $("composer-text").value.trim()) $("composer-text").value = "";
    showError(null);
    closePreview();
  } catch (err) {
    $("media-preview-send").disabled = false;
    showError(err);
  }
}

// ---------------------------------------------------------------- voice notes

function recordingType() {
  if (!window.MediaRecorder || !navigator.mediaDevices) return null;
  return RECORDING_TYPES.find((t) => MediaRecorder.isTypeSupported(t)) || "";
}

function showTimer() {
  const s = Math.floor((Date.now() - rec.started) / 1000);
  $("voice-timer").textContent = Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
  if (s >= MAX_RECORDING_S) stopRecording(true);
}

async function startRecording() {
  if (rec || !state.current) return;
  showError(null);
  const type = recordingType();
  if (type === null) return showError({ message: text("noRecorder") });
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ audio: true });
  } catch (err) {
    return showError({ message: text("micDenied") });
  }
  const recorder = new MediaRecorder(stream, type ? { mimeType: type } : undefined);
  rec = { recorder, stream, chunks: [], started: Date.now(), send: false, conversation: state.current.id };
  recorder.addEventListener("dataavailable", (e) => e.data.size && rec && rec.chunks.push(e.data));
  recorder.addEventListener("stop", finishRecording);
  recorder.start(250);
  rec.timer = setInterval(showTimer, 250);
  $("voice-timer").textContent = "0:00";
  $("voice-recorder").classList.remove("d-none");
  $("composer-mic").classList.add("active");
  $("composer-mic").setAttribute("aria-pressed", "true");
}

function stopRecording(send) {
  if (!rec) return;
  rec.send = send;
  clearInterval(rec.timer);
  if (rec.recorder.state !== "inactive") rec.recorder.stop();
  else finishRecording();
}

async function finishRecording() {
  const done = rec;
  if (!done) return;
  rec = null;
  done.stream.getTracks().forEach((t) => t.stop());
  $("voice-recorder").classList.add("d-none");
  $("composer-mic").classList.remove("active");
  $("composer-mic").setAttribute("aria-pressed", "false");
  if (!done.send || !done.chunks.length) return;
  const type = (done.recorder.mimeType || done.chunks[0].type || "audio/webm").split(";")[0];
  const ext = type === "audio/ogg" ? "ogg" : type === "audio/mp4" ? "m4a" : "webm";
  const file = new File(done.chunks, "gravacao." + ext, { type: type });
  if (file.size > LIMITS.audio) return showError({ message: text("tooBigAudio") });
  if (!state.current || state.current.id !== done.conversation) return;
  showError({ message: text("sending") });
  try {
    await upload(file, { voice: "1" });
    showError(null);
  } catch (err) {
    showError(err);
  }
}

// ---------------------------------------------------------------- wiring

function fileFrom(list) {
  for (const item of list || []) {
    const file = item instanceof File ? item : item.kind === "file" ? item.getAsFile() : null;
    if (file) return file;
  }
  return null;
}

export function bindComposerMedia() {
  const zone = document.querySelector(".inbox-composer");
  $("composer-mic").addEventListener("click", () => (rec ? stopRecording(true) : startRecording()));
  $("voice-cancel").addEventListener("click", () => stopRecording(false));
  $("voice-send").addEventListener("click", () => stopRecording(true));
  $("media-preview-send").addEventListener("click", sendPreview);
  $("media-preview-cancel").addEventListener("click", closePreview);
  $("media-preview-caption").addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      e.preventDefault();
      sendPreview();
    } else if (e.key === "Escape") closePreview();
  });
  // The attach button: the picked file goes to the preview (not straight out).
  $("composer-file").addEventListener("change", () => {
    const file = $("composer-file").files[0];
    $("composer-file").value = "";
    $("composer-file-name").classList.add("d-none");
    if (file) openPreview(file);
  });
  $("composer-text").addEventListener("paste", (e) => {
    const file = fileFrom(e.clipboardData && e.clipboardData.items);
    if (!file) return; // plain text: the usual paste
    e.preventDefault();
    openPreview(file);
  });
  zone.addEventListener("dragover", (e) => {
    if (![...(e.dataTransfer ? e.dataTransfer.types : [])].includes("Files")) return;
    e.preventDefault();
    zone.classList.add("composer-drop");
  });
  zone.addEventListener("dragleave", (e) => {
    if (!zone.contains(e.relatedTarget)) zone.classList.remove("composer-drop");
  });
  zone.addEventListener("drop", (e) => {
    zone.classList.remove("composer-drop");
    const file = fileFrom(e.dataTransfer && e.dataTransfer.files);
    if (!file) return;
    e.preventDefault();
    openPreview(file);
  });
}
