"""The document's whole story in a real browser, through the web client only, against the
session's whole stack (the five services as `make run` starts them, the notifier's missed-slot
grace 2 s): three browser contexts, the merchant's staff (Chinese, 375 px), a customer (English,
375 px) and an anonymous visitor (desktop).

staff put a deal on sale → the customer finds it (live queue, busyness), registers → staff set
visit times ending within two minutes and queue pushes every 5 s → the customer buys, sees the
voucher (its QR scans to the code), chooses two slots → staff add, seat and call parties → each
push shows the counts of its moment in the customer's page → the customer joins the line from
the page and hears when staff call the ticket → meanwhile an admin creates a
merchant and its staff account → both slots pass unredeemed: the re-offer shows and the customer
picks a new time → staff redeem → the customer is asked for a video and uploads a generated clip
over a connection that drops once → the edited clip plays on the deal page for the anonymous
visitor; staff hide it and show it again.
Every form's bad input shows a readable message in both languages. A screenshot of each step is
kept in `.liveline/test/artifacts/e2e/`, and no request of any page leaves this machine.
"""

from __future__ import annotations

import re
import subprocess
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import cv2
import numpy as np
import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, Route, expect

from tests.api.support import PASSWORD, gateway_client, new_admin, new_login, new_merchant, new_staff
from tests.random_refs import suffix

TIMEZONE = "Asia/Shanghai"
PHONE = {"viewport": {"width": 375, "height": 812}, "device_scale_factor": 1, "is_mobile": True, "has_touch": True}


class Story:
    """Screenshots numbered in story order, and every URL any page asked for."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.step = 0
        self.requests: list[str] = []
        for old in folder.glob("story-*.png"):
            old.unlink()

    def context(self, browser: Browser, locale: str, **options) -> BrowserContext:
        context = browser.new_context(locale=locale, **options)
        context.on("request", lambda request: self.requests.append(request.url))
        return context

    def shot(self, page: Page, name: str) -> None:
        """Saves the page as a person sees it, after checking that every control on it has a
        label and that nothing spills past the screen's width."""
        self.step += 1
        page.screenshot(path=str(self.folder / f"story-{self.step:02d}-{name}.png"), full_page=True)
        unlabelled = page.evaluate("""() => [...document.querySelectorAll('input, select, textarea, button')]
            .filter((el) => !el.hidden && !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                            && !(el.tagName === 'BUTTON' && el.textContent.trim()))
            .map((el) => el.outerHTML)""")
        assert unlabelled == [], (name, unlabelled)
        width = page.viewport_size["width"]
        assert page.evaluate("document.documentElement.scrollWidth") <= width, (name, "wider than the screen")


def words(page: Page) -> dict[str, dict[str, str]]:
    """The client's dictionaries, by language."""
    return page.evaluate("() => ({en: i18n.dictionaries.en, 'zh-CN': i18n.dictionaries['zh-CN']})")


def say(dictionaries: dict, lang: str, key: str, **params: object) -> str:
    """The client's sentence `key` in `lang`; a parameter "@field.x" is itself a word of that language."""
    text = dictionaries[lang][key]
    for name, value in params.items():
        value = dictionaries[lang][value[1:]] if isinstance(value, str) and value.startswith("@") else value
        text = text.replace("{" + name + "}", str(value))
    return text


def rendered(page: Page) -> None:
    expect(page.locator("#view")).to_have_attribute("aria-busy", "false", timeout=15_000)


def switch_language(page: Page) -> str:
    before = page.evaluate("i18n.lang")
    page.locator("#lang").click()
    after = "en" if before == "zh-CN" else "zh-CN"
    expect(page.locator("html")).to_have_attribute("lang", after)
    rendered(page)
    return after


BadInput = tuple[str, Callable[[Locator], None], str, dict]


def bad_input_in_both_languages(page: Page, dictionaries: dict, cases: list[BadInput]) -> None:
    """Each case (form selector, how to fill it wrongly, the message's key and parameters) in the
    page's language, then in the other; the page is left in the language it had."""
    for _ in range(2):
        lang = page.evaluate("i18n.lang")
        for selector, fill, key, params in cases:
            form = page.locator(selector)
            fill(form)
            form.locator("button[type=submit]").click()
            message = form.locator(".message .error")
            expect(message).to_contain_text(say(dictionaries, lang, key, **params), timeout=10_000)
        switch_language(page)


def log_in(page: Page, login: str, password: str) -> None:
    form = page.locator("form:has([autocomplete=current-password])")
    form.locator("[name=login]").fill(login)
    form.locator("[name=password]").fill(password)
    form.locator("button[type=submit]").click()


def periods_ending_soon(now: datetime) -> tuple[str, str, datetime]:
    """Two meal periods: `soon` from this minute to a minute boundary 20-80 s away (time for
    the customer to buy and choose it), `next` the minute after it; and when `next` ends."""
    start = now.replace(second=0, microsecond=0)
    boundary = (now + timedelta(seconds=20 + 59)).replace(second=0, microsecond=0)
    after = boundary + timedelta(minutes=1)
    soon = f"soon {start:%H:%M}-{boundary:%H:%M}"
    following = f"next {boundary:%H:%M}-{after:%H:%M}"
    return soon, following, after


def wait_for_a_day_with_room(zone: ZoneInfo) -> datetime:
    """The periods must fit in one local day: near midnight, wait for the next one."""
    deadline = time.monotonic() + 200
    while (now := datetime.now(zone)).date() != (now + timedelta(minutes=3)).date():
        assert time.monotonic() < deadline, "the local day did not turn"
        time.sleep(1)
    return now


def clip(folder: Path) -> Path:
    path = folder / "visit.mp4"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=15",
         "-f", "lavfi", "-i", "sine=frequency=440", "-t", "2", "-c:v", "libx264", "-preset", "ultrafast",
         "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(path)],
        check=True, timeout=60, capture_output=True,
    )
    return path


def scanned(image_png: bytes) -> str:
    """What a phone camera reads from the screenshot of a QR code."""
    image = cv2.imdecode(np.frombuffer(image_png, np.uint8), cv2.IMREAD_GRAYSCALE)
    text, _, _ = cv2.QRCodeDetector().detectAndDecode(image)
    return text


def push_with(page: Page, **data: object) -> Locator:
    selector = "".join(f'[data-{name}="{value}"]' for name, value in data.items())
    return page.locator(f'[data-testid=push-feed] li{selector}')


# Meal periods are whole minutes: the last chosen slot ends 1-2 min after the times are set.
@pytest.mark.timeout(600)
def test_buy_choose_queue_pushes_miss_reoffer_redeem_video_in_three_browsers(
    services, browser: Browser, artifacts: Path, tmp_path: Path
):
    gateway = services["gateway"].url
    story = Story(artifacts)
    with gateway_client(services["gateway"]) as http:
        admin = new_admin(http, services["gateway"])
        merchant_id = new_merchant(http, admin)["merchant_id"]
        staff_login = new_staff(http, admin, merchant_id).login
    customer_login = new_login("customer")
    zone = ZoneInfo(TIMEZONE)
    deal_title = f"Hotpot {suffix()}"

    staff_context = story.context(browser, "zh-CN", **PHONE)
    # Playwright sees no request a service worker handles: this one page runs without it, so
    # that the test can drop an upload's connection; the others have it.
    customer_context = story.context(browser, "en-US", service_workers="block", **PHONE)
    visitor_context = story.context(browser, "en-US", viewport={"width": 1280, "height": 900})
    try:
        # -- Staff (Chinese: the browser asks for it) put a deal on sale.
        staff = staff_context.new_page()
        staff.goto(f"{gateway}/login")
        rendered(staff)
        assert staff.evaluate("i18n.lang") == "zh-CN"
        # The service worker keeps the shell for offline starts.
        assert staff.evaluate("navigator.serviceWorker.ready.then(() => caches.has('liveline-shell-v1'))")
        dictionaries = words(staff)
        expect(staff.locator("h1")).to_have_text(say(dictionaries, "zh-CN", "login.title"))
        log_in(staff, staff_login, PASSWORD)
        expect(staff).to_have_url(f"{gateway}/staff")
        rendered(staff)
        deal_form = staff.locator("form:has(#deal-title)")
        deal_form.locator("#deal-title").fill(deal_title)
        deal_form.locator("#deal-price").fill("99")
        deal_form.locator("#deal-original").fill("198")
        deal_form.locator("#deal-stock").fill("20")
        deal_form.locator("button[type=submit]").click()
        staff.locator("[data-deal][data-status=draft]", has_text=deal_title).locator("button").click()
        on_sale = staff.locator("[data-deal][data-status=on_sale]", has_text=deal_title)
        expect(on_sale).to_be_visible()
        deal_id = on_sale.get_attribute("data-deal")

        # -- The customer finds it with the live queue and busyness, and registers.
        customer = customer_context.new_page()
        customer.goto(gateway)
        rendered(customer)
        card = customer.locator(f"[data-deal='{deal_id}']")
        expect(card).to_contain_text(say(dictionaries, "en", "queue.now", parties=0, people=0))
        card.get_by_role("link", name=deal_title).click()
        rendered(customer)
        expect(customer.locator("[data-testid=live-queue]")).to_have_attribute("data-parties", "0")
        expect(customer.locator("[data-testid=busyness] .bar.now")).to_have_count(1)
        expect(customer.locator("[data-testid=deal-videos]")).to_contain_text(say(dictionaries, "en", "deal.noVideos"))
        story.shot(customer, "customer-deal-page")
        customer.get_by_role("link", name=say(dictionaries, "en", "deal.loginToBuy")).click()
        rendered(customer)
        register = customer.locator("form:has([autocomplete=new-password])")
        register.locator("[name=login]").fill(customer_login)
        register.locator("[name=password]").fill(PASSWORD)
        register.locator("button[type=submit]").click()
        expect(customer).to_have_url(f"{gateway}/deals/{deal_id}")
        rendered(customer)
        bad_input_in_both_languages(customer, dictionaries, [
            ("form:has([name=quantity])", lambda f: f.locator("[name=quantity]").fill("0"), "error.number",
             {"field": "@field.quantity", "min": 1, "max": 5}),
        ])

        # -- Staff set visit times ending within two minutes and queue pushes every 5 s from a week before.
        now = wait_for_a_day_with_room(zone)
        soon, following, last_slot_ends = periods_ending_soon(now)
        policy = staff.locator("form:has(#periods)")
        policy.locator("#periods").fill(f"{soon}\n{following}")
        policy.locator("#days-ahead").fill("2")
        policy.locator("#cutoff").fill("30")
        policy.locator("button[type=submit]").click()
        expect(policy.locator(".success")).to_be_visible()
        pushes = staff.locator("form:has(#lead)")
        pushes.locator("#lead").fill(str(7 * 24 * 60))
        pushes.locator("#cadence").fill(str(5 / 60))
        pushes.locator("button[type=submit]").click()
        expect(pushes.locator(".success")).to_be_visible()
        story.shot(staff, "staff-deal-and-policies")

        # -- The customer buys: the voucher's QR scans to its code; two slots chosen, this one and the next.
        customer.locator("form:has([name=quantity]) [name=quantity]").fill("1")
        customer.locator("form:has([name=quantity]) button[type=submit]").click()
        expect(customer).to_have_url(re.compile(rf"{gateway}/orders/\w+$"))
        rendered(customer)
        voucher = customer.locator("[data-testid=voucher]")
        code = voucher.locator(".code").inner_text()
        assert re.fullmatch(r"\d+", code), code
        slots = customer.locator("[data-testid=slots]")
        slots.locator("li[data-period=soon] input").first.check()
        slots.locator("li[data-period=next] input").first.check()
        slots.locator("button[type=submit]").click()
        expect(slots.locator(".success")).to_have_text(say(dictionaries, "en", "slots.saved"))
        assert scanned(voucher.locator(".qr svg").screenshot()).endswith(code)
        story.shot(customer, "customer-voucher-and-two-slots")

        # -- The host stand: parties of 2, 3 and 4 join; each push shows the counts of its moment.
        tickets = []
        for size in (2, 3, 4):
            add = staff.locator("form:has(#party-size)")
            add.locator("#party-size").fill(str(size))
            add.locator("button[type=submit]").click()
            expect(add.locator(".success")).to_be_visible()
            tickets.append(add.locator(".success").inner_text().split(" ")[0])
        counts = staff.locator("[data-testid=waitlist-counts]")
        expect(counts).to_have_attribute("data-people", "9")
        expect(counts).to_have_text(say(dictionaries, "zh-CN", "staff.counts", parties=3, people=9))
        expect(push_with(customer, parties=3, people=9).first).to_be_visible(timeout=30_000)
        expect(push_with(customer, parties=3, people=9).first).to_contain_text(
            say(dictionaries, "en", "pushes.queue", parties=3, people=9))
        story.shot(staff, "staff-three-parties-waiting")
        story.shot(customer, "customer-push-three-parties")

        staff.locator(f"tr[data-ticket='{tickets[0]}']").get_by_role("button", name=f"入座 {tickets[0]}").click()
        expect(counts).to_have_attribute("data-people", "7")
        expect(push_with(customer, parties=2, people=7).first).to_be_visible(timeout=30_000)
        staff.locator(f"tr[data-ticket='{tickets[1]}']").get_by_role("button", name=f"叫号 {tickets[1]}").click()
        calling = say(dictionaries, "en", "queue.calling", ticket=tickets[1])
        expect(customer.locator("[data-testid=push-feed] li", has_text=calling).first).to_be_visible(timeout=30_000)
        expect(customer.locator("[data-testid=live-queue]")).to_contain_text(calling)
        story.shot(customer, "customer-pushes-seated-and-called")

        # -- From the push, the customer joins the line; staff call the ticket; the page says so.
        ticket_card = customer.locator("[data-testid=ticket]")
        ticket_card.get_by_role("button", name=say(dictionaries, "en", "ticket.join")).click()
        place = ticket_card.locator("p.big")
        expect(place).to_have_attribute("data-status", "waiting")
        remote_ticket = place.get_attribute("data-ticket")
        expect(place).to_have_text(say(dictionaries, "en", "ticket.position", ticket=remote_ticket,
                                       position=place.get_attribute("data-position")))
        remote_party = staff.locator(f"tr[data-ticket='{remote_ticket}']")
        remote_party.get_by_role("button", name=f"叫号 {remote_ticket}").click()
        expect(place).to_have_text(say(dictionaries, "en", "ticket.called", ticket=remote_ticket), timeout=30_000)
        story.shot(customer, "customer-joined-and-called")

        # -- While the slots run out: every other form refuses bad input readably, in both languages.
        bad_input_in_both_languages(customer, dictionaries, [
            ("#slots form", lambda f: f.locator("input[type=checkbox]:checked").evaluate_all(
                "boxes => boxes.forEach(box => { box.checked = false; })"), "slots.pickOne", {}),
        ])
        bad_input_in_both_languages(staff, dictionaries, [
            ("form:has(#party-size)", lambda f: f.locator("#party-size").fill("0"), "error.number",
             {"field": "@field.size", "min": 1, "max": 50}),
            ("form:has(#redeem-code)", lambda f: f.locator("#redeem-code").fill("000000000000"), "problem.voucher-not-found", {}),
            ("form:has(#periods)", lambda f: f.locator("#periods").fill("dinner at seven"), "error.periods", {}),
            ("form:has(#lead)", lambda f: f.locator("#cadence").fill("0"), "error.minutes",
             {"field": "@field.cadence", "max": 7 * 24 * 60}),
            ("form:has(#deal-title)", lambda f: (f.locator("#deal-title").fill(deal_title), f.locator("#deal-price").fill("cheap")),
             "error.money", {"field": "@field.price"}),
        ])
        # The admin's screen, in the visitor's browser (logged out again after): merchants and staff.
        visitor = visitor_context.new_page()
        visitor.goto(f"{gateway}/login")
        rendered(visitor)
        bad_input_in_both_languages(visitor, dictionaries, [
            ("form:has([autocomplete=current-password])", lambda f: (f.locator("[name=login]").fill(customer_login),
                                                                     f.locator("[name=password]").fill("not the password")),
             "problem.invalid-credentials", {}),
            ("form:has([autocomplete=new-password])", lambda f: (f.locator("[name=login]").fill("not a login"),
                                                                 f.locator("[name=password]").fill(PASSWORD)),
             "problem.invalid-login", {}),
        ])
        log_in(visitor, admin.login, PASSWORD)
        expect(visitor).to_have_url(f"{gateway}/admin")
        rendered(visitor)
        bad_input_in_both_languages(visitor, dictionaries, [
            ("form:has(#m-name)", lambda f: (f.locator("#m-name").fill("Hotpot"), f.locator("#m-address").fill("1 Nanjing Rd"),
                                             f.locator("#m-timezone").fill("Mars/Olympus"), f.locator("#m-contact").fill("+862161234567")),
             "problem.invalid-merchant", {}),
            ("form:has(#s-login)", lambda f: (f.locator("#s-merchant").fill(merchant_id), f.locator("#s-login").fill(new_login("staff")),
                                              f.locator("#s-password").fill("short")),
             "problem.weak-password", {}),
        ])
        merchant_form = visitor.locator("form:has(#m-name)")
        merchant_form.locator("#m-name").fill(f"Liveline Tea House {suffix()}")
        merchant_form.locator("#m-address").fill("2 Huaihai Rd, Shanghai")
        merchant_form.locator("#m-timezone").fill(TIMEZONE)
        merchant_form.locator("#m-contact").fill("+862161234568")
        merchant_form.locator("button[type=submit]").click()
        expect(merchant_form.locator(".success")).to_be_visible()
        staff_form = visitor.locator("form:has(#s-login)")
        expect(staff_form.locator("#s-merchant")).to_have_value(merchant_form.get_attribute("data-created"))
        second_staff = new_login("staff")
        staff_form.locator("#s-login").fill(second_staff)
        staff_form.locator("#s-password").fill(PASSWORD)
        staff_form.locator("button[type=submit]").click()
        expect(staff_form.locator(".success")).to_contain_text(second_staff)
        story.shot(visitor, "admin-created-merchant-and-staff")
        visitor.locator("#nav button").click()
        expect(visitor.locator("#nav")).to_contain_text(say(dictionaries, "en", "nav.login"))

        # -- Neither slot used: after the last one ends, the page offers new times (tomorrow's); the customer picks one.
        reoffer = customer.locator("[data-testid=reoffer]")
        wait_s = (last_slot_ends - datetime.now(zone)).total_seconds() + 60
        expect(reoffer).to_have_text(say(dictionaries, "en", "slots.reoffer"), timeout=wait_s * 1000)
        # The push's own link opens the order's slot list.
        customer.locator("#notices .notice[data-subject=slot_reoffer] a").click()
        expect(customer).to_have_url(re.compile(rf"{gateway}/orders/\w+/slots$"))
        rendered(customer)
        expect(reoffer).to_be_visible()
        tomorrow = (last_slot_ends + timedelta(days=1)).date().isoformat()
        new_times = slots.locator("li[data-period=soon]", has_text=tomorrow)
        expect(new_times).to_have_count(1)
        new_times.locator("input").check()
        slots.locator("button[type=submit]").click()
        expect(slots.locator(".success")).to_have_text(say(dictionaries, "en", "slots.saved"))
        story.shot(customer, "customer-missed-slot-reoffer")

        # -- Staff redeem the voucher; the customer is asked for a video.
        redeem = staff.locator("form:has(#redeem-code)")
        redeem.locator("#redeem-code").fill(code)
        redeem.locator("button[type=submit]").click()
        expect(redeem.locator(".success")).to_contain_text(deal_title)
        story.shot(staff, "staff-redeemed")
        video_card = customer.locator("[data-testid=video]")
        expect(video_card).to_be_visible(timeout=30_000)
        expect(customer.locator("[data-testid=order-status]")).to_have_attribute("data-status", "redeemed")
        bad_input_in_both_languages(customer, dictionaries, [
            ("form:has(#video-file)", lambda f: None, "error.required", {"field": "@video.pick"}),
        ])
        story.shot(customer, "customer-video-prompt")

        # -- The upload's first try loses its connection; it resumes, and the clip is published.
        dropped: list[str] = []

        def drop_first_part(route: Route) -> None:
            if route.request.method == "PUT" and not dropped:
                dropped.append(route.request.url)
                route.abort("connectionreset")
            else:
                route.continue_()

        customer.route(lambda url: "X-Amz-Signature" in url and "partNumber" in url, drop_first_part)
        video_card.locator("#video-file").set_input_files(str(clip(tmp_path)))
        video_card.locator("form:has(#video-file) button[type=submit]").click()
        status = video_card.locator("[data-testid=video-status]")
        expect(video_card.locator("figure video")).to_be_visible(timeout=90_000)
        expect(status).to_have_text(say(dictionaries, "en", "video.published"))
        assert len(dropped) == 1
        assert video_card.locator("progress").get_attribute("value") == "100"
        story.shot(customer, "customer-video-published")
        customer.get_by_role("link", name=re.compile(say(dictionaries, "en", "nav.inbox"))).click()
        rendered(customer)
        inbox = customer.locator("[data-testid=inbox]")
        for subject in ("queue_update", "slot_reoffer", "video_prompt", "video_edited"):
            expect(inbox.locator(f"li[data-subject={subject}]").first).to_be_visible()
        story.shot(customer, "customer-inbox")

        # -- The anonymous visitor plays the edited clip on the deal page.
        visitor.goto(f"{gateway}/deals/{deal_id}")
        rendered(visitor)
        played = visitor.locator("[data-testid=deal-videos] video")
        expect(played).to_have_count(1)
        assert_plays(visitor, played)
        story.shot(visitor, "visitor-plays-the-clip")

        # -- Staff hide it (a reason is required) and show it again.
        staff.reload()
        rendered(staff)
        moderated = staff.locator("[data-testid=staff-videos] [data-video]").first
        expect(moderated).to_have_attribute("data-hidden", "false")
        hide_form = "[data-testid=staff-videos] [data-video] form"
        bad_input_in_both_languages(staff, dictionaries, [
            (hide_form, lambda f: None, "error.required", {"field": "@field.reason"}),
        ])
        staff.locator(hide_form).locator("input[name=reason]").fill("blurry")
        staff.locator(hide_form).locator("button[type=submit]").click()
        expect(moderated).to_have_attribute("data-hidden", "true")
        visitor.reload()
        rendered(visitor)
        expect(visitor.locator("[data-testid=deal-videos]")).to_contain_text(say(dictionaries, "en", "deal.noVideos"))
        staff.locator(hide_form).locator("button[type=submit]").click()
        expect(moderated).to_have_attribute("data-hidden", "false")
        story.shot(staff, "staff-video-shown-again")
    finally:
        for context in (staff_context, customer_context, visitor_context):
            context.close()

    hosts = {urlsplit(url).hostname for url in story.requests if not url.startswith(("data:", "blob:"))}
    assert hosts == {"127.0.0.1"}, hosts
    # The pushes came over the notification stream, not by reading the inbox over and over.
    assert f"{gateway}/v1/me/notifications/stream" in story.requests


def assert_plays(page: Page, video: Locator) -> None:
    """The video has a duration and its time advances once playing."""
    video.evaluate("v => { v.muted = true; return v.play(); }")
    expect(video).to_have_js_property("paused", False, timeout=15_000)
    duration = video.evaluate("v => v.duration")
    assert duration > 0.5, duration
    page.wait_for_function("v => v.currentTime > 0.3", arg=video.element_handle(), timeout=15_000)
