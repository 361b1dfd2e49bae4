"""The merchant's queue history as the slots service keeps it: one document per merchant
(`_id` = merchant id) with the last QueueTick and the recent services' time-weighted waits
(domain/waits.py). Each tick is one update of that document, applied once per event id."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pymongo
from pymongo.asynchronous.database import AsyncDatabase

from liveline_shared.idempotence import apply_once

COLLECTION = "wait_history"


class HistoryRepository:
    def __init__(self, db: AsyncDatabase, timeout_s: float) -> None:
        self._history = db[COLLECTION]
        self._timeout_s = timeout_s

    async def get(self, merchant_id: str) -> dict[str, Any]:
        with pymongo.timeout(self._timeout_s):
            document = await self._history.find_one({"_id": merchant_id})
        # The first tick of a merchant stores only itself: no service is credited before a second.
        return {"services": {}, **(document or {"_id": merchant_id})}

    async def record(
        self, merchant_id: str, last_tick_at: datetime | None, update: dict[str, Any], event_id: str
    ) -> bool:
        """Applies a tick's update if the last tick is still the one it was computed from."""
        condition: dict[str, Any] = {"_id": merchant_id}
        condition["last_tick.at"] = last_tick_at if last_tick_at is not None else {"$exists": False}
        return await apply_once(self._history, condition, update, event_id, upsert=last_tick_at is None,
                                timeout_s=self._timeout_s)
