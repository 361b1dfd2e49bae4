"""The caller's notifications as they happen: a Server-Sent Events stream that resumes after the
`Last-Event-ID` a client sends, on whichever gateway replica it reaches (handlers/stream.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request, Response
from sse_starlette import EventSourceResponse

from liveline_shared.problems import Problem, problem_responses

from ...handlers import stream as streams
from ..deps import CurrentCaller, QueueNotifierDep
from ..upstream import answer_from

router = APIRouter(tags=["pushes"])

_DESCRIPTION = """\
`text/event-stream`. Each notification is an event `notification` whose `id` is the caller's
notification number (increasing) and whose `data` is the notification as
`GET /v1/me/notifications` lists it. Send the last id you got as `Last-Event-ID` when you
reconnect (browsers' EventSource does): the stream starts with everything after it, in order,
once. Without it the stream starts from now. A comment line every few seconds keeps proxies from
closing it. With the token in the `Authorization` header (read it with `fetch()`).
"""


@router.get(
    "/me/notifications/stream", response_class=Response,
    responses={200: {"content": {"text/event-stream": {}}, "description": "The stream"},
               **problem_responses(401, 403, 422, 502, 503)},
    summary="The caller's notifications as they happen (Server-Sent Events)", description=_DESCRIPTION,
)
async def notification_stream(
    request: Request, caller: CurrentCaller, queues: QueueNotifierDep,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID", pattern=r"^[0-9]{1,18}$",
                                                description="The id of the last event received")] = None,
) -> Response:
    if caller.is_admin or caller.role == "staff":
        raise Problem(403, "forbidden", "Not allowed", "Only a buyer has notifications.")
    feed = request.app.state.notification_feed
    if not await feed.wait_ready(request.app.state.stream_ready_wait_s):
        raise Problem(503, "stream-unavailable", "Live notifications are not available right now",
                      "The gateway is reconnecting to the event stream; try again shortly.",
                      headers={"Retry-After": "2"})
    subscription = feed.subscribe(caller.account_id)  # before the inbox read: nothing falls in between
    try:
        # Without Last-Event-ID the stream starts from now: nothing to read first.
        resume = streams.Resume(int(last_event_id or 0))
        first = await streams.backlog(caller, resume.last, queues) if last_event_id is not None else []
    except BaseException as error:
        feed.unsubscribe(subscription)
        if isinstance(error, streams.BacklogRefused):
            return answer_from(error.response, request)
        raise

    async def events():  # noqa: ANN202 - sse-starlette's async iterator
        try:
            async for event in streams.stream(caller, subscription, resume, first, queues):
                yield event
        finally:
            feed.unsubscribe(subscription)

    return EventSourceResponse(events(), ping=request.app.state.stream_ping_s,
                               headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
