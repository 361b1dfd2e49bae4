"""Choices in progress: a small collection (`_id` = "<order id>:<choice id>") that lists, while
a choice is being made, the places it takes and the places it gives back. A request that dies
half-way leaves its entry behind; the recovery sweep (handlers/choices.py) finishes the job, so
no place stays taken by a choice that was never made. Only this small collection is scanned."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pymongo
from pymongo.asynchronous.database import AsyncDatabase

COLLECTION = "choices_in_progress"


class ChoicesInProgress:
    def __init__(self, db: AsyncDatabase, timeout_s: float) -> None:
        self._entries = db[COLLECTION]
        self._timeout_s = timeout_s

    async def start(self, order_id: str, choice_id: str, claims: list[str], releases: list[str], now: datetime) -> None:
        with pymongo.timeout(self._timeout_s):
            await self._entries.insert_one({
                "_id": f"{order_id}:{choice_id}", "order_id": order_id, "choice_id": choice_id,
                "claims": claims, "releases": releases, "started_at": now,
            })

    async def finish(self, order_id: str, choice_id: str) -> None:
        with pymongo.timeout(self._timeout_s):
            await self._entries.delete_one({"_id": f"{order_id}:{choice_id}"})

    async def stale(self, before: datetime, limit: int = 100) -> list[dict[str, Any]]:
        with pymongo.timeout(self._timeout_s):
            return await self._entries.find({"started_at": {"$lt": before}}).limit(limit).to_list(None)
