"""Scheduled queue pushes, in pure terms: a merchant's push policy, the moments of a merchant
slot, the bucket (minute) a moment is filed under, and what one push says."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from liveline_shared.clock import to_millis

from .errors import InvalidPushPolicy

DEFAULT_LEAD_S = 30 * 60
DEFAULT_CADENCE_S = 60 * 60
MIN_CADENCE_S = 2
MAX_SECONDS = 7 * 24 * 3600


@dataclass(frozen=True)
class PushPolicy:
    """When a merchant's buyers hear about its queue: from `lead_s` before their slot starts,
    every `cadence_s`, until the slot ends (or the order is redeemed or refunded)."""

    lead_s: int = DEFAULT_LEAD_S
    cadence_s: int = DEFAULT_CADENCE_S

    def __post_init__(self) -> None:
        if not 0 < self.lead_s <= MAX_SECONDS:
            raise InvalidPushPolicy(f"lead_seconds must be between 1 and {MAX_SECONDS}")
        if not MIN_CADENCE_S <= self.cadence_s <= MAX_SECONDS:
            raise InvalidPushPolicy(f"cadence_seconds must be between {MIN_CADENCE_S} and {MAX_SECONDS}")


def first_moment(starts_at: datetime, ends_at: datetime, policy: PushPolicy, now: datetime) -> datetime | None:
    """The first push of a slot: `lead_s` before it starts, or at once when it is first chosen
    inside the lead window; None once the slot has ended."""
    moment = max(starts_at - timedelta(seconds=policy.lead_s), now)
    return to_millis(moment) if moment < ends_at else None


def next_moment(moment: datetime, ends_at: datetime, cadence_s: int) -> datetime | None:
    following = moment + timedelta(seconds=cadence_s)
    return to_millis(following) if following < ends_at else None


def bucket_of(moment: datetime) -> str:
    """The `_id` of the due-moment bucket a moment is filed under: its UTC minute."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")


def bucket_start(bucket_id: str) -> datetime:
    return datetime.strptime(bucket_id, "%Y-%m-%dT%H:%M").replace(tzinfo=UTC)


def moment_key(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%S.%f")[:-3]


def push_content(
    *, slot: dict[str, Any], moment: datetime, state: Any, stale: bool, previous: dict[str, Any] | None, late: bool,
) -> dict[str, Any]:
    """What every subscriber of a merchant slot is told at one moment (stored once)."""
    estimate = state.estimate
    content: dict[str, Any] = {
        "merchant_id": slot["merchant_id"], "slot_id": slot["_id"], "starts_at": slot["starts_at"],
        "ends_at": slot["ends_at"], "moment": moment, "calling": state.calling,
        "waiting_parties": state.waiting_parties, "waiting_people": state.waiting_people,
        "wait_low_minutes": estimate.low_minutes, "wait_high_minutes": estimate.high_minutes,
        "enough_history": estimate.enough_history, "measured_at": state.measured_at, "stale": stale, "late": late,
        "change_parties": None, "change_people": None,
    }
    if previous is not None:
        content["change_parties"] = state.waiting_parties - previous["waiting_parties"]
        content["change_people"] = state.waiting_people - previous["waiting_people"]
    return content


_SUBJECT_TITLES = {
    "slot_reoffer": "You missed your visit — pick a new time",
    "video_prompt": "Thanks for visiting — record a short video of it",
    "video_edited": "Your video is online",
    "video_rejected": "Your video could not be used",
}


def title_of(subject: str, fields: dict[str, Any]) -> str:
    """The one line a phone shows for a notification (clients word it in the user's language
    from the fields; this is the text a system notification falls back on)."""
    if subject == "queue_update":
        people = f"{fields['waiting_parties']} parties ({fields['waiting_people']} people) waiting"
        wait = f"about {fields['wait_low_minutes']}–{fields['wait_high_minutes']} min"
        stale = " (figures not current)" if fields.get("stale") else ""
        return f"The queue before your visit: {people}, {wait}{stale}"
    if subject == "queue_position":
        return f"Ticket {fields['ticket']}: you are number {fields['position']} in line"
    if subject == "queue_called":
        return f"Ticket {fields['ticket']}: it is your turn — please go to the host stand"
    return _SUBJECT_TITLES[subject]
