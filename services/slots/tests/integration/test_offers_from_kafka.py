"""The slots service as a process on real Kafka and FerretDB: an OrderPlaced becomes an offer,
once; a redeemed or refunded order gets none; policies are validated and guarded."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

from liveline_shared.events import OrderRedeemed, OrderRefunded
from services.slots.tests.integration.support import (
    admin,
    assert_problem,
    customer,
    headers,
    new_merchant,
    offer_of,
    order_placed,
    publish,
    staff,
)

POLICY = {
    "timezone": "Asia/Shanghai",
    "periods": [{"name": "breakfast", "start": "07:00", "end": "09:30"}, {"name": "lunch", "start": "11:00", "end": "14:00"},
                {"name": "dinner", "start": "17:00", "end": "21:00"}],
    "days_ahead": 3, "closed_weekdays": [], "closed_dates": [], "capacity": None, "cutoff_minutes": 30,
}


async def test_an_order_placed_on_kafka_gets_an_offer_of_the_merchants_slots_and_a_repeat_builds_no_second(
    client, order_client, producer, db
):
    merchant_id = await new_merchant(order_client)
    buyer = customer()
    placed = order_placed(merchant_id, buyer)
    await publish(producer, placed, placed)
    offer = await offer_of(client, placed.order_id, buyer)
    assert offer["reason"] == "purchase" and offer["status"] == "open" and offer["choice"] is None
    assert {slot["meal_period"] for slot in offer["slots"]} == {"lunch", "dinner"}
    days = sorted({slot["local_date"] for slot in offer["slots"]})
    # 7 days counting today, whose slots may all be past its cut-off already.
    assert len(days) in (6, 7) and all(slot["timezone"] == "Asia/Shanghai" for slot in offer["slots"])
    first = offer["slots"][0]
    assert first["slot_id"] == f"{merchant_id}:{first['local_date']}:{first['meal_period']}"
    assert first["predicted_wait"] is None and first["remaining_capacity"] is None and first["choosable"]

    # The same OrderPlaced again later builds nothing new.
    await publish(producer, placed)
    again = await offer_of(client, placed.order_id, buyer)
    assert again["offer_id"] == offer["offer_id"]
    document = await db.order_slots.find_one({"_id": placed.order_id})
    assert document["offers_made"] == 1


async def test_staff_set_named_periods_and_the_next_offer_follows_them(client, order_client, producer):
    merchant_id = await new_merchant(order_client)
    response = await client.put(f"/merchants/{merchant_id}/slot-policy", json=POLICY, headers=headers(staff(merchant_id)))
    assert response.status_code == 200, response.text
    assert [p["name"] for p in response.json()["periods"]] == ["breakfast", "lunch", "dinner"]
    assert (await client.get(f"/merchants/{merchant_id}/slot-policy", headers=headers(None))).json()["days_ahead"] == 3

    buyer = customer()
    placed = order_placed(merchant_id, buyer)
    await publish(producer, placed)
    offer = await offer_of(client, placed.order_id, buyer)
    assert {slot["meal_period"] for slot in offer["slots"]} <= {"breakfast", "lunch", "dinner"}
    assert len({slot["local_date"] for slot in offer["slots"]}) <= 3


async def test_a_bad_policy_or_a_caller_who_may_not_change_it_is_refused_and_nothing_changes(client, order_client):
    merchant_id = await new_merchant(order_client)
    manager = staff(merchant_id)
    path = f"/merchants/{merchant_id}/slot-policy"
    before = (await client.get(path, headers=headers(None))).json()
    overlapping = {**POLICY, "periods": [{"name": "lunch", "start": "11:00", "end": "14:00"},
                                         {"name": "brunch", "start": "13:00", "end": "15:00"}]}
    assert "overlap" in assert_problem(await client.put(path, json=overlapping, headers=headers(manager)), 422,
                                       "invalid-slot-policy")["detail"]
    backwards = {**POLICY, "periods": [{"name": "lunch", "start": "14:00", "end": "11:00"}]}
    assert_problem(await client.put(path, json=backwards, headers=headers(manager)), 422, "invalid-slot-policy")
    assert_problem(await client.put(path, json={**POLICY, "timezone": "Mars/Olympus"}, headers=headers(manager)), 422,
                   "invalid-slot-policy")
    for days in (0, 61):
        assert_problem(await client.put(path, json={**POLICY, "days_ahead": days}, headers=headers(manager)), 422,
                       "invalid-request")
    assert_problem(await client.put(path, json=POLICY, headers=headers(staff("another-merchant"))), 403, "forbidden")
    assert_problem(await client.put(path, json=POLICY, headers=headers(customer())), 403, "forbidden")
    assert (await client.get(path, headers=headers(None))).json() == before
    assert before["updated_at"] is None and [p["name"] for p in before["periods"]] == ["lunch", "dinner"]
    assert_problem(await client.get("/merchants/no-such-merchant/slot-policy", headers=headers(None)), 404,
                   "merchant-not-found")
    admin_put = await client.put(path, json=POLICY, headers=headers(admin()))
    assert admin_put.status_code == 200


async def test_redeemed_refunded_and_expired_orders_get_no_offer_and_asking_is_a_clear_error(client, order_client, producer):
    merchant_id = await new_merchant(order_client)
    buyer = customer()
    redeemed, refunded = order_placed(merchant_id, buyer), order_placed(merchant_id, buyer)
    expired = order_placed(merchant_id, buyer, at=datetime.now(UTC) - timedelta(days=10), valid_days=2)
    await publish(producer, redeemed, refunded, expired)
    for placed in (redeemed, refunded):
        await offer_of(client, placed.order_id, buyer)
    common = {"occurred_at": datetime.now(UTC), "producer": "order", "merchant_id": merchant_id, "user_id": buyer.account_id}
    await publish(
        producer,
        OrderRedeemed(**common, order_id=redeemed.order_id, deal_id=redeemed.deal_id, redeemed_by="staff-1"),
        OrderRefunded(**common, order_id=refunded.order_id, deal_id=refunded.deal_id, quantity=1, refunded_by=buyer.account_id),
    )
    for placed, status in ((redeemed, "redeemed"), (refunded, "refunded"), (expired, "expired")):
        response = await _eventually_closed(client, placed.order_id, buyer)
        assert assert_problem(response, 409, "order-closed")["detail"] == f"the order is {status}"
        assert_problem(await client.post(f"/orders/{placed.order_id}/offer", headers=headers(buyer)), 409, "order-closed")


async def _eventually_closed(client, order_id: str, buyer):
    deadline = time.monotonic() + 30
    while True:
        response = await client.get(f"/orders/{order_id}/offer", headers=headers(buyer))
        if response.status_code == 409:
            return response
        assert time.monotonic() < deadline, response.text
        await asyncio.sleep(0.05)


async def test_an_order_is_invisible_to_other_customers_and_to_other_merchants_staff(client, order_client, producer):
    merchant_id = await new_merchant(order_client)
    buyer = customer()
    placed = order_placed(merchant_id, buyer)
    await publish(producer, placed)
    await offer_of(client, placed.order_id, buyer)
    path = f"/orders/{placed.order_id}/offer"
    for stranger in (customer(), staff("another-merchant")):
        assert_problem(await client.get(path, headers=headers(stranger)), 404, "offer-not-found")
    assert (await client.get(path, headers=headers(staff(merchant_id)))).status_code == 200
    assert_problem(await client.get(path, headers=headers(None)), 401, "unauthenticated")
