"""On-site videos belong to the media service: each of these hands the caller's request to it,
on the internal path that serves it, and returns its answer as it came.

The media service decides who may upload, see, hide or delete which video; the gateway has
checked the token and validated the body against the shared contract. The video bytes never
pass through here: clients PUT them on presigned URLs straight to object storage.
"""

from __future__ import annotations

from typing import Any

from liveline_shared.callers import Caller

from ..adapters.upstream import UpstreamClient, UpstreamResponse, segment


async def start_upload(body: dict[str, Any], caller: Caller, media: UpstreamClient) -> UpstreamResponse:
    return await media.request("POST", "/videos", caller, json=body)


async def upload_status(video_id: str, caller: Caller, media: UpstreamClient) -> UpstreamResponse:
    return await media.request("GET", f"/videos/{segment(video_id)}/upload", caller)


async def complete_upload(video_id: str, caller: Caller, media: UpstreamClient) -> UpstreamResponse:
    # Completing twice answers the same video, so a timed-out attempt may be repeated.
    return await media.request("POST", f"/videos/{segment(video_id)}/complete", caller, idempotent=True)


async def delete_video(video_id: str, caller: Caller, media: UpstreamClient) -> UpstreamResponse:
    return await media.request("DELETE", f"/videos/{segment(video_id)}", caller)


async def get_video(video_id: str, caller: Caller | None, media: UpstreamClient) -> UpstreamResponse:
    return await media.request("GET", f"/videos/{segment(video_id)}", caller)


async def set_hidden(video_id: str, hidden: bool, body: dict[str, Any] | None, caller: Caller, media: UpstreamClient) -> UpstreamResponse:
    action = "hide" if hidden else "unhide"
    return await media.request("POST", f"/videos/{segment(video_id)}/{action}", caller, json=body, idempotent=True)


async def merchant_videos(merchant_id: str, query: dict[str, Any], caller: Caller | None, media: UpstreamClient) -> UpstreamResponse:
    return await media.request("GET", f"/merchants/{segment(merchant_id)}/videos", caller, params=query)


async def deal_videos(deal_id: str, query: dict[str, Any], caller: Caller | None, media: UpstreamClient) -> UpstreamResponse:
    return await media.request("GET", f"/deals/{segment(deal_id)}/videos", caller, params=query)
