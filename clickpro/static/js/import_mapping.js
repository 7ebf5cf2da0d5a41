// Mapping step: the phone, BSUID and name columns are never attributes; greys them out.
function main() {
  const phone = document.getElementById("phone");
  const name = document.getElementById("name");
  const bsuid = document.getElementById("bsuid");
  if (!phone || !name) return;
  function sync() {
    document.querySelectorAll(".attr-cell").forEach(function (cell) {
      const col = cell.dataset.col;
      const taken = col === phone.value || col === name.value || (bsuid && col === bsuid.value);
      cell.querySelectorAll("input").forEach(function (input) { input.disabled = taken; });
      cell.classList.toggle("opacity-50", taken);
    });
  }
  phone.addEventListener("change", sync);
  name.addEventListener("change", sync);
  if (bsuid) bsuid.addEventListener("change", sync);
  sync();
}

main();
