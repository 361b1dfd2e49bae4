// The host stand of a merchant's staff: waitlist, redemption, visit times, pushes, deals, videos.
"use strict";

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
