"""Users' inboxes in the queue-notifier's database, every read and write by `_id`:

* `push_moments` — `_id` = `<slot id>@<moment>`: what a merchant slot's subscribers were told at
  one moment, stored once however many subscribers share it.
* `inbox` — `_id` = the notification id, a dedupe key (`<slot id>@<moment>~<order id>` for a
  queue push): the recipient, the kind, a reference to the moment or the content, read or not,
  and the outbox its NotificationCreated rides in.
* `inbox_users` — `_id` = user id: the user's notification ids, oldest first, and the unread ones
  (what the list pages through, newest first, without scanning the inbox).
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import pymongo
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from liveline_shared.events import Event
from liveline_shared.outbox import merge_updates, outbox_fields

MOMENTS = "push_moments"
INBOX = "inbox"
USERS = "inbox_users"


class InboxRepository:
    def __init__(self, db: AsyncDatabase, timeout_s: float) -> None:
        self._moments = db[MOMENTS]
        self._inbox = db[INBOX]
        self._users = db[USERS]
        self._timeout_s = timeout_s

    async def moment(self, moment_id: str) -> dict[str, Any] | None:
        with pymongo.timeout(self._timeout_s):
            return await self._moments.find_one({"_id": moment_id})

    async def store_moment(self, moment_id: str, content: dict[str, Any]) -> dict[str, Any]:
        """The moment's content: this one, or the one stored before a crash (never two versions)."""
        with pymongo.timeout(self._timeout_s):
            try:
                await self._moments.insert_one({"_id": moment_id, **content})
            except DuplicateKeyError:
                pass
            stored = await self._moments.find_one({"_id": moment_id})
        assert stored is not None
        return stored

    async def deliver(self, entry: dict[str, Any], event: Event, now: datetime) -> bool:
        """Stores the entry with its NotificationCreated (False if it exists: a dedupe key), then
        lists it in the user's index (again after a crash in between: the list is a set)."""
        created = True
        with pymongo.timeout(self._timeout_s):
            try:
                await self._inbox.insert_one({**entry, **outbox_fields(event, now=now)})
            except DuplicateKeyError:
                created = False
            await self._list(entry["user_id"], entry["_id"])
        return created

    async def _list(self, user_id: str, entry_id: str) -> None:
        update = merge_updates({"$setOnInsert": {"user_id": user_id}}, {"$push": {"ids": entry_id, "unread": entry_id}})
        filter_ = {"_id": user_id, "ids": {"$ne": entry_id}}
        try:
            await self._users.update_one(filter_, update, upsert=True)
        except DuplicateKeyError:
            # Listed already (nothing to do), or another entry created the user's document meanwhile.
            await self._users.update_one(filter_, {"$push": update["$push"]})

    async def index(self, user_id: str) -> dict[str, Any]:
        with pymongo.timeout(self._timeout_s):
            return await self._users.find_one({"_id": user_id}) or {"ids": [], "unread": []}

    async def entries(self, ids: list[str]) -> list[dict[str, Any]]:
        with pymongo.timeout(self._timeout_s):
            found = await asyncio.gather(*(self._inbox.find_one({"_id": entry_id}) for entry_id in ids))
        return [entry for entry in found if entry is not None]

    async def moments(self, ids: set[str]) -> dict[str, dict[str, Any]]:
        with pymongo.timeout(self._timeout_s):
            found = await asyncio.gather(*(self._moments.find_one({"_id": moment_id}) for moment_id in ids))
        return {moment["_id"]: moment for moment in found if moment is not None}

    async def mark_read(self, user_id: str, entry_id: str, now: datetime) -> bool:
        with pymongo.timeout(self._timeout_s):
            result = await self._inbox.update_one({"_id": entry_id, "user_id": user_id}, {"$set": {"read_at": now}})
            if result.matched_count:
                await self._users.update_one({"_id": user_id}, {"$pull": {"unread": entry_id}})
        return result.matched_count == 1
