// liveline's web client: one page, screens by path (see `routes`), the gateway's public API only.
// Loaded last: the screens are defined by the files before it (index.html).
"use strict";

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
