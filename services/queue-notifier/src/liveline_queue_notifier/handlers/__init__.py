"""The queue-notifier's use cases: one async function per command or event, each given the
service's dependencies (built in bootstrap.py) and, for a command, the caller. One module per
resource: the waitlist (host stand), the live state and its QueueTicks, and the busyness history."""

from .busyness import busyness_of, record_tick_history
from .dependencies import Dependencies
from .live import heartbeat, live_state_of, record_external_tick
from .waitlist import AddParty, add_party, change_party, waitlist_of

__all__ = [
    "AddParty", "Dependencies", "add_party", "busyness_of", "change_party", "heartbeat", "live_state_of",
    "record_external_tick", "record_tick_history", "waitlist_of",
]
