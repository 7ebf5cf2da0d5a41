// Forms marked .js-confirm ask before submitting (delete contact, delete list...).
document.addEventListener("submit", function (event) {
  const form = event.target.closest("form.js-confirm");
  if (form && !window.confirm(form.dataset.confirm || "?")) event.preventDefault();
});
