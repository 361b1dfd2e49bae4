"""Slot offers built per second from OrderPlaced, and many buyers choosing one slot at once
through the gateway, each beside a bare baseline on the same machine in the same run.

    .venv/bin/python bench/slots.py [--orders 400] [--choosers 200] [--rounds 3]

offers: `--orders` OrderPlaced events published to Kafka for a merchant with the default policy
(7 days x 2 periods) and as many for one with 60 days x 6 periods; the time from the first
publication until the last SlotOffered is on Kafka (consumer, policy and history reads, offer
document with its outbox, relay). Baseline: a bare aiokafka consumer that reads the same events
from a topic of its own and produces one message for each (consume, produce, nothing else).

choosers: `--choosers` customers, each with an order of the same merchant (slots capped at a
quarter of them), all choose the same slot at once through the gateway; `--rounds` rounds,
each on another slot. Baseline: as many one-shot clients PUTting to a bare FastAPI endpoint.
Kafka, FerretDB, the order, slots and gateway services are started for the run.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import answers, log_in, median, ok, percentile, servers  # noqa: E402

from liveline_devstack.demo import create_admin  # noqa: E402
from liveline_devstack.processes import ManagedProcess, free_port, wait_until  # noqa: E402
from liveline_devstack.services import start_services, stop_services  # noqa: E402
from liveline_shared.events import OrderPlaced  # noqa: E402
from liveline_shared.events.topics import SLOTS  # noqa: E402

PASSWORD = "bench password 123"
BIG_POLICY = {
    "timezone": "Asia/Shanghai", "days_ahead": 60, "closed_weekdays": [], "closed_dates": [], "capacity": None,
    "cutoff_minutes": 30,
    "periods": [{"name": name, "start": f"{hour:02d}:00", "end": f"{hour + 2:02d}:00"}
                for name, hour in (("breakfast", 6), ("brunch", 9), ("lunch", 12), ("tea", 15), ("dinner", 18), ("supper", 21))],
}
BARE_APP = """
import sys
import uvicorn
from fastapi import FastAPI

app = FastAPI()

@app.put("/choice")
async def choose(body: dict) -> dict:
    return {"choice": body}

uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
"""


def placed(merchant_id: str) -> OrderPlaced:
    now = datetime.now(UTC)
    return OrderPlaced(occurred_at=now, producer="bench", order_id=uuid.uuid4().hex, deal_id="bench-deal",
                       merchant_id=merchant_id, user_id=f"bench-{uuid.uuid4().hex[:8]}", quantity=1,
                       amount_minor=100, currency="CNY", voucher_valid_from=now - timedelta(minutes=1),
                       voucher_valid_until=now + timedelta(days=90))


async def wait_for_keys(bootstrap: str, topic: str, keys: set[str], started: float) -> float:
    """Seconds from `started` until a message for every key in `keys` is on `topic`."""
    reader = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                              group_id=f"bench-{uuid.uuid4().hex[:8]}", enable_auto_commit=False)
    await reader.start()
    try:
        missing = set(keys)
        while missing:
            for batch in (await reader.getmany(timeout_ms=200)).values():
                missing.difference_update(record.key.decode() for record in batch if record.key)
        return time.perf_counter() - started
    finally:
        await reader.stop()


async def offers_per_second(bootstrap: str, merchant_id: str, count: int) -> float:
    events = [placed(merchant_id) for _ in range(count)]
    async with _producer(bootstrap) as producer:
        started = time.perf_counter()
        for event in events:
            await producer.send(event.topic, event.to_bytes(), key=event.key.encode(),
                                headers=[(k, v.encode()) for k, v in event.headers().items()])
        await producer.flush()
    return count / await wait_for_keys(bootstrap, SLOTS.name, {e.order_id for e in events}, started)


async def bare_consume_produce_per_second(bootstrap: str, count: int) -> float:
    source, sink = f"bench-in-{uuid.uuid4().hex[:8]}", f"bench-out-{uuid.uuid4().hex[:8]}"
    events = [placed("bare") for _ in range(count)]
    async with _producer(bootstrap) as producer:
        await producer.send_and_wait(source, b"warm-up", key=b"warm-up")  # creates the topic
        await producer.send_and_wait(sink, b"warm-up", key=b"warm-up")
        consumer = AIOKafkaConsumer(source, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                                    group_id=f"bench-bare-{uuid.uuid4().hex[:8]}")
        await consumer.start()

        async def transform() -> None:
            async for record in consumer:
                await producer.send(sink, record.value, key=record.key)

        task = asyncio.create_task(transform())
        try:
            started = time.perf_counter()
            for event in events:
                await producer.send(source, event.to_bytes(), key=event.key.encode())
            await producer.flush()
            return count / await wait_for_keys(bootstrap, sink, {e.key for e in events}, started)
        finally:
            task.cancel()
            await consumer.stop()


class _producer:
    def __init__(self, bootstrap: str) -> None:
        self.kafka = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=5)

    async def __aenter__(self) -> AIOKafkaProducer:
        await self.kafka.start()
        return self.kafka

    async def __aexit__(self, *exc: object) -> None:
        await self.kafka.stop()


async def one_burst(requests: list[tuple[httpx.AsyncClient, str, dict]]) -> tuple[float, float, float, dict[int, int]]:
    """(requests/s, p50 ms, p99 ms, statuses) of sending every request at once."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}

    async def send(http: httpx.AsyncClient, path: str, body: dict) -> None:
        began = time.perf_counter()
        response = await http.put(path, json=body)
        latencies.append(time.perf_counter() - began)
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

    began = time.perf_counter()
    await asyncio.gather(*(send(*request) for request in requests))
    elapsed = time.perf_counter() - began
    return len(requests) / elapsed, percentile(latencies, 0.5) * 1000, percentile(latencies, 0.99) * 1000, statuses


async def choosers(gateway_url: str, admin: dict[str, str], merchant_id: str, count: int, rounds: int,
                   bare_url: str) -> list[tuple]:
    async with httpx.AsyncClient(base_url=gateway_url, timeout=60) as http:
        policy = {**BIG_POLICY, "days_ahead": 7, "periods": BIG_POLICY["periods"][2:5:2], "capacity": max(count // 4, 1)}
        await ok(http.put(f"/v1/merchants/{merchant_id}/slot-policy", json=policy, headers=admin))
        deal_body = {"title": "Bench lunch", "description": "bench", "price": {"amount_minor": 100, "currency": "CNY"},
                     "original_price": {"amount_minor": 200, "currency": "CNY"}, "stock": None, "per_user_limit": 5,
                     "sale_starts_at": (datetime.now(UTC) - timedelta(minutes=1)).isoformat(),
                     "sale_ends_at": (datetime.now(UTC) + timedelta(days=1)).isoformat(),
                     "voucher_valid_from": (datetime.now(UTC) - timedelta(minutes=1)).isoformat(),
                     "voucher_valid_until": (datetime.now(UTC) + timedelta(days=30)).isoformat()}
        deal = (await ok(http.post(f"/v1/merchants/{merchant_id}/deals", json=deal_body, headers=admin))).json()
        await ok(http.patch(f"/v1/deals/{deal['deal_id']}", json={"status": "on_sale"}, headers=admin))

        async def buyer(i: int) -> tuple[dict[str, str], str]:
            login, address = f"bench-{uuid.uuid4().hex[:10]}@example.com", f"10.2.{i // 256}.{i % 256}"
            await ok(http.post("/v1/accounts", json={"login": login, "password": PASSWORD},
                               headers={"X-Forwarded-For": address}))
            headers = await log_in(http, login, PASSWORD, address)
            order = (await ok(http.post("/v1/orders", json={"deal_id": deal["deal_id"], "quantity": 1},
                                        headers={**headers, "Idempotency-Key": uuid.uuid4().hex}))).json()
            return headers, order["order_id"]

        buyers = [await buyer(i) for i in range(count)]
        offers = []
        for headers, order_id in buyers:
            deadline = time.monotonic() + 60
            while (response := await http.get(f"/v1/orders/{order_id}/offer", headers=headers)).status_code != 200:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"no offer for {order_id}: {response.text}")
                await asyncio.sleep(0.05)
            offers.append(response.json())

    clients = [httpx.AsyncClient(base_url=gateway_url, headers=headers, timeout=60, limits=httpx.Limits(max_connections=1))
               for headers, _ in buyers]
    bare = [httpx.AsyncClient(base_url=bare_url, timeout=60, limits=httpx.Limits(max_connections=1)) for _ in buyers]
    results = []
    try:
        for round_no in range(rounds):
            slot_id = offers[0]["slots"][round_no + 1]["slot_id"]
            requests = [(client, f"/v1/orders/{offer['order_id']}/choice",
                         {"offer_id": offer["offer_id"], "slot_ids": [slot_id]}) for client, offer in zip(clients, offers, strict=True)]
            liveline = await one_burst(requests)
            baseline = await one_burst([(client, "/choice", body) for client, (_, _, body) in zip(bare, requests, strict=True)])
            results.append((slot_id, liveline, baseline))
    finally:
        await asyncio.gather(*(client.aclose() for client in clients + bare))
    return results


async def run(args: argparse.Namespace, endpoints, services, bare_url: str) -> None:
    gateway = services["gateway"]
    admin_login = f"bench-admin-{uuid.uuid4().hex[:8]}@example.com"
    await asyncio.to_thread(create_admin, gateway.env, admin_login, PASSWORD)
    async with httpx.AsyncClient(base_url=gateway.url, timeout=60) as http:
        admin = await log_in(http, admin_login, PASSWORD, "10.0.0.1")
        merchant = {"address": "1 Bench Rd", "timezone": "Asia/Shanghai", "contact": "+862161234567"}
        small, big, choosing = [
            (await ok(http.post("/v1/admin/merchants", json={**merchant, "name": f"Bench {name}"}, headers=admin))).json()["merchant_id"]
            for name in ("small", "big", "choosing")
        ]
        await ok(http.put(f"/v1/merchants/{big}/slot-policy", json=BIG_POLICY, headers=admin))
    bootstrap = endpoints.kafka_bootstrap_servers
    await offers_per_second(bootstrap, small, 20)  # warm-up: connections, consumer group, first policy
    small_rate = await offers_per_second(bootstrap, small, args.orders)
    big_rate = await offers_per_second(bootstrap, big, args.orders)
    bare_rate = await bare_consume_produce_per_second(bootstrap, args.orders)
    print(f"\nOffers from OrderPlaced, {args.orders} events each (clients, services, FerretDB and Kafka share the machine)")
    print(f"{'merchant':>22} | {'offers/s':>9} | {'bare consume+produce/s':>22} | {'ratio':>6}")
    for name, rate in (("7 days x 2 periods", small_rate), ("60 days x 6 periods", big_rate)):
        print(f"{name:>22} | {rate:>9.0f} | {bare_rate:>22.0f} | {rate / bare_rate:>6.3f}")

    results = await choosers(gateway.url, admin, choosing, args.choosers, args.rounds, bare_url)
    print(f"\n{args.choosers} buyers choose one slot at once through the gateway (capacity {max(args.choosers // 4, 1)})")
    print(f"{'round':>5} | {'choices/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'answers':>18} | "
          f"{'bare PUT/s':>10} {'p50 ms':>8} {'p99 ms':>8} | {'ratio':>6}")
    ratios = []
    for round_no, (_, (rate, p50, p99, statuses), (bare, bare_p50, bare_p99, _)) in enumerate(results, 1):
        ratios.append(rate / bare)
        answered = " ".join(f"{status}:{n}" for status, n in sorted(statuses.items()))
        print(f"{round_no:>5} | {rate:>9.0f} {p50:>8.1f} {p99:>8.1f} {answered:>18} | "
              f"{bare:>10.0f} {bare_p50:>8.1f} {bare_p99:>8.1f} | {rate / bare:>6.3f}")
    print(f"median ratio of throughput (liveline / bare): {median(ratios):.3f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=400, help="OrderPlaced events per merchant")
    parser.add_argument("--choosers", type=int, default=200, help="buyers choosing one slot at once")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of choosing, each on another slot")
    args = parser.parse_args()
    with servers() as endpoints, tempfile.TemporaryDirectory(prefix="liveline-bench-slots-") as scratch:
        services = start_services(endpoints, Path(scratch) / "logs", only=("order", "slots", "gateway"))
        bare_port = free_port()
        bare = ManagedProcess("bare-fastapi", [sys.executable, "-c", BARE_APP, str(bare_port)],
                              log_path=Path(scratch) / "logs" / "bare.log")
        bare.start()
        try:
            wait_until(lambda: answers(f"http://127.0.0.1:{bare_port}/docs"), timeout=30, what="bare FastAPI")
            asyncio.run(run(args, endpoints, services, f"http://127.0.0.1:{bare_port}"))
        finally:
            bare.stop()
            stop_services(services)
    return 0


if __name__ == "__main__":
    sys.exit(main())
