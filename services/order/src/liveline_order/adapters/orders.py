"""Orders in the order service's database, and the vouchers that point at them.

Every status change is one find_one_and_update conditioned on the status before it, carrying
the events it causes in the same update (liveline_shared.outbox). The order's _id is derived
from (buyer, Idempotency-Key), so inserting it is also claiming the key.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pymongo
from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from liveline_shared.events import Event
from liveline_shared.outbox import WriteLease, merge_updates, outbox_update

from ..domain.money import Money
from ..domain.orders import Order, Payment, Voucher

COLLECTION = "orders"
VOUCHERS = "vouchers"


def to_document(order: Order) -> dict[str, Any]:
    return {
        "_id": order.order_id,
        "status": order.status,
        "user_id": order.user_id,
        "deal_id": order.deal_id,
        "merchant_id": order.merchant_id,
        "quantity": order.quantity,
        "amount": {"amount_minor": order.amount.amount_minor, "currency": order.amount.currency},
        "request_fingerprint": order.request_fingerprint,
        "correlation_id": order.correlation_id,
        "created_at": order.created_at,
        "updated_at": order.updated_at,
        "settled": order.settled,
    }


def _voucher_document(voucher: Voucher) -> dict[str, Any]:
    return {
        "code": voucher.code,
        "qr_payload": voucher.qr_payload,
        "valid_from": voucher.valid_from,
        "valid_until": voucher.valid_until,
    }


def from_document(document: dict[str, Any]) -> Order:
    voucher = document.get("voucher")
    payment = document.get("payment")
    return Order(
        order_id=document["_id"],
        status=document["status"],
        user_id=document["user_id"],
        deal_id=document["deal_id"],
        merchant_id=document["merchant_id"],
        quantity=document["quantity"],
        amount=Money(document["amount"]["amount_minor"], document["amount"]["currency"]),
        request_fingerprint=document["request_fingerprint"],
        correlation_id=document.get("correlation_id"),
        created_at=document["created_at"],
        updated_at=document["updated_at"],
        settled=document["settled"],
        voucher=Voucher(**voucher) if voucher else None,
        payment=Payment(**payment) if payment else None,
        rejection_reason=document.get("rejection_reason"),
        paid_at=document.get("paid_at"),
        redeemed_at=document.get("redeemed_at"),
        redeemed_by=document.get("redeemed_by"),
        refunded_at=document.get("refunded_at"),
        refunded_by=document.get("refunded_by"),
    )


class OrdersRepository:
    def __init__(self, db: AsyncDatabase, timeout_s: float) -> None:
        self._orders = db[COLLECTION]
        self._vouchers = db[VOUCHERS]
        self._timeout_s = timeout_s

    async def ensure_indexes(self) -> None:
        with pymongo.timeout(self._timeout_s):
            await self._orders.create_index([("settled", 1), ("updated_at", 1)], name="unsettled")
            await self._orders.create_index([("user_id", 1), ("created_at", -1)], name="by_user")
            await self._orders.create_index([("merchant_id", 1), ("created_at", -1)], name="by_merchant")
            await self._orders.create_index([("created_at", -1)], name="by_created_at")

    async def claim(self, order: Order) -> Order | None:
        """Inserts a new pending order; None if it was inserted, else the order already there."""
        try:
            with pymongo.timeout(self._timeout_s):
                await self._orders.insert_one(to_document(order))
        except DuplicateKeyError:
            existing = await self.get(order.order_id)
            if existing is None:  # cannot happen: orders are never deleted
                raise
            return existing
        return None

    async def get(self, order_id: str) -> Order | None:
        with pymongo.timeout(self._timeout_s):
            document = await self._orders.find_one({"_id": order_id})
        return from_document(document) if document else None

    async def page(
        self, *, user_id: str | None, merchant_id: str | None, status: str | None, deal_id: str | None,
        limit: int, offset: int,
    ) -> list[Order]:
        """Newest first; each filter given narrows the page."""
        filters = {"user_id": user_id, "merchant_id": merchant_id, "status": status, "deal_id": deal_id}
        query = {name: value for name, value in filters.items() if value is not None}
        with pymongo.timeout(self._timeout_s):
            cursor = self._orders.find(query).sort([("created_at", -1), ("_id", 1)]).skip(offset).limit(limit)
            return [from_document(d) async for d in cursor]

    async def unsettled_before(self, moment: datetime, limit: int) -> list[Order]:
        with pymongo.timeout(self._timeout_s):
            cursor = self._orders.find({"settled": False, "updated_at": {"$lt": moment}}).limit(limit)
            return [from_document(d) async for d in cursor]

    async def claim_voucher_code(self, code: str, order_id: str) -> bool:
        """Reserves a voucher code for the order; False if another order has it (the _id is unique)."""
        try:
            with pymongo.timeout(self._timeout_s):
                await self._vouchers.insert_one({"_id": code, "order_id": order_id})
        except DuplicateKeyError:
            with pymongo.timeout(self._timeout_s):
                return await self._vouchers.count_documents({"_id": code, "order_id": order_id}) == 1
        return True

    async def order_id_of_voucher(self, code: str) -> str | None:
        with pymongo.timeout(self._timeout_s):
            document = await self._vouchers.find_one({"_id": code})
        return document["order_id"] if document else None

    async def _transition(
        self, condition: dict[str, Any], fields: dict[str, Any], events: tuple[Event, ...], now: datetime,
        lease: WriteLease | None = None,
    ) -> Order | None:
        """One conditional status change with its events; `lease` (the relay's, for these events)
        lets the relay publish them without claiming the order first."""
        update = merge_updates({"$set": {**fields, "updated_at": now}}, outbox_update(*events, now=now, lease=lease))
        with pymongo.timeout(self._timeout_s):
            document = await self._orders.find_one_and_update(condition, update, return_document=ReturnDocument.AFTER)
        return from_document(document) if document else None

    async def mark_paid(
        self, order_id: str, voucher: Voucher, payment: Payment, event: Event, now: datetime,
        lease: WriteLease | None = None,
    ) -> Order | None:
        """pending -> paid with its voucher and OrderPlaced; None if the order was no longer pending."""
        fields = {
            "status": "paid", "voucher": _voucher_document(voucher), "settled": False, "paid_at": now,
            "payment": {"provider": payment.provider, "sandbox": payment.sandbox, "reference": payment.reference},
        }
        return await self._transition({"_id": order_id, "status": "pending"}, fields, (event,), now, lease)

    async def renew_pending(self, order_id: str, now: datetime) -> bool:
        """Renews a placing request's lease on its pending order; False once the order was decided."""
        with pymongo.timeout(self._timeout_s):
            result = await self._orders.update_one({"_id": order_id, "status": "pending"}, {"$set": {"updated_at": now}})
        return result.matched_count == 1

    async def mark_rejected(
        self, order_id: str, reason: str, now: datetime, *, if_updated_at: datetime | None = None
    ) -> Order | None:
        """pending -> rejected; None if it was no longer pending (or, with `if_updated_at`, was renewed)."""
        condition: dict[str, Any] = {"_id": order_id, "status": "pending"}
        if if_updated_at is not None:
            condition["updated_at"] = if_updated_at
        fields = {"status": "rejected", "rejection_reason": reason, "settled": False}
        return await self._transition(condition, fields, (), now)

    async def redeem(
        self, order_id: str, code: str, merchant_id: str, staff_id: str, event: Event, now: datetime,
        lease: WriteLease | None = None,
    ) -> Order | None:
        """paid -> redeemed, only for this merchant's staff within the voucher's validity; None if not."""
        condition = {
            "_id": order_id,
            "status": "paid",
            "merchant_id": merchant_id,
            "voucher.code": code,
            "voucher.valid_from": {"$lte": now},
            "voucher.valid_until": {"$gte": now},
        }
        fields = {"status": "redeemed", "redeemed_at": now, "redeemed_by": staff_id}
        return await self._transition(condition, fields, (event,), now, lease)

    async def refund(
        self, order_id: str, refunded_by: str, event: Event, now: datetime, lease: WriteLease | None = None
    ) -> Order | None:
        """paid (and so unredeemed) -> refunded with OrderRefunded; None if it was not paid."""
        fields = {"status": "refunded", "refunded_at": now, "refunded_by": refunded_by, "settled": False}
        return await self._transition({"_id": order_id, "status": "paid"}, fields, (event,), now, lease)

    async def mark_many_settled(self, order_ids: list[str], status: str) -> None:
        """mark_settled for several orders in one write; an order no longer in `status` is left alone."""
        with pymongo.timeout(self._timeout_s):
            await self._orders.update_many({"_id": {"$in": order_ids}, "status": status}, {"$set": {"settled": True}})

    async def mark_settled(self, order_id: str, status: str) -> None:
        """Nothing is left to do for the order in its current status."""
        with pymongo.timeout(self._timeout_s):
            await self._orders.update_one({"_id": order_id, "status": status}, {"$set": {"settled": True}})
