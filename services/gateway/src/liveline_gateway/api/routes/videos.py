"""On-site videos, relayed to the media service with the caller: the buyer of a redeemed order
uploads one (S3 multipart, the parts PUT straight to storage on presigned URLs), anyone sees a
merchant's or a deal's published videos, the merchant's staff hide and show them."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from liveline_shared.api_dependencies import PageLimitQuery, PageOffset
from liveline_shared.contracts.videos import HideVideo, NewVideoUpload, UploadOut, VideoOut, VideoPage
from liveline_shared.problems import problem_responses

from ...handlers import videos
from ..deps import CurrentCaller, MediaServiceDep, OptionalCaller
from ..upstream import ObjectId, answer_from

router = APIRouter(tags=["videos"])


@router.post(
    "/videos", status_code=201, response_model=UploadOut,
    responses=problem_responses(401, 403, 404, 409, 413, 422, 502, 503),
    summary="Start uploading the on-site video of a redeemed order (its buyer)",
    description="Answers with one presigned URL per part: PUT each part's bytes there (straight to object "
    "storage, in any order, again if it failed), then POST /v1/videos/{video_id}/complete. Before the "
    "order's redemption: 409 order-not-redeemed; one video per order (409 video-exists: delete it first).",
)
async def start_video_upload(body: NewVideoUpload, caller: CurrentCaller, media: MediaServiceDep, request: Request) -> Response:
    return answer_from(await videos.start_upload(body.model_dump(mode="json"), caller, media), request)


@router.get(
    "/videos/{video_id}/upload", response_model=UploadOut, responses=problem_responses(401, 404, 422, 502, 503),
    summary="Resume an upload: the parts stored so far and fresh URLs for the rest (its uploader)",
)
async def get_video_upload(video_id: ObjectId, caller: CurrentCaller, media: MediaServiceDep, request: Request) -> Response:
    return answer_from(await videos.upload_status(video_id, caller, media), request)


@router.post(
    "/videos/{video_id}/complete", response_model=VideoOut, responses=problem_responses(401, 404, 409, 422, 502, 503),
    summary="Finish an upload once every part is stored (its uploader); the edit starts",
)
async def complete_video_upload(video_id: ObjectId, caller: CurrentCaller, media: MediaServiceDep, request: Request) -> Response:
    return answer_from(await videos.complete_upload(video_id, caller, media), request)


@router.delete(
    "/videos/{video_id}", status_code=204, responses=problem_responses(401, 404, 422, 502, 503),
    summary="Delete a video (its uploader, admins); its order may then get another",
)
async def delete_video(video_id: ObjectId, caller: CurrentCaller, media: MediaServiceDep, request: Request) -> Response:
    return answer_from(await videos.delete_video(video_id, caller, media), request)


@router.get(
    "/videos/{video_id}", response_model=VideoOut, responses=problem_responses(401, 404, 422, 502, 503),
    summary="One video (published ones for anyone; others for their uploader and merchant)",
)
async def get_video(video_id: ObjectId, caller: OptionalCaller, media: MediaServiceDep, request: Request) -> Response:
    return answer_from(await videos.get_video(video_id, caller, media), request)


@router.post(
    "/videos/{video_id}/hide", response_model=VideoOut, responses=problem_responses(401, 403, 404, 413, 422, 502, 503),
    summary="Hide a video from public lists, with a reason (the merchant's staff, admins)",
)
async def hide_video(
    video_id: ObjectId, body: HideVideo, caller: CurrentCaller, media: MediaServiceDep, request: Request
) -> Response:
    return answer_from(await videos.set_hidden(video_id, True, body.model_dump(mode="json"), caller, media), request)


@router.post(
    "/videos/{video_id}/unhide", response_model=VideoOut, responses=problem_responses(401, 403, 404, 422, 502, 503),
    summary="Show a hidden video again (the merchant's staff, admins)",
)
async def unhide_video(video_id: ObjectId, caller: CurrentCaller, media: MediaServiceDep, request: Request) -> Response:
    return answer_from(await videos.set_hidden(video_id, False, None, caller, media), request)


@router.get(
    "/merchants/{merchant_id}/videos", response_model=VideoPage, responses=problem_responses(401, 422, 502, 503),
    summary="A merchant's published videos, newest first, each playable for a few minutes",
)
async def list_merchant_videos(
    merchant_id: ObjectId, caller: OptionalCaller, media: MediaServiceDep, request: Request,
    limit: PageLimitQuery = None, offset: PageOffset = 0,
) -> Response:
    query = {"limit": limit, "offset": offset}
    return answer_from(await videos.merchant_videos(merchant_id, query, caller, media), request)


@router.get(
    "/deals/{deal_id}/videos", response_model=VideoPage, responses=problem_responses(401, 422, 502, 503),
    summary="A deal's published videos, newest first, each playable for a few minutes",
)
async def list_deal_videos(
    deal_id: ObjectId, caller: OptionalCaller, media: MediaServiceDep, request: Request,
    limit: PageLimitQuery = None, offset: PageOffset = 0,
) -> Response:
    query = {"limit": limit, "offset": offset}
    return answer_from(await videos.deal_videos(deal_id, query, caller, media), request)
