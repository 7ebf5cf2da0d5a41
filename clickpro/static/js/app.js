// Small helpers shared by every page (imported by the page modules).
// window.ClickPro stays as the console/test hook (ClickPro.live, ClickPro.refreshBell).
window.ClickPro = window.ClickPro || {};

/** The CSRF token the layout puts in <meta name="csrf-token">. */
export function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

/** POST `data` as JSON with the CSRF header; resolves to the fetch Response. */
export function postJSON(url, data) {
  return fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
    body: JSON.stringify(data || {}),
    credentials: "same-origin",
  });
}

/** Run `fn` once the DOM is ready (modules are deferred, so this is usually at once). */
export function ready(fn) {
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", fn);
  else fn();
}
