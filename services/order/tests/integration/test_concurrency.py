"""Stock and the per-buyer limit hold under concurrent buyers, and every sale is published once."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from services.order.tests.integration.support import (
    assert_problem,
    customer,
    get_deal,
    new_deal,
    new_merchant,
    order_events,
    place,
)

pytestmark = pytest.mark.slow


async def test_200_buyers_of_50_units_make_50_paid_orders_and_150_sold_out(client, kafka):
    merchant = await new_merchant(client)
    deal = await new_deal(client, merchant["merchant_id"], stock=50, per_user_limit=1)

    responses = await asyncio.gather(*(place(client, customer(), deal["deal_id"]) for _ in range(200)))

    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: 50, 409: 150}, statuses
    for response in responses:
        if response.status_code == 409:
            assert_problem(response, 409, "sold-out")
    paid = [r.json() for r in responses if r.status_code == 201]
    assert {o["status"] for o in paid} == {"paid"}
    assert len({o["voucher"]["code"] for o in paid}) == 50
    after = await get_deal(client, deal["deal_id"])
    assert (after["stock"], after["sold"]) == (0, 50)

    events = await order_events(kafka, where={"deal_id": deal["deal_id"], "event_type": "OrderPlaced"}, expect=50)
    assert len(events) == 50
    assert {e["order_id"] for e in events} == {o["order_id"] for o in paid}


async def test_one_buyer_with_10_concurrent_orders_gets_exactly_the_limit_of_2(client):
    merchant = await new_merchant(client)
    deal = await new_deal(client, merchant["merchant_id"], stock=100, per_user_limit=2)
    buyer = customer()

    responses = await asyncio.gather(*(place(client, buyer, deal["deal_id"]) for _ in range(10)))

    assert Counter(r.status_code for r in responses) == {201: 2, 409: 8}
    for response in responses:
        if response.status_code == 409:
            assert_problem(response, 409, "per-user-limit-reached")
    after = await get_deal(client, deal["deal_id"])
    assert (after["stock"], after["sold"]) == (98, 2)
    # Another buyer is not affected by this one's limit.
    assert (await place(client, customer(), deal["deal_id"], quantity=2)).status_code == 201
