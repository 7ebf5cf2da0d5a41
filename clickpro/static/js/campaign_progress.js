// Campaign page: polls progress.json every 1.5 s and updates the bar, counters and actions.
// When the live socket is up, a `campaign:progress` event for this campaign polls at once.
import { onLive } from "./live.js";

function main() {
  const root = document.getElementById("campaign-progress");
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });
  if (!root) return;
  const FINAL = ["COMPLETED", "CANCELLED", "FAILED"];
  const COLORS = { PREPARING: "info", RUNNING: "primary", PAUSED: "warning", COMPLETED: "success", CANCELLED: "secondary", SCHEDULED: "info", FAILED: "danger", DRAFT: "secondary" };

  function text(el, value) { if (el) el.textContent = value; }

  function duration(seconds) {
    if (seconds === null || seconds === undefined) return "—";
    if (seconds < 60) return seconds + " s";
    const m = Math.floor(seconds / 60), s = seconds % 60;
    return m < 60 ? m + " min " + s + " s" : Math.floor(m / 60) + " h " + (m % 60) + " min";
  }

  function render(data) {
    const bar = document.getElementById("progress-bar");
    bar.style.width = data.percent + "%";
    bar.textContent = data.percent + "%";
    bar.parentElement.setAttribute("aria-valuenow", data.percent);
    Object.keys(data.counters).forEach(function (key) {
      text(root.querySelector('[data-counter="' + key + '"]'), data.counters[key]);
    });
    text(document.getElementById("rate-now"), data.rate_now + " msg/s");
    text(document.getElementById("eta"), "ETA " + duration(data.eta_s));
    const badge = document.querySelector("#campaign-status .badge");
    if (badge) {
      badge.textContent = data.status;
      badge.dataset.status = data.status;
      badge.className = "badge text-bg-" + (COLORS[data.status] || "secondary");
    }
    const reason = document.getElementById("pause-reason");
    if (reason) {
      reason.textContent = data.pause_reason || "";
      reason.classList.toggle("d-none", !data.pause_reason);
    }
    document.querySelectorAll(".campaign-action").forEach(function (form) {
      const show = form.dataset.show.split(",");
      form.classList.toggle("d-none", show.indexOf(data.status) < 0);
    });
    const tbody = document.getElementById("failures");
    tbody.replaceChildren();
    data.failures.forEach(function (f) {
      const tr = document.createElement("tr");
      [f.code === null ? "—" : f.code, f.title, f.count].forEach(function (v) {
        const td = document.createElement("td");
        td.textContent = v;
        tr.appendChild(td);
      });
      tbody.appendChild(tr);
    });
  }

  let timer = null;
  let lastPoll = 0;

  function schedule(delay) {
    window.clearTimeout(timer);
    timer = window.setTimeout(poll, delay);
  }

  async function poll() {
    lastPoll = Date.now();
    try {
      const response = await fetch(root.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (response.ok) {
        const data = await response.json();
        render(data);
        if (FINAL.indexOf(data.status) >= 0) return;
      }
    } catch (err) {
      // network hiccup: try again on the next tick
    }
    schedule(1500);
  }

  function subscribe(socket) {
    socket.on("campaign:progress", function (event) {
      if (String(event.campaign_id) !== root.dataset.campaignId) return;
      schedule(Math.max(0, 250 - (Date.now() - lastPoll)));  // at most 4 polls a second
    });
  }
  onLive(subscribe);
  poll();
}

main();
