"""Steps the media service's integration tests share: callers, a merchant in the order service,
orders placed and redeemed on Kafka, uploads straight to MinIO, waiting for the edit, and
reading the videos topic."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaProducer

from liveline_shared.callers import Caller
from liveline_shared.events import Event, OrderPlaced, OrderRedeemed
from liveline_shared.events.topics import VIDEOS
from tests.callers import admin, customer, staff  # noqa: F401 - the tests take them from here
from tests.random_refs import suffix
from tests.service_tests import assert_problem  # noqa: F401 - the tests take it from here
from tests.topic_events import topic_events

INTERNAL_TOKEN = f"media-tests-{uuid.uuid4().hex}"
PART_SIZE = 5 * 1024 * 1024
MERCHANT_NAME = "海底捞火锅 Hotpot"


def headers(caller: Caller | None) -> dict[str, str]:
    if caller is None:
        return {"X-Liveline-Internal-Token": INTERNAL_TOKEN}
    return caller.headers(INTERNAL_TOKEN)






async def wait_for(check, *, deadline_s: float = 30, what: str = "condition", interval_s: float = 0.1) -> Any:
    deadline = time.monotonic() + deadline_s
    while not (result := await check()):
        assert time.monotonic() < deadline, f"timed out after {deadline_s}s waiting for {what}"
        await asyncio.sleep(interval_s)
    return result


async def publish(bootstrap: str, *events: Event) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all")
    await producer.start()
    try:
        for event in events:
            await producer.send_and_wait(
                event.topic, event.to_bytes(), key=event.key.encode(),
                headers=[(name, value.encode()) for name, value in event.headers().items()],
            )
    finally:
        await producer.stop()


class World:
    """A merchant of the order service and orders of it, placed (and redeemed) on Kafka."""

    def __init__(self, bootstrap: str, merchant_id: str) -> None:
        self.bootstrap = bootstrap
        self.merchant_id = merchant_id
        self.deal_id = f"deal-{suffix()}"

    async def order(self, buyer: Caller, *, redeemed: bool = True, redeemed_at: datetime | None = None) -> str:
        order_id = uuid.uuid4().hex
        at = redeemed_at or datetime.now(UTC)
        ids = dict(order_id=order_id, deal_id=self.deal_id, merchant_id=self.merchant_id, user_id=buyer.account_id)
        events: list[Event] = [OrderPlaced(
            **ids, occurred_at=at, producer="order", quantity=1, amount_minor=9900, currency="CNY",
            voucher_valid_from=at, voucher_valid_until=at,
        )]
        if redeemed:
            events.append(OrderRedeemed(**ids, occurred_at=at, producer="order", redeemed_by=f"staff-{suffix()}"))
        await publish(self.bootstrap, *events)
        return order_id


async def post_upload(client: httpx.AsyncClient, buyer: Caller, body: dict[str, Any]) -> httpx.Response:
    """POST /videos once the media service has learnt of the order's redemption (it comes on Kafka)."""

    async def answered() -> httpx.Response | None:
        response = await client.post("/videos", json=body, headers=headers(buyer))
        if response.status_code in (404, 409) and response.json()["type"].endswith(("order-not-found", "order-not-redeemed")):
            return None
        return response

    return await wait_for(answered, what=f"the redemption of {body.get('order_id')} to reach media", interval_s=0.2)


async def start_upload(client: httpx.AsyncClient, buyer: Caller, order_id: str, size: int, **extra: Any) -> dict:
    body = {"order_id": order_id, "size_bytes": size, "content_type": "video/mp4", **extra}
    response = await post_upload(client, buyer, body)
    assert response.status_code == 201, response.text
    return response.json()


async def put_parts(upload: dict, data: bytes, numbers: list[int] | None = None) -> None:
    """PUTs the parts straight to object storage on their presigned URLs (not through any service)."""
    part_size = upload["part_size"]
    async with httpx.AsyncClient(timeout=60) as storage:
        for part in upload["upload_urls"]:
            number = part["part_number"]
            if numbers is not None and number not in numbers:
                continue
            chunk = data[(number - 1) * part_size: number * part_size]
            response = await storage.put(part["url"], content=chunk)
            assert response.status_code == 200, response.text


async def upload_file(client: httpx.AsyncClient, buyer: Caller, order_id: str, path: Path, **extra: Any) -> dict:
    """The whole upload of a file: start, every part, complete. The completed video."""
    data = path.read_bytes()
    upload = await start_upload(client, buyer, order_id, max(len(data), 1), **extra)
    await put_parts(upload, data)
    completed = await client.post(f"/videos/{upload['video_id']}/complete", headers=headers(buyer))
    assert completed.status_code == 200, completed.text
    return completed.json()


async def wait_until_done(client: httpx.AsyncClient, buyer: Caller, video_id: str, deadline_s: float = 120) -> dict:
    async def finished() -> dict | None:
        response = await client.get(f"/videos/{video_id}", headers=headers(buyer))
        assert response.status_code == 200, response.text
        video = response.json()
        return video if video["status"] in ("published", "rejected") else None

    return await wait_for(finished, deadline_s=deadline_s, what=f"video {video_id} to be edited", interval_s=0.2)


async def video_events(bootstrap: str, video_id: str, *, expect: int, deadline_s: float = 60, settle_s: float = 2.0) -> list[dict]:
    """Every event of `video_id` on the videos topic (from the start), once `expect` are there,
    plus any that arrive within `settle_s` after (to catch one too many)."""
    return await topic_events(bootstrap, VIDEOS.name, where={"video_id": video_id}, expect=expect,
                              deadline_s=deadline_s, settle_s=settle_s)
