// JSON calls to /inbox/api/* (session cookie + CSRF header); failures throw responseError.
import { csrfToken, postJSON as post } from "../app.js";
import { responseError } from "./errors.js";

async function parse(res) {
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw responseError(res, data);
  return data;
}

export async function getJSON(url) {
  return parse(await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }));
}

export async function postJSON(url, body) {
  return parse(await post(url, body));
}

/** POST a multipart form (media upload). */
export async function postForm(url, form) {
  return parse(await fetch(url, {
    method: "POST", body: form, credentials: "same-origin", headers: { "X-CSRFToken": csrfToken() },
  }));
}
