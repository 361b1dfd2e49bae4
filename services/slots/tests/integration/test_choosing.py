"""Choosing slots (S103) on the real service: one or several, replaced until the first starts,
never more choosers than places, and bad choices refused with nothing written."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime

from services.slots.tests.integration.support import (
    assert_problem,
    customer,
    headers,
    new_merchant,
    offer_of,
    order_placed,
    publish,
    staff,
)

CAPPED = {
    "timezone": "Asia/Shanghai",
    "periods": [{"name": "lunch", "start": "11:00", "end": "14:00"}, {"name": "dinner", "start": "17:00", "end": "21:00"}],
    "days_ahead": 7, "closed_weekdays": [], "closed_dates": [], "capacity": 10, "cutoff_minutes": 30,
}


async def placed_offer(client, producer, merchant_id: str, buyer=None) -> tuple:
    buyer = buyer or customer()
    placed = order_placed(merchant_id, buyer)
    await publish(producer, placed)
    return buyer, await offer_of(client, placed.order_id, buyer)


async def choose(client, buyer, offer: dict, slot_ids: list[str]):
    return await client.put(f"/orders/{offer['order_id']}/choice", json={"offer_id": offer["offer_id"], "slot_ids": slot_ids},
                            headers=headers(buyer))


def started(slot: dict) -> bool:
    return datetime.fromisoformat(slot["starts_at"]) <= datetime.now(UTC)


async def test_a_buyer_chooses_several_slots_and_a_new_choice_replaces_the_old(client, order_client, producer, db):
    merchant_id = await new_merchant(order_client)
    buyer, offer = await placed_offer(client, producer, merchant_id)
    # Slots not yet started: during a slot's first half hour it is still offered, but a choice
    # that starts with it can no longer be replaced, which this test does next.
    upcoming = [slot for slot in offer["slots"] if not started(slot)]
    first_two = [slot["slot_id"] for slot in upcoming[:2]]
    response = await choose(client, buyer, offer, list(reversed(first_two)))
    assert response.status_code == 200, response.text
    assert response.json()["choice"]["slot_ids"] == first_two  # earliest first

    several_dinners = [slot["slot_id"] for slot in offer["slots"] if slot["meal_period"] == "dinner"][1:4]
    response = await choose(client, buyer, offer, several_dinners)
    assert response.status_code == 200, response.text
    assert response.json()["choice"]["slot_ids"] == several_dinners
    assert (await offer_of(client, offer["order_id"], buyer))["choice"]["slot_ids"] == several_dinners
    document = await db.order_slots.find_one({"_id": offer["order_id"]})
    assert "pending" not in document


async def test_bad_choices_are_refused_and_change_nothing(client, order_client, producer, db):
    merchant_id = await new_merchant(order_client)
    buyer, offer = await placed_offer(client, producer, merchant_id)
    first = next(slot["slot_id"] for slot in offer["slots"] if not started(slot))  # a started one locks the choice
    assert (await choose(client, buyer, offer, [first])).status_code == 200
    before = await db.order_slots.find_one({"_id": offer["order_id"]})

    not_offered = f"{merchant_id}:2015-03-24:dinner"  # a past slot: never in a fresh offer
    assert_problem(await choose(client, buyer, offer, [not_offered]), 422, "slot-not-offered")
    assert_problem(await choose(client, buyer, offer, [f"{merchant_id}:2099-01-01:lunch"]), 422, "slot-not-offered")
    assert_problem(await choose(client, customer(), offer, [first]), 404, "offer-not-found")
    assert_problem(await choose(client, staff(merchant_id), offer, [first]), 404, "offer-not-found")
    assert_problem(await choose(client, buyer, {**offer, "offer_id": "an-old-offer"}, [first]), 409, "offer-replaced")
    assert_problem(await choose(client, buyer, offer, []), 422, "invalid-request")
    assert_problem(await choose(client, buyer, {**offer, "order_id": "no-such-order"}, [first]), 404, "offer-not-found")

    after = await db.order_slots.find_one({"_id": offer["order_id"]})
    assert after["version"] == before["version"] and after["choice"] == before["choice"]


async def test_a_hundred_buyers_choosing_a_ten_place_slot_at_once_get_exactly_ten_places(client, order_client, producer, db):
    merchant_id = await new_merchant(order_client)
    response = await client.put(f"/merchants/{merchant_id}/slot-policy", json=CAPPED, headers=headers(staff(merchant_id)))
    assert response.status_code == 200, response.text
    offers = await asyncio.gather(*(placed_offer(client, producer, merchant_id) for _ in range(100)))
    slot_id = offers[0][1]["slots"][-1]["slot_id"]
    assert all(offer["slots"][-1]["slot_id"] == slot_id for _, offer in offers)
    assert offers[0][1]["slots"][-1]["remaining_capacity"] == 10

    answers = await asyncio.gather(*(choose(client, buyer, offer, [slot_id]) for buyer, offer in offers))
    statuses = Counter(answer.status_code for answer in answers)
    assert statuses == {200: 10, 409: 90}, statuses
    assert all(answer.json()["type"].endswith("/slot-full") for answer in answers if answer.status_code == 409)
    document = await db.slot_capacity.find_one({"_id": slot_id})
    assert document["taken"] == 10 and len(document["holders"]) == 10

    # A winner who moves to another slot gives the place back; a loser can then take it.
    winner = next(pair for pair, answer in zip(offers, answers, strict=True) if answer.status_code == 200)
    loser = next(pair for pair, answer in zip(offers, answers, strict=True) if answer.status_code == 409)
    other = winner[1]["slots"][0]["slot_id"]
    assert (await choose(client, *winner, [other])).status_code == 200
    assert (await choose(client, *loser, [slot_id])).status_code == 200
    seen = await offer_of(client, loser[1]["order_id"], loser[0])
    assert next(s for s in seen["slots"] if s["slot_id"] == slot_id)["remaining_capacity"] == 0
    assert (await db.slot_capacity.find_one({"_id": slot_id}))["taken"] == 10
