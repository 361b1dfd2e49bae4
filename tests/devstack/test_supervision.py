"""`make run` watches what it started: a server or service killed with -9 comes back on its port
and data, the supervisor's output names it, and an order placed while Kafka was dead reaches
Kafka exactly once. A SIGTERM stops everything without any restart.

The module runs `python -m liveline_devstack run` itself (what `make run` runs), with a state
folder of its own in `.liveline/test/supervised/` (wiped first, kept after the run), so it
neither meets the session's servers nor a developer's `.liveline/run`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from liveline_devstack.__main__ import STATUS_FILE
from liveline_devstack.processes import ManagedProcess, free_port, port_open
from liveline_devstack.pytest_plugin import TEST_STATE
from liveline_devstack.services import SERVICES, get_json
from liveline_shared.events import topics
from tests.api.support import Account, buy, client_address, new_customer

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]

STATE = TEST_STATE / "supervised"
T = TypeVar("T")


@dataclass
class Devstack:
    """The running `python -m liveline_devstack run`, seen from outside: its output and its files."""

    process: ManagedProcess
    state_dir: Path

    def output(self) -> str:
        return self.process.log_path.read_text(errors="replace")

    def children(self) -> dict[str, dict]:
        return json.loads((self.state_dir / STATUS_FILE).read_text())["children"]

    def remembered_ports(self) -> dict[str, int]:
        return json.loads((self.state_dir / "ports.json").read_text())

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.children()[name]['port']}"

    def gateway(self) -> httpx.Client:
        return httpx.Client(base_url=self.url("gateway"), timeout=30, headers={"X-Forwarded-For": client_address()})

    def wait_for(self, condition: Callable[[], T], *, deadline_s: float, what: str) -> T:
        deadline = time.monotonic() + deadline_s
        while time.monotonic() < deadline:
            if not self.process.alive():
                pytest.fail(f"the devstack exited ({self.process.exit_code()}) waiting for {what}:\n"
                            f"{self.process.log_tail(60)}")
            if value := condition():
                return value
            time.sleep(0.2)
        pytest.fail(f"{what}: not within {deadline_s:.0f} s; the devstack's output ends:\n{self.process.log_tail(60)}")

    def wait_exit(self, *, deadline_s: float = 180) -> int:
        deadline = time.monotonic() + deadline_s
        while self.process.alive():
            assert time.monotonic() < deadline, f"still running after {deadline_s:.0f} s:\n{self.process.log_tail(40)}"
            time.sleep(0.2)
        return self.process.exit_code()

    def kill(self, name: str) -> int:
        pid = self.children()[name]["pid"]
        os.kill(pid, signal.SIGKILL)
        return pid

    def wait_until_back(self, name: str, dead_pid: int, *, deadline_s: float = 240) -> dict:
        def back() -> dict | None:
            child = self.children()[name]
            if child["pid"] != dead_pid and child["state"] == "running" and \
                    f"{name} is back (pid {child['pid']}" in self.output():
                return child
            return None

        return self.wait_for(back, deadline_s=deadline_s, what=f"{name} back after pid {dead_pid} was killed")

    def wait_all_ready(self, *, deadline_s: float = 180) -> None:
        def ready(name: str) -> bool:
            try:
                return get_json(f"{self.url(name)}/readyz")[0] == 200
            except OSError:
                return False

        self.wait_for(lambda: all(ready(name) for name in SERVICES), deadline_s=deadline_s,
                      what="all five services ready")


def launch(folder: Path) -> Devstack:
    """`make run`'s command on a fresh state folder under `folder`, its output in devstack.log."""
    shutil.rmtree(folder, ignore_errors=True)
    state_dir = folder / "run"
    process = ManagedProcess(
        "devstack",
        [sys.executable, "-m", "liveline_devstack", "run", "--state-dir", str(state_dir),
         "--gateway-port", str(free_port())],
        log_path=folder / "devstack.log",
        # The stack under test runs every server itself, FerretDB included, whatever the caller uses.
        env={**{k: v for k, v in os.environ.items() if k != "LIVELINE_MONGO_URL"}, "PYTHONUNBUFFERED": "1"},
    )
    process.start()
    stack = Devstack(process, state_dir)
    try:
        stack.wait_for(lambda: (state_dir / STATUS_FILE).exists(), deadline_s=600, what="make run's stack started")
    except BaseException:
        process.stop(timeout=120)
        raise
    return stack


@pytest.fixture(scope="module")
def devstack() -> Iterator[Devstack]:
    stack = launch(STATE)
    try:
        yield stack
    finally:
        stack.process.stop(timeout=120)


def deal_on_sale(devstack: Devstack) -> str:
    """The demo's unlimited deal, seeded by the run itself."""
    return json.loads((devstack.state_dir / "demo.json").read_text())["deal_ids"]["unlimited"]


def place_order(client: httpx.Client, customer: Account, deal_id: str) -> str:
    response = buy(client, customer, deal_id)
    assert response.status_code == 201, response.text
    return response.json()["order_id"]


def orders_placed(bootstrap: str, order_id: str, *, deadline_s: float = 60) -> list[dict]:
    """Every OrderPlaced of `order_id` in the orders topic, read from its start to its current end."""

    async def read() -> list[dict]:
        # Without a group the consumer takes every partition of the topic, from its start.
        consumer = AIOKafkaConsumer(topics.ORDERS.name, bootstrap_servers=bootstrap, group_id=None,
                                    enable_auto_commit=False, auto_offset_reset="earliest")
        await consumer.start()
        try:
            found: list[dict] = []
            end: dict[TopicPartition, int] | None = None
            deadline = time.monotonic() + deadline_s
            while True:
                for messages in (await consumer.getmany(timeout_ms=500)).values():
                    for message in messages:
                        event = json.loads(message.value)
                        if event.get("event_type") == "OrderPlaced" and event.get("order_id") == order_id:
                            found.append(event)
                if end is None and consumer.assignment():
                    end = await consumer.end_offsets(list(consumer.assignment()))
                if end is not None and all([await consumer.position(tp) >= offset for tp, offset in end.items()]):
                    return found
                assert time.monotonic() < deadline, f"{topics.ORDERS.name} not read to its end within {deadline_s} s"
        finally:
            await consumer.stop()

    return asyncio.run(read())


def outbox_lag_seconds(service_url: str) -> list[float]:
    with httpx.Client(timeout=10) as client:
        text = client.get(f"{service_url}/metrics").text
    return [float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
            if line.startswith("liveline_outbox_relay_lag_seconds{")]


def test_killed_kafka_comes_back_on_its_port_and_an_order_placed_meanwhile_is_published_once(devstack):
    kafka = devstack.children()["kafka"]
    assert kafka["port"] == devstack.remembered_ports()["kafka"]
    deal_id = deal_on_sale(devstack)
    with devstack.gateway() as client:
        customer = new_customer(client)
        pid = devstack.kill("kafka")
        devstack.wait_for(lambda: f"kafka (pid {pid}) was killed by SIGKILL" in devstack.output(),
                          deadline_s=30, what="the supervisor names the dead Kafka")
        order_id = place_order(client, customer, deal_id)
        placed_while_kafka_was_down = not port_open(kafka["port"])
    assert placed_while_kafka_was_down, "Kafka was back before the order was placed; the test proves nothing"

    back = devstack.wait_until_back("kafka", pid)
    assert back["port"] == kafka["port"] == devstack.remembered_ports()["kafka"]
    assert back["restarts"] == kafka["restarts"] + 1
    devstack.wait_all_ready()

    bootstrap = f"127.0.0.1:{back['port']}"
    devstack.wait_for(lambda: orders_placed(bootstrap, order_id), deadline_s=180,
                      what=f"OrderPlaced of {order_id} in Kafka")
    # Nothing left to publish: a second copy could only come from an event still in an outbox.
    devstack.wait_for(lambda: outbox_lag_seconds(devstack.url("order")) == [0.0], deadline_s=60,
                      what="the order service's outbox empty")
    [event] = orders_placed(bootstrap, order_id)
    assert event["deal_id"] == deal_id and event["user_id"] == customer.account_id


@pytest.mark.parametrize("name", ["ferretdb", "minio", "order"])
def test_a_killed_child_comes_back_on_its_port_and_answers(devstack, name):
    assert name in devstack.children(), f"make run did not start {name}"
    before = devstack.children()[name]
    pid = devstack.kill(name)

    back = devstack.wait_until_back(name, pid)
    assert back["port"] == before["port"]
    if name in devstack.remembered_ports():
        assert back["port"] == devstack.remembered_ports()[name]
    assert back["restarts"] == before["restarts"] + 1
    assert f"{name} (pid {pid}) was killed by SIGKILL" in devstack.output()
    devstack.wait_all_ready()
    with devstack.gateway() as client:
        place_order(client, new_customer(client), deal_on_sale(devstack))


def test_sigterm_stops_everything_and_restarts_nothing(devstack):
    pids = {name: child["pid"] for name, child in devstack.children().items()}
    exits_seen = devstack.output().count("supervisor] ")

    os.kill(devstack.process.pid, signal.SIGTERM)
    exit_code = devstack.wait_exit()

    output = devstack.output()
    assert exit_code == 0, output[-4000:]
    assert output.rstrip().endswith("stopping ...\nstopped."), output[-4000:]
    assert output.count("supervisor] ") == exits_seen, "the supervisor reported something while stopping"
    assert {name: pid for name, pid in pids.items() if running(pid)} == {}
    assert not (devstack.state_dir / STATUS_FILE).exists()


def running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_a_service_that_keeps_dying_stops_everything_with_exit_status_1():
    """Its own run (the module's ends with the SIGTERM above): the order service is killed again
    as soon as each restart spawns it, until the supervisor gives up (1+2+4+8+16 s of back-off)."""
    stack = launch(TEST_STATE / "supervised-give-up")
    try:
        pids = {name: child["pid"] for name, child in stack.children().items()}
        killed: list[int] = []
        deadline = time.monotonic() + 300
        while stack.process.alive():
            assert time.monotonic() < deadline, f"never gave up:\n{stack.process.log_tail(40)}"
            try:
                order = stack.children()["order"]["pid"]
            except FileNotFoundError:  # removed while stopping
                continue
            if order not in killed:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(order, signal.SIGKILL)
                killed.append(order)
            time.sleep(0.1)
        exit_code = stack.wait_exit()
    finally:
        stack.process.stop(timeout=120)

    output = stack.output()
    assert exit_code == 1, output[-4000:]
    assert len(killed) == 6, killed
    assert [f"restarting order in {delay} s (restart {n} of at most 5" in output
            for n, delay in enumerate((1, 2, 4, 8, 16), start=1)] == [True] * 5
    assert "error: order exited again after 5 restarts within 120 s; not restarting it again. Stopping everything." \
        in output
    assert output.rstrip().endswith("stopping ...\nstopped.")
    assert [pid for pid in [*pids.values(), *killed] if running(pid)] == []
