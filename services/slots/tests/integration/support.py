"""Small steps the slots service's tests share: callers, merchants, events on Kafka, problems."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from liveline_shared.callers import Caller
from liveline_shared.events import OrderPlaced
from tests.callers import admin, customer, staff  # noqa: F401 - the tests take them from here
from tests.random_refs import suffix
from tests.service_tests import assert_problem, publish  # noqa: F401 - the tests take them from here
from tests.service_tests import new_merchant as merchant_in

INTERNAL_TOKEN = f"slots-tests-{uuid.uuid4().hex}"


def headers(caller: Caller | None) -> dict[str, str]:
    return caller.headers(INTERNAL_TOKEN) if caller else {"X-Liveline-Internal-Token": INTERNAL_TOKEN}


async def new_merchant(order_client: httpx.AsyncClient, timezone: str = "Asia/Shanghai") -> str:
    return await merchant_in(order_client, INTERNAL_TOKEN, timezone)


def order_placed(merchant_id: str, buyer: Caller, *, at: datetime | None = None, valid_days: int = 90,
                 order_id: str | None = None) -> OrderPlaced:
    at = at or datetime.now(UTC)
    return OrderPlaced(
        occurred_at=at, producer="order", order_id=order_id or uuid.uuid4().hex, deal_id=f"deal-{suffix()}",
        merchant_id=merchant_id, user_id=buyer.account_id, quantity=1, amount_minor=9900, currency="CNY",
        voucher_valid_from=at - timedelta(minutes=1), voucher_valid_until=at + timedelta(days=valid_days),
    )


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
