// Draws the report charts (Chart.js from /static/vendor/chartjs) from each section's JSON,
// and shows the custom date fields only for the "Personalizado" preset.
const Chart = window.Chart;

function dataset(spec, type) {
  const base = { label: spec.label, data: spec.data };
  if (spec.colors) {
    base.backgroundColor = spec.colors;
  } else {
    base.backgroundColor = type === "line" ? spec.color + "33" : spec.color;
    base.borderColor = spec.color;
  }
  if (type === "line") {
    base.fill = false;
    base.tension = 0.25;
    base.pointRadius = 2;
  }
  return base;
}

function draw(canvas) {
  const source = document.getElementById(`chart-${canvas.dataset.chart}`);
  if (!source || !Chart) return;
  const spec = JSON.parse(source.textContent);
  const locale = document.documentElement.lang || "pt-BR";
  const options = {
    responsive: true,
    maintainAspectRatio: false,
    animation: false,
    locale: locale.replace("_", "-"),
    plugins: { legend: { display: spec.type === "doughnut" || spec.datasets.length > 1, position: "bottom" } },
  };
  if (spec.type !== "doughnut") {
    const value = { beginAtZero: true, ticks: spec.decimals ? {} : { precision: 0 } };
    const category = { ticks: { autoSkip: true, maxRotation: 0 } };
    options.scales = spec.horizontal ? { x: value, y: category } : { x: category, y: value };
    if (spec.horizontal) options.indexAxis = "y";
  }
  if (spec.titles) {
    // failures: the bar is the Meta code, the tooltip its pt_BR explanation
    options.plugins.tooltip = { callbacks: { afterTitle: (items) => spec.titles[items[0].dataIndex] } };
  }
  new Chart(canvas, {
    type: spec.type,
    data: { labels: spec.labels, datasets: spec.datasets.map((d) => dataset(d, spec.type)) },
    options,
  });
}

function toggleCustom() {
  const preset = document.getElementById("preset");
  if (!preset) return;
  const custom = preset.value === "custom";
  document.querySelectorAll("[data-custom]").forEach((el) => el.classList.toggle("d-none", !custom));
}

document.querySelectorAll("canvas[data-chart]").forEach(draw);
document.getElementById("preset")?.addEventListener("change", toggleCustom);
toggleCustom();
