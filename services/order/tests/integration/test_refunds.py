"""A buyer (or an admin) refunds a paid, unredeemed order; stock and the buyer's allowance come back."""

from __future__ import annotations

from services.order.tests.integration.support import (
    admin,
    assert_problem,
    customer,
    get_deal,
    headers,
    new_deal,
    new_merchant,
    order_events,
    paid_order,
    place,
    staff,
    wait_for,
)


async def refund(client, caller, order_id: str):
    return await client.post(f"/orders/{order_id}/refund", headers=headers(caller))


async def test_a_refund_returns_the_stock_and_the_buyers_allowance(client, kafka):
    merchant = await new_merchant(client)
    deal = await new_deal(client, merchant["merchant_id"], stock=3, per_user_limit=3)
    buyer = customer()
    order = await paid_order(client, buyer, deal["deal_id"], quantity=3)
    assert (await get_deal(client, deal["deal_id"]))["stock"] == 0
    assert_problem(await place(client, customer(), deal["deal_id"]), 409, "sold-out")
    assert_problem(await place(client, buyer, deal["deal_id"]), 409, "per-user-limit-reached")

    response = await refund(client, buyer, order["order_id"])

    assert response.status_code == 200, response.text
    assert response.json()["status"] == "refunded"
    after = await get_deal(client, deal["deal_id"])
    assert (after["stock"], after["sold"]) == (3, 0)
    # The allowance is back too: the same buyer can buy all three units again.
    assert (await place(client, buyer, deal["deal_id"], quantity=3)).status_code == 201
    events = await order_events(kafka, where={"order_id": order["order_id"], "event_type": "OrderRefunded"}, expect=1)
    assert len(events) == 1
    assert (events[0]["quantity"], events[0]["refunded_by"]) == (3, buyer.account_id)


async def test_refunding_twice_returns_stock_once(client):
    merchant = await new_merchant(client)
    deal = await new_deal(client, merchant["merchant_id"], stock=5)
    buyer = customer()
    order = await paid_order(client, buyer, deal["deal_id"], quantity=2)
    assert (await refund(client, buyer, order["order_id"])).status_code == 200
    assert_problem(await refund(client, admin(), order["order_id"]), 409, "order-not-refundable")
    assert (await get_deal(client, deal["deal_id"]))["stock"] == 5


async def test_a_redeemed_order_cannot_be_refunded(client):
    merchant = await new_merchant(client)
    deal = await new_deal(client, merchant["merchant_id"], stock=5)
    buyer = customer()
    order = await paid_order(client, buyer, deal["deal_id"])
    redeemed = await client.post(
        "/redemptions", json={"code": order["voucher"]["code"]}, headers=headers(staff(merchant["merchant_id"]))
    )
    assert redeemed.status_code == 200

    assert_problem(await refund(client, buyer, order["order_id"]), 409, "order-not-refundable")
    assert (await get_deal(client, deal["deal_id"]))["stock"] == 4


async def test_another_customer_cannot_refund_and_learns_nothing(client):
    merchant = await new_merchant(client)
    deal = await new_deal(client, merchant["merchant_id"], stock=5)
    buyer = customer()
    order = await paid_order(client, buyer, deal["deal_id"])

    response = await refund(client, customer(), order["order_id"])

    body = assert_problem(response, 404, "order-not-found")
    assert set(body) == {"type", "title", "status", "instance"}
    assert_problem(await refund(client, staff(merchant["merchant_id"]), order["order_id"]), 403, "forbidden")
    mine = await client.get(f"/orders/{order['order_id']}", headers=headers(buyer))
    assert mine.json()["status"] == "paid"
    assert (await get_deal(client, deal["deal_id"]))["stock"] == 4


async def test_an_admin_may_refund(client, db):
    merchant = await new_merchant(client)
    deal = await new_deal(client, merchant["merchant_id"], stock=5)
    order = await paid_order(client, customer(), deal["deal_id"])
    assert (await refund(client, admin(), order["order_id"])).status_code == 200
    assert (await get_deal(client, deal["deal_id"]))["stock"] == 5
    # Nothing is left for the recovery sweep to do.
    assert await wait_for(
        lambda: db.orders.count_documents({"_id": order["order_id"], "settled": True}), what="settled"
    )
