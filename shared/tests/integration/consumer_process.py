"""A consumer in a process of its own, for the crash tests: `python consumer_process.py ...`.

Its handler counts each OrderPlaced once per order with `apply_once`. It runs until SIGTERM.
With `--hold-after-effect` the handler stops after its effect (before the consumed record), so
the test can SIGKILL it there; with `--hold-before-ack` it stops after the record, before the
offset is committed.
"""

from __future__ import annotations

import argparse
import asyncio
import signal

from pymongo import AsyncMongoClient

from liveline_shared.consumer import register_consumer
from liveline_shared.events import Event
from liveline_shared.events.topics import DAY_MS, Topic
from liveline_shared.idempotence import apply_once
from liveline_shared.kafka import make_broker
from liveline_shared.settings import ServiceSettings


async def run(args: argparse.Namespace) -> None:
    mongo: AsyncMongoClient = AsyncMongoClient(args.mongo_url, serverSelectionTimeoutMS=5000, tz_aware=True, retryWrites=False)
    db = mongo[args.database]
    topic = Topic(name=args.topic, key="order_id", producer="test", retention_ms=DAY_MS, description="test")

    async def count_order(event: Event) -> None:
        await apply_once(db.order_stats, {"_id": event.order_id}, {"$inc": {"placed": 1}}, event.event_id, upsert=True)
        if args.hold_after_effect:
            print("holding after the effect", flush=True)
            await asyncio.Event().wait()

    async def hold_before_ack(event: Event) -> None:
        print("holding before the ack", flush=True)
        await asyncio.Event().wait()

    broker = make_broker(ServiceSettings(kafka_bootstrap_servers=args.bootstrap, environment="test"), "crash-test")
    register_consumer(
        broker, name=args.consumer, topic=topic, db=db, handler=count_order, event_types={"OrderPlaced"},
        after_record=hold_before_ack if args.hold_before_ack else None,
    )
    stopped = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stopped.set)
    await broker.start()
    print("consumer started", flush=True)
    try:
        await stopped.wait()
    finally:
        await broker.stop()
        await mongo.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    for name in ("--bootstrap", "--mongo-url", "--database", "--topic", "--consumer"):
        parser.add_argument(name, required=True)
    parser.add_argument("--hold-after-effect", action="store_true")
    parser.add_argument("--hold-before-ack", action="store_true")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
