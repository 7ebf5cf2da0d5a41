// The inbox page's settings (data-* of #inbox) and its one mutable state object.
const root = document.getElementById("inbox");

/** Whether this page is the inbox at all (the entry module stops otherwise). */
export const present = Boolean(root);
export const API = root ? root.dataset.api : "";
export const MEDIA = root ? root.dataset.media : "";
/** The page of one conversation: ``<base><id>`` (deep link, /inbox/c/<id>). */
export const PAGE = root ? root.dataset.page : "";
/** The client has several WhatsApp numbers: show each conversation's number. */
export const MULTI_NUMBER = Boolean(root && root.dataset.multiNumber === "1");
/** A zone the browser can load (a bad stored one falls back, as on the server). */
function loadableZone(zone) {
  try {
    new Intl.DateTimeFormat(undefined, { timeZone: zone });
    return zone;
  } catch {
    return "America/Sao_Paulo";
  }
}
export const TZ = loadableZone((root && root.dataset.timezone) || "America/Sao_Paulo");

export const state = {
  current: null, // open conversation (dict)
  conversations: new Map(),
  cursor: null, // next page of the conversation list
  olderCursor: null, // older messages of the open conversation
  lastId: 0, // highest message id seen: /updates?since_id= after a reconnect
  syncedAt: null, // server_time of the last list/updates answer
  templates: null,
  quick: null,
  tmp: 0,
};

/** Remember the server's clock of an answer (the next catch-up starts there). */
export function noteSync(data) {
  if (data && data.server_time) state.syncedAt = data.server_time;
}

/** Remember the highest message id seen. */
export function seen(id) {
  if (typeof id === "number" && id > state.lastId) state.lastId = id;
}
