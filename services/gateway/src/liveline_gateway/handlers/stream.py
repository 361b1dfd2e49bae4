"""A buyer's live stream of notifications (Server-Sent Events).

Opening it: subscribe to this process's notification feed first, then read from the
queue-notifier's inbox everything numbered after the client's `Last-Event-ID`, then follow the
feed. Whatever was published before the inbox read is in it; whatever after, the feed brings;
what both bring (the same number) is sent once. Each event's id is its sequence number, so a
client that reconnects — to this replica or another — resumes exactly after what it last got,
in order. A stream that falls behind the feed reads what it missed from the inbox again. A
stream opened without `Last-Event-ID` starts from now and reads nothing on opening.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import AsyncIterator
from typing import Any

from liveline_shared.callers import Caller
from liveline_shared.contracts.pushes import notification_out
from liveline_shared.events import NotificationCreated

from ..adapters.notification_feed import Subscription
from ..adapters.upstream import UpstreamClient

BACKLOG_PAGE = 500


class BacklogRefused(Exception):
    """The queue-notifier refused the inbox read (its answer is relayed as it came)."""

    def __init__(self, response: Any) -> None:
        super().__init__(response.status_code)
        self.response = response


async def backlog(caller: Caller, after: int, queues: UpstreamClient) -> list[dict[str, Any]]:
    """The caller's notifications numbered after `after`, oldest first, as clients see them."""
    found: list[dict[str, Any]] = []
    while True:
        response = await queues.request("GET", f"/users/me/notifications/after/{after}", caller,
                                        params={"limit": BACKLOG_PAGE})
        if response.status_code != 200:
            raise BacklogRefused(response)
        page = response.json()
        found.extend(page)
        if len(page) < BACKLOG_PAGE:
            return found
        after = page[-1]["seq"]


async def newest_number(caller: Caller, queues: UpstreamClient) -> int:
    """The number of the caller's newest notification (0 without any)."""
    response = await queues.request("GET", "/users/me/notifications", caller, params={"limit": 1})
    if response.status_code != 200:
        raise BacklogRefused(response)
    newest = response.json()["notifications"]
    return int(newest[0]["seq"]) if newest else 0


class Resume:
    """Where a stream stands: the last number sent, and the ids sent under it (one moment's
    notification to two orders of one buyer shares a number)."""

    def __init__(self, last: int) -> None:
        self.last = last
        self.sent_at_last: set[str] = set()

    def fresh(self, seq: int, notification_id: str) -> bool:
        return seq > self.last or (seq == self.last and notification_id not in self.sent_at_last)

    def sent(self, seq: int, notification_id: str) -> None:
        if seq > self.last:
            self.last, self.sent_at_last = seq, set()
        self.sent_at_last.add(notification_id)


def sse(notification: dict[str, Any]) -> dict[str, str]:
    return {"event": "notification", "id": str(notification["seq"]), "data": json.dumps(notification)}


async def stream(caller: Caller, subscription: Subscription, resume: Resume, first: list[dict[str, Any]],
                 queues: UpstreamClient) -> AsyncIterator[dict[str, str]]:
    """The events of an open stream: `first` (the backlog read on opening), then the feed. It
    waits on the feed without waking (a client that goes away is noticed by sse-starlette, which
    cancels this generator)."""
    for notification in first:
        if resume.fresh(notification["seq"], notification["notification_id"]):
            resume.sent(notification["seq"], notification["notification_id"])
            yield sse(notification)
    while True:
        if subscription.overflowed:
            subscription.drain()
            if resume.last == 0 and not resume.sent_at_last:
                resume.last = await newest_number(caller, queues)  # a stream "from now" that fell behind at once
            after = resume.last - 1 if resume.sent_at_last else resume.last
            for notification in await backlog(caller, after, queues):
                if resume.fresh(notification["seq"], notification["notification_id"]):
                    resume.sent(notification["seq"], notification["notification_id"])
                    yield sse(notification)
            continue
        event = await subscription.next()
        if event.seq is not None and resume.fresh(event.seq, event.notification_id):
            resume.sent(event.seq, event.notification_id)
            yield {"event": "notification", "id": str(event.seq), "data": _as_seen(event)}


# An event is shown the same way to every stream of its user: rendered once.
_RENDERED: OrderedDict[str, str] = OrderedDict()
_RENDERED_KEPT = 4096


def _as_seen(event: NotificationCreated) -> str:
    key = str(event.event_id)
    if key not in _RENDERED:
        _RENDERED[key] = notification_out(event, read=False).model_dump_json()
        if len(_RENDERED) > _RENDERED_KEPT:
            _RENDERED.popitem(last=False)
    return _RENDERED[key]
