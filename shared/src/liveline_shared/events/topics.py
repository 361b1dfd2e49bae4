"""Every Kafka topic liveline publishes on: its name, message key, retention and producer.

Topic names carry the major schema version of their contents: a breaking change to an event
goes out on a new topic (`.v2`) beside the old one, never in place.
"""

from __future__ import annotations

from dataclasses import dataclass

DAY_MS = 24 * 60 * 60 * 1000


@dataclass(frozen=True)
class Topic:
    name: str
    key: str
    producer: str
    retention_ms: int
    description: str
    cleanup_policy: str = "delete"

    @property
    def dead_letters(self) -> str:
        return f"{self.name}.dlq"


ORDERS = Topic(
    name="liveline.orders.v1",
    key="order_id",
    producer="order",
    retention_ms=30 * DAY_MS,
    description="Facts about orders: placed, redeemed, refunded. Ordered per order.",
)
SLOTS = Topic(
    name="liveline.slots.v1",
    key="order_id",
    producer="slots",
    retention_ms=30 * DAY_MS,
    description="Usage-time slot lists offered to a buyer, the slots chosen and slots missed. Ordered per order.",
)
QUEUE_TICKS = Topic(
    name="liveline.queue-ticks.v1",
    key="merchant_id",
    producer="queue-notifier",
    retention_ms=2 * DAY_MS,
    description="A merchant's queue as of each tick: on every change of its waitlist, and a heartbeat while "
    "parties wait. Ordered per merchant. An outside queue system may publish QueueTick here for a "
    "merchant instead of liveline's waitlist: key and `merchant_id` the merchant's id, `producer` its own "
    "name (anything but queue-notifier), `occurred_at` when it counted, `waiting_parties` and "
    "`waiting_people`, and the wait fields if it estimates one; the newest tick becomes the merchant's "
    "live queue, shown as stale after 10 minutes without another.",
    # Only a merchant's latest waitlist matters: compaction keeps the last tick per merchant.
    cleanup_policy="compact",
)
NOTIFICATIONS = Topic(
    name="liveline.notifications.v1",
    key="user_id",
    producer="queue-notifier",
    retention_ms=7 * DAY_MS,
    description="Pushes created for a user: queue updates, slot re-offers, video prompts. Ordered per user.",
)
VIDEOS = Topic(
    name="liveline.videos.v1",
    key="video_id",
    producer="media",
    retention_ms=30 * DAY_MS,
    description="On-site videos: uploaded, edited, rejected. Ordered per video.",
)

TOPICS: tuple[Topic, ...] = (ORDERS, SLOTS, QUEUE_TICKS, NOTIFICATIONS, VIDEOS)
DEAD_LETTER_RETENTION_MS = 30 * DAY_MS


def topic_by_name(name: str) -> Topic:
    for topic in TOPICS:
        if topic.name == name:
            return topic
    raise KeyError(name)
