// Parts several screens show: the live queue, the busyness chart, a video player.
"use strict";

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
