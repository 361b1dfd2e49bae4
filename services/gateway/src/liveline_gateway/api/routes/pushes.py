"""Pushes, relayed to the queue-notifier: the merchant's staff read and set its push policy; a
buyer reads their inbox (newest first, with the unread count), marks a notification read, and
mutes or unmutes the queue pushes of one of their orders."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from liveline_shared.contracts.pushes import NotificationsOut, PushMuteIn, PushMuteOut, PushPolicyIn, PushPolicyOut
from liveline_shared.problems import problem_responses

from ...handlers import pushes as relay
from ..deps import CurrentCaller, QueueNotifierDep
from ..upstream import ObjectId, answer_from

router = APIRouter(tags=["pushes"])

NotificationId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_:@.~-]{1,200}$", description="A notification's id")]


@router.get(
    "/merchants/{merchant_id}/push-policy", response_model=PushPolicyOut,
    responses=problem_responses(401, 403, 422, 502, 503),
    summary="The lead time and cadence of the merchant's queue pushes (the merchant's staff)",
)
async def get_push_policy(merchant_id: ObjectId, caller: CurrentCaller, queues: QueueNotifierDep, request: Request) -> Response:
    return answer_from(await relay.get_push_policy(merchant_id, caller, queues), request)


@router.put(
    "/merchants/{merchant_id}/push-policy", response_model=PushPolicyOut,
    responses=problem_responses(401, 403, 422, 502, 503),
    summary="Set the lead time before a slot and the cadence of queue pushes for slots chosen from now on",
    description="The merchant's staff. `lead_seconds` 1 s to 7 days (default 30 min), `cadence_seconds` 2 s to 7 days "
                "(default 60 min); pushes stop at the slot's end, at redemption or at refund.",
)
async def put_push_policy(
    merchant_id: ObjectId, body: PushPolicyIn, caller: CurrentCaller, queues: QueueNotifierDep, request: Request
) -> Response:
    return answer_from(await relay.put_push_policy(merchant_id, body.model_dump(), caller, queues), request)


@router.get(
    "/me/notifications", response_model=NotificationsOut, responses=problem_responses(401, 403, 422, 502, 503),
    summary="The caller's notifications, newest first, with the unread count",
    description="Queue updates at the merchant's preset moments, the missed-slot re-offer, the video prompt and the "
                "video's outcome. Pass `next_before` as `before` for the next page.",
)
async def list_notifications(
    caller: CurrentCaller, queues: QueueNotifierDep, request: Request,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    before: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_:@.~-]{1,200}$")] = None,
) -> Response:
    return answer_from(await relay.list_notifications(caller, limit, before, queues), request)


@router.post(
    "/me/notifications/{notification_id}/read", status_code=204, responses=problem_responses(401, 403, 404, 422, 502, 503),
    summary="Mark one of the caller's notifications read",
)
async def read_notification(
    notification_id: NotificationId, caller: CurrentCaller, queues: QueueNotifierDep, request: Request
) -> Response:
    return answer_from(await relay.read_notification(notification_id, caller, queues), request)


@router.put(
    "/orders/{order_id}/push-mute", response_model=PushMuteOut, responses=problem_responses(401, 404, 422, 502, 503),
    summary="Mute (or unmute) the queue pushes of one of the caller's orders",
)
async def put_push_mute(
    order_id: ObjectId, body: PushMuteIn, caller: CurrentCaller, queues: QueueNotifierDep, request: Request
) -> Response:
    return answer_from(await relay.put_push_mute(order_id, body.model_dump(), caller, queues), request)
