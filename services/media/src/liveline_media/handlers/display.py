"""Showing videos (S108): a merchant's and a deal's published videos, newest first, each with
short-lived presigned URLs; one video to those who may see it; staff hide and unhide."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import structlog

from liveline_shared.callers import Caller

from ..domain.errors import Forbidden, VideoNotFound
from ..domain.videos import Video
from .dependencies import Dependencies, manages, may_see

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Playable:
    video: Video
    video_url: str | None
    poster_url: str | None
    urls_expire_at: datetime | None


async def _playable(video: Video, deps: Dependencies) -> Playable:
    if video.status != "published":
        return Playable(video, None, None, None)
    ttl = deps.playback_url_ttl
    return Playable(
        video,
        await deps.store.presigned_get_url(deps.edited_bucket, video.edited_key, ttl),
        await deps.store.presigned_get_url(deps.edited_bucket, video.poster_key, ttl),
        deps.now() + ttl,
    )


async def get_video(video_id: str, caller: Caller | None, deps: Dependencies) -> Playable:
    video = await deps.videos.get(video_id)
    if video is None or not may_see(caller, video):
        raise VideoNotFound("no such video")
    return await _playable(video, deps)


async def list_public(
    *, merchant_id: str | None = None, deal_id: str | None = None, limit: int, offset: int, deps: Dependencies
) -> list[Playable]:
    videos = await deps.videos.public_page(merchant_id=merchant_id, deal_id=deal_id, limit=limit, offset=offset)
    return [await _playable(video, deps) for video in videos]


async def set_hidden(video_id: str, hidden: bool, reason: str | None, caller: Caller | None, deps: Dependencies) -> Playable:
    """The merchant's staff (or an admin) hide a video from public lists with a reason, or show it again."""
    video = await deps.videos.get(video_id)
    if video is None or not may_see(caller, video):
        raise VideoNotFound("no such video")
    if not manages(caller, video):
        raise Forbidden("only the merchant's staff or an admin may hide or show a video")
    assert caller is not None
    changed = await deps.videos.set_hidden(video_id, hidden, reason if hidden else None, caller.account_id, deps.now())
    if changed is None:
        raise VideoNotFound("no such video")
    log.info("video_hidden" if hidden else "video_unhidden", video_id=video_id, by=caller.account_id)
    return await _playable(changed, deps)
