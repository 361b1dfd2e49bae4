"""Orders per second and latency of placing an order through the gateway, beside a bare FastAPI
endpoint on the same machine and run.

    .venv/bin/python bench/orders.py [--requests 3000] [--levels 8,32,128]

liveline: POST /v1/orders through the gateway (JWT check, relay to the order service, which
reserves quota and stock, pays in the sandbox, issues a voucher and writes OrderPlaced to its
outbox) against one unlimited-stock deal. Each concurrent client is its own customer with its
own connection and sends a new Idempotency-Key with every request.

baseline: the same client code against a minimal FastAPI app served by uvicorn in a subprocess,
whose POST /orders answers a small JSON body without doing anything.

hop and floor: the same clients against minimal apps shaped like the gateway and the order
service. "hop" relays each POST with an aiohttp client (as the gateway does) to the bare app; "floor" relays it to an app
that makes the database commands counted for one placement (below) straight through PyMongo and
answers. No logic, no checks, no Kafka: the most this design can reach on this machine.

Each level sends `--requests` orders in all, split evenly over its clients; the default is long
enough for the steady state at 128 clients (with 400, each of them placed three orders, and the
level was mostly clients sleeping out their one-second Retry-After while the order service had
nothing to do). An answer 429 or 503
with Retry-After (the gateway shedding load it cannot take at once) is counted as shed, and
that client waits as told before trying again; any other failure stops the run. Orders/s counts
placed orders only; p50/p99 are of placed orders, "shed" is how many answers were 503/429 and
the p99 time to give them. Kafka, FerretDB, the order service and the gateway are started for
the run.

Before the levels, one placement is made straight through the order service's handler with a
command listener on its database client, to count the database round trips of an order (a
repeat buyer's; the relay adds a read and a mark when it publishes OrderPlaced, each shared by the
orders it publishes together, since the write took its lease).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from pymongo import AsyncMongoClient, monitoring

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import bare_server, log_in, median, ok, percentile, servers  # noqa: E402

from liveline_devstack.demo import create_admin, deal_body  # noqa: E402
from liveline_devstack.services import start_services, stop_services  # noqa: E402
from liveline_order import handlers  # noqa: E402
from liveline_order.bootstrap import build_dependencies, ensure_indexes  # noqa: E402
from liveline_order.config import Settings as OrderSettings  # noqa: E402
from liveline_order.domain.money import Money  # noqa: E402
from liveline_shared.callers import Caller  # noqa: E402

PASSWORD = "bench password 123"

BARE_APP = """
import sys
import uvicorn
from fastapi import FastAPI

app = FastAPI()

@app.post("/orders", status_code=201)
async def place() -> dict:
    return {"order_id": "0" * 32, "status": "paid", "quantity": 1}

uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
"""


# The floor of this design on this machine: a gateway-shaped hop (FastAPI relaying with an aiohttp
# client, as the gateway does) to a service-shaped app (FastAPI) that makes a placement's database
# commands straight through PyMongo with no logic, no validation and no Kafka. Whatever liveline
# does, it cannot place orders faster than this.
FLOOR_SERVICE_APP = """
import json, sys, uuid
import uvicorn
from fastapi import FastAPI
from pymongo import AsyncMongoClient, ReturnDocument

port, mongo_url, trips = int(sys.argv[1]), sys.argv[2], json.loads(sys.argv[3])
app = FastAPI()
db = AsyncMongoClient(mongo_url, tz_aware=True, retryWrites=False)[f"floor_{uuid.uuid4().hex[:8]}"]

@app.post("/orders", status_code=201)
async def place(body: dict) -> dict:
    ids = [uuid.uuid4().hex for _ in range(max(1, trips.get("insert", 0)))]
    for i in range(trips.get("insert", 0)):
        await db.orders.insert_one({"_id": ids[i], "deal_id": body["deal_id"], "quantity": body["quantity"], "n": 0})
    for i in range(trips.get("find", 0)):
        await db.orders.find_one({"_id": ids[0]})
    for i in range(trips.get("update", 0)):
        await db.orders.update_one({"_id": ids[0], "n": i}, {"$inc": {"n": 1}, "$set": {"step": i}})
    for i in range(trips.get("findAndModify", 0)):
        await db.orders.find_one_and_update({"_id": ids[-1]}, {"$set": {"paid": True}}, return_document=ReturnDocument.AFTER)
    return {"order_id": ids[0], "status": "paid", "quantity": body["quantity"]}

uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
"""

FLOOR_HOP_APP = """
import sys
import aiohttp
import uvicorn
from fastapi import FastAPI, Request, Response

port, upstream = int(sys.argv[1]), sys.argv[2]
app = FastAPI()
session = None

@app.post("/orders")
async def place(request: Request) -> Response:
    global session
    if session is None:  # made in the server's event loop
        session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=200))
    async with session.post(upstream + "/orders", data=await request.body(),
                            headers={"content-type": "application/json"}) as answer:
        body = await answer.read()
    return Response(body, status_code=answer.status, media_type="application/json")

uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
"""


class Client:
    """One concurrent client: its own connection, its own headers (its customer's token)."""

    def __init__(self, base_url: str, path: str, headers: dict[str, str], body: dict) -> None:
        self.http = httpx.AsyncClient(base_url=base_url, headers=headers, timeout=60,
                                      limits=httpx.Limits(max_connections=1))
        self.path = path
        self.body = body

    async def run(self, count: int, latencies: list[float], shed: list[float]) -> None:
        placed = 0
        while placed < count:
            began = time.perf_counter()
            response = await self.http.post(self.path, json=self.body, headers={"Idempotency-Key": uuid.uuid4().hex})
            took = time.perf_counter() - began
            if response.status_code in (429, 503) and "retry-after" in response.headers:
                shed.append(took)
                await asyncio.sleep(float(response.headers["retry-after"]))
                continue
            if response.status_code != 201:
                raise RuntimeError(f"{self.path} answered {response.status_code}: {response.text}")
            latencies.append(took)
            placed += 1

    async def close(self) -> None:
        await self.http.aclose()


class Measured:
    def __init__(self, latencies: list[float], shed: list[float], elapsed: float) -> None:
        self.rate = len(latencies) / elapsed
        self.p50 = percentile(latencies, 0.50) * 1000
        self.p99 = percentile(latencies, 0.99) * 1000
        self.shed = len(shed)
        self.shed_p99 = percentile(shed, 0.99) * 1000 if shed else 0.0


async def measure(clients: list[Client], requests: int) -> Measured:
    """Placed orders per second, their p50 and p99, and the shed answers, of `requests` orders
    spread over `clients`."""
    latencies: list[float] = []
    shed: list[float] = []
    each, extra = divmod(requests, len(clients))
    # One request per client first, so connection setup is not part of the figures.
    await asyncio.gather(*(client.run(1, [], []) for client in clients))
    began = time.perf_counter()
    await asyncio.gather(*(client.run(each + (i < extra), latencies, shed) for i, client in enumerate(clients)))
    return Measured(latencies, shed, time.perf_counter() - began)


class CommandCounter(monitoring.CommandListener):
    def __init__(self) -> None:
        self.commands: Counter[str] = Counter()

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self.commands[event.command_name] += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


async def round_trips_per_order(mongo_url: str) -> Counter[str]:
    """The database commands of one placement (a buyer's second order of an unlimited deal)."""
    counter = CommandCounter()
    client: AsyncMongoClient = AsyncMongoClient(mongo_url, tz_aware=True, retryWrites=False, event_listeners=[counter])
    db = client[f"bench_trips_{uuid.uuid4().hex[:8]}"]
    try:
        deps = build_dependencies(OrderSettings(environment="test"), db)
        await ensure_indexes(deps)
        admin, buyer = Caller(account_id="admin", role="admin"), Caller(account_id="buyer", role="customer")
        merchant = await handlers.create_merchant(
            handlers.CreateMerchant("Bench Hotpot", "1 Bench Rd", "Asia/Shanghai", "+862161234567"), admin, deps)
        now = datetime.now(UTC)
        deal = await handlers.create_deal(handlers.CreateDeal(
            merchant_id=merchant.merchant_id, title="Bench deal", description="", price=Money(100, "CNY"),
            original_price=Money(200, "CNY"), stock=None, per_user_limit=10, sale_starts_at=now - timedelta(hours=1),
            sale_ends_at=now + timedelta(days=1), voucher_valid_from=now, voucher_valid_until=now + timedelta(days=30),
        ), admin, deps)
        await handlers.change_deal(handlers.ChangeDeal(deal.deal_id, "on_sale"), admin, deps)
        await handlers.place_order(handlers.PlaceOrder(uuid.uuid4().hex, deal.deal_id, 1), buyer, deps)
        counter.commands.clear()
        await handlers.place_order(handlers.PlaceOrder(uuid.uuid4().hex, deal.deal_id, 1), buyer, deps)
        return Counter(counter.commands)
    finally:
        await client.drop_database(db.name)
        await client.close()


async def gateway_clients(url: str, gateway_env: dict[str, str], count: int) -> list[Client]:
    """`count` customers of their own, logged in, each as a client buying the same unlimited deal."""
    admin_login = f"bench-admin-{uuid.uuid4().hex[:8]}@example.com"
    await asyncio.to_thread(create_admin, gateway_env, admin_login, PASSWORD)
    async with httpx.AsyncClient(base_url=url, timeout=60) as http:
        admin = await log_in(http, admin_login, PASSWORD, "10.0.0.1")
        merchant = {"name": "Bench Hotpot", "address": "1 Bench Rd", "timezone": "Asia/Shanghai", "contact": "+862161234567"}
        merchant_id = (await ok(http.post("/v1/admin/merchants", json=merchant, headers=admin))).json()["merchant_id"]
        body = deal_body("Bench deal", 100, 200, None) | {"per_user_limit": 1000}
        deal = (await ok(http.post(f"/v1/merchants/{merchant_id}/deals", json=body, headers=admin))).json()
        await ok(http.patch(f"/v1/deals/{deal['deal_id']}", json={"status": "on_sale"}, headers=admin))

        async def customer(i: int) -> Client:
            login = f"bench-{uuid.uuid4().hex[:10]}@example.com"
            address = f"10.1.{i // 256}.{i % 256}"  # its own login limit
            # Its own address, also for registering: the gateway limits registrations per address.
            await ok(http.post("/v1/accounts", json={"login": login, "password": PASSWORD},
                               headers={"X-Forwarded-For": address}))
            headers = await log_in(http, login, PASSWORD, address)
            return Client(url, "/v1/orders", headers, {"deal_id": deal["deal_id"], "quantity": 1})

        return [await customer(i) for i in range(count)]


async def measure_plain(url: str, level: int, requests: int) -> Measured:
    """`measure` against one of the bench's own apps (no accounts, no tokens)."""
    clients = [Client(url, "/orders", {}, {"deal_id": "d", "quantity": 1}) for _ in range(level)]
    try:
        return await measure(clients, requests)
    finally:
        await asyncio.gather(*(client.close() for client in clients))


async def run_levels(levels: list[int], requests: int, gateway_url: str, gateway_env: dict[str, str],
                     bare_url: str, hop_url: str, floor_url: str) -> list[tuple[int, Measured, Measured, Measured, Measured]]:
    results = []
    for level in levels:
        clients = await gateway_clients(gateway_url, gateway_env, level)
        try:
            liveline = await measure(clients, requests)
        finally:
            await asyncio.gather(*(client.close() for client in clients))
        bare = await measure_plain(bare_url, level, requests)
        hop = await measure_plain(hop_url, level, requests)
        floor = await measure_plain(floor_url, level, requests)
        results.append((level, liveline, bare, hop, floor))
        print(f"  {level:>4} clients done", flush=True)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=3000, help="orders per concurrency level")
    parser.add_argument("--levels", default="8,32,128", help="numbers of concurrent clients")
    parser.add_argument(
        "--floor-commands", type=json.loads, default=None,
        help='the floor\'s database commands per request, e.g. \'{"find": 1, "insert": 2, "update": 2, '
             '"findAndModify": 1}\' (default: those counted for one placement)',
    )
    args = parser.parse_args()
    levels = [int(level) for level in args.levels.split(",")]

    with servers() as endpoints, tempfile.TemporaryDirectory(prefix="liveline-bench-orders-") as scratch:
        trips = asyncio.run(round_trips_per_order(endpoints.mongo_url))
        floor_commands = args.floor_commands or dict(trips)
        services = start_services(endpoints, Path(scratch) / "logs", only=("order", "gateway"))
        try:
            logs = Path(scratch) / "logs"
            with (
                bare_server(BARE_APP, logs) as bare_url,
                bare_server(FLOOR_HOP_APP, logs, bare_url, name="hop") as hop_url,
                bare_server(FLOOR_SERVICE_APP, logs, endpoints.mongo_url, json.dumps(floor_commands),
                            name="floor-service") as service_url,
                bare_server(FLOOR_HOP_APP, logs, service_url, name="floor-hop") as floor_url,
            ):
                gateway = services["gateway"]
                results = asyncio.run(
                    run_levels(levels, args.requests, gateway.url, gateway.env, bare_url, hop_url, floor_url)
                )
        finally:
            stop_services(services)

    print(f"\ndatabase round trips of one placement in the order service: {sum(trips.values())} "
          f"({', '.join(f'{name} {n}' for name, n in sorted(trips.items()))}); the relay adds 2 (a read, a mark; one each per batch of documents)")
    print(f"\nPOST an order, {args.requests} orders per level (one machine: the clients, the gateway, "
          "the order service, FerretDB and Kafka share its cores)")
    print(f"{'clients':>8} | {'liveline orders/s':>17} {'p50 ms':>8} {'p99 ms':>8} {'shed':>6} {'shed p99':>8} | "
          f"{'bare FastAPI req/s':>18} {'p50 ms':>8} {'p99 ms':>8} | {'ratio':>6} | {'hop req/s':>9} {'ratio':>6} | "
          f"{'floor req/s':>11} {'p99 ms':>8} {'ratio':>6}")
    for level, live, bare, hop, floor in results:
        print(f"{level:>8} | {live.rate:>17.0f} {live.p50:>8.1f} {live.p99:>8.1f} {live.shed:>6} {live.shed_p99:>8.1f} | "
              f"{bare.rate:>18.0f} {bare.p50:>8.1f} {bare.p99:>8.1f} | {live.rate / bare.rate:>6.3f} | "
              f"{hop.rate:>9.0f} {hop.rate / bare.rate:>6.3f} | {floor.rate:>11.0f} {floor.p99:>8.1f} {floor.rate / bare.rate:>6.3f}")
    print(f"median ratio of throughput (liveline / bare): {median([r[1].rate / r[2].rate for r in results]):.3f}")
    print(f"the floor's database commands per request: {json.dumps(floor_commands)}")
    print("hop: a FastAPI app relaying with aiohttp (as the gateway does) in front of the bare app\n"
          "floor: the same relay in front of a FastAPI app making the placement's database commands straight through\n"
          "PyMongo, without logic, checks or Kafka; its ratio is the most this design can reach on this machine")
    return 0


if __name__ == "__main__":
    sys.exit(main())
