"""Deals in the order service's database, and the stock counter that must never go below zero.

Stock is reserved per order with one conditional update that also records a hold,
`holds.o<order_id>: quantity`, in the deal. The hold makes every later step idempotent and
checkable after a crash: releasing it gives the stock back once, settling it (the order was
paid) just forgets it. A refund gives stock back once under a `returns.o<order_id>` marker,
which is removed once the refunded order is settled.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pymongo
from pymongo.asynchronous.database import AsyncDatabase

from ..domain.deals import Deal
from ..domain.money import Money

COLLECTION = "deals"


def _hold(order_id: str) -> str:
    # The "o" keeps a field name that is all digits from reading as an array index.
    return f"holds.o{order_id}"


def _return_marker(order_id: str) -> str:
    return f"returns.o{order_id}"


def _money(document: dict[str, Any]) -> Money:
    return Money(document["amount_minor"], document["currency"])


def _money_document(money: Money) -> dict[str, Any]:
    return {"amount_minor": money.amount_minor, "currency": money.currency}


def deal_fields(deal: Deal) -> dict[str, Any]:
    return {
        "merchant_id": deal.merchant_id,
        "status": deal.status,
        "title": deal.title,
        "description": deal.description,
        "price": _money_document(deal.price),
        "original_price": _money_document(deal.original_price),
        "stock": deal.stock,
        "unlimited": deal.stock is None,
        "sold": deal.sold,
        "per_user_limit": deal.per_user_limit,
        "sale_starts_at": deal.sale_starts_at,
        "sale_ends_at": deal.sale_ends_at,
        "voucher_valid_from": deal.voucher_valid_from,
        "voucher_valid_until": deal.voucher_valid_until,
        "created_at": deal.created_at,
    }


def _from_document(document: dict[str, Any]) -> Deal:
    return Deal(
        deal_id=document["_id"],
        merchant_id=document["merchant_id"],
        status=document["status"],
        title=document["title"],
        description=document["description"],
        price=_money(document["price"]),
        original_price=_money(document["original_price"]),
        stock=None if document.get("unlimited") else document["stock"],
        sold=document["sold"],
        per_user_limit=document["per_user_limit"],
        sale_starts_at=document["sale_starts_at"],
        sale_ends_at=document["sale_ends_at"],
        voucher_valid_from=document["voucher_valid_from"],
        voucher_valid_until=document["voucher_valid_until"],
        created_at=document["created_at"],
    )


class DealsRepository:
    def __init__(self, db: AsyncDatabase, timeout_s: float) -> None:
        self._deals = db[COLLECTION]
        self._timeout_s = timeout_s

    async def ensure_indexes(self) -> None:
        with pymongo.timeout(self._timeout_s):
            await self._deals.create_index([("status", 1), ("merchant_id", 1), ("created_at", 1)], name="by_status")

    async def add(self, deal: Deal) -> None:
        with pymongo.timeout(self._timeout_s):
            await self._deals.insert_one({"_id": deal.deal_id, **deal_fields(deal), "holds": {}, "returns": {}})

    async def get(self, deal_id: str) -> Deal | None:
        with pymongo.timeout(self._timeout_s):
            document = await self._deals.find_one({"_id": deal_id})
        return _from_document(document) if document else None

    async def page(self, *, statuses: list[str], merchant_id: str | None, limit: int, offset: int) -> list[Deal]:
        query: dict[str, Any] = {"status": {"$in": statuses}}
        if merchant_id is not None:
            query["merchant_id"] = merchant_id
        with pymongo.timeout(self._timeout_s):
            cursor = self._deals.find(query).sort([("created_at", 1), ("_id", 1)]).skip(offset).limit(limit)
            return [_from_document(d) async for d in cursor]

    async def save_change(self, before: Deal, after: Deal) -> bool:
        """Writes a changed deal if its status is still the one we read; False if someone changed it meanwhile.

        Once on sale, only the status is written: stock and sold move under concurrent orders
        and must not be overwritten from our earlier read.
        """
        fields = deal_fields(after)
        fields.pop("created_at")
        if before.status != "draft":
            fields = {"status": after.status}
        with pymongo.timeout(self._timeout_s):
            result = await self._deals.update_one({"_id": before.deal_id, "status": before.status}, {"$set": fields})
        return result.matched_count == 1

    async def reserve_stock(self, deal: Deal, order_id: str, quantity: int, now: datetime) -> bool:
        """Takes `quantity` units for the order if the deal is on sale now and has them; False if not.

        Idempotent: a second call for the same order matches nothing (its hold exists).
        """
        condition: dict[str, Any] = {
            "_id": deal.deal_id,
            "status": "on_sale",
            "sale_starts_at": {"$lte": now},
            "sale_ends_at": {"$gt": now},
            _hold(order_id): {"$exists": False},
        }
        update: dict[str, Any] = {"$inc": {"sold": quantity}, "$set": {_hold(order_id): quantity}}
        if deal.stock is None:
            condition["unlimited"] = True
        else:
            condition["stock"] = {"$gte": quantity}
            update["$inc"]["stock"] = -quantity
        with pymongo.timeout(self._timeout_s):
            result = await self._deals.update_one(condition, update)
        return result.matched_count == 1

    async def holds_stock_for(self, deal_id: str, order_id: str) -> bool:
        with pymongo.timeout(self._timeout_s):
            return await self._deals.count_documents({"_id": deal_id, _hold(order_id): {"$exists": True}}) == 1

    async def release_hold(self, deal: Deal, order_id: str, quantity: int) -> None:
        """Gives a reserved (unpaid) order's units back, once."""
        await self._give_back(deal, {_hold(order_id): {"$exists": True}}, {"$unset": {_hold(order_id): ""}}, quantity)

    async def settle_hold(self, deal_id: str, order_id: str) -> None:
        """The order was paid: its units are sold for good; forget the hold."""
        with pymongo.timeout(self._timeout_s):
            await self._deals.update_one(
                {"_id": deal_id, _hold(order_id): {"$exists": True}}, {"$unset": {_hold(order_id): ""}}
            )

    async def settle_holds(self, deal_id: str, order_ids: list[str]) -> None:
        """Forgets the holds of several paid orders of the deal in one write ($unset of a hold
        that is gone already changes nothing, so this is idempotent like settle_hold)."""
        with pymongo.timeout(self._timeout_s):
            await self._deals.update_one({"_id": deal_id}, {"$unset": {_hold(order_id): "" for order_id in order_ids}})

    async def return_refunded(self, deal: Deal, order_id: str, quantity: int) -> None:
        """A refunded order's units go back on sale, once (the marker says it was done)."""
        await self._give_back(
            deal, {_return_marker(order_id): {"$exists": False}}, {"$set": {_return_marker(order_id): quantity}}, quantity
        )

    async def forget_return(self, deal_id: str, order_id: str) -> None:
        """The refund is settled for good: its marker is no longer needed."""
        with pymongo.timeout(self._timeout_s):
            await self._deals.update_one(
                {"_id": deal_id, _return_marker(order_id): {"$exists": True}}, {"$unset": {_return_marker(order_id): ""}}
            )

    async def _give_back(self, deal: Deal, condition: dict[str, Any], marker: dict[str, Any], quantity: int) -> None:
        update: dict[str, Any] = {**marker, "$inc": {"sold": -quantity}}
        if deal.stock is not None:
            update["$inc"]["stock"] = quantity
        with pymongo.timeout(self._timeout_s):
            await self._deals.update_one({"_id": deal.deal_id, **condition}, update)
