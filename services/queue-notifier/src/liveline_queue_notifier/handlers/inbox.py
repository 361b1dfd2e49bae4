"""Users' inboxes and the order they hear things in.

Every notification takes a **sequence number** when it is published, and the numbers are handed
out one batch at a time across every instance (a batch is the moments due together, each with
all its recipients, or one other notification): the batch's numbers are taken, its events are
published and acknowledged, and only then may the next batch take numbers. So a user's notifications reach Kafka in the order of
their numbers, and a client's stream resumes "after number N" without a gap or a repeat. A
publisher that dies mid-batch leaves the batch in `notification_sequence`; whoever comes next
after `batch_lease` publishes it again (same event ids, same number) before numbering anything new.

A queue update is stored once per moment (handlers/scheduler.py) and read back per user; every
other notification is one document. Listing rebuilds each one's NotificationCreated, so the list
and the stream (which shows the events as they pass) show the same thing.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass
from typing import Any

from liveline_shared.callers import Caller
from liveline_shared.events import NotificationCreated, SlotOffered, SlotWindow, VideoEdited, VideoRejected
from liveline_shared.events.topics import NOTIFICATIONS
from liveline_shared.outbox import aware

from ..adapters.inbox import INBOX, MOMENTS
from ..adapters.publisher import Message
from ..domain.errors import Forbidden, NotificationNotFound
from ..domain.pushes import title_of
from .dependencies import Dependencies

PRODUCER = "queue-notifier"
# A notification's event id is derived from its id: published again after a crash, it is the same event.
EVENT_IDS = uuid.UUID("6c0b1f5e-2d7a-4f39-9b8e-41a7d3c2e915")
KINDS = {"queue_update": "queue_update", "queue_position": "queue_update", "queue_called": "queue_update",
         "slot_reoffer": "slot_reoffer", "video_prompt": "video_prompt", "video_edited": "video_prompt",
         "video_rejected": "video_prompt"}
# On Kafka a place in line is a queue update carrying the buyer's ticket (the event's subjects are fixed).
EVENT_SUBJECTS = {"queue_position": "queue_update", "queue_called": "queue_update"}
BATCH_PAUSE_S = 0.005


def queue_notification(moment: dict[str, Any], order_id: str, user_id: str,
                       event_id: uuid.UUID | None = None) -> NotificationCreated:
    """What a recipient of a moment is told (the same for every recipient but the ids)."""
    notification_id = f"{moment['_id']}~{order_id}"
    return NotificationCreated(
        event_id=event_id or uuid.uuid5(EVENT_IDS, notification_id), occurred_at=moment["worked_at"],
        producer=PRODUCER, correlation_id=order_id, notification_id=notification_id, user_id=user_id,
        kind="queue_update", subject="queue_update", order_id=order_id, merchant_id=moment["merchant_id"],
        slot_id=moment["slot_id"], waiting_parties=moment["waiting_parties"], waiting_people=moment["waiting_people"],
        queue_as_of=moment["measured_at"], moment_at=moment["moment"], late=moment["late"], stale=moment["stale"],
        link_path=f"/orders/{order_id}", seq=moment["seq"], title=title_of("queue_update", moment),
        calling=moment["calling"], wait_low_minutes=moment["wait_low_minutes"],
        wait_high_minutes=moment["wait_high_minutes"], enough_history=moment["enough_history"],
        change_parties=moment["change_parties"], change_people=moment["change_people"],
        slot_starts_at=moment["starts_at"], slot_ends_at=moment["ends_at"],
    )


# A moment's events differ only in these; its messages are one serialized event with them filled in.
_ORDER, _USER, _EVENT = "order~placeholder~5b1e", "user~placeholder~5b1e", uuid.UUID("00000000-0000-4000-8000-00000005b1e0")


def _json_text(value: str) -> bytes:
    return json.dumps(value, ensure_ascii=False)[1:-1].encode()


def moment_messages(moment: dict[str, Any]) -> list[Message]:
    """Every recipient's NotificationCreated of a moment, serialized: each is exactly
    `queue_notification(moment, order, user).to_bytes()` (a unit test holds them equal)."""
    template = queue_notification(moment, _ORDER, _USER, event_id=_EVENT)
    body, headers = template.to_bytes(), template.headers()
    order, user, event = _json_text(_ORDER), _json_text(_USER), str(_EVENT).encode()
    fixed = [(name, value.encode()) for name, value in headers.items() if name not in {"event_id", "correlation_id"}]
    messages = []
    for order_id, user_id in sorted(moment.get("recipients", {}).items()):
        event_id = str(uuid.uuid5(EVENT_IDS, f"{moment['_id']}~{order_id}")).encode()
        value = body.replace(order, _json_text(order_id)).replace(user, _json_text(user_id)).replace(event, event_id)
        messages.append(Message(user_id.encode(), value,
                                [*fixed, ("event_id", event_id), ("correlation_id", order_id.encode())]))
    return messages


def event_message(event: NotificationCreated) -> Message:
    return Message(event.key.encode(), event.to_bytes(), [(name, value.encode()) for name, value in event.headers().items()])


def single_notification(entry: dict[str, Any]) -> NotificationCreated:
    subject = entry["subject"]
    slots = [SlotWindow.model_validate(slot) for slot in entry["slots"]] if entry.get("slots") is not None else None
    return NotificationCreated(
        event_id=uuid.uuid5(EVENT_IDS, entry["_id"]), occurred_at=entry["created_at"], producer=PRODUCER,
        correlation_id=entry["order_id"], notification_id=entry["_id"], user_id=entry["user_id"],
        kind=KINDS[subject], subject=EVENT_SUBJECTS.get(subject, subject),  # type: ignore[arg-type]
        order_id=entry["order_id"], merchant_id=entry["merchant_id"], link_path=entry.get("link_path"),
        seq=entry["seq"], title=title_of(subject, entry), slots=slots, reason=entry.get("reason"),
        ticket=entry.get("ticket"), position=entry.get("position"), late=entry.get("late"),
    )


async def publish_in_order(collection: str, document_ids: list[str], deps: Dependencies) -> None:
    """Numbers and publishes moments (`push_moments`: every recipient) or notifications
    (`inbox`) as one batch, after every batch numbered before it; those published already are skipped."""
    async with deps.publishing:  # this instance's batches take turns before meeting the others'
        while True:
            documents = await asyncio.gather(*(_document(collection, document_id, deps) for document_id in document_ids))
            unpublished = [d["_id"] for d in documents if d is not None and not d.get("published")]
            if not unpublished:
                return
            sequence = await deps.inbox.sequence()
            batch = sequence.get("batch")
            now = deps.now()
            if batch is None:
                batch = {"id": uuid.uuid4().hex, "refs": [f"{collection}/{d}" for d in unpublished],
                         "first": sequence["last"] + 1, "owner": deps.scheduler_id, "since": now}
                if await deps.inbox.begin_batch(sequence["last"], len(unpublished), batch):
                    await _publish_batch(batch, deps)
                    return
            elif now - aware(batch["since"]) > deps.batch_lease:
                # Its publisher stopped (crashed): publish it again, then go on.
                if await deps.inbox.take_over_batch(batch, deps.scheduler_id, now):
                    await _publish_batch(batch, deps)
                continue
            await asyncio.sleep(BATCH_PAUSE_S)  # another instance is publishing a batch


async def _document(collection: str, document_id: str, deps: Dependencies) -> dict[str, Any] | None:
    return await (deps.inbox.moment(document_id) if collection == MOMENTS else deps.inbox.notification(document_id))


async def _publish_batch(batch: dict[str, Any], deps: Dependencies) -> None:
    """Gives each document of the batch its number (the same again after a crash), publishes
    what is not published yet in number order, and lets the next batch go."""
    refs = [ref.split("/", 1) for ref in batch["refs"]]
    await asyncio.gather(*(deps.inbox.number(collection, document_id, batch["first"] + n)
                           for n, (collection, document_id) in enumerate(refs)))
    documents = await asyncio.gather(*(_document(collection, document_id, deps) for collection, document_id in refs))
    messages: list[Message] = []
    published: list[tuple[str, str]] = []
    for (collection, document_id), document in zip(refs, documents, strict=True):
        if document is None or document.get("published"):
            continue
        if collection == MOMENTS:
            messages.extend(moment_messages(document))
        else:
            messages.append(event_message(single_notification(document)))
        published.append((collection, document_id))
    await deps.publisher.publish(NOTIFICATIONS.name, messages)
    await asyncio.gather(*(deps.inbox.mark_published(collection, document_id) for collection, document_id in published))
    await deps.inbox.end_batch(batch["id"])


async def deliver(entry: dict[str, Any], deps: Dependencies) -> bool:
    """Stores a notification once (its `_id` is the dedupe key), lists it in its user's inbox and
    publishes it in order; False when it was stored before (it is still published if it was not)."""
    stored, created = await deps.inbox.store_notification({"created_at": deps.now(), **entry})
    await deps.inbox.add_to_user(entry["user_id"], "notifications", entry["_id"])
    if not stored.get("published"):
        await publish_in_order(INBOX, [entry["_id"]], deps)
    return created


async def push_reoffer(event: SlotOffered, deps: Dependencies) -> None:
    """A missed slot's new offer: "you missed your visit — pick a new time", with the new slots."""
    if event.reason != "missed_slot":
        return
    slots = [slot.model_dump(mode="json", include={"slot_id", "meal_period", "local_date", "starts_at", "ends_at"})
             for slot in event.slots]
    await deliver({"_id": f"reoffer~{event.offer_id}", "user_id": event.user_id, "subject": "slot_reoffer",
                   "order_id": event.order_id, "merchant_id": event.merchant_id, "offer_id": event.offer_id,
                   "slots": slots, "link_path": f"/orders/{event.order_id}/slots"}, deps)


async def push_video_prompt(order_id: str, user_id: str, merchant_id: str, deps: Dependencies) -> None:
    await deliver({"_id": f"video-prompt~{order_id}", "user_id": user_id, "subject": "video_prompt",
                   "order_id": order_id, "merchant_id": merchant_id, "link_path": f"/orders/{order_id}/video"}, deps)


async def push_video_outcome(event: VideoEdited | VideoRejected, deps: Dependencies) -> None:
    entry: dict[str, Any] = {"user_id": event.user_id, "order_id": event.order_id, "merchant_id": event.merchant_id,
                             "video_id": event.video_id, "link_path": f"/orders/{event.order_id}/video"}
    if isinstance(event, VideoEdited):
        entry.update(_id=f"video-edited~{event.video_id}", subject="video_edited")
    else:
        entry.update(_id=f"video-rejected~{event.video_id}", subject="video_rejected", reason=event.reason,
                     detail=event.detail)
    await deliver(entry, deps)


@dataclass(frozen=True)
class InboxPage:
    notifications: list[tuple[NotificationCreated, bool]]  # each with whether it was read
    unread: int
    total: int
    next_before: str | None


def _customer(caller: Caller | None) -> Caller:
    if caller is None or caller.is_admin or caller.role == "staff":
        raise Forbidden("only a buyer has an inbox")
    return caller


async def notifications_of(user_id: str, deps: Dependencies) -> tuple[list[NotificationCreated], set[str]]:
    """Every numbered notification of the user, oldest first, and the ids they read."""
    user = await deps.inbox.user(user_id)
    slot_ids = sorted({ref.split("|", 1)[0] for ref in user.get("slots", [])})
    slots = await asyncio.gather(*(deps.schedules.slot(slot_id) for slot_id in slot_ids))
    moment_ids = sorted({moment_id for slot in slots if slot for moment_id in slot.get("moments", [])})
    found: list[NotificationCreated] = []
    for moment in await deps.inbox.many(MOMENTS, moment_ids):
        if moment.get("seq") is not None:
            found.extend(queue_notification(moment, order_id, user_id)
                         for order_id, recipient in moment.get("recipients", {}).items() if recipient == user_id)
    for entry in await deps.inbox.many(INBOX, list(user.get("notifications", []))):
        if entry.get("seq") is not None:
            found.append(single_notification(entry))
    found.sort(key=lambda event: (event.seq or 0, event.notification_id))
    return found, set(user.get("read", []))


async def inbox_of(caller: Caller | None, limit: int, before: str | None, deps: Dependencies) -> InboxPage:
    """The caller's notifications, newest first, `limit` of them older than `before`."""
    user_id = _customer(caller).account_id
    found, read = await notifications_of(user_id, deps)
    newest_first = list(reversed(found))
    ids = [event.notification_id for event in newest_first]
    # A cursor that names nothing in this inbox (another's, or made up) is past the end.
    start = (ids.index(before) + 1 if before in ids else len(ids)) if before is not None else 0
    page = newest_first[start:start + limit]
    more = start + limit < len(ids)
    unread = sum(1 for notification_id in ids if notification_id not in read)
    return InboxPage([(event, event.notification_id in read) for event in page], unread, len(ids),
                     page[-1].notification_id if more and page else None)


async def notifications_after(caller: Caller | None, seq: int, limit: int,
                              deps: Dependencies) -> list[tuple[NotificationCreated, bool]]:
    """The caller's notifications numbered after `seq`, oldest first (what a stream resumes with)."""
    user_id = _customer(caller).account_id
    found, read = await notifications_of(user_id, deps)
    return [(event, event.notification_id in read) for event in found if (event.seq or 0) > seq][:limit]


async def mark_read(caller: Caller | None, notification_id: str, deps: Dependencies) -> None:
    user_id = _customer(caller).account_id
    found, _ = await notifications_of(user_id, deps)
    if notification_id not in {event.notification_id for event in found}:
        raise NotificationNotFound(notification_id)
    await deps.inbox.mark_read(user_id, notification_id)
