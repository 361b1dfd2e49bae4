"""The envelope every liveline event carries, whatever its type.

An event is an immutable pydantic model. Its JSON body holds the envelope fields and the
event's own fields side by side; the same event_id, event_type and schema_version also travel
as Kafka headers so a consumer can route or drop a message before parsing it.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator


class Event(BaseModel):
    """Base of every integration event. Subclasses set `event_type`, `schema_version` and `key_field`."""

    # Unknown fields are ignored, not refused: a producer may add an optional field before
    # every consumer knows it (changes are additive).
    model_config = ConfigDict(frozen=True, extra="ignore")

    # The name of the field whose value is the Kafka message key (and so the ordering unit).
    key_field: ClassVar[str]
    # The topic this event is published on (see topics.py).
    topic: ClassVar[str]

    event_id: uuid.UUID = Field(
        default_factory=uuid.uuid4,
        description="Unique id of this event. A redelivery or a re-publication carries the same id.",
    )
    event_type: str = Field(description="The event's name, past tense, e.g. OrderPlaced.")
    schema_version: int = Field(description="Version of this event type's schema; bumped only for breaking changes.")
    occurred_at: AwareDatetime = Field(description="When the fact happened, in UTC (ISO 8601).")
    producer: str = Field(description="The service that recorded the fact, e.g. order.")
    key: str = Field(
        default="",
        description="The Kafka message key: the id that orders this event among its kind "
        "(order id, merchant id, user id or video id). Filled from the event's key field.",
    )
    correlation_id: str = Field(
        default="",
        description="Id shared by every event and log line of one flow (e.g. one purchase), "
        "copied from the event or request that caused this one.",
    )
    causation_id: uuid.UUID | None = Field(
        default=None, description="The event_id of the event that caused this one, if any."
    )

    @model_validator(mode="before")
    @classmethod
    def _fill_key_and_correlation(cls, data: Any) -> Any:
        if isinstance(data, dict) and getattr(cls, "key_field", None):
            data = dict(data)
            data.setdefault("event_id", uuid.uuid4())
            if not data.get("key") and data.get(cls.key_field) is not None:
                data["key"] = str(data[cls.key_field])
            if not data.get("correlation_id"):
                data["correlation_id"] = str(data["event_id"])
        return data

    @model_validator(mode="after")
    def _key_matches_key_field(self) -> Event:
        if getattr(type(self), "key_field", None) and self.key != str(getattr(self, self.key_field)):
            raise ValueError(f"key must equal {self.key_field}")
        return self

    @field_validator("occurred_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return value.astimezone(UTC)

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode()

    def headers(self) -> dict[str, str]:
        return {
            "event_type": self.event_type,
            "schema_version": str(self.schema_version),
            "event_id": str(self.event_id),
            "correlation_id": self.correlation_id,
            "producer": self.producer,
        }


def type_field(name: str) -> Any:
    """The `event_type` of a concrete event, fixed to its name."""
    return Field(name, description="The event's name, past tense.")


def version_field(version: int) -> Any:
    """The `schema_version` of a concrete event, fixed to its version."""
    return Field(version, description="Version of this event type's schema; bumped only for breaking changes.")
