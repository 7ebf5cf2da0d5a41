// Live inbox (vanilla JS). Data: /inbox/api/*; live events: ClickPro.live.socket
// (namespace /inbox, see live.js). On reconnect, /inbox/api/updates fills the gap.
(function () {
  "use strict";
  const root = document.getElementById("inbox");
  if (!root) return;
  const API = root.dataset.api;
  const MEDIA = root.dataset.media;
  const TZ = root.dataset.timezone || "America/Sao_Paulo";
  const T = JSON.parse(document.getElementById("inbox-i18n").textContent);
  const $ = (id) => document.getElementById(id);
  const state = {
    current: null, // open conversation (dict)
    conversations: new Map(),
    cursor: null,
    olderCursor: null,
    lastId: 0,
    syncedAt: null,
    templates: null,
    quick: null,
    tmp: 0,
  };

  // ------------------------------------------------------------------ helpers
  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }
  const timeFmt = new Intl.DateTimeFormat("pt-BR", { timeZone: TZ, hour: "2-digit", minute: "2-digit" });
  const dayFmt = new Intl.DateTimeFormat("pt-BR", { timeZone: TZ, day: "2-digit", month: "2-digit", year: "numeric" });
  const fmtTime = (iso) => (iso ? timeFmt.format(new Date(iso)) : "");
  const fmtDay = (iso) => (iso ? dayFmt.format(new Date(iso)) : "");
  function dayLabel(iso) {
    const day = fmtDay(iso);
    if (day === fmtDay(new Date().toISOString())) return T.today;
    if (day === fmtDay(new Date(Date.now() - 864e5).toISOString())) return T.yesterday;
    return day;
  }
  function listTime(iso) {
    if (!iso) return "";
    return fmtDay(iso) === fmtDay(new Date().toISOString()) ? fmtTime(iso) : fmtDay(iso);
  }
  async function getJSON(url) {
    const res = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    const data = await res.json().catch(() => ({}));
    if (!res.ok) throw Object.assign(new Error(data.error || T.error), { status: res.status, data: data });
    return data;
  }
  async function postJSON(url, body) {
    const res = await ClickPro.postJSON(url, body);
    const data = await res.json().catch(() => ({}));
    if (!res.ok) throw Object.assign(new Error(data.error || T.error), { status: res.status, data: data });
    return data;
  }
  function noteSync(data) {
    if (data && data.server_time) state.syncedAt = data.server_time;
  }
  function seen(id) {
    if (typeof id === "number" && id > state.lastId) state.lastId = id;
  }

  // ------------------------------------------------------------------ conversation list
  function filterParams() {
    const form = $("inbox-filters");
    const params = new URLSearchParams();
    for (const [key, value] of new FormData(form).entries()) if (value) params.append(key, value);
    return params;
  }
  function convItem(c) {
    const li = el("li", "list-group-item list-group-item-action inbox-conv");
    li.dataset.id = c.id;
    li.dataset.testid = "conversation";
    if (state.current && state.current.id === c.id) li.classList.add("active");
    const top = el("div", "d-flex justify-content-between align-items-center gap-1");
    const name = el("span", "fw-semibold text-truncate", c.name || c.phone);
    const dot = el("span", "inbox-window-dot " + (c.window_open ? "open" : "closed"));
    dot.title = c.window_open ? T.windowOpen : T.windowClosed;
    name.prepend(dot);
    top.append(name, el("small", "text-muted flex-none", listTime(c.last_message_at)));
    const bottom = el("div", "d-flex justify-content-between align-items-center gap-1");
    bottom.append(el("small", "text-muted text-truncate inbox-preview", c.preview));
    const badges = el("span", "d-flex gap-1 flex-none");
    if (c.opted_out) badges.append(el("span", "badge text-bg-dark", T.optedOut));
    badges.append(el("span", "badge " + (c.ai_paused ? "text-bg-warning" : "text-bg-info"), c.ai_paused ? T.human : T.ai));
    if (c.unread) {
      const unread = el("span", "badge rounded-pill text-bg-success inbox-unread", String(c.unread));
      unread.dataset.testid = "unread";
      badges.append(unread);
    }
    bottom.append(badges);
    li.append(top, bottom);
    if (c.labels && c.labels.length) {
      const labels = el("div", "d-flex flex-wrap gap-1 mt-1");
      c.labels.forEach((l) => labels.append(el("span", "badge text-bg-" + l.color, l.name)));
      li.append(labels);
    }
    li.addEventListener("click", () => openConversation(c.id));
    return li;
  }
  function upsertConversation(c, moveTop) {
    if (!c) return;
    state.conversations.set(c.id, c);
    const list = $("conversation-list");
    list.querySelectorAll(".inbox-no-items").forEach((n) => n.remove());
    const old = list.querySelector('[data-id="' + c.id + '"]');
    const item = convItem(c);
    if (old && !moveTop) old.replaceWith(item);
    else {
      if (old) old.remove();
      list.prepend(item);
    }
    if (state.current && state.current.id === c.id) renderHeader(Object.assign(state.current, c));
  }
  async function loadConversations(reset) {
    const params = filterParams();
    if (!reset && state.cursor) params.set("cursor", state.cursor);
    const data = await getJSON(API + "/conversations?" + params.toString());
    noteSync(data);
    const list = $("conversation-list");
    if (reset) list.replaceChildren();
    data.items.forEach((c) => {
      state.conversations.set(c.id, c);
      list.append(convItem(c));
    });
    if (reset && !data.items.length) list.append(el("li", "list-group-item text-muted inbox-no-items", T.empty));
    state.cursor = data.next_cursor;
    $("more-conversations").classList.toggle("d-none", !data.next_cursor);
  }

  // ------------------------------------------------------------------ messages
  const TICKS = { QUEUED: "bi-clock", SENDING: "bi-clock", SENT: "bi-check", DELIVERED: "bi-check-all", READ: "bi-check-all" };
  function ticks(m) {
    const span = el("span", "wa-ticks");
    span.dataset.status = m.status;
    if (m.status === "FAILED") {
      span.className = "wa-ticks text-danger";
      span.append(el("i", "bi bi-exclamation-circle"));
      span.title = T.failed + (m.error_title ? ": " + m.error_title : "") + (m.error_code ? " (" + m.error_code + ")" : "");
      return span;
    }
    if (m.status === "READ") span.classList.add("read");
    span.append(el("i", "bi " + (TICKS[m.status] || "bi-question-circle")));
    span.title = T[String(m.status).toLowerCase()] || m.status;
    return span;
  }
  function bubble(m) {
    const out = m.direction === "OUT";
    const row = el("div", "wa-message " + (out ? "wa-message-out" : "wa-message-in"));
    row.dataset.id = m.id;
    row.dataset.testid = "message";
    row.dataset.day = fmtDay(m.created_at);
    const b = el("div", "wa-bubble " + (out ? "wa-bubble-out" : "wa-bubble-in") + (m.is_note ? " inbox-note" : ""));
    b.append(el("div", "inbox-author small fw-semibold", m.is_note ? T.note + " · " + m.author_label : m.author_label));
    if (m.has_media) {
      const media = el("div", "wa-media small");
      media.append(el("span", "badge text-bg-light me-1", m.type));
      const link = el("a", "", T.download);
      link.href = MEDIA + m.id;
      media.append(link);
      b.append(media);
    }
    if (m.location) {
      const link = el("a", "d-block small", "📍 " + (m.location.name || T.map));
      link.href = m.location.url;
      link.target = "_blank";
      link.rel = "noopener";
      b.append(link);
    }
    b.append(el("div", "wa-body", m.body));
    const meta = el("div", "wa-meta");
    meta.append(el("span", "wa-time", fmtTime(m.created_at)));
    if (out && !m.is_note) meta.append(ticks(m));
    b.append(meta);
    if (m.status === "FAILED" && m.error_title) b.append(el("div", "small text-danger inbox-error", m.error_title));
    row.append(b);
    return row;
  }
  function daySeparator(iso) {
    const sep = el("div", "inbox-day align-self-center badge text-bg-light", dayLabel(iso));
    sep.dataset.day = fmtDay(iso);
    return sep;
  }
  function appendMessage(m) {
    seen(m.id);
    const box = $("messages");
    const existing = box.querySelector('.wa-message[data-id="' + m.id + '"]');
    if (existing) return existing.replaceWith(bubble(m));
    const bubbles = box.querySelectorAll(".wa-message");
    const last = bubbles[bubbles.length - 1];
    if (!last || last.dataset.day !== fmtDay(m.created_at)) box.append(daySeparator(m.created_at));
    box.append(bubble(m));
    box.scrollTop = box.scrollHeight;
  }
  function prependMessages(items) {
    const box = $("messages");
    const older = $("load-older");
    const before = box.scrollHeight;
    const firstDay = box.querySelector(".inbox-day");
    const frag = document.createDocumentFragment();
    let day = null;
    items.forEach((m) => {
      seen(m.id);
      if (fmtDay(m.created_at) !== day) {
        day = fmtDay(m.created_at);
        frag.append(daySeparator(m.created_at));
      }
      frag.append(bubble(m));
    });
    if (firstDay && day === firstDay.dataset.day) firstDay.remove();
    older.after(frag);
    box.scrollTop += box.scrollHeight - before;
  }
  function updateStatus(s) {
    const row = $("messages").querySelector('.wa-message[data-id="' + s.id + '"]');
    if (!row) return;
    const t = row.querySelector(".wa-ticks");
    if (!t) return;
    const m = { status: s.status, error_title: s.error_title, error_code: s.error_code };
    t.replaceWith(ticks(m));
    if (s.status === "FAILED" && s.error_title && !row.querySelector(".inbox-error")) {
      row.querySelector(".wa-bubble").append(el("div", "small text-danger inbox-error", s.error_title));
    }
  }

  // ------------------------------------------------------------------ open conversation
  function renderHeader(c) {
    $("thread-name").textContent = c.name || c.phone;
    $("thread-phone").textContent = c.phone;
    const w = $("thread-window");
    w.className = "badge " + (c.window_open ? "text-bg-success" : "text-bg-secondary");
    w.textContent = c.window_open ? T.windowOpen : T.windowClosed;
    w.dataset.open = c.window_open ? "1" : "0";
    $("window-closed").classList.toggle("d-none", !!c.window_open);
    $("thread-assign").value = c.assigned_user_id || "";
    $("thread-resolve").textContent = c.status === "RESOLVED" ? T.reopen : T.resolve;
    $("side-ai").checked = !!c.ai_paused;
    document.querySelectorAll(".side-label").forEach((box) => {
      box.checked = (c.labels || []).some((l) => String(l.id) === box.value);
    });
  }
  function renderSide(c) {
    const details = $("side-details");
    details.replaceChildren();
    [[T.phone, c.phone], [T.optOutStatus, c.opted_out ? T.optedOut : T.no]].forEach(([k, v]) => {
      details.append(el("dt", "", k), el("dd", "", v));
    });
    const attrs = $("side-attributes");
    attrs.replaceChildren();
    Object.entries(c.attributes || {}).forEach(([k, v]) => attrs.append(el("dt", "", k), el("dd", "", String(v))));
    const lists = $("side-lists");
    lists.replaceChildren();
    (c.lists || []).forEach((l) => lists.append(el("li", "", l.name)));
    $("side").classList.remove("d-none");
  }
  async function openConversation(id) {
    state.quick = null;
    $("thread-empty").classList.add("d-none");
    $("thread").classList.remove("d-none");
    $("template-panel").classList.add("d-none");
    $("composer-error").textContent = "";
    document.querySelectorAll(".inbox-conv.active").forEach((n) => n.classList.remove("active"));
    const item = $("conversation-list").querySelector('[data-id="' + id + '"]');
    if (item) item.classList.add("active");
    const [detail, page] = await Promise.all([
      getJSON(API + "/conversations/" + id),
      getJSON(API + "/conversations/" + id + "/messages"),
    ]);
    state.current = detail.conversation;
    renderHeader(state.current);
    renderSide(state.current);
    const box = $("messages");
    box.querySelectorAll(".wa-message, .inbox-day").forEach((n) => n.remove());
    prependMessages(page.items);
    box.scrollTop = box.scrollHeight;
    state.olderCursor = page.next_cursor;
    $("load-older").classList.toggle("d-none", !page.next_cursor);
    if (state.current.unread) markRead(id);
  }
  async function markRead(id) {
    try {
      const data = await postJSON(API + "/conversations/" + id + "/read", {});
      upsertConversation(data.conversation, false);
    } catch (e) { /* next open retries */ }
  }
  async function loadOlder() {
    if (!state.current || !state.olderCursor) return;
    const url = API + "/conversations/" + state.current.id + "/messages?before_id=" + state.olderCursor;
    const page = await getJSON(url);
    prependMessages(page.items);
    state.olderCursor = page.next_cursor;
    $("load-older").classList.toggle("d-none", !page.next_cursor);
  }

  // ------------------------------------------------------------------ composer
  function showError(err) {
    $("composer-error").textContent = err ? err.message || String(err) : "";
  }
  function optimistic(body) {
    state.tmp -= 1;
    const m = {
      id: "tmp" + state.tmp, direction: "OUT", author: "AGENT", author_label: "", type: "text", body: body,
      status: "QUEUED", created_at: new Date().toISOString(), is_note: false,
    };
    appendMessage(m);
    return m.id;
  }
  function replaceTmp(tmpId, message) {
    const row = $("messages").querySelector('.wa-message[data-id="' + tmpId + '"]');
    const already = $("messages").querySelector('.wa-message[data-id="' + message.id + '"]');
    if (row && already) row.remove();
    else if (row) row.replaceWith(bubble(message));
    else appendMessage(message);
    seen(message.id);
  }
  async function send(evt) {
    evt.preventDefault();
    if (!state.current) return;
    showError(null);
    const id = state.current.id;
    const text = $("composer-text").value.trim();
    const file = $("composer-file").files[0];
    const note = document.querySelector('input[name="mode"]:checked').value === "note";
    if (!text && !file) return;
    $("composer-text").value = "";
    if (file && !note) return sendFile(id, file, text);
    const tmp = note ? null : optimistic(text);
    try {
      const data = await postJSON(API + "/conversations/" + id + (note ? "/notes" : "/messages"), { body: text });
      if (tmp) replaceTmp(tmp, data.message);
      else appendMessage(data.message);
    } catch (err) {
      if (tmp) {
        const row = $("messages").querySelector('.wa-message[data-id="' + tmp + '"]');
        if (err.data && err.data.message) replaceTmp(tmp, err.data.message);
        else if (row) row.remove();
      }
      if (err.status === 409 && err.data && err.data.window_closed) {
        state.current.window_open = false;
        renderHeader(state.current);
        $("composer-text").value = text;
        openTemplates();
      }
      showError(err);
    }
  }
  async function sendFile(id, file, caption) {
    const form = new FormData();
    form.append("file", file);
    if (caption) form.append("caption", caption);
    const res = await fetch(API + "/conversations/" + id + "/media", {
      method: "POST", body: form, credentials: "same-origin", headers: { "X-CSRFToken": ClickPro.csrfToken() },
    });
    const data = await res.json().catch(() => ({}));
    $("composer-file").value = "";
    $("composer-file-name").classList.add("d-none");
    if (res.ok) appendMessage(data.message);
    else showError(new Error(data.error || T.error));
  }

  // quick replies: "/atalho"
  async function quickMenu() {
    const text = $("composer-text").value;
    const menu = $("quick-menu");
    if (!text.startsWith("/") || text.includes(" ") || !state.current) return menu.classList.add("d-none");
    if (!state.quick || state.quick.contact !== state.current.id) {
      const data = await getJSON(API + "/quick-replies?contact_id=" + state.current.id);
      state.quick = { contact: state.current.id, items: data.items };
    }
    const wanted = text.slice(1).toLowerCase();
    const hits = state.quick.items.filter((q) => q.shortcut.startsWith(wanted)).slice(0, 8);
    menu.replaceChildren();
    hits.forEach((q) => {
      const btn = el("button", "list-group-item list-group-item-action small");
      btn.type = "button";
      btn.append(el("code", "me-2", "/" + q.shortcut), document.createTextNode(q.text));
      btn.addEventListener("click", () => {
        $("composer-text").value = q.text;
        menu.classList.add("d-none");
        $("composer-text").focus();
      });
      menu.append(btn);
    });
    menu.classList.toggle("d-none", !hits.length);
  }

  // template fallback
  function slotInputs(t) {
    const box = $("template-vars");
    box.replaceChildren();
    const add = (group, key, label) => {
      const input = el("input", "form-control form-control-sm mb-1");
      input.dataset.group = group;
      if (key !== undefined) input.dataset.key = key;
      input.placeholder = label;
      input.setAttribute("aria-label", label);
      box.append(input);
    };
    const s = t.slots || {};
    if (s.header_media) add("header_media", undefined, T.mediaLink + " (" + s.header_media + ")");
    for (let i = 1; i <= (s.header || 0); i++) add("header", undefined, T.header + " {{" + i + "}}");
    for (let i = 1; i <= (s.body || 0); i++) add("body", undefined, T.body + " {{" + i + "}}");
    Object.entries(s.buttons || {}).forEach(([idx, n]) => {
      for (let i = 1; i <= n; i++) add("buttons", idx, T.button + " " + (Number(idx) + 1) + " {{" + i + "}}");
    });
    $("template-preview").textContent = [t.header, t.body].filter(Boolean).join(" — ");
  }
  async function openTemplates() {
    $("template-panel").classList.remove("d-none");
    if (!state.templates) state.templates = (await getJSON(API + "/templates")).items;
    const select = $("template-select");
    select.replaceChildren();
    if (!state.templates.length) select.append(el("option", "", T.noTemplates));
    state.templates.forEach((t) => {
      const opt = el("option", "", t.name + " (" + t.language + ")");
      opt.value = t.id;
      select.append(opt);
    });
    if (state.templates.length) slotInputs(state.templates[0]);
  }
  function templateValues() {
    const values = { header: [], body: [], buttons: {} };
    $("template-vars").querySelectorAll("input").forEach((input) => {
      const g = input.dataset.group;
      if (g === "header_media") values.header_media = { link: input.value.trim() };
      else if (g === "buttons") (values.buttons[input.dataset.key] = values.buttons[input.dataset.key] || []).push(input.value);
      else values[g].push(input.value);
    });
    return values;
  }
  async function sendTemplate() {
    if (!state.current) return;
    showError(null);
    try {
      const data = await postJSON(API + "/conversations/" + state.current.id + "/template", {
        template_id: Number($("template-select").value), values: templateValues(),
      });
      appendMessage(data.message);
      $("template-panel").classList.add("d-none");
    } catch (err) {
      if (err.data && err.data.message) appendMessage(err.data.message);
      showError(err);
    }
  }

  // ------------------------------------------------------------------ team actions
  async function act(path, body) {
    if (!state.current) return;
    try {
      const data = await postJSON(API + "/conversations/" + state.current.id + path, body);
      upsertConversation(data.conversation, false);
    } catch (err) { showError(err); }
  }

  // ------------------------------------------------------------------ real time
  function onMessage(data) {
    const m = data.message;
    if (data.conversation) upsertConversation(data.conversation, true);
    if (state.current && m && m.contact_id === state.current.id) {
      appendMessage(m);
      if (m.direction === "IN" && document.visibilityState === "visible") markRead(state.current.id);
    } else if (m) seen(m.id);
  }
  async function catchUp() {
    const params = new URLSearchParams({ since_id: String(state.lastId) });
    if (state.syncedAt) params.set("since", state.syncedAt);
    try {
      const data = await getJSON(API + "/updates?" + params.toString());
      noteSync(data);
      data.conversations.forEach((c) => upsertConversation(c, false));
      data.messages.forEach((m) => {
        if (state.current && m.contact_id === state.current.id) {
          const row = $("messages").querySelector('.wa-message[data-id="' + m.id + '"]');
          if (row) row.replaceWith(bubble(m));
          else appendMessage(m);
        }
        seen(m.id);
      });
      if (data.truncated) loadConversations(true);
    } catch (e) { /* retried at the next reconnect */ }
  }
  function bindSocket(socket) {
    let connectedOnce = false;
    const live = $("inbox-live");
    socket.on("connect", () => {
      live.dataset.state = "online";
      live.textContent = T.online;
      if (connectedOnce) catchUp();
      connectedOnce = true;
    });
    socket.on("disconnect", () => {
      live.dataset.state = "offline";
      live.textContent = T.offline;
    });
    socket.on("message:new", onMessage);
    socket.on("message:status", updateStatus);
    socket.on("conversation:update", (data) => upsertConversation(data.conversation, false));
    if (socket.connected) {
      connectedOnce = true;
      live.dataset.state = "online";
      live.textContent = T.online;
    }
  }

  // ------------------------------------------------------------------ wiring
  let searchTimer = null;
  $("inbox-filters").addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => loadConversations(true).catch(showError), 250);
  });
  $("inbox-filters").addEventListener("submit", (e) => e.preventDefault());
  $("more-conversations").addEventListener("click", () => loadConversations(false));
  $("load-older").addEventListener("click", loadOlder);
  $("composer").addEventListener("submit", send);
  $("composer-text").addEventListener("input", () => quickMenu().catch(() => {}));
  $("composer-text").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey) {
      e.preventDefault();
      $("composer").requestSubmit();
    }
  });
  $("composer-file").addEventListener("change", () => {
    const f = $("composer-file").files[0];
    $("composer-file-name").textContent = f ? f.name : "";
    $("composer-file-name").classList.toggle("d-none", !f);
  });
  $("open-templates").addEventListener("click", openTemplates);
  $("template-close").addEventListener("click", () => $("template-panel").classList.add("d-none"));
  $("template-select").addEventListener("change", () => {
    const t = (state.templates || []).find((x) => String(x.id) === $("template-select").value);
    if (t) slotInputs(t);
  });
  $("template-send").addEventListener("click", sendTemplate);
  $("thread-assign").addEventListener("change", () => act("/assign", { user_id: $("thread-assign").value || null }));
  $("thread-resolve").addEventListener("click", () =>
    act("/status", { status: state.current && state.current.status === "RESOLVED" ? "OPEN" : "RESOLVED" }));
  $("side-ai").addEventListener("change", () => act("/ai", { paused: $("side-ai").checked }));
  document.querySelectorAll(".side-label").forEach((box) => box.addEventListener("change", () => {
    const ids = Array.from(document.querySelectorAll(".side-label:checked")).map((b) => Number(b.value));
    act("/labels", { label_ids: ids });
  }));
  $("new-label").addEventListener("submit", async (e) => {
    e.preventDefault();
    const name = e.target.elements.name.value.trim();
    if (!name) return;
    try {
      await postJSON(API + "/labels", { name: name });
      window.location.reload();
    } catch (err) { showError(err); }
  });

  loadConversations(true).catch(showError);
  if (window.ClickPro && ClickPro.live) bindSocket(ClickPro.live.socket);
  else document.addEventListener("clickpro:live", (e) => bindSocket(e.detail));
  window.ClickProInbox = { state: state, catchUp: catchUp };
})();
