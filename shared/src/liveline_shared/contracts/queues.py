"""The queue-notifier's HTTP contract: the host-stand waitlist its merchant's staff run, the live
queue state anyone reads, and the busyness history by weekday and hour."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from ..contacts import CONTACT_MAX_LENGTH, CONTACT_PATTERN

PartyAction = Literal["call", "seat", "no-show", "cancel"]


class NewParty(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    size: int = Field(ge=1, le=20, description="People in the party, 1 to 20.")
    name: str | None = Field(default=None, min_length=1, max_length=60,
                             description="What the host calls out (optional; kept only while the party waits).")
    phone: str | None = Field(default=None, max_length=CONTACT_MAX_LENGTH, pattern=CONTACT_PATTERN,
                              description="To text the party when called (optional; kept only while it waits).")


class PartyOut(BaseModel):
    party_id: str
    ticket: str = Field(description="The party's ticket for the day: A for 1-2 people, B for 3-4, C for 5 or more.")
    size: int
    status: Literal["waiting", "called"]
    joined_at: AwareDatetime
    called_at: AwareDatetime | None
    waited_minutes: int
    name: str | None
    phone: str | None
    remote: bool = Field(description="Joined from a push, not at the host stand.")


class EstimateOut(BaseModel):
    low_minutes: int = Field(description="Low end of the wait of a party joining now, in minutes (the range is centred on the median).")
    high_minutes: int = Field(description="High end: the 85th percentile of the predicted wait, in minutes.")
    enough_history: bool = Field(description="False while too few recent seatings back the estimate.")
    basis: int = Field(description="How many recent seatings it rests on.")


class BandOut(BaseModel):
    band: Literal["1-2", "3-4", "5+"]
    parties: int
    people: int


class QueueStateOut(BaseModel):
    merchant_id: str
    waiting_parties: int
    waiting_people: int
    bands: list[BandOut] = Field(description="Waiting parties and people by party size (empty for an outside queue system).")
    longest_wait_minutes: int
    calling: str | None = Field(description="The ticket called last.")
    estimate: EstimateOut
    measured_at: AwareDatetime
    source: Literal["waitlist", "external"]
    stale: bool = Field(description="The figures are older than the staleness limit: show them as such, not as current.")


class WaitlistOut(QueueStateOut):
    parties: list[PartyOut] = Field(description="The parties waiting, in the order they joined (staff only).")


class HourOut(BaseModel):
    weekday: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    hour: int = Field(description="Local hour of the day, 0-23.")
    people: float = Field(description="Typical people waiting (median of the recent days).")
    people_low: float
    people_high: float
    wait_low_minutes: int | None
    wait_high_minutes: int | None
    days: int = Field(description="How many past days it rests on.")


class BusynessOut(BaseModel):
    merchant_id: str
    timezone: str
    hours: list[HourOut] = Field(description="Weekdays and hours with history; absent ones have none yet.")
    live: QueueStateOut


class QueueTicketOut(BaseModel):
    """A buyer's place in a merchant's waitlist, joined from a push for one of their orders."""

    order_id: str
    merchant_id: str
    party_id: str
    ticket: str = Field(description="The party's ticket for the day, as the host stand calls it (A001, B002, ...).")
    size: int = Field(description="People in the party: the order's quantity (1 to 20).")
    position: int = Field(description="Parties of its size band ahead of it, plus one (1 is next); 0 once called or gone.")
    status: Literal["waiting", "called", "seated", "no_show", "cancelled"]
