"""Reading a liveline topic from its start in a test: the events whose fields match, once the
expected number is there, plus any that arrive shortly after (to catch one too many)."""

from __future__ import annotations

import json
import time

from aiokafka import AIOKafkaConsumer, TopicPartition


async def topic_events(
    bootstrap: str, topic: str, *, where: dict[str, str], expect: int, deadline_s: float = 60, settle_s: float = 2.0
) -> list[dict]:
    """Every event on `topic` (from the start) whose fields match `where`, once `expect`
    of them are there, plus any that arrive within `settle_s` after (to catch one too many)."""
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, request_timeout_ms=10_000)
    await reader.start()
    try:
        deadline = time.monotonic() + 10
        while not (partitions := reader.partitions_for_topic(topic)):
            assert time.monotonic() < deadline, f"no metadata for {topic}"
            await reader._client.force_metadata_update()  # noqa: SLF001 - aiokafka has no public refresh
        assigned = [TopicPartition(topic, p) for p in partitions]
        reader.assign(assigned)
        await reader.seek_to_beginning(*assigned)
        found: list[dict] = []
        deadline = time.monotonic() + deadline_s
        settle_until: float | None = None
        while True:
            now = time.monotonic()
            if settle_until is None and len(found) >= expect:
                settle_until = now + settle_s
            if settle_until is not None and now >= settle_until:
                return found
            assert now < deadline, f"{len(found)} of {expect} events matching {where} after {deadline_s}s"
            for batch in (await reader.getmany(timeout_ms=200)).values():
                for record in batch:
                    event = json.loads(record.value)
                    if all(event.get(name) == value for name, value in where.items()):
                        found.append(event)
    finally:
        await reader.stop()
