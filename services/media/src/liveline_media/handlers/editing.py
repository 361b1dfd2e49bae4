"""Editing an uploaded video (S107), in the worker: on VideoUploaded, probe the raw object, refuse
it with a reason the uploader understands, or find its faces, edit it in one ffmpeg pass with
every face blurred, and publish it.

Faces (docs/face-blur.md): unless the uploader chose keep_faces, the decoded frames pass through
the face blur on their way to the encoder (sampled frames, a CNN face detector, every face found
blurred through the time it is visible): one decode and one encode, as without it. A check that
fails is never published unblurred: it is retried like any failed edit, and on the last attempt
the video is rejected.

Exactly once: the video leaves `processing` by one conditional update that carries VideoEdited
or VideoRejected in its outbox. A worker killed mid-edit leaves the video `processing` and the
message uncommitted; the next worker edits it again from the start (same object keys) and the
first to finish publishes. Each try counts in `edit_attempts`; a failure on the last allowed
try ends as VideoRejected (processing_failed) instead of another retry.
"""

from __future__ import annotations

import asyncio
import shutil
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import structlog

from liveline_shared.events import VideoEdited, VideoRejected, VideoUploaded

from ..adapters.faces import FaceDetectionFailed
from ..adapters.ffmpeg import EditSettings, FfmpegError
from ..adapters.videos import COLLECTION as VIDEOS
from ..domain.videos import (
    Rejection,
    Video,
    edit_window,
    edited_key,
    judge_probe,
    judge_size,
    judge_unprobeable,
    output_size,
    overlay_text,
    poster_key,
    upright_size,
)
from .dependencies import Dependencies

log = structlog.get_logger(__name__)

PROCESSING_FAILED = Rejection(
    "processing_failed", "We could not process this video after several tries. Please upload it again."
)
# VideoRejected's `reason` is a closed list in the v1 contract; a new code would break its
# consumers, so a failed face check is `processing_failed` with its own sentence.
FACES_UNCHECKED = Rejection(
    "processing_failed",
    "We could not check this video for faces to blur, so it is not shown to anyone. Please upload it again.",
)


async def edit_uploaded_video(event: VideoUploaded, deps: Dependencies) -> None:
    video = await deps.videos.start_edit(event.video_id, deps.now())
    if video is None:
        log.info("video_edit_skipped", video_id=event.video_id)  # already published, rejected or deleted
        current = await deps.videos.get(event.video_id)
        if current is not None and current.status == "published":
            await _retire_replaced(current, deps)  # in case a crash came between publishing and this
        return
    scratch = deps.scratch_dir / f"edit-{video.video_id}-{uuid.uuid4().hex[:8]}"
    scratch.mkdir(parents=True)
    started = time.monotonic()
    try:
        outcome = await _edit(video, scratch, deps)
    except Exception as error:
        if video.edit_attempts < deps.edit_attempts:
            log.warning("video_edit_failed", video_id=video.video_id, attempt=video.edit_attempts, error=repr(error)[:500])
            raise  # the consumer retries with backoff (or the message comes again)
        log.error("video_edit_gave_up", video_id=video.video_id, attempts=video.edit_attempts, error=repr(error)[:500])
        outcome = FACES_UNCHECKED if isinstance(error, FaceDetectionFailed) else PROCESSING_FAILED
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if isinstance(outcome, Rejection):
        await _reject(video, outcome, deps)
    else:
        await _publish(video, outcome, deps)
    log.info("video_edit_done", video_id=video.video_id, outcome=getattr(outcome, "reason", "published"),
             seconds=round(time.monotonic() - started, 3))


@dataclass(frozen=True)
class _Edited:
    duration_s: float
    width: int
    height: int
    size_bytes: int
    faces_blurred: bool
    faces_found: int | None
    face_detector: str | None


async def _edit(video: Video, scratch: Path, deps: Dependencies) -> Rejection | _Edited:
    source = scratch / "raw"
    began = time.monotonic()
    await deps.store.download(deps.raw_bucket, video.raw_key, source)
    downloaded = time.monotonic()
    size = source.stat().st_size
    too_big = judge_size(size, deps.limits)
    if too_big is not None:
        return too_big
    try:
        probe = await asyncio.to_thread(deps.ffmpeg.probe, source)
    except FfmpegError as error:
        return judge_unprobeable(error.stderr)
    refused = judge_probe(probe, deps.limits)
    if refused is not None:
        return refused
    assert probe.duration_s is not None
    merchant = await deps.merchants.card(video.merchant_id)
    text_file = scratch / "overlay.txt"
    text_file.write_text(overlay_text(merchant.name, video.visited_at, merchant.timezone), encoding="utf-8")
    width, height = output_size(*upright_size(probe))
    window = edit_window(probe.duration_s, video.trim_start_s, video.trim_end_s, deps.limits.max_published_duration_s)
    settings = EditSettings(
        width=width, height=height, window=window,
        has_audio=probe.audio_codec is not None, overlay_text_file=text_file, font_file=deps.overlay_font,
        x264_preset=deps.x264_preset,
    )
    clip, poster = scratch / "edited.mp4", scratch / "poster.jpg"
    encoding = time.monotonic()
    faces = detector = None
    try:
        if video.keep_faces:
            await asyncio.to_thread(deps.ffmpeg.edit, source, clip, poster, settings)
        else:
            blur = await asyncio.to_thread(deps.faces.for_clip, width, height, window.length_s)
            await asyncio.to_thread(deps.ffmpeg.edit_through, source, clip, poster, settings, blur)
            faces, detector = blur.result, blur.detector.name
    except FfmpegError as error:
        # A file ffprobe could open but ffmpeg cannot decode is broken, not a passing failure.
        if "Invalid data found" in error.stderr or "corrupt" in error.stderr.lower():
            return judge_unprobeable(error.stderr)
        raise
    encoded = time.monotonic()
    edited = await asyncio.to_thread(deps.ffmpeg.probe, clip)
    if not edited.duration_s or not edited.width or not edited.height:
        return judge_unprobeable("")
    await asyncio.gather(
        deps.store.put_file(deps.edited_bucket, video.poster_key, poster, "image/jpeg"),
        deps.store.put_file(deps.edited_bucket, video.edited_key, clip, "video/mp4"),
    )
    done = time.monotonic()
    if faces is not None:
        log.info("video_faces_blurred", video_id=video.video_id, faces=len(faces.tracks), samples=faces.samples,
                 detect_cpu_s=round(faces.detect_s, 3))
    log.info("video_edit_timings", video_id=video.video_id, download_s=round(downloaded - began, 3),
             probe_s=round(encoding - downloaded, 3), ffmpeg_s=round(encoded - encoding, 3),
             store_s=round(done - encoded, 3))
    return _Edited(
        round(edited.duration_s, 3), edited.width, edited.height, clip.stat().st_size,
        faces_blurred=faces is not None, faces_found=len(faces.tracks) if faces is not None else None,
        face_detector=detector,
    )


async def _publish(video: Video, edited: _Edited, deps: Dependencies) -> None:
    now = deps.now()
    event = VideoEdited(
        occurred_at=now, producer="media", correlation_id=video.order_id, video_id=video.video_id,
        order_id=video.order_id, user_id=video.user_id, merchant_id=video.merchant_id, deal_id=video.deal_id,
        object_key=video.edited_key, poster_key=video.poster_key, duration_s=edited.duration_s,
        size_bytes=edited.size_bytes, width=edited.width, height=edited.height,
        faces_blurred=edited.faces_blurred, faces_found=edited.faces_found,
    )
    lease = deps.write_lease()
    published = await deps.videos.publish(
        video.video_id, duration_s=edited.duration_s, width=edited.width, height=edited.height,
        edited_size=edited.size_bytes, faces_blurred=edited.faces_blurred, faces_found=edited.faces_found,
        face_detector=edited.face_detector, event=event, now=now, lease=lease,
    )
    if published is None:
        current = await deps.videos.get(video.video_id)
        if current is not None and current.status == "deleted":
            # Deleted by its uploader while being edited: what this edit stored goes too.
            await deps.store.remove(deps.edited_bucket, video.edited_key)
            await deps.store.remove(deps.edited_bucket, video.poster_key)
        log.info("video_edit_superseded", video_id=video.video_id)  # another worker finished first, or deleted
        return
    deps.notify(VIDEOS, video.video_id, lease)
    await _retire_replaced(published, deps)


async def _retire_replaced(video: Video, deps: Dependencies) -> None:
    """The order's earlier video, which this published one replaces, leaves every list and storage."""
    if video.replaces is None:
        return
    if await deps.videos.delete(video.replaces, deps.now()) is not None:
        log.info("video_replaced", video_id=video.replaces, by=video.video_id)
    await deps.store.remove(deps.edited_bucket, edited_key(video.replaces))
    await deps.store.remove(deps.edited_bucket, poster_key(video.replaces))


async def _reject(video: Video, rejection: Rejection, deps: Dependencies) -> None:
    now = deps.now()
    event = VideoRejected(
        occurred_at=now, producer="media", correlation_id=video.order_id, video_id=video.video_id,
        order_id=video.order_id, user_id=video.user_id, merchant_id=video.merchant_id,
        reason=rejection.reason, detail=rejection.detail,  # type: ignore[arg-type]
    )
    lease = deps.write_lease()
    if await deps.videos.reject(video.video_id, "processing", rejection, event, now, lease) is not None:
        deps.notify(VIDEOS, video.video_id, lease)
        log.info("video_rejected", video_id=video.video_id, reason=rejection.reason)
