"""Events per second through the whole backbone, beside bare Kafka on the same machine and run.

    .venv/bin/python bench/backbone.py [--events 50000]

liveline: write N events into aggregate documents (their outboxes) → the outbox relay publishes
them with the idempotent producer → an idempotent consumer applies each once, a batch at a time
(one dedupe read, the effects in one insert, one insert of the consumed records, offsets
committed). Timed from the first write to the last event applied. The process logs as a
service does (JSON lines at info, here into /dev/null), so the per-event log lines are paid for.

Each round runs it twice: with the relay claiming each document (what a write without the
relay's lease gets), and with each write taking the relay's lease itself (`relay.write_lease()`,
what every service's event-carrying writes do), so the relay reads the documents instead of
claiming them.

baseline: a bare aiokafka producer (idempotent, acks=all) sends the same N message bodies and a
bare aiokafka consumer in a group reads them, committing once at the end. Timed from the first
send to the last message read.

Both use the same freshly started Kafka and (for liveline) FerretDB. Each is run `--rounds`
times; medians are printed with the ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from pymongo import AsyncMongoClient

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import median, servers  # noqa: E402

from liveline_shared.consumer import register_consumer  # noqa: E402
from liveline_shared.events import Event, QueueTick  # noqa: E402
from liveline_shared.events.topics import Topic  # noqa: E402
from liveline_shared.idempotence import insert_once  # noqa: E402
from liveline_shared.kafka import ensure_topics, make_broker  # noqa: E402
from liveline_shared.logging import configure_logging  # noqa: E402
from liveline_shared.outbox import outbox_fields  # noqa: E402
from liveline_shared.relay import OutboxRelay  # noqa: E402
from liveline_shared.settings import ServiceSettings  # noqa: E402

EVENTS_PER_DOCUMENT = 10
PARTITIONS = 3


def bench_topic(tag: str) -> Topic:
    return Topic(name=f"bench.{tag}.{uuid.uuid4().hex[:8]}", key="merchant_id", producer="bench",
                 retention_ms=3_600_000, description="benchmark")


def ticks(count: int, topic: Topic) -> list[Event]:
    cls = type("QueueTick", (QueueTick,), {"topic": topic.name})
    now = datetime.now(UTC)
    return [
        cls(occurred_at=now, producer="bench", merchant_id=f"m-{i // EVENTS_PER_DOCUMENT}", waiting_parties=i % 50, waiting_people=i % 120)
        for i in range(count)
    ]


async def run_liveline(bootstrap: str, mongo_url: str, count: int, *, write_lease: bool = False) -> float:
    topic = bench_topic("liveline")
    await ensure_topics(bootstrap, partitions=PARTITIONS, topics=(topic,))
    events = ticks(count, topic)
    client = AsyncMongoClient(mongo_url, tz_aware=True, retryWrites=False)
    db = client[f"bench_{uuid.uuid4().hex[:8]}"]
    applied = 0
    done = asyncio.Event()

    async def apply(batch: Sequence[Event]) -> None:
        nonlocal applied
        # The effect is idempotent by itself: a document whose _id is the event id.
        documents = [{"_id": str(event.event_id), "waiting": event.waiting_parties} for event in batch]
        await insert_once(db.effects, documents)
        applied += len(batch)
        if applied >= count:
            done.set()

    settings = ServiceSettings(kafka_bootstrap_servers=bootstrap)
    broker = make_broker(settings, "bench")
    register_consumer(broker, name=f"bench-{uuid.uuid4().hex[:6]}", topic=topic, db=db, batch_handler=apply)
    relay = OutboxRelay(db, ["aggregates"], bootstrap)
    await broker.start()
    await relay.start()
    began = time.perf_counter()
    now = datetime.now(UTC)
    for first in range(0, count, 1000):
        batch = events[first:first + 1000]
        # With write_lease, each write takes its relay's lease (as the services' writes do), and
        # the relay reads the documents instead of claiming them.
        leases = [relay.write_lease() if write_lease else None for _ in range(0, len(batch), EVENTS_PER_DOCUMENT)]
        documents = [
            {
                "_id": f"agg-{first + i}",
                **outbox_fields(*batch[i:i + EVENTS_PER_DOCUMENT], now=now),
                **(lease.update()["$set"] if lease else {}),
            }
            for i, lease in zip(range(0, len(batch), EVENTS_PER_DOCUMENT), leases, strict=True)
        ]
        await db.aggregates.insert_many(documents)
        for document, lease in zip(documents, leases, strict=True):
            relay.notify("aggregates", document["_id"], lease)
    await asyncio.wait_for(done.wait(), timeout=3600)
    elapsed = time.perf_counter() - began
    await relay.stop()
    await broker.stop()
    await client.drop_database(db.name)
    await client.close()
    return count / elapsed


async def run_bare(bootstrap: str, count: int) -> float:
    topic = bench_topic("bare")
    await ensure_topics(bootstrap, partitions=PARTITIONS, topics=(topic,))
    bodies = [(e.key.encode(), e.to_bytes()) for e in ticks(count, topic)]
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all")
    consumer = AIOKafkaConsumer(topic.name, bootstrap_servers=bootstrap, group_id=f"bare-{uuid.uuid4().hex[:6]}",
                                auto_offset_reset="earliest", enable_auto_commit=False)
    await producer.start()
    await consumer.start()
    began = time.perf_counter()
    sends = [await producer.send(topic.name, value, key=key) for key, value in bodies]
    await asyncio.gather(*sends)
    received = 0
    while received < count:
        for messages in (await consumer.getmany(timeout_ms=500, max_records=5000)).values():
            received += len(messages)
    await consumer.commit()
    elapsed = time.perf_counter() - began
    await consumer.stop()
    await producer.stop()
    return count / elapsed


async def main(count: int, rounds: int) -> None:
    configure_logging("bench", level="info")
    logging.getLogger().handlers[0].setStream(open(os.devnull, "w"))  # type: ignore[attr-defined]  # noqa: SIM115
    with servers() as endpoints:
        bootstrap = endpoints.kafka_bootstrap_servers
        await run_bare(bootstrap, min(count, 2000))  # warm-up: JIT, group coordinator, connections
        bare, claimed, leased = [], [], []
        for round_number in range(1, rounds + 1):
            bare.append(await run_bare(bootstrap, count))
            claimed.append(await run_liveline(bootstrap, endpoints.mongo_url, count))
            leased.append(await run_liveline(bootstrap, endpoints.mongo_url, count, write_lease=True))
            print(
                f"round {round_number}: bare {bare[-1]:,.0f} events/s, liveline {claimed[-1]:,.0f} events/s "
                f"(writes taking the relay's lease: {leased[-1]:,.0f})", flush=True,
            )
        print()
        print(f"events per round:                       {count:,}")
        print(f"bare aiokafka producer → consumer:       {median(bare):,.0f} events/s (median of {rounds})")
        print(f"outbox → relay → Kafka → idempotent:     {median(claimed):,.0f} events/s (median of {rounds})")
        print(f"  the same, writes taking the lease:     {median(leased):,.0f} events/s (median of {rounds})")
        print(f"ratio liveline / bare:                   {median(claimed) / median(bare):.3f}")
        print(f"  writes taking the lease / bare:        {median(leased) / median(bare):.3f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(main(args.events, args.rounds))
