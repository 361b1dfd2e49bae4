"""How many units of a deal each buyer holds: one document per (deal, buyer).

`count` is the units held by the buyer's paid or in-flight orders; `orders.o<order_id>` records
each order's share, so reserving and giving back are idempotent per order and checkable after
a crash. The conditional $inc keeps `count` within the deal's per-user limit under any
concurrency.
"""

from __future__ import annotations

import pymongo
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

COLLECTION = "deal_purchases"


def _key(deal_id: str, user_id: str) -> str:
    return f"{deal_id}:{user_id}"


def _share(order_id: str) -> str:
    return f"orders.o{order_id}"


class PurchasesRepository:
    def __init__(self, db: AsyncDatabase, timeout_s: float) -> None:
        self._purchases = db[COLLECTION]
        self._timeout_s = timeout_s

    async def reserve(self, deal_id: str, user_id: str, order_id: str, quantity: int, limit: int) -> bool:
        """Counts the order's units against the buyer's limit; False if they would exceed it."""
        if quantity > limit:
            return False
        key = _key(deal_id, user_id)
        try:
            with pymongo.timeout(self._timeout_s):
                await self._purchases.update_one(
                    {"_id": key},
                    {"$setOnInsert": {"deal_id": deal_id, "user_id": user_id, "count": 0, "orders": {}}},
                    upsert=True,
                )
        except DuplicateKeyError:
            pass  # a concurrent request of the same buyer created it first
        with pymongo.timeout(self._timeout_s):
            result = await self._purchases.update_one(
                {"_id": key, "count": {"$lte": limit - quantity}, _share(order_id): {"$exists": False}},
                {"$inc": {"count": quantity}, "$set": {_share(order_id): quantity}},
            )
        if result.matched_count == 1:
            return True
        return await self.holds_quota_for(deal_id, user_id, order_id)

    async def holds_quota_for(self, deal_id: str, user_id: str, order_id: str) -> bool:
        with pymongo.timeout(self._timeout_s):
            return await self._purchases.count_documents(
                {"_id": _key(deal_id, user_id), _share(order_id): {"$exists": True}}
            ) == 1

    async def release(self, deal_id: str, user_id: str, order_id: str, quantity: int) -> None:
        """Gives the order's units back to the buyer's allowance, once."""
        with pymongo.timeout(self._timeout_s):
            await self._purchases.update_one(
                {"_id": _key(deal_id, user_id), _share(order_id): {"$exists": True}},
                {"$inc": {"count": -quantity}, "$unset": {_share(order_id): ""}},
            )
