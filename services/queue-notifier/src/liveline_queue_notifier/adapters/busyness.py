"""The busyness history: one document per merchant, weekday and local hour (`_id` =
"<merchant>:<weekday>:<hour>") with the recent days' covered seconds and weighted people and
wait, and one per merchant with the last QueueTick seen. Each tick's credit is applied once per
document (`apply_once`); the last tick moves only after its credits are stored."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import pymongo
from pymongo.asynchronous.database import AsyncDatabase

from liveline_shared.idempotence import apply_once

from ..domain.busyness import HOURS, WEEKDAYS, Credit

CELLS = "busyness"
LAST_TICKS = "busyness_last_ticks"


def cell_id(merchant_id: str, weekday: str, hour: int) -> str:
    return f"{merchant_id}:{weekday}:{hour:02d}"


class BusynessRepository:
    def __init__(self, db: AsyncDatabase, timeout_s: float) -> None:
        self._cells = db[CELLS]
        self._last = db[LAST_TICKS]
        self._timeout_s = timeout_s

    async def last_tick(self, merchant_id: str) -> dict[str, Any] | None:
        with pymongo.timeout(self._timeout_s):
            document = await self._last.find_one({"_id": merchant_id})
        return document.get("tick") if document else None

    async def credit(self, merchant_id: str, credit: Credit, forget: list[str], event_id: str) -> None:
        prefix = f"days.{credit.local_date.isoformat()}"
        increments = {f"{prefix}.covered_s": credit.seconds, f"{prefix}.people_s": credit.people_seconds}
        if credit.wait_seconds is not None:
            increments[f"{prefix}.wait_s"] = credit.wait_seconds
            increments[f"{prefix}.wait_covered_s"] = credit.seconds
        update: dict[str, Any] = {"$inc": increments}
        if forget:
            update["$unset"] = {f"days.{day}": "" for day in forget}
        await apply_once(self._cells, {"_id": cell_id(merchant_id, credit.weekday, credit.hour)}, update, event_id,
                         upsert=True, timeout_s=self._timeout_s)

    async def days_of(self, merchant_id: str, weekday: str, hour: int) -> dict[str, Any]:
        with pymongo.timeout(self._timeout_s):
            document = await self._cells.find_one({"_id": cell_id(merchant_id, weekday, hour)})
        return (document or {}).get("days", {})

    async def move_last_tick(self, merchant_id: str, previous_at: datetime | None, tick: dict[str, Any], event_id: str) -> bool:
        condition: dict[str, Any] = {"_id": merchant_id}
        condition["tick.at"] = previous_at if previous_at is not None else {"$exists": False}
        return await apply_once(self._last, condition, {"$set": {"tick": tick}}, event_id,
                                upsert=previous_at is None, timeout_s=self._timeout_s)

    async def week(self, merchant_id: str) -> dict[tuple[str, int], dict[str, Any]]:
        """Every weekday and hour's days (one lookup by `_id` each, side by side)."""
        keys = [(weekday, hour) for weekday in WEEKDAYS for hour in HOURS]

        async def one(weekday: str, hour: int) -> dict[str, Any] | None:
            return await self._cells.find_one({"_id": cell_id(merchant_id, weekday, hour)})

        with pymongo.timeout(self._timeout_s):
            documents = await asyncio.gather(*(one(*key) for key in keys))
        return {key: (document or {}).get("days", {}) for key, document in zip(keys, documents, strict=True)}
