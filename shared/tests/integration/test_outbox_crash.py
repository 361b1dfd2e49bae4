"""A relay process killed between publishing and marking: the event goes out again with the same id."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from liveline_shared.clock import ManualClock
from liveline_shared.outbox import LEASE, PENDING, outbox_fields
from liveline_shared.relay import OutboxRelay
from tests.random_refs import suffix

RELAY_PROCESS = Path(__file__).with_name("relay_process.py")


async def read_until_halted(process: asyncio.subprocess.Process, *, deadline_s: float) -> list[str]:
    """The event ids the relay process published and halted on before marking them sent."""
    assert process.stdout is not None
    deadline = time.monotonic() + deadline_s
    while True:
        remaining = deadline - time.monotonic()
        assert remaining > 0, "the relay process never published"
        line = await asyncio.wait_for(process.stdout.readline(), remaining)
        assert line, f"the relay process ended with {await process.wait()} before publishing"
        text = line.decode().strip()
        if text.startswith('{"halted_after_publish"'):
            return json.loads(text)["halted_after_publish"]


async def test_event_published_by_a_relay_killed_before_marking_is_published_again_and_applied_once(
    db, bootstrap, stack_endpoints, reader, new_event, apply_events, no_pending_within
):
    things = f"things_{suffix()}"
    event = new_event("thing-1")
    await db[things].insert_one({"_id": "thing-1", **outbox_fields(event, now=datetime.now(UTC))})

    process = await asyncio.create_subprocess_exec(
        sys.executable, str(RELAY_PROCESS),
        "--mongo-url", stack_endpoints.mongo_url, "--database", db.name, "--collection", things,
        "--bootstrap-servers", bootstrap, "--lease-s", "30", "--poll-interval-s", "0.2",
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        halted_on = await read_until_halted(process, deadline_s=60)
    finally:
        process.send_signal(signal.SIGKILL)
        await asyncio.wait_for(process.wait(), 10)

    assert halted_on == [str(event.event_id)]
    await reader.wait_for(halted_on, deadline_s=30)
    left_behind = await db[things].find_one({"_id": "thing-1"})
    assert left_behind[PENDING] == 1 and LEASE in left_behind

    # The restarted relay's clock is past the dead relay's lease, instead of waiting 30 s for it.
    clock = ManualClock(datetime.now(UTC) + timedelta(seconds=31))
    relay = OutboxRelay(db, [things], bootstrap, clock=clock, lease_s=30)
    try:
        assert await relay.run_once() == 1
    finally:
        await relay.stop()
    await no_pending_within(things)
    await reader.read_to_end()

    assert [r.event_id for r in reader.received] == [str(event.event_id), str(event.event_id)]
    assert reader.received[0].body == reader.received[1].body
    assert await apply_events(reader.received) == (1, 1)
