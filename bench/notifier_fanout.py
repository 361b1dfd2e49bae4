"""Queue pushes fanned out at one moment: `--users` subscribed buyers across `--slots` merchant
slots, every slot's moment due at the same instant, worked by a real queue-notifier process;
beside it, in the same run, a bare aiokafka producer sending as many messages of the same size.

    .venv/bin/python bench/notifier_fanout.py [--users 100000] [--slots 200] [--rounds 1]

Measured: from the moment to each notification's arrival at a consumer of
liveline.notifications.v1 (lateness p50/p99/max: stored, numbered, published and acknowledged,
then read back), notifications per second from the moment to the last one, and the notifier's
peak memory (VmHWM). The merchants are real (order service); the subscriptions are written
into the notifier's database with its own repository, as SlotChosen would leave them (handling
100,000 SlotChosen events first would measure the consumer, not the fan-out). Goals (issue 11):
all within 10 s, at least half the bare producer's rate, under 1 GiB.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from pymongo import AsyncMongoClient

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import median, percentile, servers  # noqa: E402

from liveline_devstack.services import ServiceProcess  # noqa: E402
from liveline_queue_notifier.adapters.publisher import BATCH_BYTES  # noqa: E402
from liveline_queue_notifier.adapters.schedules import SchedulesRepository  # noqa: E402
from liveline_queue_notifier.domain.pushes import bucket_of  # noqa: E402
from liveline_queue_notifier.handlers.subscriptions import QUEUE_ITEM, item  # noqa: E402
from liveline_shared.callers import Caller  # noqa: E402
from liveline_shared.events.topics import NOTIFICATIONS, Topic  # noqa: E402
from liveline_shared.kafka import ensure_topics  # noqa: E402

TOKEN = f"bench-{uuid.uuid4().hex}"
DATABASE = "bench_fanout"


def vm_hwm_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def merchants(order_url: str, count: int) -> list[str]:
    admin = Caller(account_id="bench-admin", role="admin").headers(TOKEN)
    async with httpx.AsyncClient(base_url=order_url, timeout=30) as http:
        async def one(n: int) -> str:
            response = await http.post("/merchants", headers=admin, json={
                "name": f"Bench noodles {n}", "address": "1 Nanjing Rd", "timezone": "Asia/Shanghai",
                "contact": "+862161234567"})
            response.raise_for_status()
            return response.json()["merchant_id"]

        found: list[str] = []
        for start in range(0, count, 20):
            found += await asyncio.gather(*(one(n) for n in range(start, min(count, start + 20))))
        return found


async def subscribe(mongo_url: str, merchant_ids: list[str], users: int, moment: datetime, tag: str) -> set[str]:
    """One slot per merchant, users spread evenly, every slot's moment at `moment`."""
    per_slot = users // len(merchant_ids)
    client: AsyncMongoClient = AsyncMongoClient(mongo_url, tz_aware=True)
    schedules = SchedulesRepository(client[DATABASE], 30)
    slot_ids = set()
    try:
        for n, merchant_id in enumerate(merchant_ids):
            slot_id = f"{merchant_id}:{moment.date().isoformat()}:bench{tag}"
            subscribers = {f"o{tag}-{n}-{k}": {"user_id": f"u{tag}-{n}-{k}", "muted": False} for k in range(per_slot)}
            await schedules.create_slot(slot_id, {
                "merchant_id": merchant_id, "starts_at": moment + timedelta(minutes=30),
                "ends_at": moment + timedelta(minutes=120), "lead_s": 1800, "cadence_s": 3600,
                "subscribers": subscribers})
            await schedules.arm(slot_id, moment)
            await schedules.file(moment, item(QUEUE_ITEM, moment, slot_id), bucket_of(moment))
            slot_ids.add(slot_id)
    finally:
        await client.close()
    return slot_ids


async def collect(bootstrap: str, slot_ids: set[str], expected: int, started: asyncio.Event,
                  deadline_s: float) -> list[float]:
    """Arrival times of the notifications of these slots (each notification once)."""
    consumer = AIOKafkaConsumer(NOTIFICATIONS.name, bootstrap_servers=bootstrap, auto_offset_reset="latest",
                                enable_auto_commit=False, group_id=None, max_partition_fetch_bytes=8 * 1024 * 1024)
    await consumer.start()
    try:
        while not consumer.assignment():
            await asyncio.sleep(0.05)
        for partition in consumer.assignment():
            await consumer.position(partition)
        started.set()
        seen: dict[bytes, float] = {}
        ours = {slot_id.encode() for slot_id in slot_ids}
        end = time.monotonic() + deadline_s
        while len(seen) < expected and time.monotonic() < end:
            batches = await consumer.getmany(timeout_ms=500, max_records=10_000)
            now = time.time()
            for records in batches.values():
                for record in records:
                    # `<slot id>@<moment>~<order id>`, read without parsing the whole event
                    start = record.value.find(b'"notification_id":"') + 19
                    notification_id = record.value[start:record.value.find(b'"', start)]
                    if notification_id.split(b"@", 1)[0] in ours:
                        seen.setdefault(notification_id, now)
        return list(seen.values())
    finally:
        await consumer.stop()


async def bare_producer(bootstrap: str, count: int, size: int) -> float:
    """Seconds a bare idempotent producer takes to have `count` messages of `size` bytes acknowledged."""
    topic = f"bench-bare-{uuid.uuid4().hex[:8]}"
    await ensure_topics(bootstrap, partitions=3, topics=(Topic(topic, "user_id", "bench", 3_600_000, "baseline"),))
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all", linger_ms=5,
                                max_batch_size=BATCH_BYTES)
    await producer.start()
    body = b"x" * size
    try:
        began = time.perf_counter()
        acknowledgements = [await producer.send(topic, body, key=f"u-{n}".encode()) for n in range(count)]
        await asyncio.gather(*acknowledgements)
        return time.perf_counter() - began
    finally:
        await producer.stop()


async def one_round(endpoints, notifier: ServiceProcess, merchant_ids: list[str], users: int, tag: str) -> dict:
    moment = (datetime.now(UTC) + timedelta(seconds=20)).replace(microsecond=0)
    slot_ids = await subscribe(endpoints.mongo_url, merchant_ids, users, moment, tag)
    expected = (users // len(merchant_ids)) * len(merchant_ids)
    started = asyncio.Event()
    collecting = asyncio.create_task(collect(endpoints.kafka_bootstrap_servers, slot_ids, expected, started, 120))
    await started.wait()
    arrivals = await collecting
    lateness = [arrival - moment.timestamp() for arrival in arrivals]
    return {"delivered": len(arrivals), "expected": expected, "p50": percentile(lateness, 0.5),
            "p99": percentile(lateness, 0.99), "max": max(lateness) if lateness else float("nan"),
            "rate": len(arrivals) / max(lateness) if lateness else 0.0, "hwm": vm_hwm_mib(notifier.process.pid)}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--slots", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    with servers() as endpoints:
        state = Path(endpoints.kafka_bootstrap_servers.replace(":", "_"))
        log_dir = Path("/tmp") / f"liveline-bench-fanout-{state}"
        order = ServiceProcess("order", endpoints, log_dir, environment="test", internal_token=TOKEN)
        with order.running():
            notifier = ServiceProcess("queue-notifier", endpoints, log_dir, environment="test", internal_token=TOKEN,
                                      extra_env={"LIVELINE_QUEUE_NOTIFIER_ORDER_URL": order.url,
                                                 "LIVELINE_QUEUE_NOTIFIER_MONGO_DATABASE": DATABASE,
                                                 "LIVELINE_QUEUE_NOTIFIER_LOG_LEVEL": "warning"})
            with notifier.running():
                merchant_ids = await merchants(order.url, args.slots)
                results = []
                for round_number in range(args.rounds):
                    result = await one_round(endpoints, notifier, merchant_ids, args.users, f"r{round_number}")
                    bare_s = await bare_producer(endpoints.kafka_bootstrap_servers, result["expected"], 900)
                    result["bare_rate"] = result["expected"] / bare_s
                    results.append(result)
                    print(f"round {round_number + 1}: {result['delivered']}/{result['expected']} delivered; lateness "
                          f"p50 {result['p50']:.2f} s, p99 {result['p99']:.2f} s, max {result['max']:.2f} s; "
                          f"{result['rate']:.0f}/s against bare {result['bare_rate']:.0f}/s "
                          f"(ratio {result['rate'] / result['bare_rate']:.2f}); notifier peak {result['hwm']:.0f} MiB",
                          flush=True)
    print(f"\nmedian over {len(results)} round(s): max lateness {median([r['max'] for r in results]):.2f} s, "
          f"{median([r['rate'] for r in results]):.0f} notifications/s, ratio to bare "
          f"{median([r['rate'] / r['bare_rate'] for r in results]):.2f}, peak {max(r['hwm'] for r in results):.0f} MiB")


if __name__ == "__main__":
    asyncio.run(main())
