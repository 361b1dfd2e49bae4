"""Pushes are durable and exact with separate notifier processes: one killed (-9) between two
moments sends the moment it missed once, late, after a restart; two at once never push twice."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import httpx

from liveline_devstack.pytest_plugin import database
from liveline_queue_notifier.adapters.inbox import InboxRepository
from liveline_queue_notifier.adapters.schedules import SchedulesRepository
from liveline_queue_notifier.domain.pushes import bucket_of, moment_key
from liveline_queue_notifier.handlers.subscriptions import QUEUE_ITEM, item
from liveline_shared.events.topics import NOTIFICATIONS
from tests.callers import customer, staff
from tests.queue_support import INTERNAL_TOKEN, headers, queue_pushes, slot_chosen, slot_window, wait_for
from tests.queue_support import inbox as inbox_of
from tests.random_refs import database_name, suffix
from tests.service_tests import new_merchant, publish
from tests.topic_events import topic_events


async def _set_policy(http: httpx.AsyncClient, merchant_id: str, lead_s: int, cadence_s: int) -> None:
    response = await http.put(f"/merchants/{merchant_id}/push-policy", headers=headers(staff(merchant_id)),
                              json={"lead_seconds": lead_s, "cadence_seconds": cadence_s})
    assert response.status_code == 200, response.text


async def _past(moment: datetime) -> bool:
    return datetime.now(UTC) >= moment


async def _announced(bootstrap: str, where: dict[str, str], moments: list[datetime], users: int) -> list[dict]:
    """The NotificationCreated events of these moments once there is one per user and moment (the
    session's own notifier, on another database and consumer group, pushes the same choices with
    the merchant's default policy, at other moments: those are left out)."""

    async def complete() -> list[dict] | None:
        events = await topic_events(bootstrap, NOTIFICATIONS.name, where=where, expect=1, settle_s=1)
        ours = [e for e in events if e.get("moment_at") and datetime.fromisoformat(e["moment_at"]) in moments]
        return ours if len({e["notification_id"] for e in ours}) >= users * len(moments) else None

    return await wait_for(complete, deadline_s=60, what="every NotificationCreated", interval_s=1)


async def test_a_notifier_killed_between_two_moments_sends_the_missed_one_once_and_late_after_restart(
    another_queue_process, order_client, producer, stack_endpoints
):
    database, prefix = database_name("push_kill"), f"test-{suffix()}-"
    merchant_id = await new_merchant(order_client, INTERNAL_TOKEN)
    buyer = customer()
    first = another_queue_process(database, "push-kill-first", prefix)
    with first.running():
        async with httpx.AsyncClient(base_url=first.url, timeout=30) as http:
            await _set_policy(http, merchant_id, lead_s=8, cadence_s=4)
            now = datetime.now(UTC).replace(microsecond=0)
            slot = slot_window(merchant_id, now + timedelta(seconds=12), now + timedelta(seconds=20))
            moments = [now + timedelta(seconds=s) for s in (4, 8, 12, 16)]
            choice = slot_chosen(merchant_id, buyer, slot)
            await publish(producer, choice)
            pushes = await wait_for(lambda: queue_pushes(http, buyer, choice.order_id), deadline_s=15, what="the first push")
            assert len(pushes) == 1 and not pushes[0]["late"]
        first.process.kill()  # -9, between the first moment and the second
    await wait_for(lambda: _past(moments[1] + timedelta(seconds=1)), deadline_s=15, what="the second moment")

    restarted = another_queue_process(database, "push-kill-restarted", prefix)
    with restarted.running():
        async with httpx.AsyncClient(base_url=restarted.url, timeout=30) as http:
            async def all_of_them() -> list[dict] | None:
                found = await queue_pushes(http, buyer, choice.order_id)
                return found if len(found) >= len(moments) else None

            await wait_for(all_of_them, deadline_s=40, what="every push")
            await wait_for(lambda: _past(slot.ends_at + timedelta(seconds=2)), deadline_s=15, what="the slot's end")
            pushes = await queue_pushes(http, buyer, choice.order_id)
    assert [datetime.fromisoformat(p["queue"]["moment"]) for p in pushes] == moments
    assert pushes[1]["late"] and pushes[1]["queue"]["late"]
    # The notifier may have died after Kafka took the first push and before it wrote so down: the
    # restarted one publishes it again once the batch's lease lapses, as the same event with the
    # same number (consumers drop a repeated event id; a stream, a repeated number).
    announced = await _announced(stack_endpoints.kafka_bootstrap_servers, {"user_id": buyer.account_id}, moments, 1)
    copies = Counter(e["notification_id"] for e in announced)
    assert len(copies) == len(moments) and set(copies.values()) <= {1, 2}
    assert len({(e["notification_id"], e["event_id"], e["seq"]) for e in announced}) == len(moments)
    by_moment = sorted({e["notification_id"]: e for e in announced}.values(), key=lambda e: e["moment_at"])
    numbers = [e["seq"] for e in by_moment]
    assert numbers == sorted(set(numbers)), "later moments carry higher numbers"


async def test_two_notifiers_at_once_push_every_moment_to_every_subscriber_once(
    another_queue_process, order_client, producer, stack_endpoints
):
    database, prefix = database_name("push_pair"), f"test-{suffix()}-"
    merchant_id = await new_merchant(order_client, INTERNAL_TOKEN)
    buyers = [customer() for _ in range(12)]
    with another_queue_process(database, "push-pair-a", prefix).running() as one, \
            another_queue_process(database, "push-pair-b", prefix).running():
        async with httpx.AsyncClient(base_url=one.url, timeout=30) as http:
            await _set_policy(http, merchant_id, lead_s=8, cadence_s=2)
            now = datetime.now(UTC).replace(microsecond=0)
            slot = slot_window(merchant_id, now + timedelta(seconds=14), now + timedelta(seconds=16))
            moments = [now + timedelta(seconds=s) for s in (6, 8, 10, 12, 14)]
            choices = [slot_chosen(merchant_id, buyer, slot) for buyer in buyers]
            await publish(producer, *choices)
            await wait_for(lambda: _past(slot.ends_at + timedelta(seconds=2)), deadline_s=30, what="the slot's end")

            for buyer, choice in zip(buyers, choices, strict=True):
                pushes = await queue_pushes(http, buyer, choice.order_id)
                assert [datetime.fromisoformat(p["queue"]["moment"]) for p in pushes] == moments, buyer
    announced = await _announced(stack_endpoints.kafka_bootstrap_servers, {"merchant_id": merchant_id}, moments,
                                 len(buyers))
    assert len({e["notification_id"] for e in announced}) == len(announced) == len(buyers) * len(moments)


async def test_a_notifier_killed_during_a_fan_out_finishes_it_after_restart_without_losing_a_recipient(
    another_queue_process, order_client, stack_endpoints
):
    """5,000 buyers of one merchant slot share a moment; the notifier is killed (-9) once the
    moment is numbered and while its events are going out. The restarted one publishes it again:
    every buyer has it, every copy is the same event with the same number, each inbox lists it once."""
    database_id, prefix = database_name("push_fan_kill"), f"test-{suffix()}-"
    merchant_id = await new_merchant(order_client, INTERNAL_TOKEN)
    moment = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=2)
    slot = slot_window(merchant_id, moment + timedelta(minutes=10), moment + timedelta(minutes=70), period="crowded")
    buyers = {f"fan-order-{n}": customer() for n in range(5_000)}
    async with database(stack_endpoints, database_id) as db:
        # As 5,000 SlotChosen would leave them (handled one by one they would take minutes).
        schedules, inbox = SchedulesRepository(db, 30), InboxRepository(db, 30)
        await schedules.create_slot(slot.slot_id, {
            "merchant_id": merchant_id, "starts_at": slot.starts_at, "ends_at": slot.ends_at, "lead_s": 600,
            "cadence_s": 3600, "subscribers": {order_id: {"user_id": buyer.account_id, "muted": False}
                                               for order_id, buyer in buyers.items()}})
        await schedules.arm(slot.slot_id, moment)
        await schedules.file(moment, item(QUEUE_ITEM, moment, slot.slot_id), bucket_of(moment))
        sample = list(buyers.items())[::1000]
        for order_id, buyer in sample:
            await inbox.add_to_user(buyer.account_id, "slots", f"{slot.slot_id}|{order_id}")
        moment_id = f"{slot.slot_id}@{moment_key(moment)}"

        async def numbered() -> dict | None:
            stored = await db.push_moments.find_one({"_id": moment_id}, {"seq": 1, "published": 1})
            return stored if stored and stored.get("seq") is not None else None

        first = another_queue_process(database_id, "push-fan-kill-first", prefix)
        with first.running():
            when_killed = await wait_for(numbered, deadline_s=30, what="the moment numbered", interval_s=0.005)
            first.process.kill()
        assert not when_killed["published"], "killed during the fan-out"

        restarted = another_queue_process(database_id, "push-fan-kill-restarted", prefix)
        with restarted.running():
            async def published() -> dict | None:
                stored = await db.push_moments.find_one({"_id": moment_id}, {"published": 1, "seq": 1})
                return stored if stored and stored.get("published") else None

            done = await wait_for(published, deadline_s=60, what="the moment published after the restart")
            async with httpx.AsyncClient(base_url=restarted.url, timeout=30) as http:
                for order_id, buyer in sample:
                    listed = (await inbox_of(http, buyer))["notifications"]
                    assert [n["notification_id"] for n in listed] == [f"{moment_id}~{order_id}"]
    assert done["seq"] == when_killed["seq"]
    announced = await topic_events(stack_endpoints.kafka_bootstrap_servers, NOTIFICATIONS.name,
                                   where={"slot_id": slot.slot_id}, expect=len(buyers), deadline_s=90)
    copies = {(e["notification_id"], e["user_id"], e["event_id"], e["seq"]) for e in announced}
    assert {(n, u) for n, u, _, _ in copies} == {(f"{moment_id}~{o}", b.account_id) for o, b in buyers.items()}
    assert len(copies) == len(buyers), "a copy published again is the same event with the same number"
