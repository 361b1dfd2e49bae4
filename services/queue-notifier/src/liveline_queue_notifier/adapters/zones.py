"""Merchants' time zones as this service keeps them (`_id` = merchant id), asked of the order
service once per merchant (liveline_shared.merchant_directory)."""

from __future__ import annotations

import pymongo
from pymongo.asynchronous.database import AsyncDatabase

COLLECTION = "merchant_zones"


class ZonesRepository:
    def __init__(self, db: AsyncDatabase, timeout_s: float) -> None:
        self._zones = db[COLLECTION]
        self._timeout_s = timeout_s

    async def get(self, merchant_id: str) -> str | None:
        with pymongo.timeout(self._timeout_s):
            document = await self._zones.find_one({"_id": merchant_id})
        return document["timezone"] if document else None

    async def put(self, merchant_id: str, timezone: str) -> None:
        with pymongo.timeout(self._timeout_s):
            await self._zones.update_one({"_id": merchant_id}, {"$set": {"timezone": timezone}}, upsert=True)
