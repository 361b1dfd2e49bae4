"""liveline's integration events: the contracts (catalog), their envelope and their topics."""

from .catalog import (
    EVENT_TYPES,
    NotificationCreated,
    OrderPlaced,
    OrderRedeemed,
    OrderRefunded,
    PredictedWait,
    QueueTick,
    SlotChosen,
    SlotMissed,
    SlotOffered,
    SlotWindow,
    UnknownEventType,
    VideoEdited,
    VideoRejected,
    VideoUploaded,
    event_class,
    parse_event,
)
from .envelope import Event
from .topics import TOPICS, Topic

__all__ = [
    "EVENT_TYPES", "Event", "NotificationCreated", "OrderPlaced", "OrderRedeemed", "OrderRefunded", "PredictedWait",
    "QueueTick", "SlotChosen", "SlotMissed", "SlotOffered", "SlotWindow", "TOPICS", "Topic",
    "UnknownEventType", "VideoEdited", "VideoRejected", "VideoUploaded", "event_class", "parse_event",
]
