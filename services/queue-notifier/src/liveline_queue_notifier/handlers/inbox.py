"""Users' inboxes: a notification is stored once per recipient under a dedupe key, announced with
NotificationCreated, listed newest first with the unread count, and marked read by its owner."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from liveline_shared.callers import Caller
from liveline_shared.events import NotificationCreated, SlotOffered, VideoEdited, VideoRejected
from liveline_shared.log_context import current_correlation_id

from ..adapters.inbox import INBOX
from ..domain.errors import Forbidden, NotificationNotFound
from .dependencies import Dependencies

PRODUCER = "queue-notifier"
KINDS = {"queue_update": "queue_update", "slot_reoffer": "slot_reoffer", "video_prompt": "video_prompt",
         "video_edited": "video_prompt", "video_rejected": "video_prompt"}


def notification_created(entry: dict[str, Any], content: dict[str, Any] | None, now: datetime) -> NotificationCreated:
    queue = content or {}
    return NotificationCreated(
        occurred_at=now, producer=PRODUCER, correlation_id=current_correlation_id() or "",
        notification_id=entry["_id"], user_id=entry["user_id"], kind=KINDS[entry["subject"]],  # type: ignore[arg-type]
        subject=entry["subject"], order_id=entry["order_id"], merchant_id=entry["merchant_id"],
        slot_id=queue.get("slot_id"), waiting_parties=queue.get("waiting_parties"),
        waiting_people=queue.get("waiting_people"), queue_as_of=queue.get("measured_at"), moment_at=queue.get("moment"),
        late=entry.get("late"), stale=queue.get("stale"), link_path=entry.get("link_path"),
    )


async def deliver(entry: dict[str, Any], content: dict[str, Any] | None, deps: Dependencies) -> bool:
    """Stores `entry` in its user's inbox once (its `_id` is the dedupe key) with its event."""
    now = deps.now()
    entry = {"created_at": now, "read_at": None, **entry}
    created = await deps.inbox.deliver(entry, notification_created(entry, content, now), now)
    if created:
        deps.notify(INBOX, entry["_id"])
    return created


async def push_reoffer(event: SlotOffered, deps: Dependencies) -> None:
    """A missed slot's new offer: "you missed your visit — pick a new time", with the new slots."""
    if event.reason != "missed_slot":
        return
    slots = [{"slot_id": s.slot_id, "meal_period": s.meal_period, "local_date": s.local_date,
              "starts_at": s.starts_at, "ends_at": s.ends_at} for s in event.slots]
    await deliver({"_id": f"reoffer~{event.offer_id}", "user_id": event.user_id, "subject": "slot_reoffer",
                   "order_id": event.order_id, "merchant_id": event.merchant_id, "offer_id": event.offer_id,
                   "slots": slots, "link_path": f"/orders/{event.order_id}/slots"}, None, deps)


async def push_video_prompt(order_id: str, user_id: str, merchant_id: str, deps: Dependencies) -> None:
    await deliver({"_id": f"video-prompt~{order_id}", "user_id": user_id, "subject": "video_prompt",
                   "order_id": order_id, "merchant_id": merchant_id, "link_path": f"/orders/{order_id}/video"}, None, deps)


async def push_video_outcome(event: VideoEdited | VideoRejected, deps: Dependencies) -> None:
    entry: dict[str, Any] = {"user_id": event.user_id, "order_id": event.order_id, "merchant_id": event.merchant_id,
                             "video_id": event.video_id, "link_path": f"/orders/{event.order_id}/video"}
    if isinstance(event, VideoEdited):
        entry.update(_id=f"video-edited~{event.video_id}", subject="video_edited")
    else:
        entry.update(_id=f"video-rejected~{event.video_id}", subject="video_rejected", reason=event.reason,
                     detail=event.detail)
    await deliver(entry, None, deps)


@dataclass(frozen=True)
class InboxPage:
    entries: list[dict[str, Any]]
    unread: int
    total: int
    next_before: str | None


def _customer(caller: Caller | None) -> Caller:
    if caller is None or caller.is_admin or caller.role == "staff":
        raise Forbidden("only a buyer has an inbox")
    return caller


async def inbox_of(caller: Caller | None, limit: int, before: str | None, deps: Dependencies) -> InboxPage:
    """The caller's notifications, newest first, `limit` of them older than `before`."""
    user_id = _customer(caller).account_id
    index = await deps.inbox.index(user_id)
    ids: list[str] = list(reversed(index.get("ids", [])))
    start = 0
    if before is not None:
        # A cursor that names nothing in this inbox (another's, or made up) is past the end.
        start = ids.index(before) + 1 if before in ids else len(ids)
    page_ids = ids[start:start + limit]
    entries = await deps.inbox.entries(page_ids)
    moments = await deps.inbox.moments({e["moment_id"] for e in entries if e.get("moment_id")})
    for entry in entries:
        entry["queue"] = moments.get(entry.get("moment_id", ""))
    more = start + limit < len(ids)
    return InboxPage(entries, len(index.get("unread", [])), len(ids), page_ids[-1] if more and page_ids else None)


async def mark_read(caller: Caller | None, notification_id: str, deps: Dependencies) -> None:
    user_id = _customer(caller).account_id
    if not await deps.inbox.mark_read(user_id, notification_id, deps.now()):
        raise NotificationNotFound(notification_id)
