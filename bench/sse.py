"""How many notification streams (Server-Sent Events) one gateway process holds, how much memory
they take, and how late a push reaches them, beside a bare fan-out measured in the same run.

    .venv/bin/python bench/sse.py [--clients 1000,5000,10000] [--sample 2000] [--rounds 3]
                                  [--open-concurrency 100] [--open-deadline 120]

Kafka and FerretDB, then the order service, the queue-notifier and ONE gateway process are
started for the run. For each level of `--clients` (a ramp: the streams of a level stay open
for the next), that many streams `GET /v1/me/notifications/stream` are opened, each for another
customer, by light clients (a socket, an HTTP/1.1 GET and a chunked line reader, as a browser's
EventSource does, all in this process). Opening a stream is what a phone does: the gateway
checks its token and asks the queue-notifier for the caller's newest notification number.

The accounts are not registered: the bench starts the gateway with a signing key of its own
(`LIVELINE_GATEWAY_SIGNING_KEY`) and mints each customer's access token with the gateway's own
`AccessTokens`, because registering 10,000 accounts through Argon2 would take far longer than
the measurement. The gateway checks such a token exactly as one from `POST /v1/sessions`.

At each level: streams opened (200 and headers) within `--open-deadline` seconds and refused,
opening rate, the process's RSS
(VmRSS after opening, VmHWM peak), open file descriptors, and its CPU while the streams are idle
(heartbeats only). Then `--rounds` push rounds: NotificationCreated events (a queue update, the
size a real one has) are published straight to Kafka for `--sample` connected customers, each
with the customer's next number, `occurred_at` and `moment_at` = the time it is handed to the
producer. Latency is that time → the client reading the event's data line; every event must
arrive once (losses and duplicates are counted). The ramp stops at the first level whose
streams are not all open by its deadline.

Baseline, same machine, same run, same clients and producer: a bare Starlette + sse-starlette
app in a process of its own that keeps as many streams open (no token, no inbox) and feeds each
from an in-process queue filled by one aiokafka consumer reading every partition of the same
topic from its end, as the gateway's feed does: Kafka → bare fan-out → client. The phases run
one after the other (gateway, then bare) so neither's idle streams take CPU from the other.
The soft limit of open files is raised to the hard one for this process and its children.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import resource
import secrets
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiokafka import AIOKafkaProducer

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import answers, median, percentile, servers  # noqa: E402

from liveline_devstack.processes import ManagedProcess, free_port, wait_until  # noqa: E402
from liveline_devstack.services import start_services, stop_services  # noqa: E402
from liveline_gateway.adapters.tokens import AccessTokens  # noqa: E402
from liveline_shared.callers import Caller  # noqa: E402
from liveline_shared.clock import SystemClock  # noqa: E402
from liveline_shared.events import NotificationCreated  # noqa: E402
from liveline_shared.events.topics import NOTIFICATIONS  # noqa: E402

MIB = 1024 * 1024
GOAL_STREAMS, GOAL_P99_S, MEMORY_LIMIT_MIB = 10_000, 1.5, 1024
PING_S = 15  # the gateway's default heartbeat, for both
ROUND_DEADLINE_S = 30.0
OPEN_TIMEOUT_S = 60.0

BARE_APP = r"""
import asyncio, contextlib, json, sys
import uvicorn
from aiokafka import AIOKafkaConsumer
from sse_starlette import EventSourceResponse
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

port, bootstrap, topic, ping = int(sys.argv[1]), sys.argv[2], sys.argv[3], float(sys.argv[4])
streams: dict[str, set[asyncio.Queue]] = {}
positioned = asyncio.Event()

async def feed() -> None:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                                auto_offset_reset="latest")
    await consumer.start()
    try:
        consumer.subscribe([topic])
        while not consumer.assignment():
            await asyncio.sleep(0.1)
        for partition in consumer.assignment():
            await consumer.position(partition)
        positioned.set()
        while True:
            for records in (await consumer.getmany(timeout_ms=1000, max_records=2000)).values():
                for record in records:
                    for queue in streams.get(record.key.decode(), ()):
                        queue.put_nowait(record.value)
    finally:
        await consumer.stop()

async def stream(request):
    user, queue = request.query_params["user"], asyncio.Queue()
    streams.setdefault(user, set()).add(queue)

    async def events():
        try:
            while True:
                value = await queue.get()
                yield {"event": "notification", "id": str(json.loads(value)["seq"]), "data": value.decode()}
        finally:
            streams[user].discard(queue)
            if not streams[user]:
                del streams[user]

    return EventSourceResponse(events(), ping=ping)

async def ready(request):
    return PlainTextResponse("ok" if positioned.is_set() else "positioning", 200 if positioned.is_set() else 503)

@contextlib.asynccontextmanager
async def lifespan(app):
    task = asyncio.create_task(feed())
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task

app = Starlette(routes=[Route("/stream", stream), Route("/ready", ready)], lifespan=lifespan)
uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False, timeout_keep_alive=75)
"""


# --- the process under test --------------------------------------------------------------------

def proc_status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (MiB) and open file descriptors of a process."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            found[name] = int(value.split()[0]) // 1024
    found["fds"] = len(os.listdir(f"/proc/{pid}/fd"))
    return found


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def bare_sse_server(bootstrap: str, log_dir: Path) -> Iterator[tuple[str, int]]:
    """The baseline app in a process of its own, reading the topic from its end; (url, pid)."""
    port = free_port()
    bare = ManagedProcess("bare-sse", [sys.executable, "-c", BARE_APP, str(port), bootstrap, NOTIFICATIONS.name,
                                       str(PING_S)], log_path=log_dir / "bare-sse.log")
    bare.start()
    try:
        wait_until(lambda: answers(f"http://127.0.0.1:{port}/ready"), timeout=60, what="bare SSE app")
        yield f"http://127.0.0.1:{port}", bare.pid  # type: ignore[misc]
    finally:
        bare.stop()


# --- light clients -----------------------------------------------------------------------------

class Deliveries:
    """Every event the clients read, against what was published."""

    def __init__(self) -> None:
        self.sent: dict[tuple[str, int], float] = {}
        self.got: dict[tuple[str, int], float] = {}
        self.outstanding: set[tuple[str, int]] = set()
        self.duplicates = 0
        self.unexpected = 0
        self.malformed = 0
        self.all_in = asyncio.Event()

    def begin_round(self) -> None:
        """What an earlier round lost is counted there; this round waits only for its own."""
        self.outstanding = set()
        self.all_in.clear()

    def expect(self, key: tuple[str, int], at: float) -> None:
        self.sent[key] = at
        self.outstanding.add(key)
        self.all_in.clear()

    def read(self, user: str, event_id: str | None, data: str, at: float) -> None:
        try:
            seq = int(event_id or "")
            if json.loads(data)["seq"] != seq:
                raise ValueError("id and data disagree")
        except (ValueError, KeyError, TypeError):
            self.malformed += 1
            return
        key = (user, seq)
        if key in self.got:
            self.duplicates += 1
            return
        self.got[key] = at
        if key not in self.sent:
            self.unexpected += 1
        self.outstanding.discard(key)
        if not self.outstanding:
            self.all_in.set()


class Stream:
    """One open stream: reads the chunked body and hands each complete event to `Deliveries`."""

    __slots__ = ("user", "reader", "writer", "deliveries", "ended", "task", "pings")

    def __init__(self, user: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                 deliveries: Deliveries) -> None:
        self.user, self.reader, self.writer, self.deliveries = user, reader, writer, deliveries
        self.ended = False
        self.pings = 0
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        buffer = b""
        try:
            while True:
                size = int((await self.reader.readline()).split(b";")[0], 16)
                if size == 0:
                    return
                buffer += (await self.reader.readexactly(size + 2))[:-2]
                at = time.perf_counter()
                while (end := buffer.find(b"\r\n\r\n")) >= 0:
                    self._event(buffer[:end].decode(), at)
                    buffer = buffer[end + 4:]
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            return
        finally:
            self.ended = True

    def _event(self, block: str, at: float) -> None:
        event_id, data = None, None
        for line in block.split("\r\n"):
            if line.startswith(":"):
                self.pings += 1
            elif line.startswith("id: "):
                event_id = line[4:]
            elif line.startswith("data: "):
                data = line[6:]
        if data is not None:
            self.deliveries.read(self.user, event_id, data, at)

    def close(self) -> None:
        self.task.cancel()
        self.writer.close()


async def open_stream(host: str, port: int, path: str, headers: dict[str, str], user: str,
                      deliveries: Deliveries) -> Stream | int:
    """An open stream, or the status (0: no connection) it was refused with."""
    writer = None
    try:
        async with asyncio.timeout(OPEN_TIMEOUT_S):
            reader, writer = await asyncio.open_connection(host, port)
            lines = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}", "Accept: text/event-stream",
                     "Cache-Control: no-cache", *(f"{name}: {value}" for name, value in headers.items())]
            writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
            status = int((await reader.readline()).split()[1])
            while (await reader.readline()) not in (b"\r\n", b""):
                pass
    except (OSError, TimeoutError, ValueError, IndexError):
        if writer is not None:
            writer.close()
        return 0
    except asyncio.CancelledError:  # the level's deadline passed first
        if writer is not None:
            writer.close()
        raise
    if status != 200:
        writer.close()
        return status
    return Stream(user, reader, writer, deliveries)


# --- one target (the gateway or the bare app) --------------------------------------------------

@dataclass
class Level:
    clients: int
    opened: int = 0  # streams open at this level (this level's and earlier ones')
    new: int = 0  # opened at this level
    refused: dict[int, int] = field(default_factory=dict)
    late: int = 0  # not open by the level's deadline
    open_s: float = 0.0
    rss_mib: int = 0
    hwm_mib: int = 0
    fds: int = 0
    idle_cpu: float = 0.0
    ended: int = 0
    rounds: list[dict] = field(default_factory=list)


class Target:
    def __init__(self, name: str, url: str, pid: int, users: list[str], path_of, headers_of) -> None:  # noqa: ANN001
        self.name, self.pid, self.users = name, pid, users
        host_port = url.removeprefix("http://")
        self.host, self.port = host_port.split(":")[0], int(host_port.split(":")[1])
        self.path_of, self.headers_of = path_of, headers_of
        self.deliveries = Deliveries()
        self.streams: list[Stream] = []
        self.tried = 0  # users whose stream was asked for
        self.seq: dict[str, int] = {}
        self.base = proc_status(pid)
        self.idle_cpu = 0.0  # the process's CPU with no stream open

    async def open_up_to(self, level: Level, concurrency: int, deadline_s: float) -> None:
        gate = asyncio.Semaphore(concurrency)

        async def one(user: str) -> None:
            async with gate:
                opened = await open_stream(self.host, self.port, self.path_of(user), self.headers_of(user), user,
                                           self.deliveries)
            if isinstance(opened, Stream):
                self.streams.append(opened)
                if len(self.streams) % 1000 == 0:
                    print(f"    {self.name}: {len(self.streams)} open after {time.perf_counter() - began:.0f} s", flush=True)
            else:
                level.refused[opened] = level.refused.get(opened, 0) + 1

        before, began = len(self.streams), time.perf_counter()
        with contextlib.suppress(TimeoutError):  # what is not open by then is not held
            await asyncio.wait_for(asyncio.gather(*(one(user) for user in self.users[self.tried:level.clients])),
                                   deadline_s)
        self.tried = max(self.tried, level.clients)
        level.late = level.clients - len(self.streams) - sum(level.refused.values())
        level.open_s = time.perf_counter() - began
        level.opened, level.new = len(self.streams), len(self.streams) - before

    async def push_round(self, producer: AIOKafkaProducer, sample: int, rng: random.Random) -> dict:
        live = [stream.user for stream in self.streams if not stream.ended]
        chosen = rng.sample(live, min(sample, len(live)))
        deliveries, keys = self.deliveries, []
        deliveries.begin_round()
        cpu_before = cpu_seconds(self.pid)
        began = time.perf_counter()
        for user in chosen:
            seq = self.seq[user] = self.seq.get(user, 0) + 1
            event = queue_update(user, seq)
            key = (user, seq)
            keys.append(key)
            deliveries.expect(key, time.perf_counter())
            await producer.send(NOTIFICATIONS.name, event.to_bytes(), key=user.encode(),
                                headers=[(k, v.encode()) for k, v in event.headers().items()])
        await producer.flush()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(deliveries.all_in.wait(), ROUND_DEADLINE_S)
        elapsed = time.perf_counter() - began
        latencies = [deliveries.got[key] - deliveries.sent[key] for key in keys if key in deliveries.got]
        lost = sum(1 for key in keys if key not in deliveries.got)
        return {"sent": len(keys), "arrived": len(latencies), "lost": lost,
                "p50": percentile(latencies, 0.5) if latencies else float("nan"),
                "p99": percentile(latencies, 0.99) if latencies else float("nan"),
                "max": max(latencies, default=float("nan")),
                "cpu": (cpu_seconds(self.pid) - cpu_before) / elapsed}

    async def close_all(self) -> None:
        for stream in self.streams:
            stream.close()
        await asyncio.gather(*(stream.task for stream in self.streams), return_exceptions=True)
        self.streams = []
        # The server lets go of the closed streams (their sockets) before the next phase starts.
        deadline = time.monotonic() + 60
        while proc_status(self.pid)["fds"] > self.base["fds"] + 20 and time.monotonic() < deadline:
            await asyncio.sleep(0.2)


def queue_update(user: str, seq: int) -> NotificationCreated:
    """A queue update as the queue-notifier publishes one, for its moment = now."""
    now = datetime.now(UTC)
    slot_start = now.replace(second=0, microsecond=0) + timedelta(minutes=20)
    return NotificationCreated(
        occurred_at=now, producer="bench", notification_id=f"bench-moment-{seq}~order-{user}", user_id=user,
        kind="queue_update", subject="queue_update", order_id=f"order-{user}", merchant_id="bench-merchant",
        slot_id="bench-slot", waiting_parties=12, waiting_people=31, queue_as_of=now, moment_at=now, late=False,
        stale=False, link_path=f"/orders/order-{user}", seq=seq,
        title="Bench Bistro: 12 parties waiting, about 25-35 min", calling="A17", wait_low_minutes=25,
        wait_high_minutes=35, enough_history=True, change_parties=-2, change_people=-5,
        slot_starts_at=slot_start, slot_ends_at=slot_start + timedelta(hours=2),
    )


async def measure(target: Target, levels: list[int], args: argparse.Namespace, producer: AIOKafkaProducer,
                  rng: random.Random) -> list[Level]:
    results = []
    cpu_before, idle_began = cpu_seconds(target.pid), time.perf_counter()
    await asyncio.sleep(args.idle_window)
    target.idle_cpu = (cpu_seconds(target.pid) - cpu_before) / (time.perf_counter() - idle_began)
    for clients in levels:
        level = Level(clients)
        await target.open_up_to(level, args.open_concurrency, args.open_deadline)
        status = proc_status(target.pid)
        level.rss_mib, level.fds = status["VmRSS"], status["fds"]
        cpu_before, idle_began = cpu_seconds(target.pid), time.perf_counter()
        await asyncio.sleep(args.idle_window)  # a window to measure the idle streams' CPU over
        level.idle_cpu = (cpu_seconds(target.pid) - cpu_before) / (time.perf_counter() - idle_began)
        for _ in range(args.rounds):
            level.rounds.append(await target.push_round(producer, args.sample, rng))
        level.hwm_mib = proc_status(target.pid)["VmHWM"]
        level.ended = sum(1 for stream in target.streams if stream.ended)
        results.append(level)
        print(f"  {target.name} {clients:>6}: opened {level.opened} in {level.open_s:.1f} s, RSS {level.rss_mib} MiB, "
              f"idle CPU {level.idle_cpu:.0%}, p99 {median([r['p99'] for r in level.rounds]) * 1000:.0f} ms", flush=True)
        if level.opened < clients:
            break  # this level is not held: no point ramping further
    await target.close_all()
    return results


# --- report ------------------------------------------------------------------------------------

def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f}"


def report(gateway: list[Level], bare: list[Level], gateway_target: Target, bare_target: Target,
           args: argparse.Namespace) -> None:
    gateway_base, bare_base = gateway_target.base, bare_target.base
    print(f"\nStreams held and push latency: one gateway process vs a bare sse-starlette fan-out; {args.rounds} "
          f"rounds of {args.sample} pushes per level")
    print("(clients, producer, Kafka, FerretDB, order service, queue-notifier share the machine; "
          f"{os.cpu_count()} CPUs; medians over rounds)")
    header = (f"{'target':>7} {'streams':>7} | {'opened':>6} {'refused':>8} {'open/s':>6} | {'RSS MiB':>7} "
              f"{'peak MiB':>8} {'KiB/strm':>8} {'fds':>6} {'idle CPU':>8} | {'p50 ms':>6} {'p99 ms':>6} "
              f"{'max ms':>6} {'arrived':>9} {'lost':>4} {'push CPU':>8} {'dropped':>7}")
    print(header)
    print("-" * len(header))
    for name, levels, base in (("gateway", gateway, gateway_base), ("bare", bare, bare_base)):
        for level in levels:
            rounds = level.rounds
            refused = ",".join([f"{status or 'conn'}:{n}" for status, n in sorted(level.refused.items())]
                               + ([f"late:{level.late}"] if level.late else [])) or "0"
            per_stream = (level.rss_mib - base["VmRSS"]) * 1024 / level.opened if level.opened else float("nan")
            arrived = f"{sum(r['arrived'] for r in rounds)}/{sum(r['sent'] for r in rounds)}"
            print(f"{name:>7} {level.clients:>7} | {level.opened:>6} {refused:>8} {level.new / level.open_s:>6.0f} | "
                  f"{level.rss_mib:>7} {level.hwm_mib:>8} {per_stream:>8.1f} {level.fds:>6} {level.idle_cpu:>7.0%} | "
                  f"{ms(median([r['p50'] for r in rounds])):>6} {ms(median([r['p99'] for r in rounds])):>6} "
                  f"{ms(max(r['max'] for r in rounds)):>6} {arrived:>9} {sum(r['lost'] for r in rounds):>4} "
                  f"{median([r['cpu'] for r in rounds]):>7.0%} {level.ended:>7}")
    print(f"\nbefore any stream: gateway RSS {gateway_base['VmRSS']} MiB, idle CPU {gateway_target.idle_cpu:.0%}; "
          f"bare {bare_base['VmRSS']} MiB, {bare_target.idle_cpu:.0%}. refused: status:count, conn = no answer, "
          f"late = not open {args.open_deadline:.0f} s after the level began; KiB/strm = (RSS - RSS before) / streams "
          f"open; idle CPU = the server process's CPU over {args.idle_window:.0f} s with the streams open and nothing "
          "pushed (100% = one CPU); push CPU = during a round; dropped = streams the server ended.")
    for name, levels, target in (("gateway", gateway, gateway_target), ("bare", bare, bare_target)):
        # From the first level: at higher ones a process short of CPU shows less than it wants.
        per_k = max(levels[0].idle_cpu - target.idle_cpu, 0.0) / levels[0].opened * 1000
        print(f"{name}: idle streams cost {per_k:.1%} of a CPU per 1,000 (at {levels[0].opened}); "
              f"{GOAL_STREAMS:,} would take {per_k * GOAL_STREAMS / 1000:.0%} of a CPU doing nothing but hold them")
    for target in (gateway_target, bare_target):
        seen = target.deliveries
        print(f"{target.name}: duplicates {seen.duplicates}, unexpected {seen.unexpected}, malformed {seen.malformed}")

    print(f"\n{'streams':>7} | {'p99 ratio (gateway/bare)':>24} | {'RSS ratio':>9} | {'open/s ratio':>12}")
    for ours, theirs in zip(gateway, bare, strict=False):
        p99 = median([r["p99"] for r in ours.rounds]) / median([r["p99"] for r in theirs.rounds])
        rss = (ours.rss_mib - gateway_base["VmRSS"]) / max(theirs.rss_mib - bare_base["VmRSS"], 1)
        rates = (ours.new / ours.open_s) / (theirs.new / theirs.open_s)
        print(f"{ours.clients:>7} | {p99:>24.2f} | {rss:>9.2f} | {rates:>12.2f}")

    held = [level for level in gateway if level.opened == level.clients and level.ended == 0
            and all(r["lost"] == 0 for r in level.rounds) and level.hwm_mib < MEMORY_LIMIT_MIB]
    top = max(held, key=lambda level: level.clients, default=None)
    if top is not None:
        p99 = median([r["p99"] for r in top.rounds])
        per_stream = (top.rss_mib - gateway_base["VmRSS"]) / top.opened
        print(f"\ngateway: {top.clients} streams held under {MEMORY_LIMIT_MIB} MiB (peak {top.hwm_mib} MiB; "
              f"~{per_stream * 1024:.0f} KiB each, so ~{(MEMORY_LIMIT_MIB - gateway_base['VmRSS']) / per_stream:,.0f} "
              f"would fit), every push delivered once, p99 {p99 * 1000:.0f} ms; goals {GOAL_STREAMS} streams "
              f"({'met' if top.clients >= GOAL_STREAMS else 'NOT met'}), p99 < {GOAL_P99_S} s "
              f"({'met' if p99 < GOAL_P99_S else 'NOT met'})")
    else:
        print("\ngateway: no level held every stream with every push delivered under the memory limit")


# --- the run -----------------------------------------------------------------------------------

def raise_fd_limit(needed: int) -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else max(soft, needed)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    if wanted < needed:
        print(f"warning: the hard limit of open files is {hard}; {needed} are needed for this ramp", file=sys.stderr)
    return wanted


async def run(args: argparse.Namespace, levels: list[int], gateway_url: str, gateway_pid: int, secret: str,
              bare_url: str, bare_pid: int, bootstrap: str) -> None:
    run_id = uuid.uuid4().hex[:6]
    tokens = AccessTokens(secret, timedelta(hours=2), SystemClock())
    warm = [f"ssebench-{run_id}-warm{i:02d}" for i in range(20)]
    gateway_users = [f"ssebench-{run_id}-g{i:05d}" for i in range(max(levels))]
    bare_users = [f"ssebench-{run_id}-b{i:05d}" for i in range(max(levels))]
    bearer = {user: f"Bearer {tokens.issue(Caller(account_id=user, role='customer'))}" for user in gateway_users + warm}
    rng = random.Random(11)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=5)
    await producer.start()
    try:
        targets = []
        for name, url, pid, users, path_of, headers_of in (
            ("gateway", gateway_url, gateway_pid, gateway_users, lambda _: "/v1/me/notifications/stream",
             lambda user: {"Authorization": bearer[user]}),
            ("bare", bare_url, bare_pid, bare_users, lambda user: f"/stream?user={user}", lambda _: {}),
        ):
            # Warm-up: a few streams and pushes, so first connections and parses are not measured.
            warm_up = Target(name, url, pid, warm, path_of, headers_of)
            await warm_up.open_up_to(Level(len(warm)), len(warm), OPEN_TIMEOUT_S)
            await warm_up.push_round(producer, len(warm), rng)
            await warm_up.close_all()
            targets.append(Target(name, url, pid, users, path_of, headers_of))
        print(f"ramp {levels}, {args.rounds} rounds of {args.sample} pushes per level", flush=True)
        results = [await measure(target, levels, args, producer, rng) for target in targets]
    finally:
        await producer.stop()
    report(*results, *targets, args)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", default="1000,5000,10000", help="the ramp: streams open at each level")
    parser.add_argument("--sample", type=int, default=2000, help="customers pushed to per round")
    parser.add_argument("--rounds", type=int, default=3, help="push rounds per level")
    parser.add_argument("--open-concurrency", type=int, default=100, help="streams being opened at once")
    parser.add_argument("--open-deadline", type=float, default=120.0,
                        help="seconds a level may take to open its streams; the ramp stops at a level not held")
    parser.add_argument("--idle-window", type=float, default=3.0, help="seconds over which idle CPU is measured")
    args = parser.parse_args()
    levels = sorted(int(n) for n in args.clients.split(","))
    raise_fd_limit(max(levels) + 1000)
    secret = secrets.token_urlsafe(32)
    os.environ["LIVELINE_GATEWAY_SIGNING_KEY"] = secret  # the gateway child reads it; only the bench knows it
    with servers() as endpoints, tempfile.TemporaryDirectory(prefix="liveline-bench-sse-") as scratch:
        logs = Path(scratch) / "logs"
        services = start_services(endpoints, logs, only=("order", "queue-notifier", "gateway"))
        try:
            gateway = services["gateway"]
            with bare_sse_server(endpoints.kafka_bootstrap_servers, logs) as (bare_url, bare_pid):
                asyncio.run(run(args, levels, gateway.url, gateway.process.pid, secret, bare_url, bare_pid,  # type: ignore[arg-type]
                                endpoints.kafka_bootstrap_servers))
        finally:
            stop_services(services)
    return 0


if __name__ == "__main__":
    sys.exit(main())
