// DOM shorthands for the inbox modules.

/** document.getElementById. */
export const $ = (id) => document.getElementById(id);

/** A new element with a class list and a text (text is never parsed as HTML). */
export function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

/** The rendered message row with this id (numbers, or "tmp-1" for an optimistic one). */
export function messageRow(id) {
  return $("messages").querySelector('.wa-message[data-id="' + id + '"]');
}
