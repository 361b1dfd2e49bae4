"""Poison messages go to `<topic>.dlq` as they were, the consumer goes on, and replay brings them back."""

from __future__ import annotations

import asyncio
import json
import sys

from prometheus_client import REGISTRY

from liveline_shared.consumer import RetryPolicy, register_consumer
from liveline_shared.events import Event
from liveline_shared.idempotence import CONSUMED_EVENTS, apply_once
from shared.tests.integration.support import (
    committed_offset,
    header,
    new_broker,
    new_topic,
    one_event_of_each_type,
    publish_event,
    publish_raw,
    read_topic,
    running,
    wait_until,
)
from tests.random_refs import group_name, suffix

FAST_RETRIES = RetryPolicy(attempts=3, first_delay_s=0.05, max_delay_s=0.2)


def counted(metric: str, topic: str, consumer: str) -> float:
    return REGISTRY.get_sample_value(metric, {"topic": topic, "consumer": consumer}) or 0.0


async def replay_cli(bootstrap: str, topic: str, consumer: str) -> str:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "liveline_shared.dead_letters", "replay",
        "--bootstrap", bootstrap, "--topic", topic, "--consumer", consumer, "--timeout-s", "60",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    async with asyncio.timeout(90):
        output, _ = await process.communicate()
    assert process.returncode == 0, output.decode()
    return output.decode()


async def test_invalid_messages_are_dead_lettered_as_they_were_and_the_next_good_one_is_applied(bootstrap, db):
    topic = await new_topic(bootstrap, "orders")
    consumer = group_name("order-stats")
    good = one_event_of_each_type(f"ord-{suffix()}")[0]
    failing_contract = json.loads(good.to_bytes()) | {"quantity": 0, "event_id": "6f1c1b5e-0000-4000-8000-000000000001"}
    poison = [
        (b"\x00not json at all", b"ord-x", [("trace", b"abc")]),
        (json.dumps({"event_type": "OrderTeleported", "schema_version": 1}).encode(), b"ord-y", []),
        (json.dumps(failing_contract).encode(), good.key.encode(), [("event_type", b"OrderPlaced")]),
    ]
    applied: list[Event] = []

    async def count_order(event: Event) -> None:
        applied.append(event)

    broker = new_broker(bootstrap)
    register_consumer(broker, name=consumer, topic=topic, db=db, handler=count_order, event_types={"OrderPlaced"})
    async with running(broker):
        for value, key, headers in poison:
            await publish_raw(bootstrap, topic.name, value, key=key, headers=headers)
        await publish_event(bootstrap, topic.name, good)

        async def good_one_applied() -> bool:
            return await committed_offset(bootstrap, topic.name, consumer) == 4

        await wait_until(good_one_applied, what="every message to be committed")

    assert applied == [good]
    letters = await read_topic(bootstrap, topic.dead_letters, expect=3)
    assert [(r.value, r.key) for r in letters] == [(value, key) for value, key, _ in poison]
    for letter, (_, _, original_headers) in zip(letters, poison, strict=True):
        assert set(original_headers) <= set(letter.headers)
        assert header(letter, "dlq_reason") == "invalid_message"
        assert header(letter, "dlq_consumer") == consumer
        assert header(letter, "dlq_topic") == topic.name
        assert header(letter, "dlq_partition") == "0"
        assert header(letter, "dlq_failed_at")
    assert [header(r, "dlq_offset") for r in letters] == ["0", "1", "2"]
    assert header(letters[0], "dlq_error").startswith("JSONDecodeError")
    assert header(letters[1], "dlq_error").startswith("UnknownEventType: unknown event OrderTeleported v1")
    assert header(letters[2], "dlq_error").startswith("ValidationError") and "quantity" in header(letters[2], "dlq_error")
    assert counted("liveline_events_dead_lettered_total", topic.name, consumer) == 3


async def test_a_failing_handler_is_retried_then_dead_lettered_and_replay_applies_it_once_fixed(bootstrap, db):
    topic = await new_topic(bootstrap, "orders")
    consumer = group_name("order-stats")
    placed = one_event_of_each_type(f"ord-{suffix()}")[0]
    attempts: list[int] = []
    broken = True

    async def count_order(event: Event) -> None:
        attempts.append(1)
        if broken:
            raise RuntimeError("the deal service said no")
        await apply_once(db.order_stats, {"_id": event.order_id}, {"$inc": {"placed": 1}}, event.event_id, upsert=True)

    broker = new_broker(bootstrap)
    register_consumer(broker, name=consumer, topic=topic, db=db, handler=count_order, retry=FAST_RETRIES)
    async with running(broker):
        await publish_event(bootstrap, topic.name, placed)
        [letter] = await read_topic(bootstrap, topic.dead_letters, expect=1)
        assert len(attempts) == 3
        assert letter.value == placed.to_bytes() and letter.key == placed.key.encode()
        assert header(letter, "event_id") == str(placed.event_id)
        assert header(letter, "dlq_reason") == "handler_failed"
        assert header(letter, "dlq_attempts") == "3"
        assert header(letter, "dlq_error") == "RuntimeError: the deal service said no"
        assert counted("liveline_events_retried_total", topic.name, consumer) == 2
        await wait_until(lambda: _committed(bootstrap, topic.name, consumer, 1), what="the dead letter's commit")
        assert await db.order_stats.find_one({"_id": placed.order_id}) is None

        broken = False
        output = await replay_cli(bootstrap, topic.name, consumer)
        assert f"event_id={placed.event_id}" in output and "replayed 1 dead letter(s)" in output

        async def applied() -> bool:
            return await db[CONSUMED_EVENTS].find_one({"_id": f"{consumer}:{placed.event_id}"}) is not None

        await wait_until(applied, what="the replayed event to be applied")
        assert (await db.order_stats.find_one({"_id": placed.order_id}))["placed"] == 1

        # Each dead letter is replayed once: a second replay finds nothing new.
        assert "replayed 0 dead letter(s)" in await replay_cli(bootstrap, topic.name, consumer)

    replayed = await read_topic(bootstrap, topic.name, expect=2)
    assert replayed[1].value == placed.to_bytes()
    assert not any(name.startswith("dlq_") for name, _ in replayed[1].headers)
    assert header(replayed[1], "replayed_for") == consumer


async def _committed(bootstrap: str, topic: str, consumer: str, offset: int) -> bool:
    return await committed_offset(bootstrap, topic, consumer) == offset
