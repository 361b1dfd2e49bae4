"""Small steps the order service's integration tests share: callers, merchants, deals, orders,
problem checks and reading the orders topic."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from liveline_shared.callers import Caller
from liveline_shared.events.topics import ORDERS
from liveline_shared.problems import PROBLEM_BASE, PROBLEM_JSON
from tests.random_refs import suffix
from tests.topic_events import topic_events

INTERNAL_TOKEN = f"order-tests-{uuid.uuid4().hex}"


def headers(caller: Caller | None, **extra: str) -> dict[str, str]:
    if caller is None:
        return {"X-Liveline-Internal-Token": INTERNAL_TOKEN, **extra}
    return {**caller.headers(INTERNAL_TOKEN), **extra}


def customer() -> Caller:
    return Caller(account_id=f"cust-{suffix()}", role="customer")


def staff(merchant_id: str) -> Caller:
    return Caller(account_id=f"staff-{suffix()}", role="staff", merchant_id=merchant_id)


def admin() -> Caller:
    return Caller(account_id=f"admin-{suffix()}", role="admin")


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def assert_problem(response: httpx.Response, status: int, slug: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON), response.headers
    body = response.json()
    assert body["type"] == PROBLEM_BASE + slug, body
    assert body["status"] == status
    return body


async def new_merchant(client: httpx.AsyncClient) -> dict:
    response = await client.post(
        "/merchants",
        json={"name": f"Hotpot {suffix()}", "address": "1 Nanjing Rd", "timezone": "Asia/Shanghai",
              "contact": "+862161234567"},
        headers=headers(admin()),
    )
    assert response.status_code == 201, response.text
    return response.json()


def deal_body(**overrides: Any) -> dict:
    now = datetime.now(UTC)
    body = {
        "title": "Hotpot for two",
        "description": "Two set menus",
        "price": {"amount_minor": 9900, "currency": "CNY"},
        "original_price": {"amount_minor": 19800, "currency": "CNY"},
        "stock": 50,
        "per_user_limit": 5,
        "sale_starts_at": iso(now - timedelta(minutes=1)),
        "sale_ends_at": iso(now + timedelta(hours=2)),
        "voucher_valid_from": iso(now - timedelta(minutes=1)),
        "voucher_valid_until": iso(now + timedelta(days=30)),
    }
    return {**body, **overrides}


async def new_deal(client: httpx.AsyncClient, merchant_id: str, *, on_sale: bool = True, **overrides: Any) -> dict:
    manager = staff(merchant_id)
    response = await client.post(f"/merchants/{merchant_id}/deals", json=deal_body(**overrides), headers=headers(manager))
    assert response.status_code == 201, response.text
    deal = response.json()
    if on_sale:
        response = await client.patch(f"/deals/{deal['deal_id']}", json={"status": "on_sale"}, headers=headers(manager))
        assert response.status_code == 200, response.text
        deal = response.json()
    return deal


async def get_deal(client: httpx.AsyncClient, deal_id: str) -> dict:
    response = await client.get(f"/deals/{deal_id}", headers=headers(admin()))
    assert response.status_code == 200, response.text
    return response.json()


async def place(
    client: httpx.AsyncClient, buyer: Caller, deal_id: str, quantity: int = 1, key: str | None = None
) -> httpx.Response:
    return await client.post(
        "/orders",
        json={"deal_id": deal_id, "quantity": quantity},
        headers=headers(buyer, **{"Idempotency-Key": key or uuid.uuid4().hex}),
    )


async def paid_order(client: httpx.AsyncClient, buyer: Caller, deal_id: str, quantity: int = 1) -> dict:
    response = await place(client, buyer, deal_id, quantity)
    assert response.status_code == 201, response.text
    order = response.json()
    assert order["status"] == "paid"
    return order


async def order_events(
    bootstrap: str, *, where: dict[str, str], expect: int, deadline_s: float = 60, settle_s: float = 2.0
) -> list[dict]:
    """Every event on the orders topic whose fields match `where` (see tests/topic_events.py)."""
    return await topic_events(bootstrap, ORDERS.name, where=where, expect=expect, deadline_s=deadline_s, settle_s=settle_s)


async def wait_for(check, *, deadline_s: float = 30, what: str = "condition") -> Any:
    deadline = time.monotonic() + deadline_s
    while not (result := await check()):
        assert time.monotonic() < deadline, f"timed out after {deadline_s}s waiting for {what}"
        await asyncio.sleep(0.1)
    return result
