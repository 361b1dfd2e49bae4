"""The media service's answers, in the shared contract (liveline_shared.contracts.videos)."""

from __future__ import annotations

from datetime import datetime, timedelta

from liveline_shared.callers import Caller
from liveline_shared.contracts.videos import PartUrl, Rejection, UploadOut, VideoOut

from ..handlers import Playable, UploadState
from ..handlers.dependencies import manages, owns


def video_out(playable: Playable, caller: Caller | None) -> VideoOut:
    video = playable.video
    insider = owns(caller, video) or manages(caller, video)
    return VideoOut(
        video_id=video.video_id, order_id=video.order_id, merchant_id=video.merchant_id, deal_id=video.deal_id,
        status=video.status, visited_at=video.visited_at, verified_visit=True, created_at=video.created_at,
        published_at=video.published_at, duration_s=video.duration_s, width=video.width, height=video.height,
        video_url=playable.video_url, poster_url=playable.poster_url, urls_expire_at=playable.urls_expire_at,
        hidden=video.hidden, hidden_reason=video.hidden_reason if insider else None,
        rejection=Rejection(reason=video.rejection.reason, detail=video.rejection.detail) if video.rejection else None,
        keep_faces=video.keep_faces, faces_blurred=video.faces_blurred, faces_found=video.faces_found,
    )


def upload_out(state: UploadState, url_ttl: timedelta, now: datetime) -> UploadOut:
    video = state.video
    return UploadOut(
        video_id=video.video_id, status=video.status, size_bytes=video.declared_size, part_size=video.part_size,
        part_count=video.part_count, parts_done=state.parts_done,
        upload_urls=[PartUrl(part_number=n, url=url) for n, url in sorted(state.part_urls.items())],
        urls_expire_at=now + url_ttl,
    )
