// Campaign page: polls progress.json every 1.5 s and updates the bar, counters and actions.
// When the live socket is up, a `campaign:progress` event for this campaign polls at once.
import { onLive } from "./live.js";
import { formatNumber, label, metaError, t } from "./i18n.js";

function main() {
  const root = document.getElementById("campaign-progress");
  // forms with data-confirm ask through confirm.js (loaded by base.html)
  if (!root) return;
  const FINAL = ["COMPLETED", "CANCELLED", "FAILED"];
  const COLORS = { PREPARING: "info", RUNNING: "primary", PAUSED: "warning", COMPLETED: "success", CANCELLED: "secondary", SCHEDULED: "info", FAILED: "danger", DRAFT: "secondary" };

  function text(el, value) { if (el) el.textContent = value; }

  function duration(seconds) {
    if (seconds === null || seconds === undefined) return "—";
    if (seconds < 60) return t("campaign.seconds", { s: seconds });
    const m = Math.floor(seconds / 60), s = seconds % 60;
    return m < 60 ? t("campaign.minutes", { m: m, s: s }) : t("campaign.hours", { h: Math.floor(m / 60), m: m % 60 });
  }

  function render(data) {
    const bar = document.getElementById("progress-bar");
    bar.style.width = data.percent + "%";
    bar.textContent = data.percent + "%";
    bar.parentElement.setAttribute("aria-valuenow", data.percent);
    Object.keys(data.counters).forEach(function (key) {
      text(root.querySelector('[data-counter="' + key + '"]'), data.counters[key]);
    });
    text(document.getElementById("rate-now"), t("campaign.rate", { rate: formatNumber(data.rate_now) }));
    text(document.getElementById("eta"), t("campaign.eta", { time: duration(data.eta_s) }));
    const badge = document.querySelector("#campaign-status .badge");
    if (badge) {
      badge.textContent = label("campaign", data.status);
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
    renderRetries(data);
    const tbody = document.getElementById("failures");
    tbody.replaceChildren();
    // the table only when there is a failure to explain (an empty header reads as a bug)
    document.getElementById("failures-block").classList.toggle("d-none", data.failures.length === 0);
    data.failures.forEach(function (f) {
      const tr = document.createElement("tr");
      [f.code === null ? "—" : f.code, metaError(f.code, f.title), formatNumber(f.count)].forEach(function (v) {
        const td = document.createElement("td");
        td.textContent = v;
        tr.appendChild(td);
      });
      tbody.appendChild(tr);
    });
  }

  // How many rows each resend action would send now, the UNKNOWN explanation and the
  // 131049 rows still inside Meta's back-off (texts come translated from the server).
  function renderRetries(data) {
    const ready = document.getElementById("retry-ready");
    if (ready) {
      ready.textContent = data.retry_text || "";
      ready.classList.toggle("d-none", !data.retry_text);
    }
    const note = document.getElementById("unknown-note");
    if (note) note.classList.toggle("d-none", !(data.counters.unknown > 0));
    const waiting = document.getElementById("waiting-131049");
    if (waiting) {
      const info = data.waiting_131049 || { count: 0, text: "" };
      waiting.textContent = info.text;
      waiting.classList.toggle("d-none", !info.count);
    }
    const buttons = { "retry-failed": data.retryable_failed, "resend-unknown": data.resendable_unknown, "mark-unknown-failed": data.counters.unknown };
    Object.keys(buttons).forEach(function (name) {
      const button = document.querySelector('[data-testid="action-' + name + '"]');
      if (button) button.disabled = !buttons[name];
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
