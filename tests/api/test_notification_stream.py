"""The buyer's live stream (Server-Sent Events) through two gateway processes, every service a real
process: the document's example scaled down — dinner starts in 20 s, the first push 10 s before,
then every 3 s — while the merchant's staff change the waitlist; each push arrives within 1 s of
its moment with the counts of that moment. The buyer drops the stream and resumes it on the
other gateway with Last-Event-ID: what was pushed meanwhile comes first, then the rest, each once
and in order, with heartbeats in between. Bad input and other people are refused."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from liveline_devstack.pytest_plugin import TEST_STATE
from liveline_devstack.services import ServiceProcess
from liveline_shared.callers import Caller
from tests.api.support import Account, assert_problem, new_customer
from tests.queue_support import slot_chosen, slot_window
from tests.service_tests import publish

STREAM = "/v1/me/notifications/stream"


@dataclass
class Received:
    events: list[tuple[float, dict, str]] = field(default_factory=list)  # (arrival, notification, id)
    comments: int = 0
    opened: asyncio.Event = field(default_factory=asyncio.Event)


async def read_stream(url: str, account: Account, received: Received, last_event_id: str | None = None) -> None:
    """Reads the stream into `received` until the task is cancelled."""
    headers = dict(account.headers)
    if last_event_id is not None:
        headers["Last-Event-ID"] = last_event_id
    async with httpx.AsyncClient(base_url=url, timeout=httpx.Timeout(60, read=None)) as http:
        async with http.stream("GET", STREAM, headers=headers) as response:
            assert response.status_code == 200, await response.aread()
            assert response.headers["content-type"].startswith("text/event-stream")
            received.opened.set()
            event_id, data = "", ""
            async for line in response.aiter_lines():
                if line.startswith(":"):
                    received.comments += 1
                elif line.startswith("id:"):
                    event_id = line[3:].strip()
                elif line.startswith("data:"):
                    data = line[5:].strip()
                elif line == "" and data:
                    received.events.append((time.time(), json.loads(data), event_id))
                    data = ""


async def stop(reading: asyncio.Task) -> None:
    """Hangs up (the client goes away mid-stream)."""
    reading.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await reading


async def until(check, deadline_s: float, what: str) -> None:  # noqa: ANN001 - a condition
    deadline = time.monotonic() + deadline_s
    while not check():
        assert time.monotonic() < deadline, f"no {what} after {deadline_s}s"
        await asyncio.sleep(0.05)


@pytest.fixture
def second_gateway(services, stack_endpoints):
    """Another gateway replica on the same accounts and services, with a heartbeat every second."""
    session_gateway = services["gateway"]
    settings = {name: value for name, value in session_gateway.env.items()
                if name.startswith("LIVELINE_GATEWAY_") and name != "LIVELINE_GATEWAY_HTTP_PORT"}
    process = ServiceProcess("gateway", stack_endpoints, TEST_STATE / "second-gateway", environment="test",
                             internal_token=session_gateway.internal_token,
                             extra_env={**settings, "LIVELINE_GATEWAY_STREAM_PING_S": "1"})
    with process.running():
        yield process


async def test_pushes_reach_the_stream_on_time_and_resume_on_another_gateway_once_each(
    client, services, staff, merchant, producer, second_gateway
):
    merchant_id = merchant["merchant_id"]
    policy = client.put(f"/v1/merchants/{merchant_id}/push-policy", headers=staff.headers,
                        json={"lead_seconds": 10, "cadence_seconds": 3})
    assert policy.status_code == 200, policy.text
    buyer = new_customer(client)
    first, second = Received(), Received()
    reading = asyncio.create_task(read_stream(services["gateway"].url, buyer, first))
    await asyncio.wait_for(first.opened.wait(), 10)

    t0 = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)
    slot = slot_window(merchant_id, t0 + timedelta(seconds=20), t0 + timedelta(seconds=27))
    moments = [t0 + timedelta(seconds=s) for s in (10, 13, 16, 19, 22, 25)]
    await publish(producer, slot_chosen(merchant_id, Caller(account_id=buyer.account_id, role="customer"), slot))

    async with httpx.AsyncClient(base_url=services["gateway"].url, headers=staff.headers, timeout=30) as host:
        async def at(offset_s: float) -> None:
            await asyncio.sleep(max(0.0, (t0 + timedelta(seconds=offset_s) - datetime.now(UTC)).total_seconds()))

        async def add(size: int) -> str:
            response = await host.post(f"/v1/merchants/{merchant_id}/waitlist", json={"size": size})
            assert response.status_code == 201, response.text
            return response.json()["party_id"]

        await at(11.5)
        couple = await add(2)
        await at(14.5)
        await add(4)
        await at(17.5)
        seated = await host.post(f"/v1/merchants/{merchant_id}/waitlist/{couple}/seat")
        assert seated.status_code == 200, seated.text

    await until(lambda: len(first.events) >= 4, deadline_s=10, what="the fourth push")
    await stop(reading)
    await asyncio.sleep(max(0.0, (moments[4] + timedelta(seconds=1.5) - datetime.now(UTC)).total_seconds()))
    # The fifth push went out while the buyer was away; they come back through the other replica.
    resuming = asyncio.create_task(read_stream(second_gateway.url, buyer, second, last_event_id=first.events[-1][2]))
    await until(lambda: len(second.events) >= 2 and second.comments >= 1, deadline_s=15,
                what="the missed push, the last one and a heartbeat")
    await stop(resuming)

    pushes = [(arrived, note, event_id) for arrived, note, event_id in first.events + second.events]
    assert [datetime.fromisoformat(note["queue"]["moment"]) for _, note, _ in pushes] == moments
    assert len({note["notification_id"] for _, note, _ in pushes}) == len(moments), "nothing twice"
    numbers = [int(event_id) for _, _, event_id in pushes]
    assert numbers == sorted(numbers) and [note["seq"] for _, note, _ in pushes] == numbers
    assert [note["queue"]["waiting_parties"] for _, note, _ in pushes] == [0, 1, 2, 1, 1, 1]
    assert [note["queue"]["waiting_people"] for _, note, _ in pushes] == [0, 2, 6, 4, 4, 4]
    assert [note["queue"]["change_parties"] for _, note, _ in pushes] == [None, 1, 1, -1, 0, 0]
    live = pushes[:4] + pushes[5:]  # the fifth was sent while the buyer was away
    lateness = [arrived - datetime.fromisoformat(note["queue"]["moment"]).timestamp() for arrived, note, _ in live]
    assert max(lateness) <= 1.0, f"pushes arrived {lateness} s after their moments"
    assert all(note["subject"] == "queue_update" and note["title"] and not note["queue"]["stale"] for _, note, _ in pushes)
    # The list shows the same notifications, newest first.
    listed = client.get("/v1/me/notifications", params={"limit": 10}, headers=buyer.headers).json()["notifications"]
    assert [n["notification_id"] for n in reversed(listed)] == [note["notification_id"] for _, note, _ in pushes]


def test_the_stream_refuses_bad_input_and_anyone_but_a_buyer(client, staff):
    assert_problem(client.get(STREAM), 401, "unauthenticated")
    assert_problem(client.get(STREAM, headers=staff.headers), 403, "forbidden")
    buyer = new_customer(client)
    for bad in ("abc", "-1", "1.5", "9" * 30):
        assert_problem(client.get(STREAM, headers={**buyer.headers, "Last-Event-ID": bad}), 422, "invalid-request")
