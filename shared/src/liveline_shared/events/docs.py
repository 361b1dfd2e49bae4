"""Writes docs/events.md from the contracts themselves, so the document cannot drift from them.

    python -m liveline_shared.events.docs > docs/events.md

A test compares the committed file with this output.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from .catalog import EVENT_TYPES, SlotWindow
from .envelope import Event
from .topics import DEAD_LETTER_RETENTION_MS, DAY_MS, TOPICS, Topic

_AT = datetime(2015, 3, 24, 9, 30, tzinfo=UTC)
_SLOT = SlotWindow(
    slot_id="m-3f2a:2015-03-24:dinner", meal_period="dinner", local_date="2015-03-24",
    starts_at=datetime(2015, 3, 24, 9, 0, tzinfo=UTC), ends_at=datetime(2015, 3, 24, 13, 0, tzinfo=UTC),
)
_EXAMPLE_VALUES: dict[str, Any] = {
    "order_id": "ord-7c1e", "deal_id": "deal-19ab", "merchant_id": "m-3f2a", "user_id": "u-88d0",
    "video_id": "vid-41c2", "offer_id": "offer-5e07", "notification_id": "ntf-0b9d",
    "quantity": 2, "amount_minor": 19800, "currency": "CNY",
    "voucher_valid_from": _AT, "voucher_valid_until": _AT + timedelta(days=90),
    "redeemed_by": "u-staff-12", "refunded_by": "u-88d0", "reason": None, "faces_blurred": True, "faces_found": 2,
    "slots": (_SLOT,), "slot": _SLOT, "waiting_parties": 12, "waiting_people": 31,
    "estimated_wait_minutes": 40, "kind": "queue_update", "slot_id": _SLOT.slot_id, "queue_as_of": _AT,
    "object_key": "videos/vid-41c2/raw", "size_bytes": 7340032, "content_type": "video/mp4",
    "poster_key": "videos/vid-41c2/poster.jpg", "duration_s": 14.8, "width": 720, "height": 1280,
    "visited_at": _AT,
    "detail": "",
}
_REASONS = {"SlotOffered": "purchase", "VideoRejected": "too_long", "NotificationCreated": None}


def example(cls: type[Event]) -> Event:
    fields = {name: _EXAMPLE_VALUES[name] for name in cls.model_fields if name in _EXAMPLE_VALUES}
    if "reason" in cls.model_fields:
        fields["reason"] = _REASONS[cls.__name__]
    if cls.__name__ == "NotificationCreated":
        fields.update(slots=None, seq=7, title="Dinner at 17:00: 12 parties waiting, about 30-45 min")
    if cls.__name__ == "VideoEdited":
        fields["object_key"] = "videos/vid-41c2/edited.mp4"
    if cls.__name__ == "VideoRejected":
        fields["detail"] = "The video is 14 min 2 s long; the longest we take is 10 min."
    return cls(
        event_id=uuid.UUID("0f8e2c4a-5b7d-4e1f-9a3c-6d2b8e4f1a70"), occurred_at=_AT,
        producer=_producer(cls), correlation_id="ord-7c1e", **fields,
    )


def _producer(cls: type[Event]) -> str:
    return next(t.producer for t in TOPICS if t.name == cls.topic)


def render() -> str:
    lines = [
        "# liveline's events",
        "",
        "Generated from `shared/src/liveline_shared/events/` by "
        "`python -m liveline_shared.events.docs > docs/events.md`; a test keeps it current.",
        "The JSON Schema of every event is committed in `shared/schemas/<EventType>.v<N>.json`, and",
        "the AsyncAPI 3.0 document of every topic and consumer group in `docs/asyncapi.yaml` (`make asyncapi`).",
        "",
        "## Delivery",
        "",
        "- **At least once.** Producers publish from an outbox after the fact is committed, with",
        "  Kafka's idempotent producer (`acks=all`); a crash can publish the same event again, always",
        "  with the same `event_id`. Consumers record the `event_id`s they applied and skip repeats.",
        "- **Partitioning and ordering.** Producers partition by the message key (Kafka's default",
        "  partitioner: murmur2 of the key), so every event of one key lands in one partition and",
        "  keeps its order; there is no order across keys. Partition counts are per environment",
        "  (`deploy/k8s/base/topics.yaml`, `docs/capacity.md`) and may grow, which moves keys: a",
        "  consumer must not assume a fixed partition for a key.",
        "- **Retention or compaction.** Each topic below says how long its events are kept; a",
        "  compacted topic keeps at least the latest event of every key, whatever its age.",
        "- **Compatibility.** Fields are only ever added, and added fields are optional; consumers",
        "  ignore fields they do not know. A breaking change is a new `schema_version` on a new topic",
        "  (`.v2`) published beside the old one.",
        "- **Headers** repeat `event_type`, `schema_version`, `event_id`, `correlation_id` and",
        "  `producer`, so a consumer can skip types it does not handle without parsing the body.",
        "- **Dead letters.** A consumer that cannot apply a message (it fails its contract, or keeps",
        "  failing after bounded retries) moves it, byte for byte, to `<topic>.dlq` "
        f"(1 partition, retained {DEAD_LETTER_RETENTION_MS // DAY_MS} days).",
        "- **No personal data.** Events carry ids, never phone numbers, e-mail addresses or names.",
        "",
        "Every event has the envelope fields `event_id` (UUID), `event_type`, `schema_version`,",
        "`occurred_at` (UTC, ISO 8601), `producer`, `key` (the message key), `correlation_id` and",
        "`causation_id` (the event that caused it, if any).",
        "",
        "## Topics",
        "",
        "| topic | key (partitioned by) | producer | retention | events |",
        "| --- | --- | --- | --- | --- |",
    ]
    for topic in TOPICS:
        names = ", ".join(c.__name__ for c in EVENT_TYPES if c.topic == topic.name)
        lines.append(f"| `{topic.name}` | `{topic.key}` | {topic.producer} | {_retention(topic)} | {names} |")
    for topic in TOPICS:
        lines += [
            "", f"## `{topic.name}`", "", topic.description, "",
            f"- **Key:** `{topic.key}`; every event of one `{topic.key}` is in one partition, in order.",
            f"- **Retention:** {_retention(topic)}.",
            f"- **Producer:** {topic.producer}, from its outbox; **delivery** at least once: deduplicate by",
            f"  `event_id`. Dead letters of its consumers go to `{topic.dead_letters}`.",
        ]
        for cls in (c for c in EVENT_TYPES if c.topic == topic.name):
            version = cls.model_fields["schema_version"].default
            lines += ["", f"### {cls.__name__} (v{version})", "", (cls.__doc__ or "").strip(), ""]
            lines += [f"Schema: `shared/schemas/{cls.__name__}.v{version}.json`.", ""]
            lines += ["| field | type | description |", "| --- | --- | --- |"]
            schema = cls.model_json_schema()
            for name, prop in schema["properties"].items():
                if name in Event.model_fields:
                    continue
                required = name in schema.get("required", [])
                lines.append(f"| `{name}` | {_type(prop)}{'' if required else ' (optional)'} | {prop.get('description', '')} |")
            body = json.dumps(json.loads(example(cls).to_bytes()), indent=2)
            lines += ["", "```json", body, "```"]
    return "\n".join(lines) + "\n"


def _retention(topic: Topic) -> str:
    if topic.cleanup_policy == "compact":
        return "compacted: the latest event of every key is kept"
    return f"{topic.retention_ms // DAY_MS} days"


def _type(prop: dict[str, Any]) -> str:
    if "anyOf" in prop:
        return " or ".join(_type(p) for p in prop["anyOf"] if p.get("type") != "null")
    if "$ref" in prop:
        return prop["$ref"].rsplit("/", 1)[-1]
    if "enum" in prop:
        return " \\| ".join(f"`{v}`" for v in prop["enum"])
    if prop.get("type") == "array":
        return f"list of {_type(prop.get('items', {}))}"
    if prop.get("format") == "date-time":
        return "date-time"
    return str(prop.get("type", "any"))


if __name__ == "__main__":
    print(render(), end="")
