"""A worker killed in the middle of an edit: the video is edited again by the next worker and
VideoEdited is published exactly once. The API and the worker run as separate processes, as
they are deployed."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from pymongo import AsyncMongoClient

from liveline_devstack.processes import ManagedProcess, free_port
from liveline_devstack.pytest_plugin import TEST_STATE
from liveline_devstack.services import ServiceProcess
from services.media.tests.integration.support import customer, upload_file, video_events, wait_for, wait_until_done
from tests.random_refs import database_name, suffix


def worker(endpoints, env: dict[str, str], log_dir: Path) -> ServiceProcess:
    """`python -m liveline_media worker`, with health on a port of its own."""
    port = free_port()
    process = ServiceProcess(
        "media", endpoints, log_dir, port=port, environment="test",
        extra_env={**env, "LIVELINE_MEDIA_WORKER_HTTP_PORT": str(port)},
    )
    process.process = ManagedProcess(
        "media-worker", [sys.executable, "-m", "liveline_media", "worker"], log_path=log_dir / "media-worker.log",
        env=process.env,
    )
    return process


@pytest.fixture
def crash_env(media_env, tmp_path) -> dict[str, str]:
    return {
        **media_env,
        "LIVELINE_MEDIA_MONGO_DATABASE": database_name("media_crash"),
        "LIVELINE_MEDIA_CONSUMER_GROUP_PREFIX": f"test-media-crash-{suffix()}-",
        "LIVELINE_MEDIA_SCRATCH_DIR": str(tmp_path / "scratch"),
        # Slow enough to be caught in the middle.
        "LIVELINE_MEDIA_X264_PRESET": "medium",
    }


@pytest.fixture
def api(stack_endpoints, crash_env) -> Iterator[ServiceProcess]:
    process = ServiceProcess(
        "media", stack_endpoints, TEST_STATE / "media-crash", environment="test",
        extra_env={**crash_env, "LIVELINE_MEDIA_RUN_WORKER": "false"},
    )
    with process.running():
        yield process


@pytest.fixture
async def videos(stack_endpoints, crash_env) -> AsyncIterator:
    mongo: AsyncMongoClient = AsyncMongoClient(stack_endpoints.mongo_url, tz_aware=True, timeoutMS=10_000)
    try:
        yield mongo[crash_env["LIVELINE_MEDIA_MONGO_DATABASE"]]["videos"]
    finally:
        await mongo.close()


async def test_a_worker_killed_mid_edit_leaves_the_video_to_the_next_which_publishes_it_once(
    stack_endpoints, api, crash_env, videos, world, tools, tmp_path, kafka,
):
    clip = tools.make_test_clip(tmp_path / "clip.mp4", seconds=12, width=1280, height=720, rate=25)
    buyer = customer()
    first = worker(stack_endpoints, crash_env, TEST_STATE / "media-crash")
    first.start()
    try:
        first.wait_ready(timeout=90)
        async with httpx.AsyncClient(base_url=api.url, timeout=60) as client:
            video_id = (await upload_file(client, buyer, await world.order(buyer), clip))["video_id"]
            scratch = Path(crash_env["LIVELINE_MEDIA_SCRATCH_DIR"])

            async def encoding() -> bool:
                return any(p.stat().st_size > 0 for p in scratch.glob(f"edit-{video_id}-*/edited.mp4"))

            await wait_for(encoding, deadline_s=60, what="ffmpeg to be writing the edit")
            first.process.kill()

            async def dead() -> bool:
                return not first.process.alive()

            await wait_for(dead, deadline_s=10, what="the worker to die")
            assert (await videos.find_one({"_id": video_id}))["status"] == "processing"

            second = worker(stack_endpoints, crash_env, TEST_STATE / "media-crash")
            with second.running():
                video = await wait_until_done(client, buyer, video_id, deadline_s=180)
    finally:
        first.stop()

    assert video["status"] == "published", video
    assert (await videos.find_one({"_id": video_id}))["edit_attempts"] == 2
    events = await video_events(kafka, video_id, expect=2, settle_s=3.0)
    assert [e["event_type"] for e in events] == ["VideoUploaded", "VideoEdited"]
