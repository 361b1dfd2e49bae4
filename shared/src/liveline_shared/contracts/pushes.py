"""The queue-notifier's HTTP contract for pushes: a merchant's push policy, a user's inbox of
notifications (queue updates at preset moments, the missed-slot re-offer, the video prompt and
the video's outcome), and muting an order's pushes."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from ..events import NotificationCreated

NotificationSubject = Literal[
    "queue_update", "slot_reoffer", "video_prompt", "video_edited", "video_rejected", "queue_position", "queue_called",
]


class PushPolicyIn(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    lead_seconds: int = Field(ge=1, le=7 * 24 * 3600, description="How long before a slot starts its buyers hear first.")
    cadence_seconds: int = Field(ge=2, le=7 * 24 * 3600, description="How often they hear again until the slot ends.")


class PushPolicyOut(BaseModel):
    merchant_id: str
    lead_seconds: int
    cadence_seconds: int


class QueuePushOut(BaseModel):
    merchant_id: str
    slot_id: str
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    moment: AwareDatetime = Field(description="When this push was due.")
    calling: str | None = Field(description="The ticket being called.")
    waiting_parties: int
    waiting_people: int
    wait_low_minutes: int
    wait_high_minutes: int
    enough_history: bool
    change_parties: int | None = Field(description="Parties waiting now minus at the previous push (none for the first).")
    change_people: int | None
    measured_at: AwareDatetime = Field(description="When the numbers were measured.")
    stale: bool = Field(description="The numbers are older than the staleness limit: not current.")
    late: bool = Field(description="The numbers were read after the moment (the notifier was down then).")


class OfferedSlotOut(BaseModel):
    slot_id: str
    meal_period: str
    local_date: str
    starts_at: AwareDatetime
    ends_at: AwareDatetime


class NotificationOut(BaseModel):
    notification_id: str
    seq: int = Field(description="The caller's notification number, increasing: what a stream resumes after.")
    subject: NotificationSubject
    order_id: str
    merchant_id: str
    created_at: AwareDatetime
    read: bool
    late: bool = Field(description="Sent after its moment (the notifier was down then).")
    title: str
    link_path: str | None = Field(description="The app screen it leads to.")
    queue: QueuePushOut | None = Field(description="The queue at the moment, for a queue update.")
    slots: list[OfferedSlotOut] | None = Field(description="The new slots, for a missed-slot re-offer.")
    reason: str | None = Field(description="Why a video was refused.")
    ticket: str | None = Field(default=None, description="The caller's own waitlist ticket, after joining the line from a push.")
    position: int | None = Field(default=None, description="Where that ticket stands: 1 is next, 0 once called.")


class NotificationsOut(BaseModel):
    notifications: list[NotificationOut] = Field(description="Newest first.")
    unread: int
    total: int
    next_before: str | None = Field(description="Pass as `before` for the next page; null on the last page.")


class PushMuteIn(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    muted: bool = Field(strict=True, description="True to stop the order's queue pushes, false to resume them.")


class PushMuteOut(BaseModel):
    order_id: str
    muted: bool


def notification_out(event: NotificationCreated, read: bool) -> NotificationOut:
    """A notification as clients see it, from its NotificationCreated: the inbox lists and the
    gateway's stream show the same thing."""
    subject: str = event.subject or event.kind
    if event.ticket is not None:
        subject = "queue_called" if event.position == 0 else "queue_position"
    queue = None
    if subject == "queue_update" and event.slot_id is not None and event.moment_at is not None:
        queue = QueuePushOut(
            merchant_id=event.merchant_id, slot_id=event.slot_id, starts_at=event.slot_starts_at,  # type: ignore[arg-type]
            ends_at=event.slot_ends_at, moment=event.moment_at, calling=event.calling,  # type: ignore[arg-type]
            waiting_parties=event.waiting_parties or 0, waiting_people=event.waiting_people or 0,
            wait_low_minutes=event.wait_low_minutes or 0, wait_high_minutes=event.wait_high_minutes or 0,
            enough_history=bool(event.enough_history), change_parties=event.change_parties,
            change_people=event.change_people, measured_at=event.queue_as_of,  # type: ignore[arg-type]
            stale=bool(event.stale), late=bool(event.late),
        )
    slots = [OfferedSlotOut(slot_id=s.slot_id, meal_period=s.meal_period, local_date=s.local_date,
                            starts_at=s.starts_at, ends_at=s.ends_at) for s in event.slots] if event.slots is not None else None
    return NotificationOut(
        notification_id=event.notification_id, seq=event.seq or 0, subject=subject,  # type: ignore[arg-type]
        order_id=event.order_id, merchant_id=event.merchant_id, created_at=event.occurred_at, read=read,
        late=bool(event.late), title=event.title or "", link_path=event.link_path, queue=queue, slots=slots,
        reason=event.reason, ticket=event.ticket, position=event.position,
    )
