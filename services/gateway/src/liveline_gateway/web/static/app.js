// liveline's web client: one page, screens by path (see `routes`), the gateway's public API only.
"use strict";

const { t } = window.i18n;

// ---------------------------------------------------------------- DOM helpers

function h(tag, attrs, ...children) {
  const [name, ...classes] = tag.split(".");
  const el = document.createElement(name);
  if (classes.length) el.className = classes.join(" ");
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "text") el.textContent = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (value === true) el.setAttribute(key, "");
    else el.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

// append / replaceChildren that skip null, undefined and false (which the DOM would print as text).
function present(kids) {
  return kids.flat().filter((kid) => kid !== null && kid !== undefined && kid !== false);
}
function add(parent, ...kids) {
  parent.append(...present(kids));
}
function put(parent, ...kids) {
  parent.replaceChildren(...present(kids));
}

let fieldCounter = 0;
function field(labelText, attrs) {
  const id = attrs.id || `f${++fieldCounter}`;
  const input = attrs.tag === "textarea" ? h("textarea", { ...attrs, id, tag: null }) : h("input", { ...attrs, id });
  return h("label", { for: id }, labelText, input);
}

function money(value) {
  return new Intl.NumberFormat(window.i18n.lang, { style: "currency", currency: value.currency })
    .format(value.amount_minor / 100);
}

function when(iso, timeZone, withDate = true) {
  const options = withDate ? { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" }
    : { hour: "2-digit", minute: "2-digit", second: "2-digit" };
  return new Intl.DateTimeFormat(window.i18n.lang, { ...options, timeZone: timeZone || undefined }).format(new Date(iso));
}

function signed(n) {
  return n > 0 ? `+${n}` : String(n);
}

function periodName(name) {
  return window.i18n.has(`period.${name}`) ? t(`period.${name}`) : name;
}

// ---------------------------------------------------------------- session and API

const SESSION_KEY = "liveline.session";
const session = {
  data: JSON.parse(localStorage.getItem(SESSION_KEY) || "null"),
  get me() { return this.data && this.data.me; },
  get role() { return this.me ? this.me.role : null; },
  save(data) { this.data = data; localStorage.setItem(SESSION_KEY, JSON.stringify(data)); },
  clear() { this.data = null; localStorage.removeItem(SESSION_KEY); },
};

class ApiError extends Error {
  constructor(status, problem) {
    super((problem && problem.title) || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
  get slug() {
    return this.problem && this.problem.type ? this.problem.type.split("/").pop() : "";
  }
}

let refreshing = null;
async function refreshTokens() {
  if (!session.data) return false;
  refreshing = refreshing || fetch("/v1/sessions/refresh", {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ refresh_token: session.data.refresh_token }),
  }).then(async (response) => {
    if (!response.ok) return false;
    const tokens = await response.json();
    session.save({ ...session.data, access_token: tokens.access_token, refresh_token: tokens.refresh_token });
    return true;
  }).catch(() => false).finally(() => { setTimeout(() => { refreshing = null; }, 0); });
  return refreshing;
}

async function api(method, path, { body, headers, retried } = {}) {
  const init = { method, headers: { Accept: "application/json", ...(headers || {}) } };
  if (session.data) init.headers.Authorization = `Bearer ${session.data.access_token}`;
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    throw new ApiError(0, null);
  }
  if (response.status === 401 && session.data && !retried) {
    if (await refreshTokens()) return api(method, path, { body, headers, retried: true });
    session.clear();
    renderNav();
  }
  if (response.status === 204) return null;
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (error) { data = null; }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

function fieldLabel(location) {
  const name = String(location || "").split(".").filter((part) => !/^\d+$/.test(part) && part !== "body").pop() || "";
  return window.i18n.has(`field.${name}`) ? t(`field.${name}`) : name;
}

// A readable message for a failed call, in the chosen language.
function errorBox(error) {
  const box = h("div.error", { role: "alert" });
  if (!(error instanceof ApiError)) {
    add(box, h("p", { text: error.message || String(error) }));
    return box;
  }
  if (error.status === 0) {
    add(box, h("p", { text: t("error.network") }));
    return box;
  }
  const key = `problem.${error.slug}`;
  const main = window.i18n.has(key) ? t(key)
    : error.status === 404 ? t("problem.not-found")
      : (error.problem && error.problem.title) || t("error.generic", { status: error.status });
  add(box, h("p", { text: main }));
  const problem = error.problem || {};
  const items = (problem.errors || []).map((item) => {
    const label = fieldLabel(item.location);
    return window.i18n.lang === "en" ? t("error.field", { field: label, message: item.message }) : label;
  });
  if (!items.length && problem.detail && window.i18n.lang === "en" && !window.i18n.has(key)) items.push(problem.detail);
  if (items.length) add(box, h("ul", {}, items.map((item) => h("li", { text: item }))));
  return box;
}

function localError(message) {
  return h("div.error", { role: "alert" }, h("p", { text: message }));
}

// Runs `action` for a form: the form's message slot shows its error or its success.
function bindForm(form, action) {
  // Our own checks, with messages in the chosen language, instead of the browser's bubbles.
  form.noValidate = true;
  const slot = h("div.message", { "aria-live": "polite" });
  add(form, slot);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    put(slot, );
    const submit = form.querySelector("button[type=submit]");
    if (submit) submit.disabled = true;
    try {
      const done = await action(new FormData(form));
      if (typeof done === "string") add(slot, h("p.success", { role: "status", text: done }));
    } catch (error) {
      add(slot, error instanceof Invalid ? localError(error.message) : errorBox(error));
    } finally {
      if (submit) submit.disabled = false;
    }
  });
  return form;
}

class Invalid extends Error {}

function requireText(value, fieldKey) {
  const text = String(value || "").trim();
  if (!text) throw new Invalid(t("error.required", { field: t(`field.${fieldKey}`) }));
  return text;
}

function requireInt(value, fieldKey, min, max, optional = false) {
  const text = String(value ?? "").trim();
  if (optional && text === "") return null;
  const n = Number(text);
  if (text === "" || !Number.isInteger(n) || n < min || n > max) {
    throw new Invalid(t("error.number", { field: t(`field.${fieldKey}`), min, max }));
  }
  return n;
}

function requireMoney(value, fieldKey) {
  const text = String(value || "").trim();
  if (!/^\d{1,7}(\.\d{1,2})?$/.test(text)) throw new Invalid(t("error.money", { field: t(`field.${fieldKey}`) }));
  return { amount_minor: Math.round(Number(text) * 100), currency: "CNY" };
}

// ---------------------------------------------------------------- notifications (stream, inbox, system)

const live = {
  byId: new Map(),
  unread: 0,
  running: null,
  lastSeq: 0,

  key() { return `liveline.seq.${session.me ? session.me.id : ""}`; },

  async start() {
    if (this.running || session.role !== "customer") return;
    const run = { stopped: false, controller: new AbortController() };
    this.running = run;
    this.lastSeq = Number(localStorage.getItem(this.key()) || 0);
    try {
      const inbox = await api("GET", "/v1/me/notifications?limit=100");
      inbox.notifications.forEach((n) => {
        this.byId.set(n.notification_id, n);
        if (n.seq) this.remember(n.seq);
      });
      this.unread = inbox.unread;
      renderNav();
      window.dispatchEvent(new CustomEvent("liveline:inbox"));
    } catch (error) { /* the stream or the poll below tries again */ }
    this.loop(run);
  },

  stop() {
    if (!this.running) return;
    this.running.stopped = true;
    this.running.controller.abort();
    this.running = null;
    this.byId.clear();
    this.unread = 0;
  },

  async loop(run) {
    let delay = 1000;
    while (!run.stopped) {
      const outcome = await this.stream(run).catch(() => "error");
      if (run.stopped) return;
      if (outcome === "unavailable") {
        await this.poll(run);
        delay = 1000;
      } else {
        await sleep(delay);
        delay = Math.min(delay * 2, 15000);
      }
      if (outcome === "opened") delay = 1000;
    }
  },

  // Server-Sent Events read with fetch (the bearer token rides in a header, which EventSource cannot send).
  async stream(run) {
    const headers = { Accept: "text/event-stream", Authorization: `Bearer ${session.data.access_token}` };
    if (this.lastSeq) headers["Last-Event-ID"] = String(this.lastSeq);
    const response = await fetch("/v1/me/notifications/stream", { headers, signal: run.controller.signal });
    if (response.status === 401) { await refreshTokens(); return "error"; }
    if (response.status === 404 || response.status === 405 || response.status === 501) return "unavailable";
    if (!response.ok || !response.body) return "error";
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done || run.stopped) return "opened";
      buffer += value.replace(/\r\n?/g, "\n");
      let end;
      while ((end = buffer.indexOf("\n\n")) !== -1) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = { name: "message", data: [], id: null };
        for (const line of block.split("\n")) {
          if (!line || line.startsWith(":")) continue;
          const colon = line.indexOf(":");
          const name = colon === -1 ? line : line.slice(0, colon);
          const text = colon === -1 ? "" : line.slice(colon + 1).replace(/^ /, "");
          if (name === "event") event.name = text;
          else if (name === "data") event.data.push(text);
          else if (name === "id") event.id = text;
        }
        if (event.name === "notification" && event.data.length) {
          const n = JSON.parse(event.data.join("\n"));
          if (event.id) this.remember(Number(event.id));
          this.receive(n);
        }
      }
    }
  },

  // Until the stream answers: the inbox every 3 s, anything new shown as it would be from the stream.
  async poll(run) {
    const until = Date.now() + 60000;
    while (!run.stopped && Date.now() < until) {
      try {
        const inbox = await api("GET", "/v1/me/notifications?limit=50");
        inbox.notifications.slice().reverse().forEach((n) => { if (!this.byId.has(n.notification_id)) this.receive(n); });
        this.unread = inbox.unread;
        renderNav();
      } catch (error) { /* next round */ }
      await sleep(3000);
    }
  },

  remember(seq) {
    if (seq > this.lastSeq) {
      this.lastSeq = seq;
      localStorage.setItem(this.key(), String(seq));
    }
  },

  receive(n) {
    if (n.seq) this.remember(n.seq);
    if (this.byId.has(n.notification_id)) return;
    this.byId.set(n.notification_id, n);
    if (!n.read) this.unread += 1;
    renderNav();
    showNotice(n);
    showSystemNotification(n);
    window.dispatchEvent(new CustomEvent("liveline:notification", { detail: n }));
  },

  forOrder(orderId) {
    return [...this.byId.values()].filter((n) => n.order_id === orderId)
      .sort((a, b) => (a.created_at < b.created_at ? 1 : -1));
  },
};

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function notificationTitle(n) {
  const keys = { slot_reoffer: "slots.reoffer", video_prompt: "video.title", video_edited: "video.published" };
  if (keys[n.subject]) return t(keys[n.subject]);
  if (n.subject === "queue_update") return t("pushes.title");
  if (n.subject === "video_rejected") return t("video.rejected", { reason: n.reason || "" });
  if (n.subject === "queue_position" && n.ticket) return t("ticket.position", { ticket: n.ticket, position: n.position });
  if (n.subject === "queue_called" && n.ticket) return t("ticket.called", { ticket: n.ticket });
  return n.title;
}

function notificationText(n) {
  const q = n.queue;
  if (n.subject === "queue_update" && q) {
    const parts = [t("pushes.queue", { parties: q.waiting_parties, people: q.waiting_people })];
    parts.push(q.enough_history ? t("queue.wait", { low: q.wait_low_minutes, high: q.wait_high_minutes }) : t("queue.waitUnknown"));
    if (q.calling) parts.push(t("queue.calling", { ticket: q.calling }));
    if (q.change_parties) parts.push(t("pushes.change", { change: signed(q.change_parties) }));
    if (q.stale) parts.push(t("queue.stale"));
    return parts.join(" · ");
  }
  if (n.subject === "slot_reoffer" && n.slots) {
    return n.slots.slice(0, 3).map((s) => `${s.local_date} ${periodName(s.meal_period)}`).join(", ");
  }
  if (n.subject === "video_prompt") return t("video.prompt");
  return ["video_rejected", "queue_position", "queue_called"].includes(n.subject) ? "" : n.title;
}

// One notice per order and subject: a newer queue update replaces the one before.
function showNotice(n) {
  const region = document.getElementById("notices");
  const key = `${n.order_id}:${n.subject}`;
  region.querySelectorAll(".notice").forEach((old) => { if (old.dataset.key === key) old.remove(); });
  const notice = h("div.notice", { dataset: { subject: n.subject, key } },
    h("div.text", {}, h("strong", { text: notificationTitle(n) }), h("br"), notificationText(n),
      n.link_path ? h("span", {}, " ", h("a", { href: n.link_path, "data-link": true, text: t("inbox.open") })) : null),
    h("button", { type: "button", "aria-label": t("notice.close"), text: "×", onclick: () => notice.remove() }));
  add(region, notice);
  while (region.children.length > 3) region.firstElementChild.remove();
  setTimeout(() => notice.remove(), 12000);
}

async function showSystemNotification(n) {
  if (!("Notification" in window) || Notification.permission !== "granted" || !document.hidden) return;
  const registration = await navigator.serviceWorker?.getRegistration();
  const options = { body: notificationText(n), tag: n.notification_id, icon: "/app/icon.svg", data: { link_path: n.link_path } };
  if (registration) registration.showNotification(notificationTitle(n), options);
  else new Notification(notificationTitle(n), options);
}

function base64UrlToBytes(text) {
  const padded = (text + "===".slice((text.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
}

// Asks for permission, then subscribes this browser to Web Push for the account.
async function enableSystemNotifications(status) {
  put(status, );
  if (!("Notification" in window) || !("serviceWorker" in navigator)) {
    add(status, h("p", { text: t("pushes.unsupported") }));
    return;
  }
  const permission = await Notification.requestPermission();
  if (permission !== "granted") {
    add(status, h("p", { text: t("pushes.denied") }));
    return;
  }
  try {
    const registration = await navigator.serviceWorker.ready;
    if ("PushManager" in window) {
      const { public_key: key } = await api("GET", "/v1/push/vapid-public-key");
      const subscription = await registration.pushManager.getSubscription()
        || await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: base64UrlToBytes(key) });
      await api("POST", "/v1/me/push-subscriptions", { body: subscription.toJSON() });
    }
    add(status, h("p.success", { role: "status", text: t("pushes.allowed") }));
  } catch (error) {
    // The page still shows them while open (the stream); only pushes to a closed page are missing.
    add(status, h("p.success", { role: "status", text: t("pushes.allowed") }), errorBox(error));
  }
}

// ---------------------------------------------------------------- shell: nav, language, routing

let screen = { timers: [], listeners: [] };

function every(ms, fn) {
  const id = setInterval(fn, ms);
  screen.timers.push(id);
  return id;
}

function on(name, fn) {
  window.addEventListener(name, fn);
  screen.listeners.push([name, fn]);
}

function renderNav() {
  const nav = document.getElementById("nav");
  nav.setAttribute("aria-label", t("nav.main"));
  const links = [["/", t("nav.deals")]];
  if (session.role === "customer") links.push(["/orders", t("nav.orders")], ["/inbox", t("nav.inbox")]);
  if (session.role === "staff") links.push(["/staff", t("nav.staff")]);
  if (session.role === "admin") links.push(["/admin", t("nav.admin")], ["/staff", t("nav.staff")]);
  put(nav, ...links.map(([path, label]) => {
    const link = h("a", { href: path, "data-link": true, "aria-current": location.pathname === path ? "page" : null }, label);
    if (path === "/inbox" && live.unread > 0) {
      add(link, h("span.badge", { "aria-label": t("inbox.unread", { count: live.unread }), text: String(live.unread) }));
    }
    return link;
  }));
  if (session.data) {
    add(nav, h("button", { type: "button", text: `${t("nav.logout")} (${session.me.login})`, onclick: logout }));
  } else {
    add(nav, h("a", { href: "/login", "data-link": true, text: t("nav.login") }));
  }
  const lang = document.getElementById("lang");
  lang.textContent = t("nav.language");
  lang.setAttribute("aria-label", t("nav.languageLabel"));
  document.getElementById("skip").textContent = t("skip");
  document.getElementById("brand").textContent = t("app.name");
  document.getElementById("notices").setAttribute("aria-label", t("notice.region"));
  document.title = t("app.name");
}

async function logout() {
  const refresh = session.data && session.data.refresh_token;
  live.stop();
  session.clear();
  if (refresh) api("POST", "/v1/sessions/logout", { body: { refresh_token: refresh } }).catch(() => {});
  navigate("/");
}

const routes = [
  [/^\/$/, viewDeals],
  [/^\/login$/, viewLogin],
  [/^\/deals\/([\w-]+)$/, viewDeal],
  [/^\/orders$/, viewOrders],
  [/^\/orders\/([\w-]+)(?:\/(slots|video))?$/, viewOrder],
  [/^\/inbox$/, viewInbox],
  [/^\/staff$/, viewStaff],
  [/^\/admin$/, viewAdmin],
];

function navigate(path) {
  if (path !== location.pathname + location.search) history.pushState({}, "", path);
  render();
}

async function render() {
  screen.timers.forEach(clearInterval);
  screen.listeners.forEach(([name, fn]) => window.removeEventListener(name, fn));
  screen = { timers: [], listeners: [] };
  renderNav();
  const main = document.getElementById("view");
  main.setAttribute("aria-busy", "true");
  put(main, h("p.muted", { text: t("loading") }));
  const match = routes.map(([pattern, view]) => [location.pathname.match(pattern), view]).find(([m]) => m);
  const view = match ? match[1] : viewNotFound;
  const body = h("div");
  try {
    await view(body, ...(match ? match[0].slice(1) : []));
  } catch (error) {
    put(body, errorBox(error), h("button", { type: "button", text: t("retry"), onclick: render }));
  }
  put(main, body);
  main.setAttribute("aria-busy", "false");
  const heading = main.querySelector("h1");
  if (heading && document.activeElement === document.body) heading.setAttribute("tabindex", "-1");
}

function viewNotFound(main) {
  add(main, h("h1", { text: t("problem.not-found") }));
}

document.addEventListener("click", (event) => {
  const link = event.target.closest("a[data-link]");
  if (!link || event.ctrlKey || event.metaKey || event.shiftKey || link.target) return;
  event.preventDefault();
  navigate(link.getAttribute("href"));
  document.getElementById("view").focus();
});
window.addEventListener("popstate", render);

// ---------------------------------------------------------------- queue, busyness and videos (shared by screens)

function queueBox(merchantId, timeZone) {
  const box = h("div.queue", { "aria-live": "polite", dataset: { testid: "live-queue" } }, h("p.muted", { text: t("loading") }));
  const refresh = async () => {
    try {
      const q = await api("GET", `/v1/merchants/${merchantId}/queue`);
      put(box, 
        h("p.big", { dataset: { parties: q.waiting_parties, people: q.waiting_people } },
          t("queue.now", { parties: q.waiting_parties, people: q.waiting_people })),
        h("p", { text: q.estimate.enough_history ? t("queue.wait", { low: q.estimate.low_minutes, high: q.estimate.high_minutes })
          : t("queue.waitUnknown") }),
        q.calling ? h("p", { text: t("queue.calling", { ticket: q.calling }) }) : null,
        h("p.muted", { text: t("queue.measured", { time: when(q.measured_at, timeZone, false) }) }),
        q.stale ? h("p.stale", { text: t("queue.stale") }) : null,
      );
      box.dataset.parties = q.waiting_parties;
      box.dataset.people = q.waiting_people;
    } catch (error) {
      put(box, errorBox(error));
    }
  };
  refresh();
  every(5000, refresh);
  return box;
}

function localNow(timeZone) {
  const parts = new Intl.DateTimeFormat("en-US", { timeZone, weekday: "short", hour: "numeric", hourCycle: "h23" })
    .formatToParts(new Date());
  return {
    weekday: parts.find((p) => p.type === "weekday").value.slice(0, 3).toLowerCase(),
    hour: Number(parts.find((p) => p.type === "hour").value),
  };
}

// People waiting per hour of each weekday, in absolute numbers; today's live bar highlighted.
async function busynessChart(merchantId) {
  const data = await api("GET", `/v1/merchants/${merchantId}/busyness`);
  const now = localNow(data.timezone);
  const days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
  let shown = now.weekday;
  const wrap = h("section.card", { "aria-labelledby": "busy-title", dataset: { testid: "busyness" } },
    h("h2", { id: "busy-title", text: t("busy.title") }));
  const tabs = h("div.weekdays", { role: "group", "aria-label": t("busy.weekday") });
  const chart = h("div.chart", { role: "list" });
  const caption = h("p.muted");
  const draw = () => {
    tabs.querySelectorAll("button").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.day === shown)));
    const hours = data.hours.filter((x) => x.weekday === shown);
    const isToday = shown === now.weekday;
    const live = isToday ? data.live.waiting_people : null;
    const byHour = new Map(hours.map((x) => [x.hour, x]));
    const values = [...byHour.values()].map((x) => x.people);
    if (live !== null) values.push(live);
    const max = Math.max(1, ...values);
    const from = Math.min(...[...byHour.keys(), ...(isToday ? [now.hour] : []), 10]);
    const to = Math.max(...[...byHour.keys(), ...(isToday ? [now.hour] : []), 22]);
    put(chart, );
    for (let hour = from; hour <= to; hour++) {
      const entry = byHour.get(hour);
      const isNow = isToday && hour === now.hour;
      const people = isNow ? live : entry ? Math.round(entry.people) : 0;
      let label = t("busy.bar", { hour, people });
      if (entry && entry.wait_low_minutes !== null) label += t("busy.barWait", { low: entry.wait_low_minutes, high: entry.wait_high_minutes });
      if (isNow) label = `${label} — ${t("busy.live", { people: live })}`;
      add(chart, h(`div.bar${isNow ? ".now" : ""}`, { role: "listitem", "aria-label": label, title: label,
        dataset: { hour, people, now: isNow ? "true" : null } },
      h("span.n", { text: people ? String(people) : "" }),
      h("span.fill", { style: `height:${(people / max) * 85}%` }),
      h("span.h", { text: String(hour) })));
    }
    caption.textContent = isToday ? t("busy.live", { people: live }) : hours.length ? t("busy.people") : t("busy.none");
  };
  days.forEach((day) => add(tabs, h("button", { type: "button", dataset: { day }, text: t(`weekday.${day}`),
    onclick: () => { shown = day; draw(); } })));
  add(wrap, tabs, chart, caption);
  draw();
  return wrap;
}

function videoPlayer(video, timeZone) {
  return h("figure", { dataset: { video: video.video_id } },
    h("video", { controls: true, preload: "metadata", playsinline: true, src: video.video_url, poster: video.poster_url || null,
      "aria-label": t("deal.videos") }),
    h("figcaption.muted", {}, video.verified_visit ? `✓ ${t("deal.verified")} · ` : "", when(video.visited_at, timeZone)));
}

// ---------------------------------------------------------------- customer screens

async function viewDeals(main) {
  add(main, h("h1", { text: t("deals.title") }));
  const page = await api("GET", "/v1/deals?limit=50");
  if (!page.items.length) add(main, h("p", { text: t("deals.none") }));
  const list = h("div.grid.two");
  const queues = new Map();
  for (const deal of page.items) {
    const queueLine = h("p.muted", { dataset: { merchant: deal.merchant_id } });
    queues.set(deal.merchant_id, [...(queues.get(deal.merchant_id) || []), queueLine]);
    add(list, h("article.card", { dataset: { deal: deal.deal_id } },
      h("h2", {}, h("a", { href: `/deals/${deal.deal_id}`, "data-link": true, text: deal.title })),
      h("p", { text: deal.merchant ? deal.merchant.name : "" }),
      h("p", {}, h("span.price", { text: money(deal.price) }), " ", h("s.muted", { text: money(deal.original_price) })),
      queueLine));
  }
  add(main, list);
  const fill = async () => {
    for (const [merchantId, lines] of queues) {
      try {
        const q = await api("GET", `/v1/merchants/${merchantId}/queue`);
        lines.forEach((line) => { line.textContent = `${t("queue.title")}: ${t("queue.now", { parties: q.waiting_parties, people: q.waiting_people })}`; });
      } catch (error) { /* the line stays empty */ }
    }
  };
  fill();
  every(10000, fill);
}

async function viewDeal(main, dealId) {
  const deal = await api("GET", `/v1/deals/${dealId}`);
  const merchant = deal.merchant || {};
  const timeZone = merchant.timezone;
  add(main, h("h1", { text: deal.title }),
    h("p", { text: merchant.name ? `${merchant.name} · ${merchant.address}` : "" }),
    h("p", {}, h("span.price", { text: money(deal.price) }), " ", h("s.muted", { text: money(deal.original_price) }), " · ",
      t("deal.sold", { sold: deal.sold }), deal.stock !== null ? ` · ${t("deal.left", { left: deal.stock - deal.sold })}` : ""),
    deal.description ? h("p", { text: deal.description }) : null,
    h("p.muted", { text: t("deal.validUntil", { date: when(deal.voucher_valid_until, timeZone) }) }));

  if (session.role === "customer") {
    let key = crypto.randomUUID();
    const form = h("form.card", { "aria-label": t("deal.buy") },
      field(t("deal.quantity"), { name: "quantity", type: "number", min: 1, max: deal.per_user_limit, value: 1, inputmode: "numeric" }),
      h("button", { type: "submit", text: t("deal.buy") }));
    bindForm(form, async (data) => {
      const quantity = requireInt(data.get("quantity"), "quantity", 1, deal.per_user_limit);
      const order = await api("POST", "/v1/orders", { body: { deal_id: dealId, quantity }, headers: { "Idempotency-Key": key } });
      key = crypto.randomUUID();
      navigate(`/orders/${order.order_id}`);
    });
    add(main, form);
  } else if (!session.data) {
    add(main, h("p", {}, h("a.button", { href: `/login?next=/deals/${dealId}`, "data-link": true, text: t("deal.loginToBuy") })));
  }

  add(main, h("section.card", { "aria-labelledby": "queue-title" }, h("h2", { id: "queue-title", text: t("queue.title") }),
    queueBox(deal.merchant_id, timeZone)));
  try {
    add(main, await busynessChart(deal.merchant_id));
  } catch (error) {
    add(main, errorBox(error));
  }

  const videos = h("div.videos", { dataset: { testid: "deal-videos" } });
  add(main, h("section.card", { "aria-labelledby": "videos-title" }, h("h2", { id: "videos-title", text: t("deal.videos") }), videos));
  let shownIds = null;
  const loadVideos = async () => {
    try {
      const page = await api("GET", `/v1/deals/${dealId}/videos?limit=6`);
      const ids = page.items.map((v) => v.video_id).join(",");
      if (ids === shownIds) return;
      shownIds = ids;
      put(videos, ...(page.items.length ? page.items.map((v) => videoPlayer(v, timeZone)) : [h("p.muted", { text: t("deal.noVideos") })]));
    } catch (error) {
      put(videos, errorBox(error));
    }
  };
  await loadVideos();
  every(10000, loadVideos);
}

function needLogin(main, role) {
  if (session.data && (!role || role.includes(session.role))) return false;
  add(main, h("p", { role: "alert" }, t("problem.unauthenticated"), " ",
    h("a", { href: `/login?next=${encodeURIComponent(location.pathname)}`, "data-link": true, text: t("nav.login") })));
  return true;
}

async function viewLogin(main) {
  add(main, h("h1", { text: t("login.title") }));
  const next = new URLSearchParams(location.search).get("next");
  const start = async (login, password) => {
    const tokens = await api("POST", "/v1/sessions", { body: { login, password } });
    session.save({ access_token: tokens.access_token, refresh_token: tokens.refresh_token, me: null });
    const me = await api("GET", "/v1/me");
    session.save({ ...session.data, me });
    live.start();
    navigate(next && next.startsWith("/") ? next : me.role === "staff" ? "/staff" : me.role === "admin" ? "/admin" : "/");
  };
  const login = h("form.card", { "aria-labelledby": "login-h" }, h("h2", { id: "login-h", text: t("login.title") }),
    field(t("login.login"), { name: "login", autocomplete: "username", required: true }),
    field(t("login.password"), { name: "password", type: "password", autocomplete: "current-password", required: true }),
    h("button", { type: "submit", text: t("login.submit") }));
  bindForm(login, (data) => start(requireText(data.get("login"), "login"), requireText(data.get("password"), "password")));
  const register = h("form.card", { "aria-labelledby": "register-h" }, h("h2", { id: "register-h", text: t("login.register") }),
    field(t("login.login"), { name: "login", autocomplete: "username", required: true }),
    field(t("login.password"), { name: "password", type: "password", autocomplete: "new-password", required: true,
      "aria-describedby": "pw-hint" }),
    h("p.muted", { id: "pw-hint", text: t("login.registerHint") }),
    h("button", { type: "submit", text: t("login.registerSubmit") }));
  bindForm(register, async (data) => {
    const loginText = requireText(data.get("login"), "login");
    const password = String(data.get("password") || "");
    await api("POST", "/v1/accounts", { body: { login: loginText, password } });
    await start(loginText, password);
  });
  add(main, h("div.grid.two", {}, login, register));
}

async function viewOrders(main) {
  if (needLogin(main, ["customer", "staff", "admin"])) return;
  add(main, h("h1", { text: t("orders.title") }));
  const page = await api("GET", "/v1/orders?limit=50");
  if (!page.items.length) add(main, h("p", { text: t("orders.none") }));
  const deals = new Map();
  for (const order of page.items) {
    if (!deals.has(order.deal_id)) deals.set(order.deal_id, api("GET", `/v1/deals/${order.deal_id}`).catch(() => null));
  }
  for (const order of page.items) {
    const deal = await deals.get(order.deal_id);
    add(main, h("article.card", {}, h("h2", {}, h("a", { href: `/orders/${order.order_id}`, "data-link": true,
      text: deal ? deal.title : order.order_id })),
    h("p", { text: `${t(`order.status.${order.status}`)} · ${money(order.amount)} · ${when(order.created_at)}` })));
  }
}

async function viewOrder(main, orderId, part) {
  if (needLogin(main, ["customer", "staff", "admin"])) return;
  let order = await api("GET", `/v1/orders/${orderId}`);
  const deal = await api("GET", `/v1/deals/${order.deal_id}`).catch(() => null);
  const timeZone = deal && deal.merchant ? deal.merchant.timezone : undefined;
  const status = h("p", { dataset: { testid: "order-status", status: order.status } });
  const setStatus = () => {
    status.textContent = `${t(`order.status.${order.status}`)} · ${money(order.amount)} × ${order.quantity}`;
    status.dataset.status = order.status;
  };
  setStatus();
  add(main, h("h1", { text: deal ? deal.title : t("order.title") }), status);

  if (order.voucher) {
    const qr = h("div.qr");
    add(qr, window.qrSvg(order.voucher.qr_payload, t("order.qr", { code: order.voucher.code })));
    add(main, h("section.card", { "aria-labelledby": "voucher-h", dataset: { testid: "voucher" } },
      h("h2", { id: "voucher-h", text: t("order.voucher") }),
      h("p", {}, `${t("order.code")}: `, h("span.code", { text: order.voucher.code })), qr,
      h("p.muted", { text: t("deal.validUntil", { date: when(order.voucher.valid_until, timeZone) }) })));
  }

  const slotsCard = h("section.card", { id: "slots", "aria-labelledby": "slots-h", dataset: { testid: "slots" } });
  const ticketCard = h("section.card", { "aria-labelledby": "ticket-h", dataset: { testid: "ticket" } });
  const pushesCard = h("section.card", { "aria-labelledby": "pushes-h", dataset: { testid: "pushes" } });
  const videoCard = h("section.card", { id: "video", "aria-labelledby": "video-h", dataset: { testid: "video" } });
  add(main, slotsCard,
    h("section.card", { "aria-labelledby": "oq-h" }, h("h2", { id: "oq-h", text: t("queue.title") }), queueBox(order.merchant_id, timeZone)),
    ticketCard, pushesCard, videoCard);

  const isBuyer = session.me && session.me.id === order.user_id;
  const showOffer = (offer, note) => put(slotsCard, renderOffer(offer, isBuyer, (chosen) => showOffer(chosen, t("slots.saved")), note));
  const drawSlots = async () => {
    if (order.status !== "paid") { slotsCard.hidden = true; return; }
    try {
      showOffer(await api("GET", `/v1/orders/${orderId}/offer`));
    } catch (error) {
      put(slotsCard, h("h2", { id: "slots-h", text: t("slots.title") }), errorBox(error));
    }
  };
  const drawPushes = () => {
    // One line per moment: the pushes of two chosen slots at the same moment say the same.
    const moments = new Set();
    const queueNotes = live.forOrder(orderId).filter((n) => {
      if (!n.subject.startsWith("queue_")) return false;
      const key = n.queue ? `${n.queue.moment}|${n.queue.waiting_parties}|${n.queue.waiting_people}` : n.notification_id;
      if (moments.has(key)) return false;
      moments.add(key);
      return true;
    });
    const list = h("ol.feed", { dataset: { testid: "push-feed" } });
    for (const n of queueNotes.slice(0, 12)) {
      const q = n.queue;
      add(list, h(`li${n.read ? ".read" : ""}`, { dataset: { subject: n.subject, parties: q ? q.waiting_parties : null,
        people: q ? q.waiting_people : null } },
      h("strong", { text: q ? when(q.moment, timeZone, false) : when(n.created_at, timeZone, false) }), " ",
      n.subject === "queue_update" ? notificationText(n) : notificationTitle(n)));
    }
    put(pushesCard, h("h2", { id: "pushes-h", text: t("pushes.title") }),
      queueNotes.length ? list : h("p.muted", { text: t("pushes.none") }));
    if (isBuyer && order.status === "paid") {
      const mute = h("input", { type: "checkbox", id: "mute" });
      mute.addEventListener("change", async () => {
        try { await api("PUT", `/v1/orders/${orderId}/push-mute`, { body: { muted: mute.checked } }); } catch (error) {
          add(pushesCard, errorBox(error));
        }
      });
      add(pushesCard, h("label.check", { for: "mute" }, mute, t("pushes.mute")));
    }
  };
  let ticketDraws = 0;
  const drawTicket = async () => {
    const draw = ++ticketDraws;
    if (!isBuyer || order.status !== "paid") { ticketCard.hidden = true; return; }
    const inWindow = live.forOrder(orderId).some((n) => n.subject.startsWith("queue_"));
    let ticket = null;
    try { ticket = await api("GET", `/v1/orders/${orderId}/queue-ticket`); } catch (error) { ticket = null; }
    if (draw !== ticketDraws) return;
    ticketCard.hidden = !ticket && !inWindow;
    const say = h("div", { "aria-live": "polite" });
    const parts = [h("h2", { id: "ticket-h", text: t("ticket.join") })];
    if (ticket && ticket.status !== "cancelled") {
      const text = ticket.status === "waiting" ? t("ticket.position", { ticket: ticket.ticket, position: ticket.position })
        : ticket.status === "called" ? t("ticket.called", { ticket: ticket.ticket })
          : t("ticket.status", { ticket: ticket.ticket, status: ticket.status });
      parts.push(h("p.big", { text, dataset: { status: ticket.status, position: ticket.position } }));
      if (ticket.status === "waiting" || ticket.status === "called") {
        parts.push(h("button.secondary", { type: "button", text: t("ticket.cancel"), onclick: async () => {
          try { await api("DELETE", `/v1/orders/${orderId}/queue-ticket`); drawTicket(); } catch (error) { put(say, errorBox(error)); }
        } }));
      }
    } else {
      parts.push(h("button", { type: "button", text: t("ticket.join"), onclick: async () => {
        try { await api("POST", `/v1/orders/${orderId}/queue-ticket`, { body: {} }); drawTicket(); } catch (error) {
          put(say, errorBox(error));
        }
      } }));
    }
    put(ticketCard, parts, say);
  };
  const drawVideo = () => {
    const prompted = live.forOrder(orderId).some((n) => n.subject === "video_prompt");
    videoCard.hidden = !(isBuyer && (order.status === "redeemed" || prompted));
    if (!videoCard.hidden && !videoCard.dataset.drawn) {
      videoCard.dataset.drawn = "true";
      videoSection(videoCard, order);
    }
  };

  await drawSlots();
  drawPushes();
  drawTicket();
  drawVideo();
  const refreshOrder = async () => {
    order = await api("GET", `/v1/orders/${orderId}`).catch(() => order);
    setStatus();
  };
  on("liveline:notification", async (event) => {
    const n = event.detail;
    if (n.order_id !== orderId) return;
    if (n.subject === "slot_reoffer") { await drawSlots(); slotsCard.scrollIntoView({ block: "nearest" }); }
    if (n.subject.startsWith("queue_")) { drawPushes(); drawTicket(); }
    if (n.subject === "video_prompt") { await refreshOrder(); await drawSlots(); drawPushes(); drawTicket(); drawVideo(); }
  });
  on("liveline:inbox", () => { drawPushes(); drawVideo(); });
  if (part === "slots") slotsCard.scrollIntoView();
  if (part === "video") videoCard.scrollIntoView();
}

function renderOffer(offer, isBuyer, onChosen, note) {
  const chosen = new Set(offer.choice ? offer.choice.slot_ids : []);
  const wrap = h("div", { dataset: { offer: offer.offer_id, reason: offer.reason } });
  add(wrap, h("h2", { id: "slots-h", text: t("slots.title") }));
  if (offer.reason === "missed_slot") add(wrap, h("p.error", { role: "status", dataset: { testid: "reoffer" }, text: t("slots.reoffer") }));
  add(wrap, h("p.muted", { text: t("slots.hint") }));
  if (!offer.slots.length) {
    add(wrap, h("p", { text: t("slots.none") }));
    return wrap;
  }
  const form = h("form", { "aria-labelledby": "slots-h" });
  const list = h("ul.slots");
  for (const slot of offer.slots) {
    const id = `slot-${slot.slot_id}`;
    const wait = slot.predicted_wait ? t("slots.predicted", { low: slot.predicted_wait.low_minutes, high: slot.predicted_wait.high_minutes })
      : t("slots.noPrediction");
    const extra = [wait];
    if (slot.remaining_capacity !== null) extra.push(slot.remaining_capacity > 0 ? t("slots.left", { left: slot.remaining_capacity }) : t("slots.full"));
    if (!slot.choosable) extra.push(t("slots.closed"));
    const box = h("input", { type: "checkbox", id, name: "slot", value: slot.slot_id, checked: chosen.has(slot.slot_id),
      disabled: !isBuyer || !slot.choosable });
    add(list, h("li", { dataset: { slot: slot.slot_id, period: slot.meal_period } }, h("label.check", { for: id }, box,
      h("span", {}, h("strong", { text: `${slot.local_start.replace("T", " ")}–${slot.local_end.slice(11)} ${periodName(slot.meal_period)}` }),
        h("br"), h("span.muted", { text: extra.join(" · ") })))));
  }
  add(form, list);
  if (isBuyer) {
    add(form, h("button", { type: "submit", text: t("slots.choose") }));
    bindForm(form, async (data) => {
      const slotIds = data.getAll("slot");
      if (!slotIds.length) throw new Invalid(t("slots.pickOne"));
      onChosen(await api("PUT", `/v1/orders/${offer.order_id}/choice`, { body: { offer_id: offer.offer_id, slot_ids: slotIds } }));
    });
  }
  add(wrap, form);
  if (note) add(form, h("p.success", { role: "status", text: note }));
  return wrap;
}

// ---------------------------------------------------------------- the video of a visit

const VIDEO_TYPES = ["video/mp4", "video/quicktime", "video/webm"];

function videoSection(card, order) {
  const storeKey = `liveline.video.${order.order_id}`;
  const statusLine = h("p", { "aria-live": "polite", dataset: { testid: "video-status" } });
  const bar = h("progress", { max: 100, value: 0, "aria-label": t("video.upload"), hidden: true });
  const result = h("div");
  const message = h("div");
  put(card, h("h2", { id: "video-h", text: t("video.title") }), h("p", { text: t("video.prompt") }));

  const showVideo = async (videoId) => {
    for (const started = Date.now(); Date.now() - started < 600000;) {
      let video;
      try { video = await api("GET", `/v1/videos/${videoId}`); } catch (error) { await sleep(2000); continue; }
      card.dataset.videoStatus = video.status;
      if (video.status === "published") {
        statusLine.textContent = video.hidden ? t("video.hidden", { reason: video.hidden_reason || "" }) : t("video.published");
        put(result, videoPlayer(video));
        return;
      }
      if (video.status === "rejected") {
        statusLine.textContent = t("video.rejected", { reason: (video.rejection && video.rejection.detail) || "" });
        return;
      }
      if (video.status === "processing") statusLine.textContent = t("video.processing");
      if (video.status === "uploading") return "uploading";
      await sleep(1500);
    }
    return null;
  };

  const upload = async (blob) => {
    put(message, );
    const contentType = (blob.type || "").split(";")[0];
    if (!VIDEO_TYPES.includes(contentType)) throw new Invalid(t("problem.invalid-request"));
    bar.hidden = false;
    let state;
    const existing = localStorage.getItem(storeKey);
    if (existing) {
      state = await api("GET", `/v1/videos/${existing}/upload`).catch(() => null);
      if (state && state.size_bytes !== blob.size) state = null;
    }
    if (!state) {
      state = await api("POST", "/v1/videos", { body: { order_id: order.order_id, size_bytes: blob.size, content_type: contentType } });
      localStorage.setItem(storeKey, state.video_id);
    }
    card.dataset.videoId = state.video_id;
    await uploadParts(blob, state, (percent) => {
      bar.value = percent;
      statusLine.textContent = t("video.progress", { percent });
    }, () => { statusLine.textContent = t("video.paused"); });
    for (let attempt = 0; ; attempt++) {
      try {
        await api("POST", `/v1/videos/${state.video_id}/complete`);
        break;
      } catch (error) {
        if (error.status !== 0 || attempt > 20) throw error;
        await sleep(Math.min(1000 * 2 ** attempt, 10000));
      }
    }
    statusLine.textContent = t("video.processing");
    await showVideo(state.video_id);
  };

  const file = h("input", { type: "file", id: "video-file", accept: VIDEO_TYPES.join(","), name: "file" });
  const form = h("form", {}, h("label", { for: "video-file" }, t("video.pick"), file), h("button", { type: "submit", text: t("video.upload") }));
  bindForm(form, async () => {
    if (!file.files.length) throw new Invalid(t("error.required", { field: t("video.pick") }));
    await upload(file.files[0]);
  });

  const recordButton = h("button.secondary", { type: "button", text: t("video.record") });
  const preview = h("video", { muted: true, playsinline: true, hidden: true, "aria-hidden": "true" });
  let recorder = null;
  recordButton.addEventListener("click", async () => {
    put(message, );
    if (recorder) { recorder.stop(); return; }
    if (!navigator.mediaDevices || !window.MediaRecorder) { add(message, localError(t("video.noCamera"))); return; }
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: true });
    } catch (error) {
      add(message, localError(t("video.noCamera")));
      return;
    }
    preview.srcObject = stream;
    preview.hidden = false;
    preview.play().catch(() => {});
    const chunks = [];
    recorder = new MediaRecorder(stream, MediaRecorder.isTypeSupported("video/webm") ? { mimeType: "video/webm" } : {});
    recorder.ondataavailable = (event) => { if (event.data.size) chunks.push(event.data); };
    recorder.onstop = async () => {
      stream.getTracks().forEach((track) => track.stop());
      preview.hidden = true;
      recorder = null;
      recordButton.textContent = t("video.record");
      try {
        await upload(new Blob(chunks, { type: "video/webm" }));
      } catch (error) {
        add(message, error instanceof Invalid ? localError(error.message) : errorBox(error));
      }
    };
    recorder.start(1000);
    recordButton.textContent = t("video.stop");
  });

  add(card, h("div.row", {}, recordButton), preview, form, bar, statusLine, message, result);
  const existing = localStorage.getItem(storeKey);
  if (existing) showVideo(existing);
}

// PUTs each missing part on its presigned URL; a failed PUT (a dropped connection) waits, asks
// the gateway which parts the storage holds and for fresh URLs, and goes on from there.
async function uploadParts(blob, state, onProgress, onPaused) {
  const done = new Set(state.parts_done);
  let urls = new Map(state.upload_urls.map((p) => [p.part_number, p.url]));
  const partBytes = (n) => Math.min(state.part_size, blob.size - (n - 1) * state.part_size);
  const report = (current) => {
    const sent = [...done].reduce((sum, n) => sum + partBytes(n), 0) + current;
    onProgress(Math.min(100, Math.floor((sent / blob.size) * 100)));
  };
  report(0);
  for (let failures = 0; done.size < state.part_count;) {
    const n = [...Array(state.part_count).keys()].map((i) => i + 1).find((i) => !done.has(i));
    try {
      if (!urls.has(n)) throw new Error("no URL for this part");
      await putPart(urls.get(n), blob.slice((n - 1) * state.part_size, (n - 1) * state.part_size + partBytes(n)), report);
      done.add(n);
      failures = 0;
      report(0);
    } catch (error) {
      failures += 1;
      if (failures > 30) throw new ApiError(0, null);
      onPaused();
      await sleep(Math.min(500 * 2 ** failures, 10000));
      if (!navigator.onLine) await new Promise((resolve) => window.addEventListener("online", resolve, { once: true }));
      try {
        const fresh = await api("GET", `/v1/videos/${state.video_id}/upload`);
        fresh.parts_done.forEach((p) => done.add(p));
        urls = new Map(fresh.upload_urls.map((p) => [p.part_number, p.url]));
      } catch (ignored) { /* the next round asks again */ }
    }
  }
}

function putPart(url, body, onBytes) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("PUT", url);
    xhr.upload.onprogress = (event) => onBytes(event.loaded);
    xhr.onload = () => (xhr.status >= 200 && xhr.status < 300 ? resolve() : reject(new Error(`storage answered ${xhr.status}`)));
    xhr.onerror = () => reject(new Error("connection lost"));
    xhr.ontimeout = () => reject(new Error("timed out"));
    xhr.timeout = 120000;
    xhr.send(body);
  });
}

async function viewInbox(main) {
  if (needLogin(main, ["customer"])) return;
  add(main, h("h1", { text: t("inbox.title") }));
  const status = h("div", { "aria-live": "polite" });
  add(main, h("div.row", {}, h("button.secondary", { type: "button", text: t("pushes.allow"),
    onclick: () => enableSystemNotifications(status) })), status);
  const list = h("ul.feed", { dataset: { testid: "inbox" } });
  add(main, list);
  const draw = () => {
    const notes = [...live.byId.values()].sort((a, b) => (a.created_at < b.created_at ? 1 : -1));
    put(list, ...(notes.length ? [] : [h("li.read", { text: t("inbox.none") })]));
    for (const n of notes) {
      const item = h(`li${n.read ? ".read" : ""}`, { dataset: { subject: n.subject } },
        h("strong", { text: notificationTitle(n) }), " ", h("span.muted", { text: when(n.created_at) }), h("br"), notificationText(n), " ",
        n.link_path ? h("a", { href: n.link_path, "data-link": true, text: t("inbox.open") }) : null, " ");
      if (!n.read) {
        add(item, h("button.secondary", { type: "button", text: t("inbox.markRead"), onclick: async () => {
          await api("POST", `/v1/me/notifications/${encodeURIComponent(n.notification_id)}/read`).catch(() => null);
          n.read = true;
          live.unread = Math.max(0, live.unread - 1);
          renderNav();
          draw();
        } }));
      }
      add(list, item);
    }
  };
  draw();
  on("liveline:notification", draw);
  on("liveline:inbox", draw);
}

// ---------------------------------------------------------------- merchant staff

async function viewStaff(main) {
  if (needLogin(main, ["staff", "admin"])) return;
  const merchantId = new URLSearchParams(location.search).get("merchant") || session.me.merchant_id;
  add(main, h("h1", { text: t("staff.title") }));
  if (!merchantId) {
    add(main, field(t("admin.merchantId"), { name: "merchant", id: "pick-merchant" }),
      h("button", { type: "button", text: t("inbox.open"), onclick: () => navigate(`/staff?merchant=${document.getElementById("pick-merchant").value}`) }));
    return;
  }
  const merchant = await api("GET", `/v1/merchants/${merchantId}`);
  add(main, h("p", { text: `${merchant.name} · ${merchant.address}` }));
  const base = `/v1/merchants/${merchantId}`;

  // Waitlist
  const counts = h("p.big", { "aria-live": "polite", dataset: { testid: "waitlist-counts" } });
  const estimate = h("p");
  const table = h("table", { dataset: { testid: "waitlist" } });
  const actionError = h("div");
  const drawWaitlist = async () => {
    let w;
    try { w = await api("GET", `${base}/waitlist`); } catch (error) { put(actionError, errorBox(error)); return; }
    counts.textContent = t("staff.counts", { parties: w.waiting_parties, people: w.waiting_people });
    counts.dataset.parties = w.waiting_parties;
    counts.dataset.people = w.waiting_people;
    estimate.textContent = w.estimate.enough_history ? t("staff.estimate", { low: w.estimate.low_minutes, high: w.estimate.high_minutes })
      : t("queue.waitUnknown");
    const active = w.parties.filter((p) => p.status === "waiting" || p.status === "called");
    put(table, ...(active.length ? [] : [h("tr", {}, h("td", { text: t("staff.noParties") }))]));
    for (const party of active) {
      const act = (action, label) => h("button.secondary", { type: "button", text: label, "aria-label": `${label} ${party.ticket}`,
        onclick: async () => {
          put(actionError, );
          try { await api("POST", `${base}/waitlist/${party.party_id}/${action}`); } catch (error) { put(actionError, errorBox(error)); }
          drawWaitlist();
        } });
      add(table, h("tr", { dataset: { party: party.party_id, ticket: party.ticket, status: party.status } },
        h("td", { text: t("staff.party", { ticket: party.ticket, size: party.size, status: party.status, minutes: party.waited_minutes })
          + (party.name ? ` · ${party.name}` : "") + (party.remote ? " · 📱" : "") }),
        h("td", {}, h("div.row", {}, act("call", t("staff.call")), act("seat", t("staff.seat")), act("no-show", t("staff.noShow")),
          act("cancel", t("staff.cancel"))))));
    }
  };
  const addForm = h("form", { "aria-label": t("staff.add") }, h("div.row", {},
    field(t("staff.size"), { name: "size", type: "number", min: 1, max: 50, value: 2, inputmode: "numeric", id: "party-size" }),
    field(t("staff.name"), { name: "name", id: "party-name" })), h("button", { type: "submit", text: t("staff.add") }));
  bindForm(addForm, async (data) => {
    const size = requireInt(data.get("size"), "size", 1, 50);
    const name = String(data.get("name") || "").trim() || null;
    const party = await api("POST", `${base}/waitlist`, { body: { size, name } });
    await drawWaitlist();
    return `${party.ticket} · ${t("staff.party", { ticket: party.ticket, size: party.size, status: party.status, minutes: 0 })}`;
  });
  add(main, h("section.card", { "aria-labelledby": "wl-h" }, h("h2", { id: "wl-h", text: t("staff.waitlist") }),
    counts, estimate, addForm, actionError, table));
  await drawWaitlist();
  every(3000, drawWaitlist);

  // Redeem
  const redeem = h("form.card", { "aria-labelledby": "rd-h" }, h("h2", { id: "rd-h", text: t("staff.redeem") }),
    field(t("staff.code"), { name: "code", inputmode: "numeric", autocomplete: "off", id: "redeem-code" }),
    h("button", { type: "submit", text: t("staff.redeemSubmit") }));
  bindForm(redeem, async (data) => {
    const code = requireText(data.get("code"), "code");
    const order = await api("POST", "/v1/redemptions", { body: { code } });
    const deal = await api("GET", `/v1/deals/${order.deal_id}`).catch(() => ({ title: order.deal_id }));
    redeem.reset();
    return t("staff.redeemed", { order: order.order_id.slice(0, 8), quantity: order.quantity, deal: deal.title });
  });
  add(main, redeem);

  // Slot policy
  const policy = await api("GET", `${base}/slot-policy`);
  const slotForm = h("form.card", { "aria-labelledby": "sp-h" }, h("h2", { id: "sp-h", text: t("staff.slotPolicy") }),
    field(t("staff.periods"), { tag: "textarea", name: "periods", rows: 3, id: "periods" }),
    h("div.row", {},
      field(t("staff.daysAhead"), { name: "days_ahead", type: "number", min: 1, max: 30, value: policy.days_ahead, id: "days-ahead" }),
      field(t("staff.capacity"), { name: "capacity", type: "number", min: 1, value: policy.capacity ?? "", id: "capacity" }),
      field(t("staff.cutoff"), { name: "cutoff_minutes", type: "number", min: 0, value: policy.cutoff_minutes, id: "cutoff" })),
    field(t("staff.timezone"), { name: "timezone", value: policy.timezone, id: "timezone" }),
    h("button", { type: "submit", text: t("staff.save") }));
  slotForm.querySelector("textarea").value = policy.periods.map((p) => `${p.name} ${p.start}-${p.end}`).join("\n");
  bindForm(slotForm, async (data) => {
    const periods = String(data.get("periods") || "").split("\n").map((line) => line.trim()).filter(Boolean).map((line) => {
      const m = line.match(/^(\S+)\s+(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})$/);
      if (!m) throw new Invalid(t("error.periods"));
      const pad = (time) => time.padStart(5, "0");
      return { name: m[1], start: pad(m[2]), end: pad(m[3]) };
    });
    if (!periods.length) throw new Invalid(t("error.periods"));
    await api("PUT", `${base}/slot-policy`, { body: {
      timezone: requireText(data.get("timezone"), "timezone"), periods,
      days_ahead: requireInt(data.get("days_ahead"), "days_ahead", 1, 30),
      closed_weekdays: policy.closed_weekdays, closed_dates: policy.closed_dates,
      capacity: requireInt(data.get("capacity"), "capacity", 1, 100000, true),
      cutoff_minutes: requireInt(data.get("cutoff_minutes"), "cutoff_minutes", 0, 1440),
    } });
    return t("staff.saved");
  });
  add(main, slotForm);

  // Push policy
  const push = await api("GET", `${base}/push-policy`);
  const pushForm = h("form.card", { "aria-labelledby": "pp-h" }, h("h2", { id: "pp-h", text: t("staff.pushPolicy") }),
    h("div.row", {},
      field(t("staff.lead"), { name: "lead", type: "number", step: "any", min: 0, value: push.lead_seconds / 60, id: "lead" }),
      field(t("staff.cadence"), { name: "cadence", type: "number", step: "any", min: 0, value: push.cadence_seconds / 60, id: "cadence" })),
    h("button", { type: "submit", text: t("staff.save") }));
  bindForm(pushForm, async (data) => {
    // Minutes, fractions allowed (0.5 is 30 s); the gateway checks the bounds in seconds.
    const seconds = (name) => {
      const text = String(data.get(name) || "").trim();
      const minutes = Number(text);
      if (!text || !Number.isFinite(minutes) || minutes <= 0 || minutes > 7 * 24 * 60) {
        throw new Invalid(t("error.minutes", { field: t(`field.${name}`), max: 7 * 24 * 60 }));
      }
      return Math.max(1, Math.round(minutes * 60));
    };
    await api("PUT", `${base}/push-policy`, { body: { lead_seconds: seconds("lead"), cadence_seconds: seconds("cadence") } });
    return t("staff.saved");
  });
  add(main, pushForm);

  // Deals
  const dealsList = h("div");
  const drawDeals = async () => {
    const pages = await Promise.all(["on_sale", "draft"].map((status) =>
      api("GET", `/v1/deals?merchant_id=${merchantId}&status=${status}&limit=50`).catch(() => ({ items: [] }))));
    const deals = pages.flatMap((p) => p.items);
    put(dealsList, ...deals.map((deal) => h("div.row", { dataset: { deal: deal.deal_id, status: deal.status } },
      h("a", { href: `/deals/${deal.deal_id}`, "data-link": true, text: deal.title }),
      h("span.muted", { text: `${deal.status} · ${money(deal.price)} · ${t("deal.sold", { sold: deal.sold })}` }),
      deal.status === "draft" || deal.status === "on_sale" ? h("button.secondary", { type: "button",
        text: deal.status === "draft" ? t("staff.putOnSale") : t("staff.endSale"), onclick: async () => {
          try {
            await api("PATCH", `/v1/deals/${deal.deal_id}`, { body: { status: deal.status === "draft" ? "on_sale" : "ended" } });
          } catch (error) { add(dealsList, errorBox(error)); return; }
          drawDeals();
        } }) : null)));
  };
  const dealForm = h("form", { "aria-labelledby": "nd-h" }, h("h3", { id: "nd-h", text: t("staff.newDeal") }),
    field(t("staff.dealTitle"), { name: "title", id: "deal-title" }),
    h("div.row", {},
      field(t("staff.dealPrice"), { name: "price", inputmode: "decimal", id: "deal-price" }),
      field(t("staff.dealOriginal"), { name: "original_price", inputmode: "decimal", id: "deal-original" }),
      field(t("staff.dealStock"), { name: "stock", type: "number", min: 1, id: "deal-stock" })),
    h("button", { type: "submit", text: t("admin.create") }));
  bindForm(dealForm, async (data) => {
    const now = Date.now();
    const iso = (ms) => new Date(ms).toISOString();
    await api("POST", `${base}/deals`, { body: {
      title: requireText(data.get("title"), "title"), description: "",
      price: requireMoney(data.get("price"), "price"), original_price: requireMoney(data.get("original_price"), "original_price"),
      stock: requireInt(data.get("stock"), "stock", 1, 1000000, true), per_user_limit: 5,
      sale_starts_at: iso(now), sale_ends_at: iso(now + 365 * 864e5),
      voucher_valid_from: iso(now), voucher_valid_until: iso(now + 400 * 864e5),
    } });
    dealForm.reset();
    await drawDeals();
    return t("staff.saved");
  });
  add(main, h("section.card", { "aria-labelledby": "dl-h" }, h("h2", { id: "dl-h", text: t("staff.deals") }), dealsList, dealForm));
  await drawDeals();

  // Videos
  const videosList = h("div.videos", { dataset: { testid: "staff-videos" } });
  const known = new Map();
  const drawVideos = async () => {
    const page = await api("GET", `${base}/videos?limit=20`).catch(() => ({ items: [] }));
    page.items.forEach((v) => known.set(v.video_id, v));
    put(videosList, ...(known.size ? [] : [h("p.muted", { text: t("staff.noVideos") })]));
    for (const video of known.values()) {
      const reasonId = `reason-${video.video_id}`;
      const form = h("form", { "aria-label": t("staff.hide") });
      if (video.hidden) {
        add(form, h("p", { text: t("video.hidden", { reason: video.hidden_reason || "" }) }), h("button", { type: "submit", text: t("staff.unhide") }));
      } else {
        add(form, field(t("staff.hideReason"), { name: "reason", id: reasonId }), h("button", { type: "submit", text: t("staff.hide") }));
      }
      bindForm(form, async (data) => {
        const updated = video.hidden ? await api("POST", `/v1/videos/${video.video_id}/unhide`)
          : await api("POST", `/v1/videos/${video.video_id}/hide`, { body: { reason: requireText(data.get("reason"), "reason") } });
        known.set(video.video_id, { ...video, ...updated, video_url: updated.video_url || video.video_url });
        drawVideos();
      });
      add(videosList, h("div.card", { dataset: { video: video.video_id, hidden: String(Boolean(video.hidden)) } }, videoPlayer(video), form));
    }
  };
  add(main, h("section.card", { "aria-labelledby": "sv-h" }, h("h2", { id: "sv-h", text: t("staff.videos") }), videosList));
  await drawVideos();
}

// ---------------------------------------------------------------- admin

async function viewAdmin(main) {
  if (needLogin(main, ["admin"])) return;
  add(main, h("h1", { text: t("admin.title") }));
  const merchantForm = h("form.card", { "aria-labelledby": "am-h" }, h("h2", { id: "am-h", text: t("admin.merchant") }),
    field(t("admin.merchantName"), { name: "name", id: "m-name" }),
    field(t("admin.address"), { name: "address", id: "m-address" }),
    field(t("staff.timezone"), { name: "timezone", value: "Asia/Shanghai", id: "m-timezone" }),
    field(t("admin.contact"), { name: "contact", type: "tel", id: "m-contact" }),
    h("button", { type: "submit", text: t("admin.create") }));
  const staffForm = h("form.card", { "aria-labelledby": "as-h" }, h("h2", { id: "as-h", text: t("admin.staff") }),
    field(t("admin.merchantId"), { name: "merchant_id", id: "s-merchant" }),
    field(t("login.login"), { name: "login", autocomplete: "off", id: "s-login" }),
    field(t("login.password"), { name: "password", type: "password", autocomplete: "new-password", id: "s-password" }),
    h("button", { type: "submit", text: t("admin.create") }));
  bindForm(merchantForm, async (data) => {
    const merchant = await api("POST", "/v1/admin/merchants", { body: {
      name: requireText(data.get("name"), "name"), address: requireText(data.get("address"), "address"),
      timezone: requireText(data.get("timezone"), "timezone"), contact: requireText(data.get("contact"), "contact"),
    } });
    staffForm.querySelector("[name=merchant_id]").value = merchant.merchant_id;
    merchantForm.dataset.created = merchant.merchant_id;
    return t("admin.created", { id: merchant.merchant_id });
  });
  bindForm(staffForm, async (data) => {
    const merchantId = requireText(data.get("merchant_id"), "merchant_id");
    const account = await api("POST", `/v1/admin/merchants/${encodeURIComponent(merchantId)}/staff`, { body: {
      login: requireText(data.get("login"), "login"), password: String(data.get("password") || "") } });
    return t("admin.staffCreated", { login: account.login });
  });
  add(main, h("div.grid.two", {}, merchantForm, staffForm));
}

// ---------------------------------------------------------------- start

document.getElementById("lang").addEventListener("click", () => {
  window.i18n.setLang(window.i18n.lang === "en" ? "zh-CN" : "en");
  render();
});

function showOnline() {
  const banner = document.getElementById("offline");
  banner.textContent = t("offline");
  banner.hidden = navigator.onLine;
}
window.addEventListener("online", showOnline);
window.addEventListener("offline", showOnline);
showOnline();

if ("serviceWorker" in navigator) navigator.serviceWorker.register("/sw.js").catch(() => {});
if (session.data) live.start();
render();
