"""Queue pushes through the gateway with every service a real process: the merchant's staff set
the push policy; a buyer who chose a slot gets queue updates in their inbox (paginated, unread
count, mark read), can mute them for an order; redemption stops them and asks for a video,
a refund stops them; nobody reads or mutes another's; bad input changes nothing."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeVar

import httpx
import pytest

from tests.api.support import Account, assert_problem, buy, new_customer, new_deal_on_sale

T = TypeVar("T")
FAST = {"lead_seconds": 7 * 24 * 3600, "cadence_seconds": 2}  # every chosen slot is inside the lead window


def wait_for(check: Callable[[], T | None], *, deadline_s: float, what: str) -> T:
    deadline = time.monotonic() + deadline_s
    while not (answer := check()):
        assert time.monotonic() < deadline, f"no {what} after {deadline_s}s"
        time.sleep(0.1)
    return answer


def notes(client: httpx.Client, buyer: Account, **params: object) -> dict:
    response = client.get("/v1/me/notifications", params=params, headers=buyer.headers)
    assert response.status_code == 200, response.text
    return response.json()


def pushes_of(client: httpx.Client, buyer: Account, order_id: str, subject: str = "queue_update") -> list[dict]:
    return [n for n in notes(client, buyer, limit=100)["notifications"] if n["order_id"] == order_id and n["subject"] == subject]


def chosen_order(client: httpx.Client, buyer: Account, deal_id: str) -> str:
    order = buy(client, buyer, deal_id).json()
    offer = wait_for(lambda: (r := client.get(f"/v1/orders/{order['order_id']}/offer", headers=buyer.headers)).status_code
                     == 200 and r.json(), deadline_s=30, what="offer")
    chosen = client.put(f"/v1/orders/{order['order_id']}/choice", headers=buyer.headers,
                        json={"offer_id": offer["offer_id"], "slot_ids": [offer["slots"][0]["slot_id"]]})
    assert chosen.status_code == 200, chosen.text
    return order["order_id"]


@pytest.fixture
def deal(client, staff, merchant) -> dict:
    return new_deal_on_sale(client, staff, merchant["merchant_id"])


def test_the_push_policy_is_set_by_the_merchants_staff_only_and_validated(client, staff, merchant):
    path = f"/v1/merchants/{merchant['merchant_id']}/push-policy"
    assert client.get(path, headers=staff.headers).json() == {"merchant_id": merchant["merchant_id"], "lead_seconds": 1800,
                                                              "cadence_seconds": 3600}
    assert client.put(path, json={"lead_seconds": 600, "cadence_seconds": 120}, headers=staff.headers).status_code == 200
    for bad in ({"lead_seconds": 0, "cadence_seconds": 60}, {"lead_seconds": 60, "cadence_seconds": 1},
                {"lead_seconds": 60}, {"lead_seconds": 60, "cadence_seconds": 60, "extra": 1},
                {"lead_seconds": "soon", "cadence_seconds": 60}, {"lead_seconds": 8 * 24 * 3600, "cadence_seconds": 60}):
        assert_problem(client.put(path, json=bad, headers=staff.headers), 422, "invalid-request")
    customer = new_customer(client)
    assert_problem(client.put(path, json=FAST, headers=customer.headers), 403, "forbidden")
    assert_problem(client.get(path, headers=customer.headers), 403, "forbidden")
    assert_problem(client.put(path, json=FAST), 401, "unauthenticated")
    assert_problem(client.get("/v1/merchants/bad%20id/push-policy", headers=staff.headers), 422, "invalid-request")
    assert client.get(path, headers=staff.headers).json()["cadence_seconds"] == 120


def test_a_buyers_inbox_gets_queue_pushes_until_redemption_then_the_video_prompt(client, staff, merchant, deal):
    assert client.put(f"/v1/merchants/{merchant['merchant_id']}/push-policy", json=FAST, headers=staff.headers).status_code == 200
    buyer, stranger = new_customer(client), new_customer(client)
    redeemed, refunded = chosen_order(client, buyer, deal["deal_id"]), chosen_order(client, buyer, deal["deal_id"])
    wait_for(lambda: len(pushes_of(client, buyer, redeemed)) >= 2 and len(pushes_of(client, buyer, refunded)) >= 2,
             deadline_s=30, what="two pushes per order")

    inbox = notes(client, buyer, limit=2)
    newest = inbox["notifications"]
    assert len(newest) == 2 and inbox["unread"] >= 4 and inbox["next_before"] == newest[1]["notification_id"]
    assert newest[0]["queue"]["moment"] >= newest[1]["queue"]["moment"]
    queue = newest[0]["queue"]
    assert queue["merchant_id"] == merchant["merchant_id"] and queue["waiting_parties"] >= 0 and not queue["stale"]
    following = notes(client, buyer, limit=2, before=inbox["next_before"])["notifications"]
    assert following and following[0]["notification_id"] not in {n["notification_id"] for n in newest}

    # Nobody else reads, marks or mutes them; bad input is refused and changes nothing.
    assert notes(client, stranger)["notifications"] == []
    target = newest[0]["notification_id"]
    assert_problem(client.post(f"/v1/me/notifications/{target}/read", headers=stranger.headers), 404, "notification-not-found")
    assert_problem(client.put(f"/v1/orders/{redeemed}/push-mute", json={"muted": True}, headers=stranger.headers), 404,
                   "order-not-found")
    for params in ({"limit": 0}, {"limit": 101}, {"limit": "many"}, {"before": "not a cursor!"}):
        assert_problem(client.get("/v1/me/notifications", params=params, headers=buyer.headers), 422, "invalid-request")
    # A cursor naming nothing in the caller's inbox (here: made up) is past its end.
    assert notes(client, buyer, before="no-such-entry") | {"unread": 0, "total": 0} == {
        "notifications": [], "unread": 0, "total": 0, "next_before": None}
    assert_problem(client.post("/v1/me/notifications/bad%20id/read", headers=buyer.headers), 422, "invalid-request")
    assert_problem(client.put(f"/v1/orders/{redeemed}/push-mute", json={"muted": "yes"}, headers=buyer.headers), 422,
                   "invalid-request")
    assert_problem(client.get("/v1/me/notifications"), 401, "unauthenticated")
    assert_problem(client.get("/v1/me/notifications", headers=staff.headers), 403, "forbidden")
    assert next(n for n in notes(client, buyer, limit=100)["notifications"] if n["notification_id"] == target)["read"] is False

    unread = notes(client, buyer)["unread"]
    assert client.post(f"/v1/me/notifications/{target}/read", headers=buyer.headers).status_code == 204
    assert client.post(f"/v1/me/notifications/{target}/read", headers=buyer.headers).status_code == 204
    after = notes(client, buyer, limit=100)
    assert after["unread"] >= unread - 1 and next(n for n in after["notifications"] if n["notification_id"] == target)["read"]

    # Redemption: the pushes stop and the video prompt arrives with the upload screen's path.
    code = client.get(f"/v1/orders/{redeemed}", headers=buyer.headers).json()["voucher"]["code"]
    assert client.post("/v1/redemptions", json={"code": code}, headers=staff.headers).status_code == 200
    prompt = wait_for(lambda: pushes_of(client, buyer, redeemed, "video_prompt"), deadline_s=30, what="the video prompt")
    assert len(prompt) == 1 and prompt[0]["link_path"] == f"/orders/{redeemed}/video"
    assert _stopped(client, buyer, redeemed)
    since = datetime.fromisoformat(prompt[0]["created_at"]) + timedelta(seconds=1)
    assert [p for p in pushes_of(client, buyer, redeemed) if datetime.fromisoformat(p["created_at"]) > since] == []

    # A refund stops them too, with no prompt.
    assert client.post(f"/v1/orders/{refunded}/refund", headers=buyer.headers).status_code == 200
    wait_for(lambda: _stopped(client, buyer, refunded), deadline_s=30, what="the refund to stop pushes")
    assert pushes_of(client, buyer, refunded, "video_prompt") == []


def _stopped(client: httpx.Client, buyer: Account, order_id: str) -> bool:
    """No new queue update for the order over 4 s (more than one cadence)."""
    before = len(pushes_of(client, buyer, order_id))
    deadline = time.monotonic() + 4
    wait_for(lambda: time.monotonic() > deadline, deadline_s=6, what="4 s")
    return len(pushes_of(client, buyer, order_id)) == before


def test_a_buyer_mutes_and_unmutes_the_pushes_of_an_order(client, staff, merchant, deal):
    assert client.put(f"/v1/merchants/{merchant['merchant_id']}/push-policy", json=FAST, headers=staff.headers).status_code == 200
    buyer = new_customer(client)
    order_id = chosen_order(client, buyer, deal["deal_id"])
    wait_for(lambda: pushes_of(client, buyer, order_id), deadline_s=30, what="a push")
    muted = client.put(f"/v1/orders/{order_id}/push-mute", json={"muted": True}, headers=buyer.headers)
    assert muted.status_code == 200 and muted.json() == {"order_id": order_id, "muted": True}
    wait_for(lambda: _stopped(client, buyer, order_id), deadline_s=20, what="muted pushes to stop")
    count = len(pushes_of(client, buyer, order_id))
    assert client.put(f"/v1/orders/{order_id}/push-mute", json={"muted": False}, headers=buyer.headers).json()["muted"] is False
    wait_for(lambda: len(pushes_of(client, buyer, order_id)) > count, deadline_s=10, what="pushes again")
    assert_problem(client.put("/v1/orders/no-such-order/push-mute", json={"muted": True}, headers=buyer.headers), 404,
                   "order-not-found")
