// Small helpers shared by every page.
window.ClickPro = window.ClickPro || {};
ClickPro.csrfToken = function () {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
};
ClickPro.postJSON = async function (url, data) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-CSRFToken": ClickPro.csrfToken() },
    body: JSON.stringify(data || {}),
    credentials: "same-origin",
  });
  return response;
};
