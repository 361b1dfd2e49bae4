// Notifications as they arrive: the stream (or the inbox read again while it is away), in-page notices, system notifications, Web Push.
"use strict";

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
      if (!session.data) { this.stop(); return; }
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
