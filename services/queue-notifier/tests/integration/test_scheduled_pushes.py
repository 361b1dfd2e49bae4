"""The document's example, scaled: a merchant slot starting in 20 s, lead 10 s, cadence 3 s; the
staff change the waitlist between moments; every subscriber's inbox gets each push within 1 s of
its moment with the counts of that moment, one stored content per moment, and nothing after the
slot ends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from liveline_shared.events import SlotChosen
from tests.callers import customer, staff
from tests.queue_support import (
    INTERNAL_TOKEN, act, add, headers, inbox, queue_pushes, slot_chosen, slot_window, wait_for,
)
from tests.service_tests import new_merchant, publish


async def test_each_push_reaches_every_subscriber_within_a_second_of_its_moment_with_that_moments_counts(
    client, order_client, producer, db
):
    merchant_id = await new_merchant(order_client, INTERNAL_TOKEN)
    host = staff(merchant_id)
    policy = await client.put(f"/merchants/{merchant_id}/push-policy", json={"lead_seconds": 10, "cadence_seconds": 3},
                              headers=headers(host))
    assert policy.status_code == 200, policy.text
    now = datetime.now(UTC).replace(microsecond=0)
    slot = slot_window(merchant_id, now + timedelta(seconds=20), now + timedelta(seconds=28))
    moments = [now + timedelta(seconds=s) for s in (10, 13, 16, 19, 22, 25)]
    buyers = [customer(), customer()]
    choices: list[SlotChosen] = [slot_chosen(merchant_id, buyer, slot) for buyer in buyers]
    await publish(producer, *choices)

    parties: list[str] = []
    expected_people = 0
    for k, moment in enumerate(moments):
        pushes = await wait_for(lambda: _at_least(client, buyers[0], choices[0].order_id, k + 1),
                                deadline_s=(moment - datetime.now(UTC)).total_seconds() + 3, what=f"push {k + 1}")
        push = pushes[k]
        queue = push["queue"]
        assert datetime.fromisoformat(queue["moment"]) == moment
        assert datetime.fromisoformat(push["created_at"]) - moment <= timedelta(seconds=1), push
        assert (queue["waiting_parties"], queue["waiting_people"]) == (len(parties), expected_people), (k, queue)
        assert queue["change_parties"] == (None if k == 0 else 1)
        assert not push["late"] and not queue["stale"] and queue["slot_id"] == slot.slot_id
        assert queue["calling"] == ("A001" if k >= 4 else None)
        # The staff change the waitlist before the next moment.
        added = await add(client, merchant_id, host, 1)
        assert added.status_code == 201, added.text
        parties.append(added.json()["party_id"])
        expected_people += 1
        if k == 3:
            assert (await act(client, merchant_id, host, parties[0], "call")).status_code == 200

    # Nothing after the slot's end; the other subscriber got the same moments, stored once each.
    await wait_for(lambda: _past(slot.ends_at + timedelta(seconds=3)), deadline_s=15, what="the slot's end")
    first = await queue_pushes(client, buyers[0], choices[0].order_id)
    second = await queue_pushes(client, buyers[1], choices[1].order_id)
    assert [datetime.fromisoformat(p["queue"]["moment"]) for p in first] == moments
    assert [p["queue"] for p in second] == [p["queue"] for p in first]
    stored = await db.push_moments.find_one({"_id": f"{slot.slot_id}@{moments[0].strftime('%Y%m%dT%H%M%S')}.000"})
    assert stored is not None and stored["waiting_parties"] == 0
    assert (await inbox(client, buyers[0]))["unread"] == len(moments)


async def _at_least(client, buyer, order_id: str, count: int) -> list[dict] | None:
    pushes = await queue_pushes(client, buyer, order_id)
    return pushes if len(pushes) >= count else None


async def _past(moment: datetime) -> bool:
    return datetime.now(UTC) >= moment
