"""The transactional outbox, without transactions: events ride in the aggregate's own document.

A service writes an aggregate change and the events it causes in ONE document update:
`merge_updates(own_update, outbox_update(*events, now=clock.now()))`. The pending events live
in the document as a map keyed by event id, plus a counter the relay can index:

    {
      ...the aggregate's own fields...,
      "_outbox": {"<event_id>": BSON binary of {"seq", "topic", "key", "headers", "body", "created_at"}},
      "_outbox_pending": 2,                     # number of entries in _outbox
      "_outbox_lease": "<token>",               # only while a relay holds the document
      "_outbox_lease_until": datetime,
    }

The relay (`relay.py`) claims documents with a conditional update (pending > 0 and no live
lease), publishes each one's events in `seq` order with an idempotent producer, and then removes
exactly those entries on condition that they are all still there, giving up its lease if it
still holds it: when they are all the document holds (the counter equals their number), by
emptying the outbox (`emptied_update`); otherwise by $unset of their paths and $inc of the
counter by minus their number (`mark_sent_update`). A write can take the relay's lease itself
(`WriteLease`), so that its own relay publishes without a claim.
A crash between publish and mark leaves the entries in place, so the next holder publishes the
same event ids again; consumers deduplicate by event_id.

Only single-document atomic updates with $set, $unset, $inc, $or, $exists and $lt are used, so
the same code works on FerretDB and on MongoDB. find_one_and_update takes no projection
(FerretDB 1.24 does not implement findAndModify's "fields"), so a claim returns the whole document.

Each entry is stored as one BSON binary value (`encode_entry`) rather than a nested document:
the relay reads and rewrites the whole document several times per event, and FerretDB decodes
a document field by field (a pending event as eleven nested fields cost it about as much as the
rest of the round trip; as one binary value, a fifth of that). Entries written as nested
documents by earlier versions are still read (`decode_entry`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import bson
from bson.codec_options import CodecOptions

from .events.envelope import Event

OUTBOX = "_outbox"
PENDING = "_outbox_pending"
LEASE = "_outbox_lease"
LEASE_UNTIL = "_outbox_lease_until"

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Room for this many events in one write before two writes' sequence numbers could overlap.
_EVENTS_PER_MICROSECOND = 1000
_ENTRY_CODEC = CodecOptions(tz_aware=True)


def sequence_start(now: datetime) -> int:
    """The first sequence number of a write made at `now`: microseconds since the epoch, scaled.

    Writes to one aggregate are ordered by the time they were made (the writers' Clock); the
    events of one write are ordered by their position in the call.
    """
    return ((now - _EPOCH) // timedelta(microseconds=1)) * _EVENTS_PER_MICROSECOND


def outbox_entries(*events: Event, now: datetime) -> dict[str, bytes]:
    """The outbox entries of `events` keyed by event id, numbered in the order given."""
    if len(events) >= _EVENTS_PER_MICROSECOND:
        raise ValueError(f"at most {_EVENTS_PER_MICROSECOND - 1} events per write")
    first = sequence_start(now)
    return {
        str(event.event_id): encode_entry({
            "seq": first + position,
            "topic": event.topic,
            "key": event.key,
            "headers": event.headers(),
            "body": event.model_dump_json(),
            "created_at": now,
        })
        for position, event in enumerate(events)
    }


def encode_entry(entry: Mapping[str, Any]) -> bytes:
    """One outbox entry as the value stored under `_outbox.<event_id>` (BSON binary)."""
    return bson.encode(entry)


def decode_entry(stored: Any) -> Mapping[str, Any]:
    """An entry as stored by `encode_entry`, or as a nested document by an earlier version."""
    if isinstance(stored, bytes | bytearray):  # Binary subtype 0 comes back as bytes
        return bson.decode(stored, codec_options=_ENTRY_CODEC)
    return stored


def outbox_update(*events: Event, now: datetime, lease: WriteLease | None = None) -> dict[str, dict[str, Any]]:
    """The update fragment that records `events` in a document; merge it into the service's own update.

    With `lease` (relay.write_lease()) the write also takes the relay's lease, so that relay
    publishes the events without claiming the document. No events, no lease.
    """
    if not events:
        return {}
    entries = outbox_entries(*events, now=now)
    return {
        "$set": {
            **{f"{OUTBOX}.{event_id}": entry for event_id, entry in entries.items()},
            **(lease.fields() if lease is not None else {}),
        },
        "$inc": {PENDING: len(entries)},
    }


def outbox_fields(*events: Event, now: datetime, lease: WriteLease | None = None) -> dict[str, Any]:
    """The fields to put in a NEW document (insert_one) so that it carries `events` (and, with
    `lease`, the relay's lease, as in `outbox_update`)."""
    held = lease.fields() if lease is not None and events else {}
    return {OUTBOX: outbox_entries(*events, now=now), PENDING: len(events), **held}


def merge_updates(*updates: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """One update document made of several, operator by operator.

    A field path touched twice (or a path and its parent) is refused: MongoDB would refuse the
    update anyway, and silently letting one win would lose a change.
    """
    merged: dict[str, dict[str, Any]] = {}
    touched: list[str] = []
    for update in updates:
        for operator, fields in update.items():
            if not operator.startswith("$"):
                raise ValueError(f"{operator!r} is not an update operator; replacement documents cannot be merged")
            for path, value in fields.items():
                clash = next((other for other in touched if _overlaps(path, other)), None)
                if clash is not None:
                    raise ValueError(f"update paths {path!r} and {clash!r} overlap")
                touched.append(path)
                merged.setdefault(operator, {})[path] = value
    return merged


def _overlaps(path: str, other: str) -> bool:
    return path == other or path.startswith(other + ".") or other.startswith(path + ".")


@dataclass(frozen=True)
class PendingEvent:
    """One event waiting in a document's outbox, as the relay publishes it."""

    event_id: str
    seq: int
    topic: str
    key: str
    headers: Mapping[str, str]
    body: str
    created_at: datetime

    def kafka_headers(self) -> list[tuple[str, bytes]]:
        return [(name, value.encode()) for name, value in self.headers.items()]

    def log_context(self) -> dict[str, str]:
        return {
            "event_id": self.event_id,
            "event_type": self.headers.get("event_type", ""),
            "correlation_id": self.headers.get("correlation_id", ""),
        }


def pending_events(document: Mapping[str, Any]) -> list[PendingEvent]:
    """A document's pending events in the order they were written."""
    events = []
    for event_id, stored in (document.get(OUTBOX) or {}).items():
        entry = decode_entry(stored)
        events.append(PendingEvent(
            event_id=event_id,
            seq=entry["seq"],
            topic=entry["topic"],
            key=entry["key"],
            headers=entry["headers"],
            body=entry["body"],
            created_at=aware(entry["created_at"]),
        ))
    return sorted(events, key=lambda event: event.seq)


def aware(moment: datetime) -> datetime:
    # A client built without tz_aware=True hands back naive datetimes; BSON dates are UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def mark_sent_update(events: Sequence[PendingEvent], *, give_up_lease: bool = True) -> dict[str, dict[str, Any]]:
    """Removes exactly the published entries and (unless told not to) gives up the lease.

    Apply it only where `sent_entries_filter(events)` holds, so the counter drops once per entry.
    """
    unset = {f"{OUTBOX}.{event.event_id}": "" for event in events}
    if give_up_lease:
        unset.update({LEASE: "", LEASE_UNTIL: ""})
    return {"$unset": unset, "$inc": {PENDING: -len(events)}}


def emptied_update() -> dict[str, dict[str, Any]]:
    """Empties the outbox and gives up the lease: `mark_sent_update` for a document whose outbox
    holds nothing but the published entries.

    Apply it only where `only_these_entries_filter` holds. Cheaper than removing the entries one
    by one: FerretDB applies each removed path of an update on its own.
    """
    return {"$set": {OUTBOX: {}, PENDING: 0}, "$unset": {LEASE: "", LEASE_UNTIL: ""}}


def only_these_entries_filter(lease_token: str, events: Sequence[PendingEvent]) -> dict[str, Any]:
    """The condition for `emptied_update`: the lease is still `lease_token`, every published entry
    is still there, and the counter equals their number (so they are all the outbox holds)."""
    return {LEASE: lease_token, PENDING: len(events), **sent_entries_filter(events)}


def sent_entries_filter(events: Sequence[PendingEvent]) -> dict[str, Any]:
    """The condition that every one of these entries is still in the outbox."""
    return {f"{OUTBOX}.{event.event_id}": {"$exists": True} for event in events}


@dataclass(frozen=True)
class WriteLease:
    """A relay's lease taken by the write that adds the events (relay.write_lease()).

    Taken by that write (`outbox_update(..., lease=lease)`, or `outbox_fields` for a new
    document), it lets the writer's own relay publish the events without claiming the document
    first (one write fewer per event-carrying write); `relay.notify(collection, id, lease)` hands
    it over once the write succeeded. Until
    `until` no other relay claims the document, so a writer that dies before publishing delays
    its events by at most that long. A write taking a lease replaces any other relay's lease
    on the document; that relay then fails to mark what it published, and the writer's relay
    publishes those events again (a duplicate the consumers drop, never a loss).
    """

    token: str
    until: datetime

    def fields(self) -> dict[str, Any]:
        return {LEASE: self.token, LEASE_UNTIL: self.until}

    def update(self) -> dict[str, dict[str, Any]]:
        return {"$set": self.fields()}


def claimable_filter(now: datetime) -> dict[str, Any]:
    """Documents with pending events that no relay holds (no lease, or an expired one)."""
    return {
        PENDING: {"$gt": 0},
        "$or": [{LEASE_UNTIL: {"$exists": False}}, {LEASE_UNTIL: {"$lt": now}}],
    }
