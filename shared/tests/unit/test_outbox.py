"""The pure parts of the outbox: the update fragment, merging it with a service's update, ordering."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta

import pytest

from liveline_shared.events import OrderPlaced, OrderRedeemed
from liveline_shared.outbox import (
    LEASE,
    LEASE_UNTIL,
    OUTBOX,
    PENDING,
    WriteLease,
    claimable_filter,
    decode_entry,
    emptied_update,
    mark_sent_update,
    merge_updates,
    outbox_fields,
    outbox_update,
    pending_events,
)

NOW = datetime(2015, 3, 24, 9, 30, tzinfo=UTC)


def order_placed(order_id: str = "ord-1") -> OrderPlaced:
    return OrderPlaced(
        occurred_at=NOW, producer="order", order_id=order_id, deal_id="deal-1", merchant_id="m-1",
        user_id="u-1", quantity=2, amount_minor=19800, currency="CNY",
        voucher_valid_from=NOW, voucher_valid_until=NOW + timedelta(days=90),
    )


def order_redeemed(order_id: str = "ord-1") -> OrderRedeemed:
    return OrderRedeemed(
        occurred_at=NOW, producer="order", order_id=order_id, deal_id="deal-1", merchant_id="m-1",
        user_id="u-1", redeemed_by="staff-1",
    )


def apply(document: dict, update: dict) -> dict:
    """Just enough of MongoDB's $set/$unset/$inc on dotted paths to follow a document through the outbox."""
    document = copy.deepcopy(document)
    for operator, fields in update.items():
        for path, value in fields.items():
            *parents, leaf = path.split(".")
            target = document
            for name in parents:
                target = target.setdefault(name, {})
            if operator == "$set":
                target[leaf] = value
            elif operator == "$unset":
                target.pop(leaf, None)
            elif operator == "$inc":
                target[leaf] = target.get(leaf, 0) + value
    return document


def test_recorded_event_carries_its_id_topic_key_headers_and_body():
    event = order_placed()
    update = outbox_update(event, now=NOW)

    entry = decode_entry(update["$set"][f"{OUTBOX}.{event.event_id}"])
    assert entry["topic"] == "liveline.orders.v1"
    assert entry["key"] == "ord-1"
    assert entry["headers"] == event.headers()
    assert json.loads(entry["body"]) == json.loads(event.model_dump_json())
    assert entry["created_at"] == NOW
    assert update["$inc"] == {PENDING: 1}


def test_no_events_make_no_update():
    assert outbox_update(now=NOW) == {}


def test_events_of_one_write_come_out_in_the_order_given():
    first, second = order_placed(), order_redeemed()
    document = apply({"_id": "ord-1"}, outbox_update(first, second, now=NOW))

    assert [e.event_id for e in pending_events(document)] == [str(first.event_id), str(second.event_id)]


def test_a_later_write_comes_out_after_an_earlier_one():
    earlier, later = order_placed(), order_redeemed()
    document = apply({"_id": "ord-1"}, outbox_update(earlier, now=NOW))
    document = apply(document, outbox_update(later, now=NOW + timedelta(microseconds=1)))

    assert [e.event_id for e in pending_events(document)] == [str(earlier.event_id), str(later.event_id)]
    assert document[PENDING] == 2


def test_service_update_and_outbox_merge_into_one_update():
    event = order_redeemed()
    own = {"$set": {"status": "redeemed"}, "$inc": {"version": 1}}

    merged = merge_updates(own, outbox_update(event, now=NOW))

    assert merged["$set"]["status"] == "redeemed"
    assert f"{OUTBOX}.{event.event_id}" in merged["$set"]
    assert merged["$inc"] == {"version": 1, PENDING: 1}


def test_merging_two_changes_of_one_field_is_refused():
    with pytest.raises(ValueError, match="overlap"):
        merge_updates({"$set": {"status": "redeemed"}}, {"$set": {"status": "refunded"}})
    with pytest.raises(ValueError, match="overlap"):
        merge_updates({"$set": {OUTBOX: {}}}, outbox_update(order_placed(), now=NOW))


def test_a_replacement_document_cannot_be_merged():
    with pytest.raises(ValueError, match="not an update operator"):
        merge_updates({"status": "redeemed"}, outbox_update(order_placed(), now=NOW))


def test_new_document_fields_hold_the_same_entries_as_the_update():
    event = order_placed()
    fields = outbox_fields(event, now=NOW)
    assert fields[PENDING] == 1
    assert fields[OUTBOX][str(event.event_id)] == outbox_update(event, now=NOW)["$set"][f"{OUTBOX}.{event.event_id}"]


def test_a_write_with_the_relays_lease_takes_it_with_its_events():
    event, lease = order_placed(), WriteLease("token", NOW + timedelta(seconds=10))

    own = {"$set": {"status": "paid"}}
    document = apply({"_id": "ord-1"}, merge_updates(own, outbox_update(event, now=NOW, lease=lease)))
    created = {"_id": "ord-1", **outbox_fields(event, now=NOW, lease=lease)}

    for held in (document, created):
        assert (held[LEASE], held[LEASE_UNTIL]) == ("token", NOW + timedelta(seconds=10))
        assert [e.event_id for e in pending_events(held)] == [str(event.event_id)]


def test_a_write_without_events_takes_no_lease():
    lease = WriteLease("token", NOW + timedelta(seconds=10))

    assert outbox_update(now=NOW, lease=lease) == {}
    assert LEASE not in outbox_fields(now=NOW, lease=lease)


def test_marking_sent_clears_exactly_the_published_events_and_the_lease():
    published, written_meanwhile = order_placed(), order_redeemed()
    document = apply({"_id": "ord-1"}, outbox_update(published, now=NOW))
    document = apply(document, {"$set": {LEASE: "token", LEASE_UNTIL: "later"}})
    sent = pending_events(document)
    document = apply(document, outbox_update(written_meanwhile, now=NOW + timedelta(seconds=1)))

    document = apply(document, mark_sent_update(sent))

    assert list(document[OUTBOX]) == [str(written_meanwhile.event_id)]
    assert document[PENDING] == 1
    assert LEASE not in document and LEASE_UNTIL not in document


def test_emptying_leaves_the_document_as_removing_each_published_event_does():
    first, second = order_placed(), order_redeemed()
    document = apply({"_id": "ord-1", "status": "paid"}, outbox_update(first, second, now=NOW))
    document = apply(document, {"$set": {LEASE: "token", LEASE_UNTIL: "later"}})
    sent = pending_events(document)

    assert apply(document, emptied_update()) == apply(document, mark_sent_update(sent))
    assert apply(document, emptied_update()) == {"_id": "ord-1", "status": "paid", OUTBOX: {}, PENDING: 0}


def test_only_documents_without_a_live_lease_are_claimable():
    assert claimable_filter(NOW) == {
        PENDING: {"$gt": 0},
        "$or": [{LEASE_UNTIL: {"$exists": False}}, {LEASE_UNTIL: {"$lt": NOW}}],
    }


def test_an_entry_written_as_a_nested_document_by_an_earlier_version_is_still_read():
    event = order_placed()
    stored = decode_entry(outbox_update(event, now=NOW)["$set"][f"{OUTBOX}.{event.event_id}"])
    document = {"_id": "ord-1", OUTBOX: {str(event.event_id): dict(stored)}, PENDING: 1}

    [pending] = pending_events(document)

    assert pending.event_id == str(event.event_id) and pending.body == event.model_dump_json()
    assert pending.created_at == NOW
