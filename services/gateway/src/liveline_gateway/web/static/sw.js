// The client's service worker: keeps the shell (page, script, style, icon) for offline starts,
// fetched network-first so a new version shows at once; never caches the API. Shows Web Push
// messages ({title, body, link_path, notification_id}) as system notifications and opens their
// screen on click.
"use strict";

const SHELL_CACHE = "liveline-shell-v1";
const SHELL = ["/", "/app/style.css", "/app/i18n.js", "/app/qr.js", "/app/core.js", "/app/live.js", "/app/widgets.js", "/app/customer.js", "/app/video.js", "/app/staff.js", "/app/admin.js", "/app/app.js",
  "/app/icon.svg", "/manifest.webmanifest"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL_CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((name) => name !== SHELL_CACHE).map((name) => caches.delete(name))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  const isShell = request.mode === "navigate" || SHELL.includes(url.pathname);
  if (!isShell) return;
  event.respondWith(
    fetch(request)
      .then((response) => {
        if (response.ok && request.mode !== "navigate") {
          const copy = response.clone();
          caches.open(SHELL_CACHE).then((cache) => cache.put(request, copy));
        }
        return response;
      })
      .catch(() => caches.match(request.mode === "navigate" ? "/" : request).then((hit) => hit || Response.error())),
  );
});

self.addEventListener("push", (event) => {
  let message = {};
  try {
    message = event.data ? event.data.json() : {};
  } catch (error) {
    message = { title: event.data ? event.data.text() : "liveline" };
  }
  event.waitUntil(
    self.registration.showNotification(message.title || "liveline", {
      body: message.body || "",
      tag: message.notification_id || undefined,
      icon: "/app/icon.svg",
      data: { link_path: message.link_path || "/inbox" },
    }),
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const path = (event.notification.data && event.notification.data.link_path) || "/inbox";
  const target = new URL(path, self.location.origin).href;
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((windows) => {
      const open = windows.find((client) => client.url.startsWith(self.location.origin));
      if (open) return open.focus().then(() => open.navigate(target));
      return self.clients.openWindow(target);
    }),
  );
});
