"""The host-stand waitlist on the real service: tickets, calls, seating, the live state anyone
reads, refusals that change nothing, and two devices at once."""

from __future__ import annotations

import asyncio
from collections import Counter

from liveline_shared.callers import Caller
from tests.callers import customer, staff
from tests.queue_support import INTERNAL_TOKEN, act, add, headers
from tests.service_tests import assert_problem, new_merchant


async def test_a_host_adds_calls_and_seats_parties_and_anyone_sees_the_counts_without_names(client, order_client, db):
    merchant_id = await new_merchant(order_client, INTERNAL_TOKEN)
    host = staff(merchant_id)
    sizes = [2, 4, 6, 1]
    parties = []
    for size in sizes:
        response = await add(client, merchant_id, host, size, name=f"Guest of {size}", phone="+8613800138000")
        assert response.status_code == 201, response.text
        parties.append(response.json())
    assert [p["ticket"] for p in parties] == ["A001", "B001", "C001", "A002"]

    public = (await client.get(f"/merchants/{merchant_id}/queue", headers=headers(None))).json()
    assert (public["waiting_parties"], public["waiting_people"], public["source"]) == (4, 13, "waitlist")
    assert {b["band"]: (b["parties"], b["people"]) for b in public["bands"]} == {"1-2": (2, 3), "3-4": (1, 4), "5+": (1, 6)}
    assert "Guest" not in str(public) and "+86" not in str(public)
    assert 0 <= public["estimate"]["low_minutes"] <= public["estimate"]["high_minutes"]

    first = parties[0]["party_id"]
    called = await act(client, merchant_id, host, first, "call")
    assert called.status_code == 200 and called.json()["calling"] == "A001"
    seated = await act(client, merchant_id, host, first, "seat")
    assert seated.status_code == 200 and seated.json()["waiting_parties"] == 3
    assert (await act(client, merchant_id, host, parties[1]["party_id"], "no-show")).json()["waiting_parties"] == 2
    left = (await act(client, merchant_id, host, parties[2]["party_id"], "cancel")).json()
    assert [p["ticket"] for p in left["parties"]] == ["A002"] and left["parties"][0]["name"] == "Guest of 1"
    # Names and phones are kept only while the party waits.
    document = await db.live_queues.find_one({"_id": merchant_id})
    assert "Guest of 2" not in str(document) and str(document).count("+8613800138000") == 1


async def test_bad_input_and_callers_who_may_not_run_the_waitlist_are_refused_and_nothing_changes(client, order_client, db):
    merchant_id = await new_merchant(order_client, INTERNAL_TOKEN)
    host = staff(merchant_id)
    party = (await add(client, merchant_id, host, 2)).json()
    assert (await act(client, merchant_id, host, party["party_id"], "seat")).status_code == 200
    before = await db.live_queues.find_one({"_id": merchant_id})

    for size in (0, -1, 21, 1000):
        assert_problem(await add(client, merchant_id, host, size), 422, "invalid-request")
    assert_problem(await add(client, merchant_id, host, 2, phone="not a phone"), 422, "invalid-request")
    assert_problem(await act(client, merchant_id, host, "no-such-party", "call"), 404, "party-not-found")
    already = await act(client, merchant_id, host, party["party_id"], "seat")
    assert assert_problem(already, 409, "party-already-left")["detail"] == "party A001 was already seated"
    assert_problem(await act(client, merchant_id, host, party["party_id"], "dance"), 422, "invalid-request")
    for stranger in (staff("another-merchant"), customer(), Caller(account_id="x", role="staff")):
        assert_problem(await add(client, merchant_id, stranger, 2), 403, "forbidden")
        assert_problem(await client.get(f"/merchants/{merchant_id}/waitlist", headers=headers(stranger)), 403, "forbidden")
    assert_problem(await client.post(f"/merchants/{merchant_id}/waitlist", json={"size": 2}, headers=headers(None)), 401,
                   "unauthenticated")
    assert_problem(await client.get("/merchants/no-such-merchant/queue", headers=headers(None)), 404, "merchant-not-found")
    after = await db.live_queues.find_one({"_id": merchant_id})
    assert after["version"] == before["version"] and after["parties"] == before["parties"]


async def test_two_devices_at_once_never_give_a_ticket_twice_or_seat_a_party_twice(client, order_client):
    merchant_id = await new_merchant(order_client, INTERNAL_TOKEN)
    devices = [staff(merchant_id), staff(merchant_id)]
    added = await asyncio.gather(*(add(client, merchant_id, devices[i % 2], 2) for i in range(20)))
    assert all(response.status_code == 201 for response in added), [r.text for r in added if r.status_code != 201]
    tickets = sorted(response.json()["ticket"] for response in added)
    assert tickets == [f"A{n:03d}" for n in range(1, 21)]

    target = added[0].json()["party_id"]
    seats = await asyncio.gather(*(act(client, merchant_id, devices[i % 2], target, "seat") for i in range(10)))
    assert Counter(response.status_code for response in seats) == {200: 1, 409: 9}
    state = (await client.get(f"/merchants/{merchant_id}/queue", headers=headers(None))).json()
    assert state["waiting_parties"] == 19
