"""Every object-level decision is the order service's: strangers get 401/403/404 and learn nothing."""

from __future__ import annotations

import httpx
import pytest

from services.order.tests.integration.support import (
    INTERNAL_TOKEN,
    admin,
    assert_problem,
    customer,
    deal_body,
    headers,
    new_deal,
    new_merchant,
    paid_order,
    staff,
)


@pytest.fixture
async def sold(client):
    merchant = await new_merchant(client)
    deal = await new_deal(client, merchant["merchant_id"])
    buyer = customer()
    order = await paid_order(client, buyer, deal["deal_id"])
    return {"merchant": merchant, "deal": deal, "buyer": buyer, "order": order}


def assert_reveals_nothing(response: httpx.Response, order: dict) -> None:
    """Nothing about the order beyond what the caller sent (the problem's `instance` echoes the path)."""
    body = {name: value for name, value in response.json().items() if name != "instance"}
    for secret in (order["order_id"], order["user_id"], order["voucher"]["code"], order["deal_id"]):
        assert secret not in str(body)


async def test_another_customer_and_another_merchants_staff_cannot_see_an_order(client, sold):
    order = sold["order"]
    for stranger in (customer(), staff("another-merchant")):
        response = await client.get(f"/orders/{order['order_id']}", headers=headers(stranger))
        assert_problem(response, 404, "order-not-found")
        assert_reveals_nothing(response, order)
        listed = await client.get("/orders", headers=headers(stranger))
        assert listed.status_code == 200
        assert order["order_id"] not in listed.text


async def test_the_buyer_the_merchants_staff_and_admins_see_the_order(client, sold):
    order = sold["order"]
    for allowed in (sold["buyer"], staff(sold["merchant"]["merchant_id"]), admin()):
        response = await client.get(f"/orders/{order['order_id']}", headers=headers(allowed))
        assert response.status_code == 200, response.text
        assert response.json() == order
        listed = await client.get("/orders", params={"deal_id": order["deal_id"]}, headers=headers(allowed))
        assert [o["order_id"] for o in listed.json()["items"]] == [order["order_id"]]


async def test_anonymous_callers_are_refused_on_every_order_and_voucher_endpoint(client, sold):
    order = sold["order"]
    attempts = [
        client.get(f"/orders/{order['order_id']}", headers=headers(None)),
        client.get("/orders", headers=headers(None)),
        client.post(f"/orders/{order['order_id']}/refund", headers=headers(None)),
        client.post("/redemptions", json={"code": order["voucher"]["code"]}, headers=headers(None)),
    ]
    for attempt in attempts:
        response = await attempt
        assert_problem(response, 401, "unauthenticated")
        assert_reveals_nothing(response, order)
    placed = await client.post(
        "/orders", json={"deal_id": order["deal_id"], "quantity": 1}, headers=headers(None, **{"Idempotency-Key": "k"})
    )
    assert_problem(placed, 403, "forbidden")


async def test_staff_and_admins_cannot_place_orders(client, sold):
    for caller in (staff(sold["merchant"]["merchant_id"]), admin()):
        response = await client.post(
            "/orders", json={"deal_id": sold["deal"]["deal_id"], "quantity": 1},
            headers=headers(caller, **{"Idempotency-Key": "k"}),
        )
        assert_problem(response, 403, "forbidden")


async def test_a_request_without_the_internal_token_is_refused_everywhere(client, sold):
    order = sold["order"]
    buyer_headers = sold["buyer"].headers("not-the-token")
    attempts = [
        ("GET", f"/orders/{order['order_id']}", None),
        ("GET", "/orders", None),
        ("POST", "/orders", {"deal_id": order["deal_id"], "quantity": 1}),
        ("POST", f"/orders/{order['order_id']}/refund", None),
        ("POST", "/redemptions", {"code": order["voucher"]["code"]}),
        ("GET", "/merchants", None),
        ("GET", f"/deals/{order['deal_id']}", None),
    ]
    for method, path, body in attempts:
        for sent in (buyer_headers, {k: v for k, v in buyer_headers.items() if k != "X-Liveline-Internal-Token"}):
            response = await client.request(method, path, json=body, headers={**sent, "Idempotency-Key": "k"})
            assert_problem(response, 401, "internal-unauthenticated")
            assert_reveals_nothing(response, order)
    mine = await client.get(f"/orders/{order['order_id']}", headers=headers(sold["buyer"]))
    assert mine.json()["status"] == "paid"


async def test_an_unknown_role_is_refused(client):
    response = await client.get(
        "/orders",
        headers={"X-Liveline-Internal-Token": INTERNAL_TOKEN, "X-Liveline-Caller-Id": "x", "X-Liveline-Caller-Role": "root"},
    )
    assert_problem(response, 401, "internal-unauthenticated")


async def test_staff_manage_only_their_own_merchants_deals(client):
    mine = await new_merchant(client)
    theirs = await new_merchant(client)
    draft = await new_deal(client, theirs["merchant_id"], on_sale=False)
    me = staff(mine["merchant_id"])

    assert_problem(
        await client.post(f"/merchants/{theirs['merchant_id']}/deals", json=deal_body(), headers=headers(me)), 403, "forbidden"
    )
    # Another merchant's draft does not exist for me; an on-sale deal exists but is not mine to change.
    assert_problem(await client.get(f"/deals/{draft['deal_id']}", headers=headers(me)), 404, "deal-not-found")
    assert_problem(
        await client.patch(f"/deals/{draft['deal_id']}", json={"status": "on_sale"}, headers=headers(me)), 404, "deal-not-found"
    )
    on_sale = await new_deal(client, theirs["merchant_id"])
    assert_problem(
        await client.patch(f"/deals/{on_sale['deal_id']}", json={"status": "ended"}, headers=headers(me)), 403, "forbidden"
    )
    assert_problem(await client.get(f"/deals/{draft['deal_id']}", headers=headers(customer())), 404, "deal-not-found")
    assert_problem(await client.get(f"/deals/{draft['deal_id']}", headers=headers(None)), 404, "deal-not-found")
    assert (await client.get(f"/deals/{draft['deal_id']}", headers=headers(staff(theirs["merchant_id"])))).status_code == 200
