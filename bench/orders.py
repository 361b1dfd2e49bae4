"""Orders per second and latency of placing an order through the gateway, beside a bare FastAPI
endpoint on the same machine and run.

    .venv/bin/python bench/orders.py [--requests 400] [--levels 8,32,128]

liveline: POST /v1/orders through the gateway (JWT check, relay to the order service, which
reserves quota and stock, pays in the sandbox, issues a voucher and writes OrderPlaced to its
outbox) against one unlimited-stock deal. Each concurrent client is its own customer with its
own connection and sends a new Idempotency-Key with every request.

baseline: the same client code against a minimal FastAPI app served by uvicorn in a subprocess,
whose POST /orders answers a small JSON body without doing anything.

Each level sends `--requests` requests in all, split evenly over its clients; a failed request
stops the run. Kafka, FerretDB, the order service and the gateway are started for the run.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import bare_server, log_in, median, ok, percentile, servers  # noqa: E402

from liveline_devstack.demo import create_admin, deal_body  # noqa: E402
from liveline_devstack.services import start_services, stop_services  # noqa: E402

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


class Client:
    """One concurrent client: its own connection, its own headers (its customer's token)."""

    def __init__(self, base_url: str, path: str, headers: dict[str, str], body: dict) -> None:
        self.http = httpx.AsyncClient(base_url=base_url, headers=headers, timeout=60,
                                      limits=httpx.Limits(max_connections=1))
        self.path = path
        self.body = body

    async def run(self, count: int, latencies: list[float]) -> None:
        for _ in range(count):
            began = time.perf_counter()
            response = await self.http.post(self.path, json=self.body, headers={"Idempotency-Key": uuid.uuid4().hex})
            latencies.append(time.perf_counter() - began)
            if response.status_code != 201:
                raise RuntimeError(f"{self.path} answered {response.status_code}: {response.text}")

    async def close(self) -> None:
        await self.http.aclose()


async def measure(clients: list[Client], requests: int) -> tuple[float, float, float]:
    """(requests per second, p50 ms, p99 ms) of `requests` requests spread over `clients`."""
    latencies: list[float] = []
    each, extra = divmod(requests, len(clients))
    # One request per client first, so connection setup is not part of the figures.
    await asyncio.gather(*(client.run(1, []) for client in clients))
    began = time.perf_counter()
    await asyncio.gather(*(client.run(each + (i < extra), latencies) for i, client in enumerate(clients)))
    elapsed = time.perf_counter() - began
    return len(latencies) / elapsed, percentile(latencies, 0.50) * 1000, percentile(latencies, 0.99) * 1000


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


async def run_levels(levels: list[int], requests: int, gateway_url: str, gateway_env: dict[str, str],
                     bare_url: str) -> list[tuple[int, tuple[float, float, float], tuple[float, float, float]]]:
    results = []
    for level in levels:
        clients = await gateway_clients(gateway_url, gateway_env, level)
        try:
            liveline = await measure(clients, requests)
        finally:
            await asyncio.gather(*(client.close() for client in clients))
        bare_clients = [Client(bare_url, "/orders", {}, {"deal_id": "d", "quantity": 1}) for _ in range(level)]
        try:
            bare = await measure(bare_clients, requests)
        finally:
            await asyncio.gather(*(client.close() for client in bare_clients))
        results.append((level, liveline, bare))
        print(f"  {level:>4} clients done", flush=True)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=400, help="requests per concurrency level")
    parser.add_argument("--levels", default="8,32,128", help="numbers of concurrent clients")
    args = parser.parse_args()
    levels = [int(level) for level in args.levels.split(",")]

    with servers() as endpoints, tempfile.TemporaryDirectory(prefix="liveline-bench-orders-") as scratch:
        services = start_services(endpoints, Path(scratch) / "logs", only=("order", "gateway"))
        try:
            with bare_server(BARE_APP, Path(scratch) / "logs") as bare_url:
                gateway = services["gateway"]
                results = asyncio.run(run_levels(levels, args.requests, gateway.url, gateway.env, bare_url))
        finally:
            stop_services(services)

    print(f"\nPOST an order, {args.requests} requests per level (one machine: the clients, the gateway, "
          "the order service, FerretDB and Kafka share its cores)")
    print(f"{'clients':>8} | {'liveline orders/s':>17} {'p50 ms':>8} {'p99 ms':>8} | "
          f"{'bare FastAPI req/s':>18} {'p50 ms':>8} {'p99 ms':>8} | {'ratio':>6}")
    for level, (rate, p50, p99), (bare_rate, bare_p50, bare_p99) in results:
        print(f"{level:>8} | {rate:>17.0f} {p50:>8.1f} {p99:>8.1f} | "
              f"{bare_rate:>18.0f} {bare_p50:>8.1f} {bare_p99:>8.1f} | {rate / bare_rate:>6.3f}")
    print(f"median ratio of throughput (liveline / bare): {median([r[1][0] / r[2][0] for r in results]):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
