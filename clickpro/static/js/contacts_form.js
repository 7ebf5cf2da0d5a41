// Contact form: add/remove attribute key/value rows.
function main() {
  const rows = document.getElementById("attr-rows");
  const template = document.getElementById("attr-template");
  const add = document.getElementById("attr-add");
  if (!rows || !template || !add) return;
  add.addEventListener("click", function () {
    rows.appendChild(template.content.cloneNode(true));
  });
  rows.addEventListener("click", function (event) {
    const button = event.target.closest(".attr-remove");
    if (button) button.closest(".attr-row").remove();
  });
}

main();
