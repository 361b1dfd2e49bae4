"""Every integration event liveline publishes. Events carry ids, never phone numbers, e-mail
addresses or names; a consumer that needs more asks the owning service's API.

Changes here are additive: a new field is optional. Removing or retyping a field, or making an
optional one required, means a new schema version on a new topic (see test_schema_compatibility).
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from . import topics
from .envelope import Event, type_field, version_field

class PredictedWait(BaseModel):
    """The typical wait at a slot's weekday and meal period, from the merchant's QueueTick history."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    low_minutes: int = Field(ge=0, description="Lower quartile (p25) of past services' typical waits, in minutes.")
    high_minutes: int = Field(ge=0, description="Upper quartile (p75) of past services' typical waits, in minutes.")
    services: int = Field(ge=1, description="How many past services of this weekday and period it rests on.")


class SlotWindow(BaseModel):
    """One usage-time slot: a meal period of one day at the merchant, as UTC instants."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    slot_id: str = Field(description="Stable id of the slot: '<merchant_id>:<local date>:<meal period>'.")
    meal_period: str = Field(
        pattern=r"^[a-z][a-z0-9_-]{0,31}$",
        description="The merchant's name for the meal period (lunch, dinner, breakfast, late-night …).",
    )
    local_date: str = Field(description="The day in the merchant's timezone (YYYY-MM-DD).")
    starts_at: AwareDatetime = Field(description="Start of the slot (UTC).")
    ends_at: AwareDatetime = Field(description="End of the slot (UTC).")
    timezone: str | None = Field(default=None, description="The merchant's IANA time zone the local times are in.")
    local_start: str | None = Field(default=None, description="Start in the merchant's local time (YYYY-MM-DDTHH:MM).")
    local_end: str | None = Field(default=None, description="End in the merchant's local time (YYYY-MM-DDTHH:MM).")
    remaining_capacity: int | None = Field(
        default=None, ge=0, description="Places left when offered, if the merchant caps its slots."
    )
    predicted_wait: PredictedWait | None = Field(
        default=None, description="Typical wait at this weekday and period when offered; absent without history."
    )


class OrderPlaced(Event):
    """A buyer paid for a deal; the order carries a voucher valid in the given window."""

    key_field: ClassVar[str] = "order_id"
    topic: ClassVar[str] = topics.ORDERS.name
    event_type: Literal["OrderPlaced"] = type_field("OrderPlaced")
    schema_version: Literal[1] = version_field(1)

    order_id: str = Field(description="The order.")
    deal_id: str = Field(description="The deal bought.")
    merchant_id: str = Field(description="The merchant whose deal it is.")
    user_id: str = Field(description="The buyer (an opaque account id).")
    quantity: int = Field(ge=1, description="Units bought.")
    amount_minor: int = Field(ge=0, description="Amount paid in minor units of `currency`.")
    currency: str = Field(min_length=3, max_length=3, description="ISO 4217 currency code.")
    voucher_valid_from: AwareDatetime = Field(description="First instant the voucher may be redeemed (UTC).")
    voucher_valid_until: AwareDatetime = Field(description="Last instant the voucher may be redeemed (UTC).")


class OrderRedeemed(Event):
    """Merchant staff redeemed the order's voucher: the buyer has consumed the deal (S105)."""

    key_field: ClassVar[str] = "order_id"
    topic: ClassVar[str] = topics.ORDERS.name
    event_type: Literal["OrderRedeemed"] = type_field("OrderRedeemed")
    schema_version: Literal[1] = version_field(1)

    order_id: str = Field(description="The order.")
    deal_id: str = Field(description="The deal.")
    merchant_id: str = Field(description="The merchant where it was redeemed.")
    user_id: str = Field(description="The buyer.")
    redeemed_by: str = Field(description="The staff account that redeemed it.")


class OrderRefunded(Event):
    """An unredeemed order was refunded; its stock went back to the deal."""

    key_field: ClassVar[str] = "order_id"
    topic: ClassVar[str] = topics.ORDERS.name
    event_type: Literal["OrderRefunded"] = type_field("OrderRefunded")
    schema_version: Literal[1] = version_field(1)

    order_id: str = Field(description="The order.")
    deal_id: str = Field(description="The deal.")
    merchant_id: str = Field(description="The merchant.")
    user_id: str = Field(description="The buyer.")
    quantity: int = Field(ge=1, description="Units returned to stock.")
    refunded_by: str = Field(description="The account that asked for the refund (the buyer or an admin).")


class SlotOffered(Event):
    """A list of usage-time slots was offered to a buyer, after purchase or after a missed slot."""

    key_field: ClassVar[str] = "order_id"
    topic: ClassVar[str] = topics.SLOTS.name
    event_type: Literal["SlotOffered"] = type_field("SlotOffered")
    schema_version: Literal[1] = version_field(1)

    offer_id: str = Field(description="The offer.")
    order_id: str = Field(description="The order the slots are for.")
    user_id: str = Field(description="The buyer.")
    merchant_id: str = Field(description="The merchant.")
    reason: Literal["purchase", "missed_slot", "requested"] = Field(
        description="Why the list was offered: after the purchase, after a missed slot, or asked for by the buyer."
    )
    slots: tuple[SlotWindow, ...] = Field(description="The slots on offer, earliest first.")


class SlotChosen(Event):
    """A buyer chose one or several slots from an offer (S103)."""

    key_field: ClassVar[str] = "order_id"
    topic: ClassVar[str] = topics.SLOTS.name
    event_type: Literal["SlotChosen"] = type_field("SlotChosen")
    schema_version: Literal[1] = version_field(1)

    offer_id: str = Field(description="The offer the choice was made from.")
    order_id: str = Field(description="The order.")
    user_id: str = Field(description="The buyer.")
    merchant_id: str = Field(description="The merchant.")
    slots: tuple[SlotWindow, ...] = Field(min_length=1, description="The chosen slots, earliest first.")


class SlotMissed(Event):
    """Every chosen slot of an order has passed and the order is still unredeemed."""

    key_field: ClassVar[str] = "order_id"
    topic: ClassVar[str] = topics.SLOTS.name
    event_type: Literal["SlotMissed"] = type_field("SlotMissed")
    schema_version: Literal[1] = version_field(1)

    order_id: str = Field(description="The order.")
    user_id: str = Field(description="The buyer.")
    merchant_id: str = Field(description="The merchant.")
    slot: SlotWindow = Field(description="The last chosen slot, now passed.")


class QueueTick(Event):
    """A merchant's waitlist as of `occurred_at`: what the queue pushes report."""

    key_field: ClassVar[str] = "merchant_id"
    topic: ClassVar[str] = topics.QUEUE_TICKS.name
    event_type: Literal["QueueTick"] = type_field("QueueTick")
    schema_version: Literal[1] = version_field(1)

    merchant_id: str = Field(description="The merchant.")
    waiting_parties: int = Field(ge=0, description="Parties waiting for a table.")
    waiting_people: int = Field(ge=0, description="People in those parties.")
    estimated_wait_minutes: int | None = Field(default=None, ge=0, description="Estimated wait for a new party, if known.")
    estimated_wait_low_minutes: int | None = Field(
        default=None, ge=0, description="Low end of the estimated wait for a party joining now, in minutes (the range is centred on the median)."
    )
    estimated_wait_high_minutes: int | None = Field(
        default=None, ge=0, description="High end (the 85th percentile) of the estimated wait for a party joining now, in minutes."
    )
    enough_history: bool | None = Field(
        default=None, description="False when the estimate rests on too little recent history to trust."
    )
    longest_wait_minutes: int | None = Field(default=None, ge=0, description="How long the longest-waiting party has waited.")
    calling_ticket: str | None = Field(default=None, max_length=8, description="The ticket being called (e.g. A012).")
    heartbeat: bool = Field(default=False, description="True for a periodic repeat while parties wait, not a change.")


class NotificationCreated(Event):
    """A push for a user was created (queue update, slot re-offer or video prompt)."""

    key_field: ClassVar[str] = "user_id"
    topic: ClassVar[str] = topics.NOTIFICATIONS.name
    event_type: Literal["NotificationCreated"] = type_field("NotificationCreated")
    schema_version: Literal[1] = version_field(1)

    notification_id: str = Field(description="The notification; the same push is never created twice.")
    user_id: str = Field(description="The recipient.")
    kind: Literal["queue_update", "slot_reoffer", "video_prompt"] = Field(description="What the push is about.")
    order_id: str = Field(description="The order it concerns.")
    merchant_id: str = Field(description="The merchant it concerns.")
    slot_id: str | None = Field(default=None, description="The slot it concerns, for queue updates.")
    waiting_parties: int | None = Field(default=None, ge=0, description="Queue size reported, for queue updates.")
    queue_as_of: AwareDatetime | None = Field(default=None, description="When that queue size was measured.")
    subject: Literal["queue_update", "slot_reoffer", "video_prompt", "video_edited", "video_rejected"] | None = Field(
        default=None, description="What it says, finer than `kind` (a video's outcome is kind video_prompt)."
    )
    moment_at: AwareDatetime | None = Field(default=None, description="The moment a queue update was due.")
    waiting_people: int | None = Field(default=None, ge=0, description="People waiting, for queue updates.")
    late: bool | None = Field(default=None, description="True when a queue update went out late (after a restart).")
    stale: bool | None = Field(default=None, description="True when its queue figures are older than the staleness limit.")
    link_path: str | None = Field(default=None, max_length=200, description="The app screen it leads to, e.g. /orders/{id}/video.")
    seq: int | None = Field(
        default=None, ge=1, description="The recipient's notification number: increasing, one per notification, "
                                        "what a client resumes its stream after."
    )
    title: str | None = Field(default=None, max_length=200, description="One line a phone shows for it.")
    calling: str | None = Field(default=None, description="The ticket being called, for queue updates.")
    wait_low_minutes: int | None = Field(default=None, ge=0, description="Estimated wait, low end, for queue updates.")
    wait_high_minutes: int | None = Field(default=None, ge=0, description="Estimated wait, high end, for queue updates.")
    enough_history: bool | None = Field(default=None, description="Whether the estimate rests on enough past seatings.")
    change_parties: int | None = Field(default=None, description="Parties waiting minus at the previous queue update.")
    change_people: int | None = Field(default=None, description="People waiting minus at the previous queue update.")
    slot_starts_at: AwareDatetime | None = Field(default=None, description="Start of the slot a queue update is for.")
    slot_ends_at: AwareDatetime | None = Field(default=None, description="End of the slot a queue update is for.")
    slots: list[SlotWindow] | None = Field(default=None, description="The new slots, for a missed-slot re-offer.")
    reason: str | None = Field(default=None, max_length=64, description="Why a video was refused (a reason code).")
    ticket: str | None = Field(
        default=None, max_length=16, description="The buyer's own waitlist ticket, when they joined the line from a push."
    )
    position: int | None = Field(
        default=None, ge=0, description="Where that ticket stands: 1 is next; 0 once it is called."
    )


VideoRejectionReason = Literal[
    "not_a_video", "no_video_stream", "empty", "truncated", "too_long", "too_large", "processing_failed"
]


class VideoUploaded(Event):
    """A buyer's on-site video arrived whole in the raw-videos bucket, unedited (S106)."""

    key_field: ClassVar[str] = "video_id"
    topic: ClassVar[str] = topics.VIDEOS.name
    event_type: Literal["VideoUploaded"] = type_field("VideoUploaded")
    schema_version: Literal[1] = version_field(1)

    video_id: str = Field(description="The video.")
    order_id: str = Field(description="The redeemed order it was filmed for.")
    user_id: str = Field(description="The uploader (the order's buyer).")
    merchant_id: str = Field(description="The merchant filmed.")
    deal_id: str = Field(description="The deal the order bought.")
    object_key: str = Field(description="Key of the raw video in the raw-videos bucket.")
    size_bytes: int = Field(ge=0, description="Size of the upload.")
    content_type: str = Field(description="Media type the uploader declared, e.g. video/mp4.")
    visited_at: AwareDatetime = Field(description="When the order was redeemed: the visit the video shows (UTC).")
    trim_start_s: float | None = Field(default=None, ge=0, description="Where the uploader wants the clip to start.")
    trim_end_s: float | None = Field(default=None, gt=0, description="Where the uploader wants the clip to end.")


class VideoEdited(Event):
    """The uploaded video was edited into its display form (S107) and is shown (S108)."""

    key_field: ClassVar[str] = "video_id"
    topic: ClassVar[str] = topics.VIDEOS.name
    event_type: Literal["VideoEdited"] = type_field("VideoEdited")
    schema_version: Literal[1] = version_field(1)

    video_id: str = Field(description="The video.")
    order_id: str = Field(description="The order it was filmed for.")
    user_id: str = Field(description="The uploader, to be told it is online.")
    merchant_id: str = Field(description="The merchant filmed.")
    deal_id: str = Field(description="The deal the order bought.")
    object_key: str = Field(description="Key of the edited clip (H.264/AAC MP4) in the edited-videos bucket.")
    poster_key: str = Field(description="Key of its JPEG poster in the edited-videos bucket.")
    duration_s: float = Field(gt=0, description="Length of the edited clip in seconds.")
    size_bytes: int = Field(gt=0, description="Size of the edited clip.")
    width: int = Field(gt=0, description="Width of the edited clip in pixels (upright).")
    height: int = Field(gt=0, description="Height of the edited clip in pixels (upright).")
    faces_blurred: bool | None = Field(
        default=None,
        description="True when every face found in the clip was blurred; false when the uploader chose to keep "
        "faces (keep_faces at upload). Absent from events published before the face blur.",
    )
    faces_found: int | None = Field(default=None, ge=0, description="Faces the blur followed through the clip.")


class VideoRejected(Event):
    """An uploaded video could not be used and is not shown; `detail` says why, for the uploader."""

    key_field: ClassVar[str] = "video_id"
    topic: ClassVar[str] = topics.VIDEOS.name
    event_type: Literal["VideoRejected"] = type_field("VideoRejected")
    schema_version: Literal[1] = version_field(1)

    video_id: str = Field(description="The video.")
    order_id: str = Field(description="The order it was filmed for.")
    user_id: str = Field(description="The uploader, to be told why.")
    merchant_id: str = Field(description="The merchant.")
    reason: VideoRejectionReason = Field(description="Why it was refused, as a stable code.")
    detail: str = Field(default="", max_length=500, description="A sentence for the uploader (no personal data).")


EVENT_TYPES: tuple[type[Event], ...] = (
    OrderPlaced, OrderRedeemed, OrderRefunded,
    SlotOffered, SlotChosen, SlotMissed,
    QueueTick, NotificationCreated,
    VideoUploaded, VideoEdited, VideoRejected,
)
_BY_NAME: dict[tuple[str, int], type[Event]] = {
    (cls.model_fields["event_type"].default, cls.model_fields["schema_version"].default): cls for cls in EVENT_TYPES
}


class UnknownEventType(ValueError):
    pass


def event_class(event_type: str, schema_version: int) -> type[Event]:
    try:
        return _BY_NAME[(event_type, schema_version)]
    except KeyError:
        raise UnknownEventType(f"unknown event {event_type} v{schema_version}") from None


def parse_event(body: bytes | str | dict) -> Event:
    """Validates a message body against the contract named in it; raises on anything else."""
    import json

    data = json.loads(body) if isinstance(body, bytes | str) else body
    if not isinstance(data, dict):
        raise ValueError("an event is a JSON object")
    return event_class(str(data.get("event_type")), int(data.get("schema_version", 0))).model_validate(data)
