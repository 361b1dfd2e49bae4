"""SIGTERM, as Kubernetes sends it before a pod goes away, on a real service process: it stops
taking messages, finishes the one in hand (or, past SHUTDOWN_DRAIN_S, hands it back), commits
its offsets and exits within the pod's terminationGracePeriodSeconds. The next member of the
group then carries on exactly where it stopped: nothing lost, nothing done twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from pymongo import AsyncMongoClient

from liveline_devstack.processes import free_port
from liveline_shared.events import OrderPlaced
from shared.tests.integration.support import NOW, committed_offset, new_topic, publish_event, wait_until
from tests.deploy.k8s import of_kind, rendered
from tests.random_refs import database_name, group_name, suffix

DRAIN_PROCESS = Path(__file__).with_name("drain_process.py")
EVENTS = 5


class DrainProcess:
    """tests/deploy/drain_process.py, its JSON log lines readable while it runs."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.log = log
        with log.open("wb") as out:
            self.process = subprocess.Popen([sys.executable, str(DRAIN_PROCESS)], stdout=out,
                                            stderr=subprocess.STDOUT, env=os.environ | env)

    def lines(self, event: str) -> list[dict]:
        found = []
        for line in self.log.read_text(errors="replace").splitlines():
            if line.startswith("{") and f'"{event}"' in line:
                record = json.loads(line)
                if record.get("event") == event:
                    found.append(record)
        return found

    def terminate_and_time(self, deadline_s: float) -> tuple[int, float]:
        began = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=deadline_s)
        return code, time.monotonic() - began

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


@pytest.fixture
def started(tmp_path) -> Iterator[list[DrainProcess]]:
    processes: list[DrainProcess] = []
    yield processes
    for process in processes:
        process.stop()


def grace_period_s() -> int:
    """The shortest terminationGracePeriodSeconds of the production Deployments."""
    return min(d["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
               for d in of_kind(rendered("prod"), "Deployment").values())


async def setup(stack_endpoints, tmp_path, started, **settings: str):
    bootstrap = stack_endpoints.kafka_bootstrap_servers
    topic = await new_topic(bootstrap, "drain")
    group, database = group_name("drain"), database_name("drain")
    events = [
        OrderPlaced(occurred_at=NOW, producer="order", order_id=f"ord-{suffix()}", deal_id="deal-1", merchant_id="m-1",
                    user_id="u-1", quantity=1, amount_minor=100, currency="CNY", voucher_valid_from=NOW,
                    voucher_valid_until=NOW + timedelta(days=90))
        for _ in range(EVENTS)
    ]
    for event in events:
        await publish_event(bootstrap, topic.name, event)
    env = {
        "LIVELINE_DRAINTEST_ENVIRONMENT": "test", "LIVELINE_DRAINTEST_KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "LIVELINE_DRAINTEST_MONGO_URL": stack_endpoints.mongo_url, "LIVELINE_DRAINTEST_MONGO_DATABASE": database,
        "LIVELINE_DRAINTEST_TOPIC": topic.name, "LIVELINE_DRAINTEST_CONSUMER": group,
        **{f"LIVELINE_DRAINTEST_{k.upper()}": v for k, v in settings.items()},
    }

    def start(name: str, **overrides: str) -> DrainProcess:
        port = {"LIVELINE_DRAINTEST_HTTP_PORT": str(free_port())}
        more = {f"LIVELINE_DRAINTEST_{k.upper()}": v for k, v in overrides.items()}
        process = DrainProcess(env | port | more, tmp_path / f"{name}.log")
        started.append(process)
        return process

    client = AsyncMongoClient(stack_endpoints.mongo_url, tz_aware=True, retryWrites=False)
    return bootstrap, topic, group, events, start, client, client[database]


def assert_stopped_in_order(process: DrainProcess, code: int) -> None:
    """Its shutdown ran to the end. uvicorn, having shut down, re-raises the SIGTERM it caught,
    so the process ends "killed by SIGTERM" (exit status 143 in a container), as Kubernetes expects."""
    assert code in (0, -signal.SIGTERM), process.log.read_text()
    assert process.lines("service_stopped"), process.log.read_text()


async def runs_by_event(db) -> dict[str, int]:
    return {doc["_id"]: doc["runs"] async for doc in db.work.find({})}


async def test_sigterm_finishes_the_message_in_hand_commits_and_the_next_member_carries_on_exactly(
    stack_endpoints, tmp_path, started
):
    bootstrap, topic, group, events, start, client, db = await setup(stack_endpoints, tmp_path, started, work_s="1.5")
    try:
        first = start("first")

        async def second_taken() -> bool:
            assert first.process.poll() is None, first.log.read_text()
            return len(first.lines("work_started")) >= 2

        await wait_until(second_taken, deadline_s=90, what="the first process to take its second event")
        code, took_s = first.terminate_and_time(deadline_s=grace_period_s())

        assert_stopped_in_order(first, code)
        assert took_s < grace_period_s()
        finished = [line["work_event"] for line in first.lines("work_finished")]
        # The event in hand at SIGTERM was finished; nothing was taken after it.
        assert finished == [line["work_event"] for line in first.lines("work_started")]
        assert finished == [str(e.event_id) for e in events[: len(finished)]]
        assert len(finished) < EVENTS
        assert first.lines("consumers_drained")[0]["finished"] is True
        assert await committed_offset(bootstrap, topic.name, group) == len(finished)

        second = start("second", work_s="0.1")

        async def all_done() -> bool:
            return len(await runs_by_event(db)) == EVENTS

        await wait_until(all_done, deadline_s=90, what="the second process to do the rest")
        assert await runs_by_event(db) == {str(e.event_id): 1 for e in events}
        assert not second.lines("event_duplicate")
        assert [line["work_event"] for line in second.lines("work_started")] == [str(e.event_id) for e in events[len(finished):]]
    finally:
        await client.close()


async def test_sigterm_hands_back_work_that_outlasts_the_drain_and_still_exits_in_time(
    stack_endpoints, tmp_path, started
):
    bootstrap, topic, group, events, start, client, db = await setup(
        stack_endpoints, tmp_path, started, work_s="600", shutdown_drain_s="2"
    )
    try:
        first = start("first")

        async def taken() -> bool:
            assert first.process.poll() is None, first.log.read_text()
            return bool(first.lines("work_started"))

        await wait_until(taken, deadline_s=90, what="the first process to take an event")
        code, took_s = first.terminate_and_time(deadline_s=grace_period_s())

        assert_stopped_in_order(first, code)
        assert took_s < grace_period_s()
        assert first.lines("consumer_drain_timed_out")
        assert not first.lines("work_finished")
        assert await committed_offset(bootstrap, topic.name, group) is None

        second = start("second", work_s="0.1")

        async def all_done() -> bool:
            return len(await runs_by_event(db)) == EVENTS

        await wait_until(all_done, deadline_s=90, what="the second process to redo the handed-back event and the rest")
        assert await runs_by_event(db) == {str(e.event_id): 1 for e in events}
        assert second.lines("work_started")[0]["work_event"] == str(events[0].event_id)
    finally:
        await client.close()
