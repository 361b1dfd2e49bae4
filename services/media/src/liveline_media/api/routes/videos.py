"""Videos: the buyer of a redeemed order uploads one (multipart, straight to storage), anyone
sees a merchant's or a deal's published ones, the merchant's staff hide and show them."""

from __future__ import annotations

from fastapi import APIRouter, Response

from liveline_shared.api_dependencies import AuthenticatedCaller, OptionalCaller
from liveline_shared.contracts.videos import HideVideo, NewVideoUpload, UploadOut, VideoOut, VideoPage
from liveline_shared.problems import problem_responses

from ... import handlers
from ..deps import Deps, PageLimit, PageOffset
from ..views import upload_out, video_out

router = APIRouter(tags=["videos"])


@router.post(
    "/videos", status_code=201, response_model=UploadOut, responses=problem_responses(401, 403, 404, 409, 422, 503),
    summary="Start uploading the video of a redeemed order (its buyer)",
)
async def start_upload(body: NewVideoUpload, caller: AuthenticatedCaller, deps: Deps) -> UploadOut:
    command = handlers.StartUpload(
        order_id=body.order_id, size_bytes=body.size_bytes, content_type=body.content_type,
        trim_start_s=body.trim_start_s, trim_end_s=body.trim_end_s, replace=body.replace,
        keep_faces=body.keep_faces,
    )
    return upload_out(await handlers.start_upload(command, caller, deps), deps.upload_url_ttl, deps.now())


@router.get(
    "/videos/{video_id}/upload", response_model=UploadOut, responses=problem_responses(401, 404, 503),
    summary="The parts stored so far and fresh URLs for the rest (its uploader, to resume)",
)
async def upload_status(video_id: str, caller: AuthenticatedCaller, deps: Deps) -> UploadOut:
    return upload_out(await handlers.upload_status(video_id, caller, deps), deps.upload_url_ttl, deps.now())


@router.post(
    "/videos/{video_id}/complete", response_model=VideoOut, responses=problem_responses(401, 404, 409, 503),
    summary="Finish an upload once every part is stored (its uploader); the edit starts",
)
async def complete_upload(video_id: str, caller: AuthenticatedCaller, deps: Deps) -> VideoOut:
    video = await handlers.complete_upload(video_id, caller, deps)
    return video_out(handlers.Playable(video, None, None, None), caller)


@router.delete(
    "/videos/{video_id}", status_code=204, responses=problem_responses(401, 404, 503),
    summary="Delete a video (its uploader, admins); its order may then get another",
)
async def delete_video(video_id: str, caller: AuthenticatedCaller, deps: Deps) -> Response:
    await handlers.delete_video(video_id, caller, deps)
    return Response(status_code=204)


@router.get("/videos/{video_id}", response_model=VideoOut, responses=problem_responses(404), summary="One video")
async def get_video(video_id: str, caller: OptionalCaller, deps: Deps) -> VideoOut:
    return video_out(await handlers.get_video(video_id, caller, deps), caller)


@router.post(
    "/videos/{video_id}/hide", response_model=VideoOut, responses=problem_responses(401, 403, 404, 422),
    summary="Hide a video from public lists, with a reason (the merchant's staff, admins)",
)
async def hide_video(video_id: str, body: HideVideo, caller: AuthenticatedCaller, deps: Deps) -> VideoOut:
    return video_out(await handlers.set_hidden(video_id, True, body.reason, caller, deps), caller)


@router.post(
    "/videos/{video_id}/unhide", response_model=VideoOut, responses=problem_responses(401, 403, 404),
    summary="Show a hidden video again (the merchant's staff, admins)",
)
async def unhide_video(video_id: str, caller: AuthenticatedCaller, deps: Deps) -> VideoOut:
    return video_out(await handlers.set_hidden(video_id, False, None, caller, deps), caller)


# `{merchant}`, not `{merchant_id}`: the caller's headers already have a parameter of that name.
@router.get("/merchants/{merchant}/videos", response_model=VideoPage, summary="A merchant's videos, newest first")
async def merchant_videos(merchant: str, caller: OptionalCaller, deps: Deps, limit: PageLimit, offset: PageOffset = 0) -> VideoPage:
    items = await handlers.list_public(merchant_id=merchant, limit=limit, offset=offset, deps=deps)
    return VideoPage(items=[video_out(p, caller) for p in items], limit=limit, offset=offset)


@router.get("/deals/{deal_id}/videos", response_model=VideoPage, summary="A deal's videos, newest first")
async def deal_videos(deal_id: str, caller: OptionalCaller, deps: Deps, limit: PageLimit, offset: PageOffset = 0) -> VideoPage:
    items = await handlers.list_public(deal_id=deal_id, limit=limit, offset=offset, deps=deps)
    return VideoPage(items=[video_out(p, caller) for p in items], limit=limit, offset=offset)
