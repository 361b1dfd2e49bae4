"""The slots service's handlers in this process, on the real database and a manual clock: the
document's example on its own date, the cut-off, the choice lock and the missed-slot re-offer."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from liveline_shared.contracts.slots import Choose
from liveline_shared.events import OrderRedeemed, QueueTick, SlotMissed, SlotWindow
from liveline_shared.outbox import pending_events
from liveline_slots import handlers
from liveline_slots.domain.errors import ChoiceLocked, OrderClosed, SlotClosed
from services.slots.tests.integration.support import customer, new_merchant, order_placed

pytestmark = pytest.mark.asyncio(loop_scope="session")

MORNING = datetime(2015, 3, 24, 1, 30, tzinfo=UTC)  # 09:30 in Shanghai


async def placed_with_offer(deps, order_client, buyer):
    """A Shanghai merchant's order placed at 09:30 on 2015-03-24, and the offer it was given."""
    merchant_id = await new_merchant(order_client, "Asia/Shanghai")
    placed = order_placed(merchant_id, buyer, at=MORNING)
    await handlers.offer_after_purchase(placed, deps)
    return placed, (await deps.offers.get(placed.order_id)).offer


async def offered_events(deps, order_id: str) -> list[dict]:
    document = await deps.offers.get_document(order_id)
    return [json.loads(event.body) for event in pending_events(document) if event.headers["event_type"] == "SlotOffered"]


async def test_the_documents_example_offers_that_days_lunch_and_dinner_then_the_following_days(deps, clock, order_client):
    merchant_id = await new_merchant(order_client, "Asia/Shanghai")
    placed = order_placed(merchant_id, customer(), at=MORNING)
    await handlers.offer_after_purchase(placed, deps)
    await handlers.offer_after_purchase(placed, deps)  # a redelivery

    [event] = await offered_events(deps, placed.order_id)
    listed = [(slot["local_date"], slot["meal_period"]) for slot in event["slots"]]
    assert listed[:3] == [("2015-03-24", "lunch"), ("2015-03-24", "dinner"), ("2015-03-25", "lunch")]
    assert listed[-1] == ("2015-03-30", "dinner") and len(listed) == 14
    lunch = event["slots"][0]
    assert (lunch["local_start"], lunch["starts_at"], lunch["ends_at"]) == (
        "2015-03-24T11:00", "2015-03-24T03:00:00Z", "2015-03-24T06:00:00Z")
    assert event["reason"] == "purchase" and event["causation_id"] == str(placed.event_id)
    assert (await deps.offers.get_document(placed.order_id))["offers_made"] == 1


async def test_an_order_at_20_45_starts_with_the_next_days_lunch_under_the_default_cut_off(deps, clock, order_client):
    merchant_id = await new_merchant(order_client, "Asia/Shanghai")
    clock.set(datetime(2015, 3, 24, 12, 45, tzinfo=UTC))  # 20:45 in Shanghai
    placed = order_placed(merchant_id, customer(), at=clock.now())
    await handlers.offer_after_purchase(placed, deps)
    [event] = await offered_events(deps, placed.order_id)
    assert (event["slots"][0]["local_date"], event["slots"][0]["meal_period"]) == ("2015-03-25", "lunch")


async def test_a_slot_past_its_cut_off_cannot_be_chosen_and_a_started_choice_is_locked(deps, clock, order_client):
    buyer = customer()
    placed, offer = await placed_with_offer(deps, order_client, buyer)
    lunch, dinner = offer.slots[0].slot_id, offer.slots[1].slot_id

    clock.set(datetime(2015, 3, 24, 3, 31, tzinfo=UTC))  # 11:31: lunch began 31 minutes ago
    with pytest.raises(SlotClosed):
        await handlers.choose(placed.order_id, Choose(offer_id=offer.offer_id, slot_ids=[lunch]), buyer, deps)
    view = await handlers.choose(placed.order_id, Choose(offer_id=offer.offer_id, slot_ids=[dinner]), buyer, deps)
    assert view.order.choice.slot_ids == (dinner,)
    document = await deps.offers.get_document(placed.order_id)
    chosen = [json.loads(e.body) for e in pending_events(document) if e.headers["event_type"] == "SlotChosen"]
    assert [slot["slot_id"] for slot in chosen[0]["slots"]] == [dinner]
    assert chosen[0]["slots"][0]["starts_at"] == "2015-03-24T09:00:00Z"

    clock.set(datetime(2015, 3, 24, 9, 5, tzinfo=UTC))  # 17:05: dinner has started
    later = offer.slots[3].slot_id
    with pytest.raises(ChoiceLocked):
        await handlers.choose(placed.order_id, Choose(offer_id=offer.offer_id, slot_ids=[later]), buyer, deps)
    assert (await deps.offers.get(placed.order_id)).choice.slot_ids == (dinner,)


def missed(placed, slot) -> SlotMissed:
    window = SlotWindow(slot_id=slot.slot_id, meal_period=slot.period, local_date=slot.local_date.isoformat(),
                        starts_at=slot.starts_at, ends_at=slot.ends_at)
    return SlotMissed(occurred_at=slot.ends_at, producer="queue-notifier", order_id=placed.order_id,
                      user_id=placed.user_id, merchant_id=placed.merchant_id, slot=window)


async def test_a_missed_slot_brings_a_fresh_offer_from_now_once(deps, clock, order_client):
    buyer = customer()
    placed, offer = await placed_with_offer(deps, order_client, buyer)
    dinner = offer.slots[1]
    await handlers.choose(placed.order_id, Choose(offer_id=offer.offer_id, slot_ids=[dinner.slot_id]), buyer, deps)

    clock.set(datetime(2015, 3, 24, 13, 1, tzinfo=UTC))  # 21:01: dinner is over, unredeemed
    event = missed(placed, dinner.slot)
    await handlers.offer_again_after_missed_slot(event, deps)
    await handlers.offer_again_after_missed_slot(event, deps)  # a redelivery
    order = await deps.offers.get(placed.order_id)
    assert order.offer.reason == "missed_slot" and order.choice is None
    assert order.offer.slots[0].slot.starts_at > clock.now()
    reoffers = [e for e in await offered_events(deps, placed.order_id) if e["reason"] == "missed_slot"]
    assert len(reoffers) == 1 and reoffers[0]["slots"][0]["local_date"] == "2015-03-25"

    # A SlotMissed for a slot the buyer no longer holds changes nothing.
    await handlers.offer_again_after_missed_slot(missed(placed, offer.slots[2].slot), deps)
    assert (await deps.offers.get(placed.order_id)).offer.offer_id == order.offer.offer_id


async def test_a_redeemed_order_is_not_offered_again_after_a_missed_slot(deps, clock, order_client):
    buyer = customer()
    placed, offer = await placed_with_offer(deps, order_client, buyer)
    await handlers.choose(placed.order_id, Choose(offer_id=offer.offer_id, slot_ids=[offer.slots[0].slot_id]), buyer, deps)
    await handlers.close_order(OrderRedeemed(occurred_at=clock.now(), producer="order", order_id=placed.order_id,
                                             deal_id=placed.deal_id, merchant_id=placed.merchant_id, user_id=buyer.account_id,
                                             redeemed_by="staff-1"), deps)
    clock.set(datetime(2015, 3, 24, 6, 1, tzinfo=UTC))
    await handlers.offer_again_after_missed_slot(missed(placed, offer.slots[0].slot), deps)
    assert len(await offered_events(deps, placed.order_id)) == 1
    with pytest.raises(OrderClosed, match="redeemed"):
        await handlers.request_offer(placed.order_id, buyer, deps)


async def test_queue_history_predicts_the_wait_of_the_same_weekday_and_period(deps, clock, order_client):
    merchant_id = await new_merchant(order_client, "Asia/Shanghai")
    # Three past Tuesday dinners (17:00-21:00 Shanghai = 09:00-13:00Z): waits of 10, 20 and 40 minutes.
    for weeks_ago, wait in ((3, 10), (2, 20), (1, 40)):
        start = datetime(2015, 3, 24, 9, 0, tzinfo=UTC) - timedelta(weeks=weeks_ago)
        for minute in range(0, 241, 5):
            await handlers.record_queue_tick(QueueTick(
                occurred_at=start + timedelta(minutes=minute), producer="queue-notifier", merchant_id=merchant_id,
                waiting_parties=3, waiting_people=8, estimated_wait_minutes=wait,
            ), deps)
    placed = order_placed(merchant_id, customer(), at=MORNING)
    await handlers.offer_after_purchase(placed, deps)
    offer = (await deps.offers.get(placed.order_id)).offer
    by_day_and_period = {(s.slot.local_date.isoformat(), s.slot.period): s.predicted_wait for s in offer.slots}
    tuesday_dinner = by_day_and_period[("2015-03-24", "dinner")]
    assert (tuesday_dinner.low_minutes, tuesday_dinner.high_minutes, tuesday_dinner.services) == (15, 30, 3)
    assert by_day_and_period[("2015-03-24", "lunch")] is None  # no lunch history
    assert by_day_and_period[("2015-03-25", "dinner")] is None  # no Wednesday history


async def test_a_merchant_with_a_single_tick_so_far_gets_offers_without_a_prediction(deps, clock, order_client):
    merchant_id = await new_merchant(order_client, "Asia/Shanghai")
    await handlers.record_queue_tick(QueueTick(occurred_at=clock.now() - timedelta(minutes=5), producer="queue-notifier",
                                               merchant_id=merchant_id, waiting_parties=2, waiting_people=5,
                                               estimated_wait_minutes=10), deps)
    placed = order_placed(merchant_id, customer(), at=MORNING)
    await handlers.offer_after_purchase(placed, deps)
    offer = (await deps.offers.get(placed.order_id)).offer
    assert offer.slots and all(entry.predicted_wait is None for entry in offer.slots)
