"""Staff redeem a voucher of their merchant once; every refusal has its own problem and changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.order.tests.integration.support import (
    admin,
    assert_problem,
    customer,
    headers,
    iso,
    new_deal,
    new_merchant,
    order_events,
    paid_order,
    staff,
)


async def redeem(client, caller, code: str):
    return await client.post("/redemptions", json={"code": code}, headers=headers(caller))


async def order_of(client, order: dict) -> dict:
    response = await client.get(f"/orders/{order['order_id']}", headers=headers(admin()))
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_voucher_is_redeemed_once_and_the_second_time_refused(client, kafka):
    merchant = await new_merchant(client)
    deal = await new_deal(client, merchant["merchant_id"])
    order = await paid_order(client, customer(), deal["deal_id"])
    cashier = staff(merchant["merchant_id"])

    first = await redeem(client, cashier, order["voucher"]["code"])
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "redeemed"
    redeemed = await order_of(client, order)

    second = await redeem(client, staff(merchant["merchant_id"]), order["voucher"]["qr_payload"])
    assert_problem(second, 409, "voucher-already-redeemed")
    assert await order_of(client, order) == redeemed

    events = await order_events(kafka, where={"order_id": order["order_id"], "event_type": "OrderRedeemed"}, expect=1)
    assert len(events) == 1
    assert events[0]["redeemed_by"] == cashier.account_id


async def test_another_merchants_staff_are_refused_and_learn_nothing(client, kafka):
    merchant = await new_merchant(client)
    elsewhere = await new_merchant(client)
    deal = await new_deal(client, merchant["merchant_id"])
    order = await paid_order(client, customer(), deal["deal_id"])

    response = await redeem(client, staff(elsewhere["merchant_id"]), order["voucher"]["code"])

    body = assert_problem(response, 403, "voucher-of-another-merchant")
    assert order["order_id"] not in response.text and order["user_id"] not in response.text
    assert "detail" not in body
    assert (await order_of(client, order))["status"] == "paid"
    # The owner's staff can still redeem it: the refusal changed nothing.
    assert (await redeem(client, staff(merchant["merchant_id"]), order["voucher"]["code"])).status_code == 200
    assert len(await order_events(kafka, where={"order_id": order["order_id"], "event_type": "OrderRedeemed"}, expect=1)) == 1


async def test_a_voucher_outside_its_validity_is_refused(client, db):
    merchant = await new_merchant(client)
    now = datetime.now(UTC)
    not_yet = await new_deal(
        client, merchant["merchant_id"],
        voucher_valid_from=iso(now + timedelta(days=1)), voucher_valid_until=iso(now + timedelta(days=30)),
    )
    early = await paid_order(client, customer(), not_yet["deal_id"])
    assert_problem(await redeem(client, staff(merchant["merchant_id"]), early["voucher"]["code"]), 409, "voucher-expired")
    assert (await order_of(client, early))["status"] == "paid"

    deal = await new_deal(client, merchant["merchant_id"])
    late = await paid_order(client, customer(), deal["deal_id"])
    # Time passes: the voucher's window is over (moved in the database rather than waiting 30 days).
    await db.orders.update_one(
        {"_id": late["order_id"]},
        {"$set": {"voucher.valid_from": now - timedelta(days=60), "voucher.valid_until": now - timedelta(days=1)}},
    )
    assert_problem(await redeem(client, staff(merchant["merchant_id"]), late["voucher"]["code"]), 409, "voucher-expired")
    assert (await order_of(client, late))["status"] == "paid"


async def test_a_refunded_voucher_is_refused(client):
    merchant = await new_merchant(client)
    deal = await new_deal(client, merchant["merchant_id"])
    buyer = customer()
    order = await paid_order(client, buyer, deal["deal_id"])
    refund = await client.post(f"/orders/{order['order_id']}/refund", headers=headers(buyer))
    assert refund.status_code == 200, refund.text

    assert_problem(await redeem(client, staff(merchant["merchant_id"]), order["voucher"]["code"]), 409, "voucher-refunded")
    assert (await order_of(client, order))["status"] == "refunded"


async def test_an_unknown_voucher_is_not_found(client):
    merchant = await new_merchant(client)
    cashier = staff(merchant["merchant_id"])
    assert_problem(await redeem(client, cashier, "000000000000"), 404, "voucher-not-found")
    assert_problem(await redeem(client, cashier, "not a code"), 404, "voucher-not-found")


async def test_only_staff_redeem(client):
    merchant = await new_merchant(client)
    deal = await new_deal(client, merchant["merchant_id"])
    buyer = customer()
    order = await paid_order(client, buyer, deal["deal_id"])
    for caller in (buyer, admin()):
        assert_problem(await redeem(client, caller, order["voucher"]["code"]), 403, "forbidden")
    assert_problem(await redeem(client, None, order["voucher"]["code"]), 401, "unauthenticated")
    assert (await order_of(client, order))["status"] == "paid"
