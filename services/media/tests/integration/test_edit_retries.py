"""An edit that keeps failing for a passing reason (here: the order service, which names the
merchant for the overlay, does not answer) is retried with backoff, then ends as VideoRejected
with a reason the uploader can read, never stuck and never dead-lettered."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from liveline_devstack.processes import free_port
from liveline_devstack.pytest_plugin import TEST_STATE
from liveline_devstack.services import ServiceProcess
from services.media.tests.integration.support import customer, upload_file, video_events, wait_until_done
from tests.random_refs import database_name, suffix


@pytest.fixture
def media_without_order_service(stack_endpoints, media_env) -> Iterator[ServiceProcess]:
    env = {
        **media_env,
        "LIVELINE_MEDIA_MONGO_DATABASE": database_name("media_retries"),
        "LIVELINE_MEDIA_CONSUMER_GROUP_PREFIX": f"test-media-retries-{suffix()}-",
        "LIVELINE_MEDIA_ORDER_URL": f"http://127.0.0.1:{free_port()}",  # nothing listens there
        "LIVELINE_MEDIA_ORDER_TIMEOUT_S": "1",
    }
    process = ServiceProcess("media", stack_endpoints, TEST_STATE / "media-retries", environment="test", extra_env=env)
    with process.running():
        yield process


async def test_an_edit_that_keeps_failing_ends_as_rejected_after_its_attempts(
    media_without_order_service, world, tools, tmp_path, kafka,
):
    clip = tools.make_test_clip(tmp_path / "clip.mp4", seconds=1, width=160, height=120)
    buyer = customer()
    async with httpx.AsyncClient(base_url=media_without_order_service.url, timeout=60) as client:
        uploaded = await upload_file(client, buyer, await world.order(buyer), clip)
        video = await wait_until_done(client, buyer, uploaded["video_id"], deadline_s=90)

    assert video["status"] == "rejected"
    assert video["rejection"]["reason"] == "processing_failed"
    assert "upload it again" in video["rejection"]["detail"]
    # Tried EDIT_ATTEMPTS (3) times: two failures retried, the third ends it.
    log = (TEST_STATE / "media-retries" / "media.log").read_text().splitlines()
    assert sum("video_edit_failed" in line and video["video_id"] in line for line in log) == 2
    events = await video_events(kafka, video["video_id"], expect=2)
    assert [e["event_type"] for e in events] == ["VideoUploaded", "VideoRejected"]
