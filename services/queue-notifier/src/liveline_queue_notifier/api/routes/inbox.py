"""The caller's inbox: notifications newest first with the unread count, marking one read, and
muting the queue pushes of one of the caller's orders. Nobody sees or mutes another's (404)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from liveline_shared.api_dependencies import AuthenticatedCaller
from liveline_shared.contracts.pushes import NotificationOut, NotificationsOut, PushMuteIn, PushMuteOut, notification_out
from liveline_shared.problems import problem_responses

from ... import handlers
from ..deps import Deps

router = APIRouter(tags=["inbox"])

@router.get("/users/me/notifications", response_model=NotificationsOut, responses=problem_responses(401, 403, 422, 503),
            summary="The caller's notifications, newest first, with the unread count")
async def list_notifications(caller: AuthenticatedCaller, deps: Deps,
                             limit: Annotated[int, Query(ge=1, le=100)] = 20,
                             before: Annotated[str | None, Query(min_length=1, max_length=200)] = None) -> NotificationsOut:
    page = await handlers.inbox_of(caller, limit, before, deps)
    return NotificationsOut(notifications=[notification_out(event, read) for event, read in page.notifications],
                            unread=page.unread, total=page.total, next_before=page.next_before)


@router.get("/users/me/notifications/after/{seq}", response_model=list[NotificationOut],
            responses=problem_responses(401, 403, 422, 503),
            summary="The caller's notifications numbered after `seq`, oldest first (what the gateway's stream resumes with)")
async def notifications_after(seq: Annotated[int, Path(ge=0)], caller: AuthenticatedCaller, deps: Deps,
                              limit: Annotated[int, Query(ge=1, le=500)] = 500) -> list[NotificationOut]:
    return [notification_out(event, read) for event, read in await handlers.notifications_after(caller, seq, limit, deps)]


@router.post("/users/me/notifications/{notification_id}/read", status_code=204,
             responses=problem_responses(401, 403, 404, 503), summary="Mark one of the caller's notifications read")
async def read_notification(notification_id: str, caller: AuthenticatedCaller, deps: Deps) -> Response:
    await handlers.mark_read(caller, notification_id, deps)
    return Response(status_code=204)


@router.put("/orders/{order_id}/push-mute", response_model=PushMuteOut, responses=problem_responses(401, 404, 422, 503),
            summary="Mute or unmute the queue pushes of one of the caller's orders")
async def put_push_mute(order_id: str, body: PushMuteIn, caller: AuthenticatedCaller, deps: Deps) -> PushMuteOut:
    return PushMuteOut(order_id=order_id, muted=await handlers.mute_order(order_id, body.muted, caller, deps))
