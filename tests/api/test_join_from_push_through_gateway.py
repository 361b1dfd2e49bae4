"""Joining the line from a push through the gateway, every service a real process: a buyer whose
chosen slot is inside the lead window joins with a party of the voucher's size, hears where they
stand and that they are called in their inbox, and cancels; the staff see the party as remote;
nobody else joins with or reads the order's ticket; bad ids are refused."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import httpx

from tests.api.support import Account, assert_problem, buy, new_customer, new_deal_on_sale

T = TypeVar("T")


def wait_for(check: Callable[[], T | None], *, deadline_s: float, what: str) -> T:
    deadline = time.monotonic() + deadline_s
    while not (answer := check()):
        assert time.monotonic() < deadline, f"no {what} after {deadline_s}s"
        time.sleep(0.1)
    return answer


def told(client: httpx.Client, buyer: Account, order_id: str) -> list[tuple[str, int]]:
    notes = client.get("/v1/me/notifications", params={"limit": 100}, headers=buyer.headers).json()["notifications"]
    return [(n["subject"], n["position"]) for n in reversed(notes)
            if n["order_id"] == order_id and n["subject"] in ("queue_position", "queue_called")]


def test_a_buyer_joins_the_line_from_a_push_hears_their_place_and_the_call_and_cancels(client, staff, merchant):
    merchant_id = merchant["merchant_id"]
    # Every chosen slot is inside a week's lead window; an hour's cadence keeps the queue updates few.
    policy = {"lead_seconds": 7 * 24 * 3600, "cadence_seconds": 3600}
    assert client.put(f"/v1/merchants/{merchant_id}/push-policy", json=policy, headers=staff.headers).status_code == 200
    deal = new_deal_on_sale(client, staff, merchant_id)
    buyer, stranger = new_customer(client), new_customer(client)
    order_id = buy(client, buyer, deal["deal_id"], quantity=3).json()["order_id"]
    path = f"/v1/orders/{order_id}/queue-ticket"
    offer = wait_for(lambda: (r := client.get(f"/v1/orders/{order_id}/offer", headers=buyer.headers)).status_code == 200
                     and r.json(), deadline_s=30, what="the offer")
    assert_problem(client.post(path, headers=buyer.headers), 409, "outside-lead-window")  # no slot chosen yet
    chosen = client.put(f"/v1/orders/{order_id}/choice", headers=buyer.headers,
                        json={"offer_id": offer["offer_id"], "slot_ids": [offer["slots"][0]["slot_id"]]})
    assert chosen.status_code == 200, chosen.text

    joined = wait_for(lambda: (r := client.post(path, headers=buyer.headers)).status_code == 201 and r,
                      deadline_s=30, what="the join (once the notifier has the choice)")
    ticket = joined.json()
    assert (ticket["ticket"], ticket["size"], ticket["position"], ticket["status"]) == ("B001", 3, 1, "waiting")
    assert client.post(path, headers=buyer.headers).json() == ticket
    party = next(p for p in client.get(f"/v1/merchants/{merchant_id}/waitlist", headers=staff.headers).json()["parties"]
                 if p["party_id"] == ticket["party_id"])
    assert party["remote"] and party["ticket"] == "B001"
    wait_for(lambda: told(client, buyer, order_id) == [("queue_position", 1)], deadline_s=15, what="'you are 1st'")

    called = client.post(f"/v1/merchants/{merchant_id}/waitlist/{ticket['party_id']}/call", headers=staff.headers)
    assert called.status_code == 200, called.text
    wait_for(lambda: told(client, buyer, order_id) == [("queue_position", 1), ("queue_called", 0)], deadline_s=15,
             what="'it is your turn'")
    assert client.get(path, headers=buyer.headers).json()["status"] == "called"

    assert_problem(client.post(path, headers=stranger.headers), 404, "order-not-found")
    assert_problem(client.get(path, headers=stranger.headers), 404, "ticket-not-found")
    assert_problem(client.delete(path, headers=staff.headers), 404, "ticket-not-found")
    assert_problem(client.post("/v1/orders/bad%20id/queue-ticket", headers=buyer.headers), 422, "invalid-request")
    assert_problem(client.get(path), 401, "unauthenticated")
    cancelled = client.delete(path, headers=buyer.headers)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert client.get(path, headers=buyer.headers).json()["status"] == "cancelled"
