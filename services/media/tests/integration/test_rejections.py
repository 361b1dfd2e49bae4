"""Files that are not usable videos end as VideoRejected, with a reason the uploader understands,
and are never shown."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

from liveline_media.adapters.ffmpeg import Ffmpeg
from services.media.tests.integration.conftest import MAX_RAW_DURATION_S, MAX_UPLOAD_BYTES
from services.media.tests.integration.support import (
    PART_SIZE,
    assert_problem,
    customer,
    headers,
    post_upload,
    put_parts,
    start_upload,
    upload_file,
    video_events,
    wait_until_done,
)


def garbage(tools: Ffmpeg, folder: Path) -> Path:
    path = folder / "garbage.mp4"
    path.write_bytes(os.urandom(64 * 1024))
    return path


def picture_renamed(tools: Ffmpeg, folder: Path) -> Path:
    path = folder / "holiday.mp4"
    tools.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=640x480", "-frames:v", "1",
               "-f", "image2", "-c:v", "png", str(path)], cwd=folder, what="picture")
    return path


def sound_only(tools: Ffmpeg, folder: Path) -> Path:
    path = folder / "voice-memo.mp4"
    tools.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=300", "-t", "2", "-c:a", "aac",
               str(path)], cwd=folder, what="sound")
    return path


def empty(tools: Ffmpeg, folder: Path) -> Path:
    path = folder / "empty.mp4"
    path.write_bytes(b"")
    return path


def truncated(tools: Ffmpeg, folder: Path) -> Path:
    # As a phone writes it, the index (moov) at the end; the upload stopped half-way.
    whole = tools.make_test_clip(folder / "whole.mp4", seconds=3, width=160, height=120)
    path = folder / "truncated.mp4"
    path.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    return path


def too_long(tools: Ffmpeg, folder: Path) -> Path:
    return tools.make_test_clip(folder / "too-long.mp4", seconds=MAX_RAW_DURATION_S + 5, width=64, height=48, rate=2, audio=False)


CASES = [
    (garbage, "not_a_video", "not a video"),
    (picture_renamed, "not_a_video", "still picture"),
    (sound_only, "no_video_stream", "no picture"),
    (empty, "empty", "empty"),
    (truncated, "truncated", "incomplete"),
    (too_long, "too_long", "the longest we take is 3 min 20 s"),
]


@pytest.mark.parametrize(("make", "reason", "words"), CASES, ids=[c[1] + "-" + c[0].__name__ for c in CASES])
async def test_an_unusable_file_is_rejected_with_a_reason(client, world, tools, tmp_path, kafka, make, reason, words):
    buyer = customer()
    uploaded = await upload_file(client, buyer, await world.order(buyer), make(tools, tmp_path))
    video = await wait_until_done(client, buyer, uploaded["video_id"])

    assert video["status"] == "rejected"
    assert video["rejection"]["reason"] == reason
    assert words in video["rejection"]["detail"]
    assert video["video_url"] is None
    events = await video_events(kafka, video["video_id"], expect=2)
    assert [e["event_type"] for e in events] == ["VideoUploaded", "VideoRejected"]
    assert (events[1]["reason"], events[1]["user_id"]) == (reason, buyer.account_id)
    listed = await client.get(f"/deals/{world.deal_id}/videos", headers=headers(None))
    assert listed.json()["items"] == []


async def test_more_bytes_than_the_limit_are_rejected_when_the_upload_completes(client, world, kafka):
    buyer = customer()
    order_id = await world.order(buyer)
    # Declared under the limit, but the last part carries far more than declared.
    declared = MAX_UPLOAD_BYTES - 1
    upload = await start_upload(client, buyer, order_id, declared)
    count = upload["part_count"]
    await put_parts(upload, os.urandom(PART_SIZE) * (count - 1), numbers=list(range(1, count)))
    last_url = next(p["url"] for p in upload["upload_urls"] if p["part_number"] == count)
    async with httpx.AsyncClient(timeout=60) as storage:
        assert (await storage.put(last_url, content=os.urandom(PART_SIZE + 2 * 1024 * 1024))).status_code == 200

    done = await client.post(f"/videos/{upload['video_id']}/complete", headers=headers(buyer))

    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["rejection"]["reason"]) == ("rejected", "too_large")
    events = await video_events(kafka, upload["video_id"], expect=1)
    assert [e["event_type"] for e in events] == ["VideoRejected"]


async def test_an_upload_declared_over_the_limit_is_refused_and_nothing_starts(client, world):
    buyer = customer()
    order_id = await world.order(buyer)
    body = {"order_id": order_id, "size_bytes": MAX_UPLOAD_BYTES + 1, "content_type": "video/mp4"}

    assert_problem(await post_upload(client, buyer, body), 422, "video-too-large")
    # Nothing was kept: the order can still get its video.
    assert (await start_upload(client, buyer, order_id, 1000))["part_count"] == 1
