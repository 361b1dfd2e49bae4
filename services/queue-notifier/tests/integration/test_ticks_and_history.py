"""QueueTicks on the real Kafka: one per change and a heartbeat while parties wait; a tick an
outside queue system publishes becomes the live state; ticks build the busyness history; a
notifier killed in the middle of changes loses no party and publishes no contradicting tick."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx

from liveline_shared.events.topics import QUEUE_TICKS
from tests.callers import staff
from tests.queue_support import INTERNAL_TOKEN, act, add, external_tick, headers
from tests.random_refs import database_name, suffix
from tests.service_tests import new_merchant, publish
from tests.topic_events import topic_events


async def ticks_of(bootstrap: str, merchant_id: str, expect: int, **where: object) -> list[dict]:
    """The merchant's ticks as a consumer applies them: a repeat of an `event_id` (at-least-once
    delivery, e.g. a relay that published but was killed before marking) is the same tick again
    and is skipped, as every consumer skips it."""
    wanted = expect
    while True:
        delivered = await topic_events(bootstrap, QUEUE_TICKS.name, where={"merchant_id": merchant_id, **where},
                                       expect=wanted, deadline_s=30, settle_s=1)
        applied: dict[str, dict] = {}
        for tick in delivered:
            assert applied.setdefault(tick["event_id"], tick) == tick  # a repeat is the very same tick
        if len(applied) >= expect:
            return list(applied.values())
        wanted = len(delivered) + expect - len(applied)  # repeats counted towards `expect`: read on


async def test_every_change_publishes_a_tick_and_a_waiting_queue_a_heartbeat(client, order_client, stack_endpoints):
    merchant_id = await new_merchant(order_client, INTERNAL_TOKEN)
    host = staff(merchant_id)
    first = (await add(client, merchant_id, host, 2)).json()
    await add(client, merchant_id, host, 5)
    await act(client, merchant_id, host, first["party_id"], "call")
    await act(client, merchant_id, host, first["party_id"], "seat")
    changes = await ticks_of(stack_endpoints.kafka_bootstrap_servers, merchant_id, 4, heartbeat=False)
    assert [(t["waiting_parties"], t["waiting_people"], t["calling_ticket"]) for t in changes] == [
        (1, 2, None), (2, 7, None), (2, 7, "A001"), (1, 5, "A001")]
    assert all(t["estimated_wait_low_minutes"] <= t["estimated_wait_high_minutes"] for t in changes)
    # The service beats every 2 s here while a party waits.
    beats = await ticks_of(stack_endpoints.kafka_bootstrap_servers, merchant_id, 2, heartbeat=True)
    assert all(t["waiting_parties"] == 1 for t in beats)


async def test_a_tick_published_by_an_outside_queue_system_becomes_the_live_state(client, order_client, producer):
    merchant_id = await new_merchant(order_client, INTERNAL_TOKEN)
    now = datetime.now(UTC)
    await publish(producer, external_tick(merchant_id, now, parties=7, people=19, wait=35))
    state = await _state_when(client, merchant_id, lambda s: s["source"] == "external")
    assert (state["waiting_parties"], state["waiting_people"], state["estimate"]["low_minutes"], state["stale"]) == (7, 19, 35, False)

    other = await new_merchant(order_client, INTERNAL_TOKEN)
    await publish(producer, external_tick(other, now - timedelta(minutes=20), parties=3, people=6, wait=10))
    stale = await _state_when(client, other, lambda s: s["source"] == "external")
    assert stale["stale"] is True and stale["waiting_parties"] == 3


async def _state_when(client: httpx.AsyncClient, merchant_id: str, condition) -> dict:
    deadline = time.monotonic() + 30
    while True:
        state = (await client.get(f"/merchants/{merchant_id}/queue", headers=headers(None))).json()
        if condition(state):
            return state
        assert time.monotonic() < deadline, state
        await asyncio.sleep(0.1)


async def test_ticks_of_past_evenings_become_the_busyness_of_that_weekday_and_hour(client, order_client, producer):
    merchant_id = await new_merchant(order_client, INTERNAL_TOKEN, "Asia/Shanghai")
    shanghai = ZoneInfo("Asia/Shanghai")
    today = datetime.now(shanghai).date()
    ticks = []
    # The same weekday one, two and three weeks ago, 18:00-19:00: 10, 20 and 30 people waiting.
    for weeks_ago, people in ((3, 10), (2, 20), (1, 30)):
        start = datetime.combine(today - timedelta(weeks=weeks_ago), datetime.min.time(), tzinfo=shanghai).replace(hour=18)
        ticks += [external_tick(merchant_id, (start + timedelta(minutes=m)).astimezone(UTC), people // 3, people, people)
                  for m in range(0, 61, 5)]
    await publish(producer, *ticks)
    weekday = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[today.weekday()]
    deadline = time.monotonic() + 60
    while True:
        busyness = (await client.get(f"/merchants/{merchant_id}/busyness", headers=headers(None))).json()
        evening = [h for h in busyness["hours"] if (h["weekday"], h["hour"]) == (weekday, 18)]
        if evening and evening[0]["days"] == 3:
            break
        assert time.monotonic() < deadline, busyness["hours"]
        await asyncio.sleep(0.2)
    assert (evening[0]["people"], evening[0]["people_low"], evening[0]["people_high"]) == (20, 15, 25)
    assert (evening[0]["wait_low_minutes"], evening[0]["wait_high_minutes"]) == (15, 25)
    assert busyness["timezone"] == "Asia/Shanghai" and busyness["live"]["source"] == "external"


async def test_a_notifier_killed_during_changes_loses_no_party_and_its_last_tick_matches_the_waitlist(
    order_client, stack_endpoints, another_queue_process
):
    database, prefix = database_name("queue_crash"), f"test-{suffix()}-"
    merchant_id = await new_merchant(order_client, INTERNAL_TOKEN)
    host = staff(merchant_id)
    first = another_queue_process(database, "crash-first", prefix)
    first.start()
    acknowledged: list[dict] = []
    try:
        first.wait_ready(timeout=90)
        async with httpx.AsyncClient(base_url=first.url, timeout=10) as http:

            async def keep_adding() -> None:
                while True:
                    try:
                        response = await add(http, merchant_id, host, 3)
                    except httpx.HTTPError:
                        return  # the process is gone
                    if response.status_code == 201:
                        acknowledged.append(response.json())

            adding = asyncio.create_task(keep_adding())
            deadline = time.monotonic() + 60
            while len(acknowledged) < 15:
                assert time.monotonic() < deadline and not adding.done(), len(acknowledged)
                await asyncio.sleep(0.05)
            first.process.kill()
            await asyncio.wait_for(adding, 30)
    finally:
        first.stop()

    restarted = another_queue_process(database, "crash-restarted", prefix)
    with restarted.running():
        async with httpx.AsyncClient(base_url=restarted.url, timeout=10) as http:
            waitlist = (await http.get(f"/merchants/{merchant_id}/waitlist", headers=headers(host))).json()
            tickets = [party["ticket"] for party in waitlist["parties"]]
            assert len(tickets) == len(set(tickets))
            assert {p["ticket"] for p in acknowledged} <= set(tickets)  # nothing acknowledged is lost
            # The last tick on Kafka tells what the waitlist holds (published once the relay catches up).
            ticks = await ticks_of(stack_endpoints.kafka_bootstrap_servers, merchant_id, len(tickets), heartbeat=False)
            counts = [tick["waiting_parties"] for tick in ticks]
            assert counts == sorted(counts) and counts[-1] == len(tickets) == waitlist["waiting_parties"]
