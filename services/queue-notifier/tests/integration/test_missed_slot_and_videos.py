"""The missed slot with a real slots service: the buyer's last chosen slot ends, the grace
passes without a redemption, the notifier publishes SlotMissed, the slots service offers again,
and the buyer's inbox gets "you missed your visit — pick a new time" with the new slots. And the
uploader hears of their video's outcome."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx

from liveline_devstack.pytest_plugin import TEST_STATE
from liveline_devstack.services import ServiceProcess
from liveline_shared.events import OrderPlaced, VideoEdited, VideoRejected
from liveline_shared.events.topics import SLOTS
from tests.callers import customer, staff
from tests.queue_support import INTERNAL_TOKEN, headers, inbox, wait_for
from tests.random_refs import database_name, suffix
from tests.service_tests import new_merchant, publish
from tests.topic_events import topic_events


def _slots_process(stack_endpoints, order: ServiceProcess) -> ServiceProcess:
    return ServiceProcess(
        "slots", stack_endpoints, TEST_STATE / "queue-tests" / "missed-slots", environment="test",
        internal_token=INTERNAL_TOKEN,
        extra_env={"LIVELINE_SLOTS_MONGO_DATABASE": database_name("queue_missed_slots"),
                   "LIVELINE_SLOTS_ORDER_URL": order.url, "LIVELINE_SLOTS_CONSUMER_GROUP_PREFIX": f"test-{suffix()}-"},
    )


async def test_a_missed_slot_is_reoffered_and_the_buyer_is_told_to_pick_a_new_time(
    client, order_client, producer, stack_endpoints, queue_order_service
):
    merchant_id = await new_merchant(order_client, INTERNAL_TOKEN, timezone="UTC")
    buyer = customer()
    now = datetime.now(UTC)
    # A meal period that is on now and ends at a minute boundary at least 20 s away.
    end = (now + timedelta(seconds=80)).replace(second=0, microsecond=0)
    policy = {"timezone": "UTC", "periods": [{"name": "soon", "start": now.strftime("%H:%M"), "end": end.strftime("%H:%M")}],
              "days_ahead": 1, "closed_weekdays": [], "closed_dates": [], "capacity": 20, "cutoff_minutes": 30}
    order = OrderPlaced(occurred_at=now, producer="order", order_id=uuid.uuid4().hex, deal_id=f"deal-{suffix()}",
                        merchant_id=merchant_id, user_id=buyer.account_id, quantity=1, amount_minor=9900, currency="CNY",
                        voucher_valid_from=now - timedelta(minutes=1), voucher_valid_until=now + timedelta(days=30))
    with _slots_process(stack_endpoints, queue_order_service).running() as slots:
        async with httpx.AsyncClient(base_url=slots.url, timeout=30) as slots_http:
            set_policy = await slots_http.put(f"/merchants/{merchant_id}/slot-policy", json=policy,
                                              headers=headers(staff(merchant_id)))
            assert set_policy.status_code == 200, set_policy.text
            await publish(producer, order)

            async def offer() -> dict | None:
                response = await slots_http.get(f"/orders/{order.order_id}/offer", headers=headers(buyer))
                return response.json() if response.status_code == 200 else None

            first = await wait_for(offer, deadline_s=30, what="the first offer")
            soon = [slot["slot_id"] for slot in first["slots"] if slot["meal_period"] == "soon"][:1]
            assert soon, first
            chosen = await slots_http.put(f"/orders/{order.order_id}/choice", headers=headers(buyer),
                                          json={"offer_id": first["offer_id"], "slot_ids": soon})
            assert chosen.status_code == 200, chosen.text

            async def reoffer() -> list[dict]:
                return [n for n in (await inbox(client, buyer))["notifications"] if n["subject"] == "slot_reoffer"]

            # The session's notifier has a 2 s grace; the re-offer must come within 60 s of end + grace.
            told = await wait_for(reoffer, deadline_s=(end - datetime.now(UTC)).total_seconds() + 2 + 60,
                                  what="the re-offer push")
            assert datetime.fromisoformat(told[0]["created_at"]) <= end + timedelta(seconds=62)
            second = await offer()
    assert second is not None and second["reason"] == "missed_slot" and second["offer_id"] != first["offer_id"]
    assert told[0]["title"] == "You missed your visit — pick a new time" and told[0]["order_id"] == order.order_id
    assert [s["slot_id"] for s in told[0]["slots"]] == [s["slot_id"] for s in second["slots"]]
    assert told[0]["link_path"] == f"/orders/{order.order_id}/slots"
    missed = await topic_events(stack_endpoints.kafka_bootstrap_servers, SLOTS.name,
                                where={"order_id": order.order_id, "event_type": "SlotMissed"}, expect=1)
    # The session's own notifier (another database and consumer group, the same 2 s grace) heard
    # the same choice: one SlotMissed from each, both for the slot the buyer missed.
    assert 1 <= len(missed) <= 2 and {e["slot"]["slot_id"] for e in missed} == {soon[0]}
    # The slots service re-offers once however many notifiers report the miss: one push.
    assert len([n for n in (await inbox(client, buyer))["notifications"] if n["subject"] == "slot_reoffer"]) == 1


async def test_the_uploader_hears_that_their_video_is_online_or_why_it_was_refused(client, producer):
    buyer = customer()
    order_id, merchant_id = uuid.uuid4().hex, f"m-{suffix()}"
    edited = VideoEdited(occurred_at=datetime.now(UTC), producer="media", video_id=uuid.uuid4().hex, order_id=order_id,
                         user_id=buyer.account_id, merchant_id=merchant_id, deal_id="deal", object_key="edited/x.mp4",
                         poster_key="edited/x.jpg", duration_s=12.0, size_bytes=1000, width=720, height=1280)
    rejected = VideoRejected(occurred_at=datetime.now(UTC), producer="media", video_id=uuid.uuid4().hex,
                             order_id=order_id, user_id=buyer.account_id, merchant_id=merchant_id, reason="too_long",
                             detail="The video is longer than 60 s.")
    await publish(producer, edited, rejected, edited)  # a repeated event changes nothing

    async def both() -> list[dict] | None:
        found = (await inbox(client, buyer))["notifications"]
        return found if len(found) >= 2 else None

    found = {n["subject"]: n for n in await wait_for(both, deadline_s=30, what="the video outcomes")}
    assert set(found) == {"video_edited", "video_rejected"}
    assert found["video_rejected"]["reason"] == "too_long" and found["video_edited"]["title"] == "Your video is online"
    assert (await inbox(client, buyer))["total"] == 2
