// The client's base: DOM helpers, the session and API calls, readable errors, forms.
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
