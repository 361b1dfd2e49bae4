"""Buying, reading, redeeming and refusing orders through the gateway's public API, with every
service a real process (the session's `services`)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from liveline_devstack.pytest_plugin import TEST_STATE
from liveline_devstack.processes import free_port
from liveline_devstack.services import ServiceProcess
from tests.api.support import (
    Account,
    assert_problem,
    buy,
    gateway_client,
    new_customer,
    new_deal_on_sale,
    new_merchant,
    new_staff,
)


@pytest.fixture
def deal(client, staff, merchant) -> dict:
    return new_deal_on_sale(client, staff, merchant["merchant_id"])


@pytest.fixture
def customer(client) -> Account:
    return new_customer(client)


@pytest.fixture
def paid_order(client, customer, deal) -> dict:
    response = buy(client, customer, deal["deal_id"])
    assert response.status_code == 201, response.text
    return response.json()


def test_a_customer_buys_a_deal_and_sees_the_order_with_its_voucher(client, customer, deal):
    key = uuid.uuid4().hex
    first = buy(client, customer, deal["deal_id"], key, quantity=2)
    assert first.status_code == 201, first.text
    order = first.json()
    assert (order["status"], order["quantity"], order["user_id"]) == ("paid", 2, customer.account_id)
    assert order["amount"] == {"amount_minor": 2 * 9900, "currency": "CNY"}
    assert order["voucher"]["code"].isdigit()

    # The Idempotency-Key reaches the order service: a retry answers the same order.
    retry = buy(client, customer, deal["deal_id"], key, quantity=2)
    assert retry.status_code == 201 and retry.json()["order_id"] == order["order_id"]
    assert retry.headers["Idempotent-Replayed"] == "true"

    listed = client.get("/v1/orders", headers=customer.headers)
    assert listed.status_code == 200
    assert [o["order_id"] for o in listed.json()["items"]] == [order["order_id"]]
    assert listed.json()["items"][0]["voucher"] == order["voucher"]
    assert client.get(f"/v1/orders/{order['order_id']}", headers=customer.headers).json() == order
    assert client.get(f"/v1/deals/{deal['deal_id']}").json()["sold"] == 2


def test_others_learn_nothing_about_an_order_or_its_voucher(client, admin, paid_order, customer):
    order_id, code = paid_order["order_id"], paid_order["voucher"]["code"]
    other_customer = new_customer(client)
    other_merchant = new_merchant(client, admin)
    other_staff = new_staff(client, admin, other_merchant["merchant_id"])
    secrets = (order_id, code, customer.account_id, paid_order["deal_id"])

    def refused(response, status: int, slug: str) -> None:
        body = assert_problem(response, status, slug)
        body.pop("instance", None)  # the path the caller asked for, nothing more
        assert not any(secret in str(body) for secret in secrets), body

    for caller in (other_customer, other_staff):
        refused(client.get(f"/v1/orders/{order_id}", headers=caller.headers), 404, "order-not-found")
        listed = client.get("/v1/orders", headers=caller.headers)
        assert listed.status_code == 200 and listed.json()["items"] == []
    refused(client.post(f"/v1/orders/{order_id}/refund", headers=other_customer.headers), 404, "order-not-found")
    refused(client.post(f"/v1/orders/{order_id}/refund", headers=other_staff.headers), 404, "order-not-found")
    refused(client.post("/v1/redemptions", json={"code": code}, headers=other_staff.headers),
            403, "voucher-of-another-merchant")
    refused(client.post("/v1/redemptions", json={"code": code}, headers=other_customer.headers), 403, "forbidden")

    refused(client.get(f"/v1/orders/{order_id}"), 401, "unauthenticated")
    refused(client.get("/v1/orders"), 401, "unauthenticated")
    refused(client.post(f"/v1/orders/{order_id}/refund"), 401, "unauthenticated")
    refused(client.post("/v1/redemptions", json={"code": code}), 401, "unauthenticated")
    anonymous_buy = client.post("/v1/orders", json={"deal_id": paid_order["deal_id"], "quantity": 1},
                                headers={"Idempotency-Key": uuid.uuid4().hex})
    assert_problem(anonymous_buy, 401, "unauthenticated")

    # None of that changed the order.
    assert client.get(f"/v1/orders/{order_id}", headers=customer.headers).json()["status"] == "paid"


def test_staff_redeem_a_voucher_once(client, staff, customer, paid_order):
    code = paid_order["voucher"]["code"]
    redeemed = client.post("/v1/redemptions", json={"code": code}, headers=staff.headers)
    assert redeemed.status_code == 200, redeemed.text
    assert redeemed.json()["status"] == "redeemed" and redeemed.json()["order_id"] == paid_order["order_id"]

    again = client.post("/v1/redemptions", json={"code": code}, headers=staff.headers)
    assert_problem(again, 409, "voucher-already-redeemed")
    seen_by_staff = client.get(f"/v1/orders/{paid_order['order_id']}", headers=staff.headers)
    assert seen_by_staff.status_code == 200 and seen_by_staff.json()["status"] == "redeemed"
    assert_problem(client.post(f"/v1/orders/{paid_order['order_id']}/refund", headers=customer.headers),
                   409, "order-not-refundable")


def test_a_buyer_refunds_an_order_once(client, customer, paid_order):
    refunded = client.post(f"/v1/orders/{paid_order['order_id']}/refund", headers=customer.headers)
    assert refunded.status_code == 200 and refunded.json()["status"] == "refunded"
    again = client.post(f"/v1/orders/{paid_order['order_id']}/refund", headers=customer.headers)
    assert_problem(again, 409, "order-not-refundable")


def test_bad_input_through_the_gateway_is_a_problem_and_buys_nothing(client, customer, deal, staff):
    deal_id = deal["deal_id"]
    orders = customer.headers
    keyed = {**orders, "Idempotency-Key": uuid.uuid4().hex}
    assert_problem(client.post("/v1/orders", json={"deal_id": deal_id, "quantity": 1}, headers=orders),
                   422, "invalid-request")  # no Idempotency-Key
    assert_problem(client.post("/v1/orders", json={"deal_id": deal_id, "quantity": 0}, headers=keyed),
                   422, "invalid-request")
    assert_problem(client.post("/v1/orders", json={"deal_id": deal_id, "quantity": 1, "price": 1}, headers=keyed),
                   422, "invalid-request")
    assert_problem(client.post("/v1/orders", content=b"{not json", headers={**keyed, "Content-Type": "application/json"}),
                   422, "invalid-request")
    assert_problem(client.post("/v1/orders", json={"deal_id": "no-such-deal", "quantity": 1}, headers=keyed),
                   404, "deal-not-found")
    assert_problem(client.post("/v1/orders", json={"deal_id": deal_id, "quantity": 1},
                               headers={**orders, "Idempotency-Key": "k" * 201}), 422, "invalid-request")
    assert_problem(client.post("/v1/orders", json={"deal_id": deal_id, "quantity": 1, "pad": "x" * 70_000},
                               headers=keyed), 413, "payload-too-large")
    # Ids are what liveline issues; anything else never reaches another internal route.
    assert_problem(client.get("/v1/orders/a.b", headers=orders), 422, "invalid-request")
    assert_problem(client.get("/v1/orders/..%2Fdeals", headers=orders), 404, "not-found")
    assert_problem(client.get("/v1/deals", params={"limit": 0}), 422, "invalid-request")
    assert_problem(client.get("/v1/deals", headers={"Authorization": "Bearer forged"}), 401, "invalid-token")
    cheaper_than_free = {"price": {"amount_minor": -1, "currency": "CNY"}}
    assert_problem(client.patch(f"/v1/deals/{deal_id}", json=cheaper_than_free, headers=staff.headers),
                   422, "invalid-request")
    # A quantity over the per-buyer limit is refused by the order service, unchanged.
    assert_problem(client.post("/v1/orders", json={"deal_id": deal_id, "quantity": 6}, headers=keyed),
                   409, "per-user-limit-reached")

    assert client.get("/v1/orders", headers=orders).json()["items"] == []
    assert client.get(f"/v1/deals/{deal_id}").json()["sold"] == 0


@pytest.fixture
def gateway_without_order_service(stack_endpoints) -> Iterator[ServiceProcess]:
    nothing_listens = f"http://127.0.0.1:{free_port()}"
    process = ServiceProcess(
        "gateway", stack_endpoints, TEST_STATE / "gateway-alone", environment="test",
        extra_env={"LIVELINE_GATEWAY_ORDER_URL": nothing_listens, "LIVELINE_GATEWAY_ORDER_ATTEMPTS": "2"},
    )
    process.start()
    try:
        process.wait_ready(timeout=60)
        yield process
    finally:
        process.stop()


def test_a_down_order_service_is_a_503_problem(gateway_without_order_service):
    with gateway_client(gateway_without_order_service) as client:
        body = assert_problem(client.get("/v1/deals"), 503, "upstream-unavailable")
        assert "127.0.0.1" not in str(body)
        customer = new_customer(client)  # accounts work without the order service
        response = client.post("/v1/orders", json={"deal_id": "d1", "quantity": 1},
                               headers={**customer.headers, "Idempotency-Key": "k1"})
        assert_problem(response, 503, "upstream-unavailable")
        assert response.headers["Retry-After"] == "1"
