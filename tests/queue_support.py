"""Steps the queue-notifier's tests share (its folder's name has a hyphen, so its tests import
them from here): the internal token, callers' headers, parties, ticks and slot choices on Kafka,
waiting on a condition, and the inbox."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import httpx

from liveline_shared.callers import Caller
from liveline_shared.events import QueueTick, SlotChosen, SlotWindow

T = TypeVar("T")

INTERNAL_TOKEN = f"queue-tests-{uuid.uuid4().hex}"


def headers(caller: Caller | None) -> dict[str, str]:
    return caller.headers(INTERNAL_TOKEN) if caller else {"X-Liveline-Internal-Token": INTERNAL_TOKEN}


async def add(client: httpx.AsyncClient, merchant_id: str, host: Caller, size: int, **details: str) -> httpx.Response:
    return await client.post(f"/merchants/{merchant_id}/waitlist", json={"size": size, **details}, headers=headers(host))


async def act(client: httpx.AsyncClient, merchant_id: str, host: Caller, party_id: str, action: str) -> httpx.Response:
    return await client.post(f"/merchants/{merchant_id}/waitlist/{party_id}/{action}", headers=headers(host))


def external_tick(merchant_id: str, at: datetime, parties: int, people: int, wait: int | None) -> QueueTick:
    return QueueTick(occurred_at=at, producer="acme-queue-system", merchant_id=merchant_id, waiting_parties=parties,
                     waiting_people=people, estimated_wait_minutes=wait)


def slot_window(merchant_id: str, starts_at: datetime, ends_at: datetime, period: str = "dinner") -> SlotWindow:
    """A merchant slot at the given instants (a unique meal period keeps tests' slots apart)."""
    return SlotWindow(slot_id=f"{merchant_id}:{starts_at.date().isoformat()}:{period}", meal_period=period,
                      local_date=starts_at.date().isoformat(), starts_at=starts_at, ends_at=ends_at)


def slot_chosen(merchant_id: str, buyer: Caller, *slots: SlotWindow, order_id: str | None = None) -> SlotChosen:
    return SlotChosen(occurred_at=datetime.now(UTC), producer="slots", offer_id=uuid.uuid4().hex,
                      order_id=order_id or uuid.uuid4().hex, user_id=buyer.account_id, merchant_id=merchant_id,
                      slots=slots)


async def wait_for(check: Callable[[], Awaitable[T | None]], *, deadline_s: float, what: str,
                   interval_s: float = 0.05) -> T:
    """The first truthy answer of `check`, asked every `interval_s` until `deadline_s` has passed."""
    deadline = time.monotonic() + deadline_s
    while True:
        answer = await check()
        if answer:
            return answer
        assert time.monotonic() < deadline, f"no {what} after {deadline_s}s"
        await asyncio.sleep(interval_s)


async def inbox(client: httpx.AsyncClient, buyer: Caller, **params: object) -> dict:
    response = await client.get("/users/me/notifications", params=params, headers=headers(buyer))
    assert response.status_code == 200, response.text
    return response.json()


async def queue_pushes(client: httpx.AsyncClient, buyer: Caller, order_id: str) -> list[dict]:
    """The buyer's queue updates for the order, oldest first."""
    notes = (await inbox(client, buyer, limit=100))["notifications"]
    return [n for n in reversed(notes) if n["subject"] == "queue_update" and n["order_id"] == order_id]


async def paid_order(order_client: httpx.AsyncClient, merchant_id: str, buyer: Caller, quantity: int = 1) -> dict:
    """An order of `quantity` vouchers of a new deal of the merchant's, paid (the sandbox provider)."""
    manager = Caller(account_id=f"staff-{uuid.uuid4().hex[:12]}", role="staff", merchant_id=merchant_id)
    now = datetime.now(UTC)
    deal = await order_client.post(f"/merchants/{merchant_id}/deals", headers=headers(manager), json={
        "title": "Dinner for two", "description": "Two set menus", "price": {"amount_minor": 9900, "currency": "CNY"},
        "original_price": {"amount_minor": 19800, "currency": "CNY"}, "stock": 50, "per_user_limit": 20,
        "sale_starts_at": (now - timedelta(minutes=1)).isoformat(), "sale_ends_at": (now + timedelta(hours=2)).isoformat(),
        "voucher_valid_from": (now - timedelta(minutes=1)).isoformat(),
        "voucher_valid_until": (now + timedelta(days=30)).isoformat(),
    })
    assert deal.status_code == 201, deal.text
    deal_id = deal.json()["deal_id"]
    on_sale = await order_client.patch(f"/deals/{deal_id}", json={"status": "on_sale"}, headers=headers(manager))
    assert on_sale.status_code == 200, on_sale.text
    order = await order_client.post("/orders", json={"deal_id": deal_id, "quantity": quantity},
                                    headers={**headers(buyer), "Idempotency-Key": uuid.uuid4().hex})
    assert order.status_code == 201 and order.json()["status"] == "paid", order.text
    return order.json()
