"""The queue-notifier's HTTP contract for pushes: a merchant's push policy, a user's inbox of
notifications (queue updates at preset moments, the missed-slot re-offer, the video prompt and
the video's outcome), and muting an order's pushes."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

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
