"""What the order service refuses reaches the client as the gateway's public problem documents,
and one correlation id follows a request through both services' logs."""

from __future__ import annotations

import json
import time
import uuid

import pytest

from liveline_devstack.demo import deal_body
from tests.api.support import assert_problem, buy, new_customer, new_deal_on_sale
from tests.random_refs import suffix


def test_a_relayed_problem_names_the_public_path_not_the_order_services(client, staff):
    redeemed = client.post("/v1/redemptions", json={"code": "000000000000"}, headers=staff.headers)
    assert assert_problem(redeemed, 404, "voucher-not-found")["instance"] == "/v1/redemptions"
    order_id = uuid.uuid4().hex
    missing = client.get(f"/v1/orders/{order_id}", headers=staff.headers)
    assert assert_problem(missing, 404, "order-not-found")["instance"] == f"/v1/orders/{order_id}"
    refund = client.post(f"/v1/orders/{order_id}/refund", headers=staff.headers)
    assert assert_problem(refund, 404)["instance"] == f"/v1/orders/{order_id}/refund"


@pytest.mark.parametrize(
    "change",
    [
        # What a conformance run sent to a draft, which the order service answered with a crash.
        {"original_price": None, "sale_starts_at": "0080-03-10T02:03:00Z", "title": "Hotpot"},
        {"original_price": None},
        {"sale_ends_at": "0080-03-10T02:03:00Z"},
    ],
)
def test_a_draft_change_to_null_or_year_80_is_a_422_problem_and_changes_nothing(client, staff, merchant, change):
    body = deal_body(f"Deal {suffix()}", 9900, 19800, 10)
    created = client.post(f"/v1/merchants/{merchant['merchant_id']}/deals", json=body, headers=staff.headers)
    assert created.status_code == 201, created.text
    draft = created.json()
    response = client.patch(f"/v1/deals/{draft['deal_id']}", json=change, headers=staff.headers)
    body = assert_problem(response, 422, "invalid-request")
    assert body["instance"] == f"/v1/deals/{draft['deal_id']}"
    assert {e["location"] for e in body["errors"]} >= {f"body.{name}" for name in change if name != "title"}
    after = client.get(f"/v1/deals/{draft['deal_id']}", headers=staff.headers).json()
    assert (after["original_price"], after["sale_starts_at"]) == (draft["original_price"], draft["sale_starts_at"])


def test_a_requests_correlation_id_reaches_the_order_services_log(client, services, staff, merchant):
    deal = new_deal_on_sale(client, staff, merchant["merchant_id"])
    customer = new_customer(client)
    correlation_id = f"checkout-{suffix()}"
    client.headers["X-Correlation-Id"] = correlation_id
    bought = buy(client, customer, deal["deal_id"])
    assert bought.status_code == 201, bought.text
    assert bought.headers["X-Correlation-Id"] == correlation_id

    order_log = services["order"].process.log_path
    deadline = time.monotonic() + 10
    while True:
        lines = [json.loads(line) for line in order_log.read_text().splitlines() if correlation_id in line]
        paid = [line for line in lines if line.get("event") == "order_paid"]
        if paid:
            break
        assert time.monotonic() < deadline, f"no order_paid line with {correlation_id} in {order_log}"
        time.sleep(0.1)
    assert paid[0]["correlation_id"] == correlation_id and paid[0]["order_id"] == bought.json()["order_id"]

