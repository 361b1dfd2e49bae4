"""A consumer killed (SIGKILL) before it commits gets the event again and does not apply it twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from liveline_shared.idempotence import CONSUMED_EVENTS
from shared.tests.integration.support import committed_offset, new_topic, one_event_of_each_type, publish_event, wait_until
from tests.random_refs import group_name, suffix

CONSUMER_PROCESS = Path(__file__).with_name("consumer_process.py")


class ConsumerProcess:
    def __init__(self, args: list[str], *, env: dict[str, str], log: Path) -> None:
        self.log = log
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, str(CONSUMER_PROCESS), *args], stdout=out, stderr=subprocess.STDOUT,
                env=os.environ | env,
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def processes() -> Iterator[list[ConsumerProcess]]:
    started: list[ConsumerProcess] = []
    yield started
    for process in started:
        process.stop()


async def crash_then_restart(stack_endpoints, db, tmp_path: Path, processes, *, hold: dict[str, str], hold_args: list[str]):
    bootstrap = stack_endpoints.kafka_bootstrap_servers
    topic = await new_topic(bootstrap, "crash")
    consumer = group_name("order-stats")
    placed = one_event_of_each_type(f"ord-{suffix()}")[0]
    args = ["--bootstrap", bootstrap, "--mongo-url", stack_endpoints.mongo_url, "--database", db.name,
            "--topic", topic.name, "--consumer", consumer]
    await publish_event(bootstrap, topic.name, placed)

    first = ConsumerProcess(args + hold_args, env=hold, log=tmp_path / "first.log")
    processes.append(first)

    async def effect_applied() -> bool:
        return await db.order_stats.find_one({"_id": placed.order_id}) is not None

    await wait_until(effect_applied, deadline_s=60, what="the first process's effect")

    async def holding() -> bool:
        return "holding after the effect" in first.output() or "holding before the ack" in first.output()

    await wait_until(holding, deadline_s=30, what="the first process to stop before committing")
    first.kill()
    assert await committed_offset(bootstrap, topic.name, consumer) is None

    second = ConsumerProcess(args, env={}, log=tmp_path / "second.log")
    processes.append(second)

    async def offset_committed() -> bool:
        return await committed_offset(bootstrap, topic.name, consumer) == 1

    await wait_until(offset_committed, deadline_s=60, what="the restarted process to commit the redelivery")
    second.stop()
    return placed, consumer, second


async def test_an_event_recorded_but_not_committed_is_not_applied_again_after_sigkill(stack_endpoints, db, tmp_path, processes):
    placed, consumer, second = await crash_then_restart(
        stack_endpoints, db, tmp_path, processes, hold={}, hold_args=["--hold-before-ack"]
    )

    assert (await db.order_stats.find_one({"_id": placed.order_id}))["placed"] == 1
    records = [record["_id"] async for record in db[CONSUMED_EVENTS].find({}, {"_id": 1})]
    assert [record for record in records if record.startswith(f"{consumer}:")] == [f"{consumer}:{placed.event_id}"]
    assert "event_duplicate" in second.output()  # it was redelivered, and recognised


async def test_an_effect_applied_but_not_recorded_is_not_applied_again_after_sigkill(stack_endpoints, db, tmp_path, processes):
    placed, consumer, second = await crash_then_restart(
        stack_endpoints, db, tmp_path, processes, hold={}, hold_args=["--hold-after-effect"]
    )

    assert (await db.order_stats.find_one({"_id": placed.order_id}))["placed"] == 1
    recorded = await db[CONSUMED_EVENTS].find_one({"_id": f"{consumer}:{placed.event_id}"})
    assert recorded is not None  # the redelivery ran the handler (a no-op thanks to apply_once) and recorded it
    assert "event_consumed" in second.output()
