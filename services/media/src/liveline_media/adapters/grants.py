"""What the media service knows of orders (from the order service's events), one document per
order keyed by `_id` = order id: whose it is, whether it was redeemed, and its one video.

Each event's effect is one conditional update that also remembers the event id (apply_once), so
a redelivery changes nothing. Per-order ordering on the topic puts OrderPlaced first; it only
fills fields that are not there yet, so it never undoes a redemption.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pymongo
from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase

from liveline_shared.events import OrderPlaced, OrderRedeemed, OrderRefunded
from liveline_shared.idempotence import apply_once
from liveline_shared.outbox import aware

from ..domain.videos import Grant

COLLECTION = "orders"


def _grant(document: dict[str, Any]) -> Grant:
    redeemed_at = document.get("redeemed_at")
    return Grant(
        order_id=document["_id"],
        user_id=document["user_id"],
        merchant_id=document["merchant_id"],
        deal_id=document["deal_id"],
        status=document["status"],
        redeemed_at=aware(redeemed_at) if redeemed_at else None,
        video_id=document.get("video_id"),
    )


def _ids(event: OrderPlaced | OrderRedeemed | OrderRefunded) -> dict[str, str]:
    return {"user_id": event.user_id, "merchant_id": event.merchant_id, "deal_id": event.deal_id}


class GrantsRepository:
    def __init__(self, db: AsyncDatabase, timeout_s: float) -> None:
        self._orders = db[COLLECTION]
        self._timeout_s = timeout_s

    async def placed(self, event: OrderPlaced) -> None:
        update = {"$setOnInsert": {**_ids(event), "status": "placed"}}
        await apply_once(self._orders, {"_id": event.order_id}, update, event.event_id, upsert=True, timeout_s=self._timeout_s)

    async def redeemed(self, event: OrderRedeemed) -> None:
        update = {"$set": {**_ids(event), "status": "redeemed", "redeemed_at": event.occurred_at}}
        await apply_once(self._orders, {"_id": event.order_id}, update, event.event_id, upsert=True, timeout_s=self._timeout_s)

    async def refunded(self, event: OrderRefunded) -> None:
        update = {"$set": {**_ids(event), "status": "refunded"}}
        await apply_once(self._orders, {"_id": event.order_id}, update, event.event_id, upsert=True, timeout_s=self._timeout_s)

    async def get(self, order_id: str) -> Grant | None:
        with pymongo.timeout(self._timeout_s):
            document = await self._orders.find_one({"_id": order_id})
        return _grant(document) if document else None

    async def attach_video(self, order_id: str, user_id: str, previous: str | None, video_id: str) -> bool:
        """Makes `video_id` the order's one video, if the order still has `previous` (None: none)."""
        condition = {"_id": order_id, "user_id": user_id, "status": "redeemed", "video_id": previous}
        with pymongo.timeout(self._timeout_s):
            document = await self._orders.find_one_and_update(
                condition, {"$set": {"video_id": video_id}}, return_document=ReturnDocument.AFTER
            )
        return document is not None

    async def detach_video(self, order_id: str, video_id: str, now: datetime) -> None:
        with pymongo.timeout(self._timeout_s):
            await self._orders.update_one(
                {"_id": order_id, "video_id": video_id}, {"$set": {"video_id": None, "video_released_at": now}}
            )
