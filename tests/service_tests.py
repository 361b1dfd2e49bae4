"""Steps the services' own integration tests share: checking a problem document, publishing
events straight to Kafka, and creating a merchant in an order service."""

from __future__ import annotations

import httpx
from aiokafka import AIOKafkaProducer

from liveline_shared.events import Event
from liveline_shared.problems import PROBLEM_BASE, PROBLEM_JSON
from tests.callers import admin
from tests.random_refs import suffix


def assert_problem(response: httpx.Response, status: int, slug: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON), response.headers
    body = response.json()
    assert body["type"] == PROBLEM_BASE + slug, body
    return body


async def publish(producer: AIOKafkaProducer, *events: Event) -> None:
    """As a producer of liveline's events would: keyed, with the envelope's headers."""
    for event in events:
        await producer.send_and_wait(event.topic, event.to_bytes(), key=event.key.encode(),
                                     headers=[(k, v.encode()) for k, v in event.headers().items()])


async def new_merchant(order_client: httpx.AsyncClient, internal_token: str, timezone: str = "Asia/Shanghai") -> str:
    response = await order_client.post(
        "/merchants",
        json={"name": f"Noodles {suffix()}", "address": "1 Nanjing Rd", "timezone": timezone, "contact": "+862161234567"},
        headers=admin().headers(internal_token),
    )
    assert response.status_code == 201, response.text
    return response.json()["merchant_id"]
