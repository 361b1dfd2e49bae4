"""Effects applied once however often an event arrives: the rules every consumer's handler follows.

Kafka delivers at least once, so a consumer sees some events twice (after a crash, a rebalance
or a replay from the dead letters).

* The consumer records each `event_id` it applied in `consumed_events` (`_id` =
  "<consumer>:<event_id>", unique by being the `_id`). A recorded event is skipped. A consumer
  takes its messages a batch at a time: one read finds the batch's recorded ids
  (`consumed_among`), one insert records the batch (`record_all_consumed`).
* The record is written after the handler, and the database has no multi-document
  transactions, so a crash between the two runs the handler again. The handler's effect must
  therefore be idempotent by itself:
  - an effect on ONE document goes through `apply_once`, which makes the change and remembers
    the event_id in that same document in one conditional update;
  - an effect that creates a document inserts it with an `_id` derived from the event_id
    (a DuplicateKeyError then means "already done"; `insert_once` does a batch of them);
  - anything else must be naturally idempotent (a `$set` to the same value).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import pymongo
from pymongo import ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError

from .events.envelope import Event

CONSUMED_EVENTS = "consumed_events"
APPLIED_FIELD = "_applied"
# How many event ids `apply_once` keeps per document. A redelivery comes back in partition order
# right after a crash, so a window this wide still holds the event being redelivered.
APPLIED_WINDOW = 100


def consumed_record_id(consumer: str, event_id: object) -> str:
    return f"{consumer}:{event_id}"


async def apply_once(
    collection: AsyncCollection,
    filter: Mapping[str, Any],
    update: Mapping[str, Any],
    event_id: object,
    *,
    upsert: bool = False,
    timeout_s: float = 5.0,
) -> bool:
    """Applies `update` to the document matching `filter` unless that document already applied
    `event_id`; the change and the remembered event_id are written in one document update.

    Returns True when the update was applied now, False when the document already carries the
    event_id or matched nothing (an extra condition in `filter` did not hold).
    """
    event_key = str(event_id)
    if APPLIED_FIELD in update.get("$push", {}) or APPLIED_FIELD in update.get("$addToSet", {}):
        raise ValueError(f"{APPLIED_FIELD} is managed by apply_once")
    guarded = {**filter, APPLIED_FIELD: {"$ne": event_key}}
    remembered = {**update, "$push": {**update.get("$push", {}), APPLIED_FIELD: event_key}}
    try:
        with pymongo.timeout(timeout_s):
            applied = await collection.find_one_and_update(
                guarded, remembered, upsert=upsert, return_document=ReturnDocument.AFTER
            )
    except DuplicateKeyError:
        # Upserting found no document without the event_id, tried to insert one, and the
        # document (with the event_id) was there: applied before.
        return False
    if applied is None:
        return False
    if len(applied.get(APPLIED_FIELD, ())) > APPLIED_WINDOW:
        await _forget_oldest_applied(collection, applied["_id"], timeout_s=timeout_s)
    return True


async def _forget_oldest_applied(collection: AsyncCollection, document_id: Any, *, timeout_s: float) -> None:
    # A second update, because `$push` with `$slice` is silently ignored by the embedded server
    # (FerretDB 1.x). Losing it in a crash only leaves the list one id longer until the next apply.
    with pymongo.timeout(timeout_s):
        await collection.update_one(
            {"_id": document_id, f"{APPLIED_FIELD}.{APPLIED_WINDOW}": {"$exists": True}},
            {"$pop": {APPLIED_FIELD: -1}},
        )


DUPLICATE_KEY = 11000


async def consumed_among(
    db: AsyncDatabase, consumer: str, event_ids: Iterable[object], *, timeout_s: float = 5.0
) -> set[str]:
    """Which of `event_ids` `consumer` has recorded already: one query by `_id`."""
    wanted = {consumed_record_id(consumer, event_id): str(event_id) for event_id in event_ids}
    if not wanted:
        return set()
    with pymongo.timeout(timeout_s):
        cursor = db[CONSUMED_EVENTS].find({"_id": {"$in": list(wanted)}}, {"_id": 1})
        return {wanted[document["_id"]] async for document in cursor}


async def record_all_consumed(
    db: AsyncDatabase, consumer: str, applied: Sequence[Event], *, applied_at: datetime, timeout_s: float = 5.0
) -> set[str]:
    """Records that `consumer` applied these events, in one insert; the event ids recorded now
    (the others were recorded already, by a concurrent or earlier delivery).

    A record is its `_id` (which names the consumer and the event) and when it was applied,
    nothing more: every consumer writes one per event, the busiest write of the system, and the
    six fields it carried before (type, topic, partition, offset, and the two names again) were
    an eighth of the event backbone's CPU per event. The consumer logs each event it applied
    (`event_consumed`, with the event's ids).
    """
    documents = [{"_id": consumed_record_id(consumer, event.event_id), "applied_at": applied_at} for event in applied]
    inserted = await insert_once(db[CONSUMED_EVENTS], documents, timeout_s=timeout_s)
    return {str(event.event_id) for event, new in zip(applied, inserted, strict=True) if new}


async def insert_once(collection: AsyncCollection, documents: Sequence[Mapping[str, Any]], *, timeout_s: float = 5.0) -> list[bool]:
    """Inserts the documents in one unordered write, a document whose `_id` exists already being
    left as it is; for each document, whether it was inserted now. Any other error is raised."""
    if not documents:
        return []
    inserted = [True] * len(documents)
    try:
        with pymongo.timeout(timeout_s):
            await collection.insert_many(documents, ordered=False)
    except BulkWriteError as error:
        for failure in error.details.get("writeErrors", []):
            if failure.get("code") != DUPLICATE_KEY:
                raise
            inserted[failure["index"]] = False
    return inserted
