"""Uploading an on-site video: only the buyer of a redeemed order, one video per order (which
its owner may delete and upload again), as an S3 multipart upload straight to object storage.

start_upload -> the client PUTs the parts on presigned URLs (upload_status gives fresh URLs and
the parts already stored, to resume) -> complete_upload checks the parts in storage, completes
the object and publishes VideoUploaded through the video's outbox.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import structlog

from liveline_shared.callers import Caller
from liveline_shared.events import VideoRejected, VideoUploaded

from ..adapters.object_store import StoredPart
from ..adapters.videos import COLLECTION as VIDEOS
from ..domain.errors import (
    Forbidden,
    NotUploading,
    OrderNotFound,
    OrderNotRedeemed,
    OrderRefunded,
    UploadIncomplete,
    UploadTooLarge,
    VideoExists,
    VideoNotFound,
)
from ..domain.videos import HOLDS_ITS_ORDER, Video, judge_size, plan_parts, raw_key
from .dependencies import Dependencies, owns

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class StartUpload:
    order_id: str
    size_bytes: int
    content_type: str
    trim_start_s: float | None = None
    trim_end_s: float | None = None
    replace: bool = False
    keep_faces: bool = False


@dataclass(frozen=True)
class UploadState:
    video: Video
    parts_done: list[int]
    part_urls: dict[int, str]


async def start_upload(command: StartUpload, caller: Caller | None, deps: Dependencies) -> UploadState:
    if caller is None or caller.role != "customer":
        raise Forbidden("only the customer who redeemed the order uploads its video")
    grant = await deps.grants.get(command.order_id)
    if grant is None or grant.user_id != caller.account_id:
        raise OrderNotFound("no order of yours has this id")
    if grant.status == "refunded":
        raise OrderRefunded("this order was refunded")
    if grant.status != "redeemed" or grant.redeemed_at is None:
        raise OrderNotRedeemed(
            "A video can be uploaded once the merchant has redeemed your voucher. "
            "If it was redeemed just now, try again in a few seconds."
        )
    if command.size_bytes > deps.limits.max_upload_bytes:
        raise UploadTooLarge(f"the largest video we take is {deps.limits.max_upload_bytes // 1048576} MB")
    replaces = None
    if grant.video_id is not None:
        current = await deps.videos.get(grant.video_id)
        if current is not None and current.status in HOLDS_ITS_ORDER:
            if not (command.replace and current.status == "published"):
                raise VideoExists(
                    f"this order already has video {current.video_id} ({current.status}); delete it, or "
                    "once it is published upload another with replace=true"
                )
            replaces = current.video_id

    video_id = uuid.uuid4().hex
    plan = plan_parts(command.size_bytes, deps.part_size)
    upload_id = await deps.store.start_multipart(deps.raw_bucket, raw_key(video_id), command.content_type)
    now = deps.now()
    video = Video(
        video_id=video_id, order_id=grant.order_id, user_id=grant.user_id, merchant_id=grant.merchant_id,
        deal_id=grant.deal_id, status="uploading", content_type=command.content_type,
        declared_size=command.size_bytes, part_size=plan.part_size, part_count=plan.part_count, upload_id=upload_id,
        visited_at=grant.redeemed_at, created_at=now, trim_start_s=command.trim_start_s, trim_end_s=command.trim_end_s,
        replaces=replaces, keep_faces=command.keep_faces,
    )
    # The video exists before the order points at it, so the order never names a missing video.
    await deps.videos.add(video)
    if not await deps.grants.attach_video(grant.order_id, caller.account_id, grant.video_id, video_id):
        await deps.videos.delete(video_id, now)
        await deps.store.abort_multipart(deps.raw_bucket, video.raw_key, upload_id)
        raise VideoExists("another upload for this order started at the same time")
    log.info("video_upload_started", video_id=video_id, order_id=grant.order_id, parts=plan.part_count)
    return _state(video, [], deps)


async def _owned(video_id: str, caller: Caller | None, deps: Dependencies) -> Video:
    video = await deps.videos.get(video_id)
    if video is None or not owns(caller, video) or video.status == "deleted":
        raise VideoNotFound("no video of yours has this id")
    return video


def _state(video: Video, parts_done: list[int], deps: Dependencies) -> UploadState:
    missing = [n for n in range(1, video.part_count + 1) if n not in set(parts_done)]
    urls = {
        n: deps.store.presigned_part_url(deps.raw_bucket, video.raw_key, video.upload_id, n, deps.upload_url_ttl)
        for n in missing
    } if video.status == "uploading" else {}
    return UploadState(video, sorted(parts_done), urls)


async def upload_status(video_id: str, caller: Caller | None, deps: Dependencies) -> UploadState:
    """The parts stored so far and fresh URLs for the others: how a client resumes an upload."""
    video = await _owned(video_id, caller, deps)
    if video.status != "uploading":
        return UploadState(video, list(range(1, video.part_count + 1)), {})
    stored = await deps.store.stored_parts(deps.raw_bucket, video.raw_key, video.upload_id) or []
    return _state(video, _usable_parts(stored, video), deps)


def _usable_parts(stored: list[StoredPart], video: Video) -> list[int]:
    """Parts of the planned size (the last may be shorter), within the planned count."""
    return [
        p.number for p in stored
        if 1 <= p.number <= video.part_count and (p.number == video.part_count or p.size == video.part_size)
    ]


async def complete_upload(video_id: str, caller: Caller | None, deps: Dependencies) -> Video:
    """Completes the object from the stored parts; repeating it answers the same video."""
    video = await _owned(video_id, caller, deps)
    if video.status != "uploading":
        return video
    stored = await deps.store.stored_parts(deps.raw_bucket, video.raw_key, video.upload_id)
    if stored is None:
        # Completed by an earlier call that did not get to record it (or aborted and gone).
        size = await deps.store.size_of(deps.raw_bucket, video.raw_key)
        if size is None:
            raise NotUploading("this upload expired; delete the video and upload it again")
        return await _uploaded(video, size, deps)
    numbers = set(_usable_parts(stored, video))
    missing = [n for n in range(1, video.part_count + 1) if n not in numbers]
    if missing:
        raise UploadIncomplete(f"{len(missing)} of {video.part_count} parts are missing or of the wrong size", missing)
    parts = [p for p in stored if p.number in numbers]
    size = sum(p.size for p in parts)
    too_big = judge_size(size, deps.limits)
    if too_big is not None and too_big.reason == "too_large":
        await deps.store.abort_multipart(deps.raw_bucket, video.raw_key, video.upload_id)
        now = deps.now()
        event = VideoRejected(
            occurred_at=now, producer="media", correlation_id=video.order_id, video_id=video.video_id,
            order_id=video.order_id, user_id=video.user_id, merchant_id=video.merchant_id,
            reason=too_big.reason, detail=too_big.detail,
        )
        lease = deps.write_lease()
        rejected = await deps.videos.reject(video.video_id, "uploading", too_big, event, now, lease)
        if rejected is not None:
            deps.notify(VIDEOS, video.video_id, lease)
        return rejected or await _owned(video_id, caller, deps)
    await deps.store.complete_multipart(deps.raw_bucket, video.raw_key, video.upload_id, parts)
    return await _uploaded(video, size, deps)


async def _uploaded(video: Video, size: int, deps: Dependencies) -> Video:
    now = deps.now()
    event = VideoUploaded(
        occurred_at=now, producer="media", correlation_id=video.order_id, video_id=video.video_id,
        order_id=video.order_id, user_id=video.user_id, merchant_id=video.merchant_id, deal_id=video.deal_id,
        object_key=video.raw_key, size_bytes=size, content_type=video.content_type, visited_at=video.visited_at,
        trim_start_s=video.trim_start_s, trim_end_s=video.trim_end_s,
    )
    lease = deps.write_lease()
    uploaded = await deps.videos.mark_uploaded(video.video_id, size, event, now, lease)
    if uploaded is None:  # a concurrent completion won
        current = await deps.videos.get(video.video_id)
        assert current is not None
        return current
    deps.notify(VIDEOS, video.video_id, lease)
    log.info("video_uploaded", video_id=video.video_id, size_bytes=size)
    return uploaded


async def delete_video(video_id: str, caller: Caller | None, deps: Dependencies) -> None:
    """Its uploader (or an admin) deletes a video: it leaves every list and its order may get another."""
    video = await deps.videos.get(video_id)
    if video is None or video.status == "deleted" or not (owns(caller, video) or (caller and caller.is_admin)):
        raise VideoNotFound("no video of yours has this id")
    now = deps.now()
    if await deps.videos.delete(video_id, now) is None:
        return
    await deps.grants.detach_video(video.order_id, video_id, now)
    if video.status == "uploading":
        await deps.store.abort_multipart(deps.raw_bucket, video.raw_key, video.upload_id)
    for bucket, key in ((deps.edited_bucket, video.edited_key), (deps.edited_bucket, video.poster_key)):
        await deps.store.remove(bucket, key)
    log.info("video_deleted", video_id=video_id, by=caller.account_id if caller else None)
