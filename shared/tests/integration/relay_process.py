"""An outbox relay in a process of its own, for the crash test: `python relay_process.py ...`.

It publishes the outboxes of the named collections and, after its first acknowledged publish,
prints the event ids on stdout and stops for good before marking them sent, so the test can
SIGKILL it at exactly that point.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Sequence
from typing import Any

from pymongo import AsyncMongoClient

from liveline_shared.logging import configure_logging
from liveline_shared.outbox import PendingEvent
from liveline_shared.relay import OutboxRelay


async def halt_after_publish(collection: str, document_id: Any, events: Sequence[PendingEvent]) -> None:
    print(json.dumps({"halted_after_publish": [e.event_id for e in events]}), flush=True)
    await asyncio.Event().wait()


async def run(args: argparse.Namespace) -> None:
    client: AsyncMongoClient = AsyncMongoClient(args.mongo_url, tz_aware=True, serverSelectionTimeoutMS=5000, retryWrites=False)
    relay = OutboxRelay(
        client[args.database],
        args.collection,
        args.bootstrap_servers,
        poll_interval_s=args.poll_interval_s,
        lease_s=args.lease_s,
        publish_timeout_s=min(10.0, args.lease_s / 2),
        after_publish=halt_after_publish,
    )
    try:
        async with relay:
            print(json.dumps({"relay_started": relay.relay_id}), flush=True)
            await asyncio.Event().wait()
    finally:
        await client.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mongo-url", required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("--collection", action="append", required=True)
    parser.add_argument("--bootstrap-servers", required=True)
    parser.add_argument("--poll-interval-s", type=float, default=0.5)
    parser.add_argument("--lease-s", type=float, default=30.0)
    configure_logging("outbox-relay", json=True)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
