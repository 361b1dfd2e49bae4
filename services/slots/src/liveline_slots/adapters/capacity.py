"""Places taken in capped slots: one document per merchant slot (`_id` = slot id) counting the
orders holding a place, with the holders themselves, so taking and giving back are idempotent.

Taking is one conditional update (`taken < capacity` and this order not yet a holder): under
any number of concurrent choosers a slot is never oversubscribed.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

import pymongo
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

COLLECTION = "slot_capacity"


class CapacityRepository:
    def __init__(self, db: AsyncDatabase, timeout_s: float) -> None:
        self._slots = db[COLLECTION]
        self._timeout_s = timeout_s

    async def take(self, slot_id: str, order_id: str, capacity: int, now: datetime) -> bool:
        """Gives the order a place in the slot; False when the slot is full. Taking twice is one place."""
        holder = f"holders.{order_id}"
        while True:
            with pymongo.timeout(self._timeout_s):
                result = await self._slots.update_one(
                    {"_id": slot_id, "taken": {"$lt": capacity}, holder: {"$exists": False}},
                    {"$inc": {"taken": 1}, "$set": {holder: now}},
                )
                if result.modified_count == 1:
                    return True
                document = await self._slots.find_one({"_id": slot_id})
                if document is not None:
                    return order_id in document.get("holders", {})
                try:
                    await self._slots.insert_one({"_id": slot_id, "taken": 1, "holders": {order_id: now}})
                    return True
                except DuplicateKeyError:
                    continue  # another chooser created it first: try the conditional update again

    async def give_back(self, slot_id: str, order_id: str) -> None:
        holder = f"holders.{order_id}"
        with pymongo.timeout(self._timeout_s):
            await self._slots.update_one(
                {"_id": slot_id, holder: {"$exists": True}}, {"$inc": {"taken": -1}, "$unset": {holder: ""}}
            )

    async def taken(self, slot_ids: list[str]) -> dict[str, int]:
        """Places taken per slot (slots nobody took are absent).

        One lookup by `_id` per slot, side by side: the embedded server answers `{_id: {$in: …}}`
        by reading the whole collection (715 ms at 20,000 slots, against 7 ms for 14 lookups).
        """
        async def one(slot_id: str) -> dict | None:
            return await self._slots.find_one({"_id": slot_id}, {"taken": 1})

        with pymongo.timeout(self._timeout_s):
            documents = await asyncio.gather(*(one(slot_id) for slot_id in slot_ids))
        return {document["_id"]: document["taken"] for document in documents if document is not None}
