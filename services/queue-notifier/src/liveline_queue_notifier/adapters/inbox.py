"""Users' inboxes in the queue-notifier's database, every read and write by `_id`. A queue update
is never written once per user: its content and its recipients are one document per merchant
slot and moment, and a user's queue updates are the moments of the slots they subscribed to.

* `push_moments` — `_id` = `<slot id>@<moment>`: what a merchant slot's subscribers were told at
  one moment, its recipients (`order id -> user id`, one JSON text: the embedded database decodes
  every field of a document on each read and write), its sequence number once taken (`seq`)
  and whether it is on Kafka (`published`).
* `inbox` — `_id` = the notification id (a dedupe key): one notification to one user that is not
  a queue update (the re-offer, the video prompt and outcome, the place in line), with `seq`
  and `published` likewise.
* `inbox_users` — `_id` = user id: the merchant slots they subscribed to (`<slot id>|<order id>`),
  their ids in `inbox`, and the notification ids they read.
* `notification_sequence` — `_id` = "notifications": the last sequence number handed out and
  the batch (moments, or one notification) being published under it (see handlers/inbox.py).
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from typing import Any

import pymongo
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

MOMENTS = "push_moments"
INBOX = "inbox"
USERS = "inbox_users"
SEQUENCE = "notification_sequence"
SEQUENCE_ID = "notifications"
# What a user's index keeps, newest last: the slots they chose (and so their queue updates), their
# other notifications, and which they read. Trimmed once it is TRIM_SLACK over.
KEEP = {"slots": 100, "notifications": 300, "read": 1000}
TRIM_SLACK = 20


class InboxRepository:
    def __init__(self, db: AsyncDatabase, timeout_s: float) -> None:
        self._moments = db[MOMENTS]
        self._inbox = db[INBOX]
        self._users = db[USERS]
        self._sequence = db[SEQUENCE]
        self._timeout_s = timeout_s

    # moments and notifications

    async def moment(self, moment_id: str) -> dict[str, Any] | None:
        with pymongo.timeout(self._timeout_s):
            return _with_recipients(await self._moments.find_one({"_id": moment_id}))

    async def store_moment(self, moment_id: str, content: dict[str, Any]) -> dict[str, Any]:
        """The moment's content: this one, or the one stored before a crash (never two versions)."""
        with pymongo.timeout(self._timeout_s):
            recipients = json.dumps(content["recipients"], separators=(",", ":"))
            try:
                await self._moments.insert_one({"_id": moment_id, "seq": None, "published": False, **content,
                                                "recipients": recipients})
            except DuplicateKeyError:
                pass
            stored = _with_recipients(await self._moments.find_one({"_id": moment_id}))
        assert stored is not None
        return stored

    async def notification(self, notification_id: str) -> dict[str, Any] | None:
        with pymongo.timeout(self._timeout_s):
            return await self._inbox.find_one({"_id": notification_id})

    async def store_notification(self, entry: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """The stored notification, and whether this call stored it (False: its dedupe key exists)."""
        created = True
        with pymongo.timeout(self._timeout_s):
            try:
                await self._inbox.insert_one({"seq": None, "published": False, **entry})
            except DuplicateKeyError:
                created = False
            stored = await self._inbox.find_one({"_id": entry["_id"]})
        assert stored is not None
        return stored, created

    async def many(self, collection: str, ids: list[str]) -> list[dict[str, Any]]:
        """Documents by `_id`, one lookup each (a `$in` would read the whole collection on FerretDB)."""
        documents = self._moments if collection == MOMENTS else self._inbox
        with pymongo.timeout(self._timeout_s):
            found = await asyncio.gather(*(documents.find_one({"_id": document_id}) for document_id in ids))
        return [_with_recipients(document) for document in found if document is not None]

    async def number(self, collection: str, document_id: str, seq: int) -> int:
        """Gives the document sequence number `seq` unless it has one; the number it has."""
        documents = self._moments if collection == MOMENTS else self._inbox
        with pymongo.timeout(self._timeout_s):
            await documents.update_one({"_id": document_id, "seq": None}, {"$set": {"seq": seq}})
            stored = await documents.find_one({"_id": document_id}, {"seq": 1})
        assert stored is not None
        return int(stored["seq"])

    async def mark_published(self, collection: str, document_id: str) -> None:
        documents = self._moments if collection == MOMENTS else self._inbox
        with pymongo.timeout(self._timeout_s):
            await documents.update_one({"_id": document_id}, {"$set": {"published": True}})

    # a user's index

    async def user(self, user_id: str) -> dict[str, Any]:
        with pymongo.timeout(self._timeout_s):
            return await self._users.find_one({"_id": user_id}) or {}

    async def add_to_user(self, user_id: str, field: str, value: str) -> None:
        """Adds `value` to the user's list `field` once (a retry after a crash adds nothing),
        keeping the newest `KEEP[field]` (the index does not grow without bound)."""
        filter_ = {"_id": user_id, field: {"$ne": value}}
        with pymongo.timeout(self._timeout_s):
            try:
                await self._users.update_one(filter_, {"$push": {field: value}}, upsert=True)
            except DuplicateKeyError:
                # Listed already, or the user's document was created meanwhile: push once more.
                await self._users.update_one(filter_, {"$push": {field: value}})
            document = await self._users.find_one({"_id": user_id}, {field: 1})
            listed = (document or {}).get(field, [])
            if len(listed) > KEEP[field] + TRIM_SLACK:
                # Not `$push` with `$slice`: FerretDB ignores `$slice`. Conditional on the list it
                # read; a change meanwhile leaves the trim to the next addition.
                await self._users.update_one({"_id": user_id, field: listed}, {"$set": {field: listed[-KEEP[field]:]}})

    # the sequence

    async def sequence(self) -> dict[str, Any]:
        with pymongo.timeout(self._timeout_s):
            document = await self._sequence.find_one({"_id": SEQUENCE_ID})
            if document is None:
                try:
                    await self._sequence.insert_one({"_id": SEQUENCE_ID, "last": 0, "batch": None})
                except DuplicateKeyError:
                    pass  # another instance made it meanwhile
                document = await self._sequence.find_one({"_id": SEQUENCE_ID})
        assert document is not None
        return document

    async def begin_batch(self, last: int, count: int, batch: dict[str, Any]) -> bool:
        """Takes numbers `last + 1` to `last + count` for `batch`, if no batch is being published
        and nobody took them meanwhile."""
        with pymongo.timeout(self._timeout_s):
            result = await self._sequence.update_one(
                {"_id": SEQUENCE_ID, "last": last, "batch": None}, {"$set": {"last": last + count, "batch": batch}}
            )
        return result.modified_count == 1

    async def take_over_batch(self, batch: dict[str, Any], owner: str, now: datetime) -> bool:
        """Takes over a batch whose publisher stopped renewing it (crashed)."""
        with pymongo.timeout(self._timeout_s):
            result = await self._sequence.update_one(
                {"_id": SEQUENCE_ID, "batch.id": batch["id"], "batch.since": batch["since"]},
                {"$set": {"batch.owner": owner, "batch.since": now}},
            )
        return result.modified_count == 1

    async def end_batch(self, batch_id: str) -> None:
        with pymongo.timeout(self._timeout_s):
            await self._sequence.update_one({"_id": SEQUENCE_ID, "batch.id": batch_id}, {"$set": {"batch": None}})

    async def mark_read(self, user_id: str, notification_id: str) -> None:
        await self.add_to_user(user_id, "read", notification_id)


def _with_recipients(document: dict[str, Any] | None) -> dict[str, Any] | None:
    if document is not None and isinstance(document.get("recipients"), str):
        document["recipients"] = json.loads(document["recipients"])
    return document
