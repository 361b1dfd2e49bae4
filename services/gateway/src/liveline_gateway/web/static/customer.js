// The customer's screens: deals, a deal, log in, orders, an order (voucher, slots, pushes, ticket), the inbox.
"use strict";

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
    const joined = ticket && ticket.status !== "cancelled";
    const parts = [h("h2", { id: "ticket-h", text: joined ? t("ticket.title") : t("ticket.join") })];
    if (joined) {
      const text = ticket.status === "waiting" ? t("ticket.position", { ticket: ticket.ticket, position: ticket.position })
        : ticket.status === "called" ? t("ticket.called", { ticket: ticket.ticket })
          : t("ticket.status", { ticket: ticket.ticket, status: ticket.status });
      parts.push(h("p.big", { text, dataset: { status: ticket.status, position: ticket.position, ticket: ticket.ticket } }));
      if (ticket.status === "waiting" || ticket.status === "called") {
        parts.push(h("button.secondary", { type: "button", text: t("ticket.cancel"), onclick: async () => {
          try { await api("DELETE", `/v1/orders/${orderId}/queue-ticket`); drawTicket(); } catch (error) { put(say, errorBox(error)); }
        } }));
      }
    } else {
      parts.push(h("button", { type: "button", text: t("ticket.join"), onclick: async () => {
        try { await api("POST", `/v1/orders/${orderId}/queue-ticket`); drawTicket(); } catch (error) {
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
