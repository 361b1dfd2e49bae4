"""Bad input gets a problem document and writes nothing."""

from __future__ import annotations

import uuid

import pytest

from services.order.tests.integration.support import (
    admin,
    assert_problem,
    customer,
    deal_body,
    get_deal,
    headers,
    new_deal,
    new_merchant,
    staff,
)


def order_headers(buyer) -> dict[str, str]:
    return headers(buyer, **{"Idempotency-Key": uuid.uuid4().hex})


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"quantity": 1},
        {"deal_id": "DEAL"},
        {"deal_id": "DEAL", "quantity": 0},
        {"deal_id": "DEAL", "quantity": -1},
        {"deal_id": "DEAL", "quantity": "two"},
        {"deal_id": "DEAL", "quantity": 1.5},
        {"deal_id": ["DEAL"], "quantity": 1},
        {"deal_id": "DEAL", "quantity": 1, "price": 1},
    ],
)
async def test_malformed_orders_are_refused_and_write_nothing(client, db, body):
    merchant = await new_merchant(client)
    deal = await new_deal(client, merchant["merchant_id"])
    buyer = customer()
    body = {k: (deal["deal_id"] if v == "DEAL" else v) for k, v in body.items()}

    response = await client.post("/orders", json=body, headers=order_headers(buyer))

    assert_problem(response, 422, "invalid-request")
    assert await db.orders.count_documents({"user_id": buyer.account_id}) == 0
    assert (await get_deal(client, deal["deal_id"]))["stock"] == 50


async def test_a_body_that_is_not_json_is_refused(client, db):
    buyer = customer()
    response = await client.post(
        "/orders", content=b"{not json", headers={**order_headers(buyer), "Content-Type": "application/json"}
    )
    assert_problem(response, 422, "invalid-request")
    assert await db.orders.count_documents({"user_id": buyer.account_id}) == 0


async def test_an_oversized_body_is_refused(client, db):
    buyer = customer()
    response = await client.post(
        "/orders", json={"deal_id": "x" * 100_000, "quantity": 1}, headers=order_headers(buyer)
    )
    assert_problem(response, 413, "payload-too-large")
    assert await db.orders.count_documents({"user_id": buyer.account_id}) == 0


async def test_an_unknown_deal_is_not_found_and_nothing_is_written(client, db):
    buyer = customer()
    response = await client.post("/orders", json={"deal_id": "no-such-deal", "quantity": 1}, headers=order_headers(buyer))
    assert_problem(response, 404, "deal-not-found")
    assert await db.orders.count_documents({"user_id": buyer.account_id}) == 0


async def test_a_draft_or_ended_deal_cannot_be_bought(client, db):
    merchant = await new_merchant(client)
    draft = await new_deal(client, merchant["merchant_id"], on_sale=False)
    ended = await new_deal(client, merchant["merchant_id"])
    manager = staff(merchant["merchant_id"])
    assert (await client.patch(f"/deals/{ended['deal_id']}", json={"status": "ended"}, headers=headers(manager))).status_code == 200
    buyer = customer()
    draft_response = await client.post("/orders", json={"deal_id": draft["deal_id"], "quantity": 1}, headers=order_headers(buyer))
    assert_problem(draft_response, 404, "deal-not-found")
    ended_response = await client.post("/orders", json={"deal_id": ended["deal_id"], "quantity": 1}, headers=order_headers(buyer))
    assert_problem(ended_response, 409, "deal-not-on-sale")
    assert await db.orders.count_documents({"user_id": buyer.account_id}) == 0


async def test_more_than_the_per_user_limit_in_one_order_is_refused(client, db):
    merchant = await new_merchant(client)
    deal = await new_deal(client, merchant["merchant_id"], per_user_limit=2)
    buyer = customer()
    response = await client.post("/orders", json={"deal_id": deal["deal_id"], "quantity": 3}, headers=order_headers(buyer))
    assert_problem(response, 409, "per-user-limit-reached")
    assert (await get_deal(client, deal["deal_id"]))["stock"] == 50


@pytest.mark.parametrize(
    "overrides, slug",
    [
        ({"price": {"amount_minor": 30000, "currency": "CNY"}}, "invalid-deal"),
        ({"original_price": {"amount_minor": 19800, "currency": "USD"}}, "invalid-deal"),
        ({"original_price": {"amount_minor": 0, "currency": "CNY"}, "price": {"amount_minor": 0, "currency": "CNY"}}, "invalid-deal"),
        ({"price": {"amount_minor": -1, "currency": "CNY"}}, "invalid-request"),
        ({"price": {"amount_minor": 9900, "currency": "yuan"}}, "invalid-request"),
        ({"stock": 0}, "invalid-request"),
        ({"per_user_limit": 0}, "invalid-request"),
        ({"sale_ends_at": "2015-03-24T00:00:00+00:00"}, "invalid-deal"),
        ({"sale_starts_at": "2030-01-01T00:00:00"}, "invalid-request"),  # no offset: ambiguous
        ({"voucher_valid_until": "2015-03-24T00:00:00+00:00"}, "invalid-deal"),
        ({"title": ""}, "invalid-request"),
    ],
)
async def test_invalid_deals_are_refused(client, db, overrides, slug):
    merchant = await new_merchant(client)
    response = await client.post(
        f"/merchants/{merchant['merchant_id']}/deals", json=deal_body(**overrides), headers=headers(staff(merchant["merchant_id"]))
    )
    assert_problem(response, 422, slug)
    assert await db.deals.count_documents({"merchant_id": merchant["merchant_id"]}) == 0


@pytest.mark.parametrize(
    "overrides, slug",
    [
        ({"timezone": "Mars/Olympus"}, "invalid-merchant"),
        ({"contact": "call us"}, "invalid-merchant"),
        ({"name": ""}, "invalid-request"),
        ({"address": None}, "invalid-request"),
    ],
)
async def test_invalid_merchants_are_refused(client, db, overrides, slug):
    body = {"name": "Hotpot", "address": "1 Nanjing Rd", "timezone": "Asia/Shanghai", "contact": "+862161234567"}
    before = await db.merchants.count_documents({})
    response = await client.post("/merchants", json={**body, **overrides}, headers=headers(admin()))
    assert_problem(response, 422, slug)
    assert await db.merchants.count_documents({}) == before


async def test_page_limits_are_bounded(client):
    assert_problem(await client.get("/orders", params={"limit": 101}, headers=headers(admin())), 422, "invalid-request")
    assert_problem(await client.get("/deals", params={"limit": 0}, headers=headers(None)), 422, "invalid-request")


@pytest.mark.parametrize(
    "change",
    [
        # What a conformance run sent: null for a field a deal cannot be without, and year 80.
        {"original_price": None, "sale_starts_at": "0080-03-10T02:03:00Z"},
        {"original_price": None},
        {"title": None},
        {"status": None},
        {"sale_starts_at": "0080-03-10T02:03:00Z"},
        # Converting these to UTC would overflow Python's datetime.
        {"voucher_valid_from": "0001-01-01T00:00:00+14:00"},
        {"voucher_valid_until": "9999-12-31T23:59:59-14:00"},
    ],
)
async def test_a_draft_change_to_null_or_an_absurd_time_is_refused_and_changes_nothing(client, change):
    merchant = await new_merchant(client)
    manager = staff(merchant["merchant_id"])
    draft = await new_deal(client, merchant["merchant_id"], on_sale=False)
    response = await client.patch(f"/deals/{draft['deal_id']}", json=change, headers=headers(manager))
    body = assert_problem(response, 422, "invalid-request")
    assert {error["location"] for error in body["errors"]} == {f"body.{name}" for name in change}
    after = (await client.get(f"/deals/{draft['deal_id']}", headers=headers(manager))).json()
    assert {**after, "merchant": None} == {**draft, "merchant": None}


@pytest.mark.parametrize("moment", ["0080-03-10T02:03:00Z", "2100-01-01T00:00:00Z", "1999-12-31T23:59:59Z"])
async def test_a_new_deal_with_a_time_outside_the_deal_years_is_refused(client, db, moment):
    merchant = await new_merchant(client)
    response = await client.post(
        f"/merchants/{merchant['merchant_id']}/deals", json=deal_body(sale_starts_at=moment),
        headers=headers(staff(merchant["merchant_id"])),
    )
    assert_problem(response, 422, "invalid-request")
    assert await db.deals.count_documents({"merchant_id": merchant["merchant_id"]}) == 0
