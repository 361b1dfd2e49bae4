"""The media service's status changes take the outbox relay's lease: the relay publishes the
event they carry without claiming the video's document first (one database write fewer per event)."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime

from liveline_media import handlers
from liveline_media.adapters.videos import COLLECTION as VIDEOS
from liveline_media.domain.videos import Video
from liveline_shared.events import VideoUploaded
from liveline_shared.relay import OutboxRelay

from services.media.tests.integration.support import customer, video_events
from tests.relay_watch import watch


async def test_a_rejected_upload_reaches_kafka_without_the_relay_claiming_the_video(deps, handlers_db, stack_endpoints):
    bootstrap = stack_endpoints.kafka_bootstrap_servers
    now = datetime.now(UTC)
    video = Video(
        video_id=uuid.uuid4().hex, order_id=uuid.uuid4().hex, user_id=customer().account_id, merchant_id="merchant-1",
        deal_id="deal-1", status="processing", content_type="video/mp4", declared_size=64 * 1024,
        part_size=64 * 1024, part_count=1, upload_id="upload-1", visited_at=now, created_at=now,
    )
    await deps.videos.add(video)
    await deps.store.put_bytes(deps.raw_bucket, video.raw_key, os.urandom(64 * 1024), "video/mp4")
    uploaded = VideoUploaded(
        occurred_at=now, producer="media", correlation_id=video.order_id, video_id=video.video_id,
        order_id=video.order_id, user_id=video.user_id, merchant_id=video.merchant_id, deal_id=video.deal_id,
        object_key=video.raw_key, size_bytes=64 * 1024, content_type="video/mp4", visited_at=now,
    )
    async with OutboxRelay(handlers_db, [VIDEOS], bootstrap, poll_interval_s=0.2) as relay:
        deps.notify, deps.write_lease = relay.notify, relay.write_lease
        seen = watch(relay)
        await handlers.edit_uploaded_video(uploaded, deps)  # not a video: rejected
        [rejected] = await video_events(bootstrap, video.video_id, expect=1)

    assert (rejected["event_type"], rejected["reason"]) == ("VideoRejected", "not_a_video")
    assert video.video_id in seen.read_held and video.video_id not in seen.claimed
    document = await handlers_db[VIDEOS].find_one({"_id": video.video_id})
    assert document["status"] == "rejected" and document["_outbox_pending"] == 0 and "_outbox_lease" not in document
