"""Small steps the slots service's tests share: callers, merchants, events on Kafka, problems."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from aiokafka import AIOKafkaProducer

from liveline_shared.callers import Caller
from liveline_shared.events import Event, OrderPlaced
from liveline_shared.problems import PROBLEM_BASE, PROBLEM_JSON
from tests.random_refs import suffix

INTERNAL_TOKEN = f"slots-tests-{uuid.uuid4().hex}"


def headers(caller: Caller | None) -> dict[str, str]:
    return caller.headers(INTERNAL_TOKEN) if caller else {"X-Liveline-Internal-Token": INTERNAL_TOKEN}


def customer() -> Caller:
    return Caller(account_id=f"cust-{suffix()}", role="customer")


def staff(merchant_id: str) -> Caller:
    return Caller(account_id=f"staff-{suffix()}", role="staff", merchant_id=merchant_id)


def admin() -> Caller:
    return Caller(account_id=f"admin-{suffix()}", role="admin")


def assert_problem(response: httpx.Response, status: int, slug: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON), response.headers
    body = response.json()
    assert body["type"] == PROBLEM_BASE + slug, body
    return body


async def new_merchant(order_client: httpx.AsyncClient, timezone: str = "Asia/Shanghai") -> str:
    response = await order_client.post(
        "/merchants",
        json={"name": f"Noodles {suffix()}", "address": "1 Nanjing Rd", "timezone": timezone, "contact": "+862161234567"},
        headers=headers(admin()),
    )
    assert response.status_code == 201, response.text
    return response.json()["merchant_id"]


def order_placed(merchant_id: str, buyer: Caller, *, at: datetime | None = None, valid_days: int = 90,
                 order_id: str | None = None) -> OrderPlaced:
    at = at or datetime.now(UTC)
    return OrderPlaced(
        occurred_at=at, producer="order", order_id=order_id or uuid.uuid4().hex, deal_id=f"deal-{suffix()}",
        merchant_id=merchant_id, user_id=buyer.account_id, quantity=1, amount_minor=9900, currency="CNY",
        voucher_valid_from=at - timedelta(minutes=1), voucher_valid_until=at + timedelta(days=valid_days),
    )


async def publish(producer: AIOKafkaProducer, *events: Event) -> None:
    for event in events:
        await producer.send_and_wait(event.topic, event.to_bytes(), key=event.key.encode(),
                                     headers=[(k, v.encode()) for k, v in event.headers().items()])


async def offer_of(client: httpx.AsyncClient, order_id: str, caller: Caller, *, deadline_s: float = 30,
                   where: Any = None) -> dict:
    """The order's offer once it is readable (and, with `where`, once where(offer) holds)."""
    deadline = time.monotonic() + deadline_s
    while True:
        response = await client.get(f"/orders/{order_id}/offer", headers=headers(caller))
        if response.status_code == 200 and (where is None or where(response.json())):
            return response.json()
        assert time.monotonic() < deadline, f"no offer for {order_id}: {response.status_code} {response.text}"
        await asyncio.sleep(0.05)
