"""Log context that follows a flow across services: one grep for a correlation id (or an order,
user or merchant id) finds every line of every service that touched it.

A publisher copies the correlation id into the event; a consumer binds the event's ids before
its handler runs, so every log line the handler writes carries them.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator

import structlog

from .events.envelope import Event

TRACED_IDS = ("order_id", "user_id", "merchant_id", "deal_id", "video_id", "slot_id", "notification_id")


def event_context(event: Event) -> dict[str, str]:
    context = {
        "event_id": str(event.event_id),
        "event_type": event.event_type,
        "correlation_id": event.correlation_id,
    }
    for name in _traced_fields(type(event)):
        value = getattr(event, name)
        if value is not None:
            context[name] = str(value)
    return context


@functools.cache
def _traced_fields(event_type: type[Event]) -> tuple[str, ...]:
    # Asking a pydantic model for a field it does not have raises inside it: a consumer writes a
    # line per event, so look up once per event type which of the ids it has.
    return tuple(name for name in TRACED_IDS if name in event_type.model_fields)


@contextlib.contextmanager
def bound_to_event(event: Event) -> Iterator[None]:
    """Binds the event's ids to every log line written inside the block (contextvars)."""
    with structlog.contextvars.bound_contextvars(**event_context(event)):
        yield


def current_correlation_id() -> str | None:
    """The correlation id of the flow being handled, to copy into the events it causes."""
    return structlog.contextvars.get_contextvars().get("correlation_id")
