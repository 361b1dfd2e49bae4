"""The outbox relay's reads and writes of the documents whose events it publishes (relay.py).

Every write here is one conditional single-document update keyed by `_id` and the relay's lease
token (see outbox.py for the fields), so the same code holds on FerretDB and on MongoDB.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import pymongo
from pymongo import ReturnDocument, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from .clock import Clock
from .metrics import OUTBOX_RELAY_LAG
from .outbox import (
    LEASE,
    LEASE_UNTIL,
    OUTBOX,
    PENDING,
    PendingEvent,
    aware,
    claimable_filter,
    decode_entry,
    emptied_update,
    mark_sent_update,
    only_these_entries_filter,
    sent_entries_filter,
)


class OutboxStore:
    def __init__(
        self, db: AsyncDatabase, clock: Clock, *, lease: timedelta, timeout_s: float, sweep_limit: int
    ) -> None:
        self.db = db
        self.clock = clock
        self.lease = lease
        self.timeout_s = timeout_s
        self.sweep_limit = sweep_limit

    async def ensure_indexes(self, collection: str) -> None:
        with pymongo.timeout(self.timeout_s):
            await self.db[collection].create_index([(PENDING, 1), (LEASE_UNTIL, 1)], name="outbox_pending")

    async def claimable_ids(self, collection: str) -> list[Any]:
        """Ids of documents to claim; also sets the relay-lag metric from every pending document seen."""
        now = self.clock.now()
        oldest: datetime | None = None
        claimable: list[Any] = []
        with pymongo.timeout(self.timeout_s):
            cursor = self.db[collection].find(
                {PENDING: {"$gt": 0}}, {OUTBOX: 1, LEASE_UNTIL: 1}, limit=self.sweep_limit
            )
            async for document in cursor:
                for stored in (document.get(OUTBOX) or {}).values():
                    created_at = aware(decode_entry(stored)["created_at"])
                    oldest = created_at if oldest is None else min(oldest, created_at)
                lease_until = document.get(LEASE_UNTIL)
                if lease_until is None or aware(lease_until) < now:
                    claimable.append(document["_id"])
        OUTBOX_RELAY_LAG.labels(collection).set(max(0.0, (now - oldest).total_seconds()) if oldest else 0.0)
        return claimable

    async def claim(self, collection: str, document_id: Any, lease_token: str) -> dict[str, Any] | None:
        """The document, now leased to `lease_token`, if it had pending events and no live lease."""
        now = self.clock.now()
        with pymongo.timeout(self.timeout_s):
            return await self.db[collection].find_one_and_update(
                {"_id": document_id, **claimable_filter(now)},
                {"$set": {LEASE: lease_token, LEASE_UNTIL: now + self.lease}},
                return_document=ReturnDocument.AFTER,
            )

    async def claim_many(self, collection: str, document_ids: Sequence[Any], lease_token: str) -> list[dict[str, Any]]:
        """`claim` for several documents: one update of all of them, one read of those it leased."""
        if len(document_ids) == 1:
            claimed = await self.claim(collection, document_ids[0], lease_token)
            return [] if claimed is None else [claimed]
        now = self.clock.now()
        with pymongo.timeout(self.timeout_s):
            leased = await self.db[collection].update_many(
                {"_id": {"$in": list(document_ids)}, **claimable_filter(now)},
                {"$set": {LEASE: lease_token, LEASE_UNTIL: now + self.lease}},
            )
            if leased.modified_count == 0:
                return []
            return await self.db[collection].find({"_id": {"$in": list(document_ids)}, LEASE: lease_token}).to_list()

    async def read_held(self, collection: str, document_id: Any, lease_token: str) -> dict[str, Any] | None:
        """The document if it still carries the writer's lease (a read, not a claim)."""
        with pymongo.timeout(self.timeout_s):
            return await self.db[collection].find_one({"_id": document_id, LEASE: lease_token})

    async def read_held_many(self, collection: str, tokens: Mapping[Any, str]) -> list[dict[str, Any]]:
        """`read_held` for several documents, each with its writer's lease token: one read."""
        if len(tokens) == 1:
            [(document_id, lease_token)] = tokens.items()
            held = await self.read_held(collection, document_id, lease_token)
            return [] if held is None else [held]
        with pymongo.timeout(self.timeout_s):
            documents = await self.db[collection].find({"_id": {"$in": list(tokens)}}).to_list()
        return [document for document in documents if document.get(LEASE) == tokens[document["_id"]]]

    async def mark_sent_many(
        self, collection: str, published: Sequence[tuple[Any, str, Sequence[PendingEvent]]]
    ) -> dict[Any, int | None]:
        """`mark_sent` for several documents, given as (id, lease token, events published).

        The usual case, nothing written to any of them meanwhile, is one bulk write. Otherwise the
        documents whose entries are still there have them removed one by one as `mark_sent` does.
        """
        if len(published) == 1:
            [(document_id, lease_token, events)] = published
            return {document_id: await self.mark_sent(collection, document_id, lease_token, events)}
        with pymongo.timeout(self.timeout_s):
            emptied = await self.db[collection].bulk_write(
                [
                    UpdateOne({"_id": document_id, **only_these_entries_filter(lease_token, events)}, emptied_update())
                    for document_id, lease_token, events in published
                ],
                ordered=False,
            )
        remaining: dict[Any, int | None] = {document_id: 0 for document_id, _, _ in published}
        if emptied.matched_count == len(published):
            return remaining
        with pymongo.timeout(self.timeout_s):
            documents = await self.db[collection].find(
                {"_id": {"$in": list(remaining)}}, {OUTBOX: 1}
            ).to_list()
        outboxes = {document["_id"]: document.get(OUTBOX) or {} for document in documents}
        for document_id, lease_token, events in published:
            if any(event.event_id in outboxes.get(document_id, {}) for event in events):
                remaining[document_id] = await self._remove_entries(collection, document_id, lease_token, events)
        return remaining

    async def mark_sent(
        self, collection: str, document_id: Any, lease_token: str, events: Sequence[PendingEvent]
    ) -> int | None:
        """Clears the published entries and gives up the lease; the events left pending, or None if
        the lease was no longer ours.

        The lease changes hands when a write takes one of its own (outbox.WriteLease) or after
        ours expired. What Kafka acknowledged is published all the same, so those entries are
        still removed if nobody removed them yet, and the lease is left to its new holder.
        """
        with pymongo.timeout(self.timeout_s):
            # Usually nothing was written meanwhile: then the counter equals the number published,
            # and an update that needs no answer beyond "matched" does it (no document sent back).
            emptied = await self.db[collection].update_one(
                {"_id": document_id, **only_these_entries_filter(lease_token, events)}, emptied_update()
            )
        if emptied.matched_count == 1:
            return 0
        return await self._remove_entries(collection, document_id, lease_token, events)

    async def _remove_entries(
        self, collection: str, document_id: Any, lease_token: str, events: Sequence[PendingEvent]
    ) -> int | None:
        """`mark_sent` where more than the published entries may be in the outbox: removes each of
        them; the events left pending, or None if the lease was no longer ours."""
        entries = sent_entries_filter(events)
        with pymongo.timeout(self.timeout_s):
            document = await self.db[collection].find_one_and_update(
                {"_id": document_id, LEASE: lease_token, **entries},
                mark_sent_update(events),
                return_document=ReturnDocument.AFTER,
            )
        if document is not None:
            return document[PENDING]
        with pymongo.timeout(self.timeout_s):
            await self.db[collection].update_one(
                {"_id": document_id, **entries}, mark_sent_update(events, give_up_lease=False)
            )
        return None

    async def renew(self, collection: str, document_id: Any, lease_token: str) -> bool:
        """Extends the lease; False if it is no longer ours."""
        with pymongo.timeout(self.timeout_s):
            renewed = await self.db[collection].update_one(
                {"_id": document_id, LEASE: lease_token}, {"$set": {LEASE_UNTIL: self.clock.now() + self.lease}}
            )
        return renewed.matched_count == 1

    async def release(self, collection: str, document_id: Any, lease_token: str) -> None:
        """Gives the lease up if it is still ours; a failure only leaves it to expire."""
        with contextlib.suppress(Exception), pymongo.timeout(self.timeout_s):
            await self.db[collection].update_one(
                {"_id": document_id, LEASE: lease_token}, {"$unset": {LEASE: "", LEASE_UNTIL: ""}}
            )

    async def repair_counter(self, collection: str, document_id: Any, lease_token: str, pending: int) -> None:
        """Sets a counter that has no entries behind it back to zero and gives up the lease.

        Without the repair every sweep would claim the document again. The filter on the
        counter's value keeps a concurrent write safe.
        """
        with pymongo.timeout(self.timeout_s):
            await self.db[collection].update_one(
                {"_id": document_id, LEASE: lease_token, PENDING: pending},
                {"$set": {PENDING: 0}, "$unset": {LEASE: "", LEASE_UNTIL: ""}},
            )
