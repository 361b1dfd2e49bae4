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


def _order_field(order_id: str) -> str:
    return f"o{order_id}"


def _share(order_id: str) -> str:
    return f"orders.{_order_field(order_id)}"


class PurchasesRepository:
    def __init__(self, db: AsyncDatabase, timeout_s: float) -> None:
        self._purchases = db[COLLECTION]
        self._timeout_s = timeout_s

    async def reserve(self, deal_id: str, user_id: str, order_id: str, quantity: int, limit: int) -> bool:
        """Counts the order's units against the buyer's limit; False if they would exceed it."""
        if quantity > limit:
            return False
        key = _key(deal_id, user_id)
        if await self._take(key, order_id, quantity, limit):
            return True
        # No match: the buyer's first order of this deal (no document yet), the limit, or this
        # order's share already there (a repeat). The first is the common case: its document is
        # inserted with this order's share in it, one write.
        try:
            with pymongo.timeout(self._timeout_s):
                await self._purchases.insert_one(
                    {"_id": key, "deal_id": deal_id, "user_id": user_id, "count": quantity,
                     "orders": {_order_field(order_id): quantity}}
                )
            return True
        except DuplicateKeyError:
            pass  # it exists (a concurrent request of the same buyer may just have created it)
        if await self._take(key, order_id, quantity, limit):
            return True
        return await self.holds_quota_for(deal_id, user_id, order_id)

    async def _take(self, key: str, order_id: str, quantity: int, limit: int) -> bool:
        with pymongo.timeout(self._timeout_s):
            result = await self._purchases.update_one(
                {"_id": key, "count": {"$lte": limit - quantity}, _share(order_id): {"$exists": False}},
                {"$inc": {"count": quantity}, "$set": {_share(order_id): quantity}},
            )
        return result.matched_count == 1

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
