"""Steps the queue-notifier's tests share (its folder's name has a hyphen, so its tests import
them from here): the internal token, callers' headers, parties, ticks on Kafka."""

from __future__ import annotations

import uuid
from datetime import datetime

import httpx

from liveline_shared.callers import Caller
from liveline_shared.events import QueueTick

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
