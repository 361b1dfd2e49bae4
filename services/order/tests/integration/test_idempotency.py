"""A retried order with the same Idempotency-Key never places a second order."""

from __future__ import annotations

import asyncio
import uuid

from services.order.tests.integration.support import (
    assert_problem,
    customer,
    get_deal,
    headers,
    new_deal,
    new_merchant,
    place,
)


async def test_the_same_key_twice_in_a_row_gives_one_order_and_the_same_body(client, db):
    merchant = await new_merchant(client)
    deal = await new_deal(client, merchant["merchant_id"], stock=10)
    buyer = customer()
    key = uuid.uuid4().hex

    first = await place(client, buyer, deal["deal_id"], 2, key)
    again = await place(client, buyer, deal["deal_id"], 2, key)

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert first.json()["payment"] == {"provider": "sandbox", "sandbox": True, "reference": f"sandbox-{first.json()['order_id']}"}
    assert await db.orders.count_documents({"deal_id": deal["deal_id"]}) == 1
    assert (await get_deal(client, deal["deal_id"]))["stock"] == 8


async def test_the_same_key_twice_at_once_gives_one_order_and_the_same_body(client, db):
    merchant = await new_merchant(client)
    deal = await new_deal(client, merchant["merchant_id"], stock=10)
    buyer = customer()
    key = uuid.uuid4().hex

    responses = await asyncio.gather(*(place(client, buyer, deal["deal_id"], 1, key) for _ in range(5)))

    assert {r.status_code for r in responses} == {201}
    assert len({r.text for r in responses}) == 1
    assert await db.orders.count_documents({"deal_id": deal["deal_id"]}) == 1
    assert (await get_deal(client, deal["deal_id"]))["stock"] == 9


async def test_the_same_key_with_another_body_is_refused_and_changes_nothing(client, db):
    merchant = await new_merchant(client)
    deal = await new_deal(client, merchant["merchant_id"], stock=10)
    buyer = customer()
    key = uuid.uuid4().hex
    first = await place(client, buyer, deal["deal_id"], 1, key)
    assert first.status_code == 201

    reused = await place(client, buyer, deal["deal_id"], 3, key)

    assert_problem(reused, 422, "idempotency-key-reused")
    assert await db.orders.count_documents({"deal_id": deal["deal_id"]}) == 1
    assert (await get_deal(client, deal["deal_id"]))["stock"] == 9


async def test_two_buyers_may_use_the_same_key(client):
    merchant = await new_merchant(client)
    deal = await new_deal(client, merchant["merchant_id"], stock=10)
    key = uuid.uuid4().hex
    one = await place(client, customer(), deal["deal_id"], 1, key)
    two = await place(client, customer(), deal["deal_id"], 1, key)
    assert (one.status_code, two.status_code) == (201, 201)
    assert one.json()["order_id"] != two.json()["order_id"]


async def test_a_retry_of_a_refused_order_is_refused_the_same_way(client):
    merchant = await new_merchant(client)
    deal = await new_deal(client, merchant["merchant_id"], stock=1, per_user_limit=1)
    assert (await place(client, customer(), deal["deal_id"])).status_code == 201
    buyer = customer()
    key = uuid.uuid4().hex
    first = await place(client, buyer, deal["deal_id"], 1, key)
    again = await place(client, buyer, deal["deal_id"], 1, key)
    assert_problem(first, 409, "sold-out")
    assert_problem(again, 409, "sold-out")
    assert again.json() == first.json()


async def test_the_idempotency_key_is_required_and_bounded(client):
    merchant = await new_merchant(client)
    deal = await new_deal(client, merchant["merchant_id"])
    buyer = customer()
    body = {"deal_id": deal["deal_id"], "quantity": 1}
    missing = await client.post("/orders", json=body, headers=headers(buyer))
    assert_problem(missing, 422, "invalid-request")
    too_long = await client.post("/orders", json=body, headers=headers(buyer, **{"Idempotency-Key": "k" * 201}))
    assert_problem(too_long, 422, "invalid-request")
    assert (await get_deal(client, deal["deal_id"]))["stock"] == 50
