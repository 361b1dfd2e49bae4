"""A merchant's queue through the gateway with every service a real process: its staff run the
waitlist, anyone reads the live queue and the busyness, and nobody else runs the waitlist."""

from __future__ import annotations

from tests.api.support import assert_problem, new_customer


def test_staff_run_the_waitlist_and_anyone_reads_the_queue(client, staff, merchant):
    merchant_id = merchant["merchant_id"]
    added = client.post(f"/v1/merchants/{merchant_id}/waitlist", json={"size": 3, "name": "Wang"}, headers=staff.headers)
    assert added.status_code == 201, added.text
    party = added.json()
    assert party["ticket"].startswith("B") and party["name"] == "Wang"

    queue = client.get(f"/v1/merchants/{merchant_id}/queue")  # no token needed
    assert queue.status_code == 200, queue.text
    assert queue.json()["waiting_people"] >= 3 and "Wang" not in queue.text

    called = client.post(f"/v1/merchants/{merchant_id}/waitlist/{party['party_id']}/call", headers=staff.headers)
    assert called.status_code == 200 and called.json()["calling"] == party["ticket"]
    seated = client.post(f"/v1/merchants/{merchant_id}/waitlist/{party['party_id']}/seat", headers=staff.headers)
    assert seated.status_code == 200
    again = client.post(f"/v1/merchants/{merchant_id}/waitlist/{party['party_id']}/seat", headers=staff.headers)
    assert_problem(again, 409, "party-already-left")
    assert again.json()["instance"] == f"/v1/merchants/{merchant_id}/waitlist/{party['party_id']}/seat"

    busyness = client.get(f"/v1/merchants/{merchant_id}/busyness")
    assert busyness.status_code == 200 and busyness.json()["timezone"] == "Asia/Shanghai"


def test_nobody_but_the_merchants_staff_runs_its_waitlist(client, merchant):
    merchant_id = merchant["merchant_id"]
    customer = new_customer(client)
    assert_problem(client.post(f"/v1/merchants/{merchant_id}/waitlist", json={"size": 2}, headers=customer.headers), 403,
                   "forbidden")
    assert_problem(client.get(f"/v1/merchants/{merchant_id}/waitlist", headers=customer.headers), 403, "forbidden")
    assert_problem(client.post(f"/v1/merchants/{merchant_id}/waitlist", json={"size": 2}), 401, "unauthenticated")
    assert_problem(client.post(f"/v1/merchants/{merchant_id}/waitlist", json={"size": 21}, headers=customer.headers), 422,
                   "invalid-request")
