"""Joining the line from a push: a buyer whose chosen slot is near gets a ticket for a party of
the voucher's size, marked remote on the host stand's waitlist; hears "you are N-th" as the
staff work the line and "it's your turn" when called; cancels. Outside the lead window, for a
redeemed or refunded order, or for anyone but the buyer it is refused and nothing changes;
redemption seats a party still in line and a refund cancels it; a notifier killed right after a
change tells the new place once, after its restart. Real orders from the order service, slot
choices and redemptions over Kafka."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from liveline_devstack.pytest_plugin import database
from liveline_shared.callers import Caller
from tests.callers import customer, staff
from tests.queue_support import (
    INTERNAL_TOKEN, act, add, headers, inbox, paid_order, slot_chosen, slot_window, wait_for,
)
from tests.random_refs import database_name, suffix
from tests.service_tests import assert_problem, new_merchant, publish

LEAD_S = 30


async def _merchant(client, order_client) -> tuple[str, Caller]:
    merchant_id = await new_merchant(order_client, INTERNAL_TOKEN)
    host = staff(merchant_id)
    # A short lead, as in the scaled example; a long cadence keeps the slot's own queue updates few.
    policy = await client.put(f"/merchants/{merchant_id}/push-policy", headers=headers(host),
                              json={"lead_seconds": LEAD_S, "cadence_seconds": 3600})
    assert policy.status_code == 200, policy.text
    return merchant_id, host


async def _choose(producer, db, merchant_id: str, buyer: Caller, order_id: str, starts_in: timedelta,
                  period: str) -> None:
    """The buyer chooses a slot starting `starts_in` from now; waits until the notifier has it."""
    now = datetime.now(UTC).replace(microsecond=0)
    slot = slot_window(merchant_id, now + starts_in, now + starts_in + timedelta(minutes=5), period)
    await publish(producer, slot_chosen(merchant_id, buyer, slot, order_id=order_id))

    async def subscribed() -> bool:
        return bool(((await db.push_orders.find_one({"_id": order_id})) or {}).get("slots"))

    await wait_for(subscribed, deadline_s=30, what="the slot choice")


def _ticket_path(order_id: str) -> str:
    return f"/orders/{order_id}/queue-ticket"


async def _waitlist(client, merchant_id: str, host: Caller) -> dict:
    response = await client.get(f"/merchants/{merchant_id}/waitlist", headers=headers(host))
    assert response.status_code == 200, response.text
    return response.json()


async def _told(client, buyer: Caller, order_id: str) -> list[tuple[str, int]]:
    """What the buyer was told about their ticket, oldest first: (subject, position)."""
    notes = (await inbox(client, buyer, limit=100))["notifications"]
    return [(n["subject"], n["position"]) for n in reversed(notes)
            if n["order_id"] == order_id and n["subject"] in ("queue_position", "queue_called")]


async def _told_until(client, buyer: Caller, order_id: str, expected: list[tuple[str, int]],
                      deadline_s: float = 15) -> None:
    async def check() -> bool:
        return await _told(client, buyer, order_id) == expected

    try:
        await wait_for(check, deadline_s=deadline_s, what=f"{expected}")
    except AssertionError:
        raise AssertionError(f"told {await _told(client, buyer, order_id)}, expected {expected}") from None


async def test_a_buyer_near_their_slot_joins_hears_each_place_until_called_and_cancels(
    client, order_client, producer, db
):
    merchant_id, host = await _merchant(client, order_client)
    buyer = customer()
    order = await paid_order(order_client, merchant_id, buyer, quantity=2)
    order_id = order["order_id"]
    await _choose(producer, db, merchant_id, buyer, order_id, timedelta(seconds=LEAD_S // 2), "join")
    walk_ins = [(await add(client, merchant_id, host, size)).json()["party_id"] for size in (2, 6, 1)]

    joined = await client.post(_ticket_path(order_id), headers=headers(buyer))
    assert joined.status_code == 201, joined.text
    ticket = joined.json()
    # Behind A001 and A002; the party of 6 waits for another table.
    assert {k: v for k, v in ticket.items() if k != "party_id"} == {
        "order_id": order_id, "merchant_id": merchant_id, "ticket": "A003", "size": 2, "position": 3, "status": "waiting"}
    again = await client.post(_ticket_path(order_id), headers=headers(buyer))
    assert again.status_code == 200 and again.json() == ticket  # a repeat answers the same ticket
    parties = (await _waitlist(client, merchant_id, host))["parties"]
    assert [(p["ticket"], p["remote"]) for p in parties] == [("A001", False), ("C001", False), ("A002", False), ("A003", True)]
    assert parties[-1]["party_id"] == ticket["party_id"] and parties[-1]["phone"] is None
    await _told_until(client, buyer, order_id, [("queue_position", 3)])

    assert (await act(client, merchant_id, host, walk_ins[0], "seat")).status_code == 200
    await _told_until(client, buyer, order_id, [("queue_position", 3), ("queue_position", 2)])
    assert (await add(client, merchant_id, host, 2)).status_code == 201  # joins behind: nothing to tell
    assert (await act(client, merchant_id, host, walk_ins[2], "call")).status_code == 200  # A002 is being seated
    await _told_until(client, buyer, order_id, [("queue_position", 3), ("queue_position", 2), ("queue_position", 1)])
    assert (await client.get(_ticket_path(order_id), headers=headers(buyer))).json()["position"] == 1

    assert (await act(client, merchant_id, host, ticket["party_id"], "call")).status_code == 200
    await _told_until(client, buyer, order_id, [("queue_position", 3), ("queue_position", 2), ("queue_position", 1),
                                                ("queue_called", 0)])
    called = (await client.get(_ticket_path(order_id), headers=headers(buyer))).json()
    assert (called["status"], called["position"], called["ticket"]) == ("called", 0, "A003")
    notes = (await inbox(client, buyer))["notifications"]
    assert notes[0]["link_path"] == _ticket_path(order_id) and notes[0]["ticket"] == "A003"

    for _ in range(2):  # cancelling again is harmless
        cancelled = await client.delete(_ticket_path(order_id), headers=headers(buyer))
        assert cancelled.status_code == 200, cancelled.text
        assert (cancelled.json()["status"], cancelled.json()["ticket"]) == ("cancelled", "A003")
    assert (await client.get(_ticket_path(order_id), headers=headers(buyer))).json()["status"] == "cancelled"
    assert ticket["party_id"] not in [p["party_id"] for p in (await _waitlist(client, merchant_id, host))["parties"]]
    rejoin = await client.post(_ticket_path(order_id), headers=headers(buyer))
    assert rejoin.status_code == 200 and rejoin.json()["status"] == "cancelled"  # one ticket per order
    assert len(await _told(client, buyer, order_id)) == 4


async def test_joining_is_refused_outside_the_lead_window_for_closed_orders_and_for_anyone_else_changing_nothing(
    client, order_client, producer, db
):
    merchant_id, host = await _merchant(client, order_client)
    assert (await add(client, merchant_id, host, 2)).status_code == 201
    buyer = customer()
    far, unchosen, redeemed, refunded, near = [await paid_order(order_client, merchant_id, buyer) for _ in range(5)]
    await _choose(producer, db, merchant_id, buyer, far["order_id"], timedelta(hours=2), "far")
    for order in (redeemed, refunded, near):
        await _choose(producer, db, merchant_id, buyer, order["order_id"], timedelta(seconds=5), "near")
    redeem = await order_client.post("/redemptions", json={"code": redeemed["voucher"]["code"]}, headers=headers(host))
    assert redeem.status_code == 200, redeem.text
    refund = await order_client.post(f"/orders/{refunded['order_id']}/refund", headers=headers(buyer))
    assert refund.status_code == 200, refund.text
    before = await _waitlist(client, merchant_id, host)

    def join(order: dict, caller: Caller | None = buyer):
        return client.post(_ticket_path(order["order_id"]), headers=headers(caller))

    assert "lead time" in assert_problem(await join(far), 409, "outside-lead-window")["detail"]
    assert assert_problem(await join(unchosen), 409, "outside-lead-window")["detail"] == \
        "no visit time is chosen for this order yet"
    assert assert_problem(await join(redeemed), 409, "order-closed")["detail"] == "the order is redeemed"
    assert_problem(await join(refunded), 409, "order-closed")
    for stranger in (customer(), host, staff("another-merchant")):
        assert_problem(await join(near, stranger), 404, "order-not-found")
        assert_problem(await client.get(_ticket_path(near["order_id"]), headers=headers(stranger)), 404, "ticket-not-found")
        assert_problem(await client.delete(_ticket_path(near["order_id"]), headers=headers(stranger)), 404,
                       "ticket-not-found")
    assert (await join(near, None)).status_code == 401
    for bad in ("no-such-order", "%20", "x" * 300):
        assert_problem(await client.post(_ticket_path(bad), headers=headers(buyer)), 404, "order-not-found")
        assert_problem(await client.get(_ticket_path(bad), headers=headers(buyer)), 404, "ticket-not-found")
    assert_problem(await client.get(_ticket_path(near["order_id"]), headers=headers(buyer)), 404, "ticket-not-found")

    after = await _waitlist(client, merchant_id, host)
    assert [p["party_id"] for p in after["parties"]] == [p["party_id"] for p in before["parties"]]
    assert after["waiting_people"] == before["waiting_people"]


async def test_redemption_seats_a_party_still_in_line_and_a_refund_cancels_one(client, order_client, producer, db):
    merchant_id, host = await _merchant(client, order_client)
    buyer = customer()
    redeemed, refunded = [await paid_order(order_client, merchant_id, buyer, quantity=3) for _ in range(2)]
    for order in (redeemed, refunded):
        await _choose(producer, db, merchant_id, buyer, order["order_id"], timedelta(seconds=5), "close")
        joined = await client.post(_ticket_path(order["order_id"]), headers=headers(buyer))
        assert joined.status_code == 201 and joined.json()["size"] == 3, joined.text
    assert (await order_client.post("/redemptions", json={"code": redeemed["voucher"]["code"]},
                                    headers=headers(host))).status_code == 200
    assert (await order_client.post(f"/orders/{refunded['order_id']}/refund", headers=headers(buyer))).status_code == 200

    async def status(order: dict) -> str:
        return (await client.get(_ticket_path(order["order_id"]), headers=headers(buyer))).json()["status"]

    await wait_for(lambda: _is(status(redeemed), "seated"), deadline_s=30, what="the redeemed order's party seated")
    await wait_for(lambda: _is(status(refunded), "cancelled"), deadline_s=30, what="the refunded order's party cancelled")
    waitlist = await _waitlist(client, merchant_id, host)
    assert waitlist["parties"] == [] and waitlist["estimate"]["basis"] == 1  # the seating joined the history


async def _is(answer, expected: str) -> bool:
    return await answer == expected


@pytest.mark.slow
async def test_a_notifier_killed_right_after_a_change_tells_the_new_place_once_after_restart(
    another_queue_process, order_client, producer, stack_endpoints
):
    name, prefix = database_name("join_kill"), f"test-{suffix()}-"
    merchant_id = await new_merchant(order_client, INTERNAL_TOKEN)
    host, buyer = staff(merchant_id), customer()
    order = await paid_order(order_client, merchant_id, buyer, quantity=2)
    first = another_queue_process(name, "join-kill-first", prefix)
    async with database(stack_endpoints, name) as db:
        with first.running():
            async with httpx.AsyncClient(base_url=first.url, timeout=30) as http:
                await _choose(producer, db, merchant_id, buyer, order["order_id"], timedelta(seconds=5), "kill")
                walk_in = (await add(http, merchant_id, host, 2)).json()["party_id"]
                assert (await add(http, merchant_id, host, 1)).status_code == 201
                joined = await http.post(_ticket_path(order["order_id"]), headers=headers(buyer))
                assert joined.status_code == 201 and joined.json()["position"] == 3, joined.text
                await _told_until(http, buyer, order["order_id"], [("queue_position", 3)])
                assert (await act(http, merchant_id, host, walk_in, "seat")).status_code == 200
            first.process.kill()  # -9 at once: the seat's tick may not be published or consumed yet

    restarted = another_queue_process(name, "join-kill-restarted", prefix)
    with restarted.running():
        async with httpx.AsyncClient(base_url=restarted.url, timeout=30) as http:
            await _told_until(http, buyer, order["order_id"], [("queue_position", 3), ("queue_position", 2)],
                              deadline_s=60)
            ticket = (await http.get(_ticket_path(order["order_id"]), headers=headers(buyer))).json()
    assert (ticket["status"], ticket["position"]) == ("waiting", 2)
