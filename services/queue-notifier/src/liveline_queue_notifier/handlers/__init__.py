"""The queue-notifier's use cases: one async function per command or event, each given the
service's dependencies (built in bootstrap.py) and, for a command, the caller. One module per
resource: the waitlist (host stand), the live state and its QueueTicks, the busyness history,
the push subscriptions and policy, the push scheduler, users' inboxes, and tickets of buyers
who joined a waitlist from a push."""

from .busyness import busyness_of, record_tick_history
from .dependencies import Dependencies
from .inbox import InboxPage, inbox_of, mark_read, notifications_after, push_reoffer, push_video_outcome
from .live import heartbeat, live_state_of, record_external_tick
from .scheduler import run_due
from .subscriptions import mute_order, push_policy_of, set_push_policy, stop_pushes, subscribe_choice
from .tickets import Ticket, cancel_ticket, close_ticket, join_queue, tell_positions, ticket_of
from .waitlist import AddParty, add_party, change_party, waitlist_of
from .webpush import push_notification

__all__ = [
    "AddParty", "Dependencies", "InboxPage", "Ticket", "add_party", "busyness_of", "cancel_ticket", "change_party",
    "close_ticket", "heartbeat", "inbox_of", "join_queue", "live_state_of", "mark_read", "mute_order",
    "notifications_after", "push_notification", "push_policy_of", "push_reoffer", "push_video_outcome",
    "record_external_tick", "record_tick_history", "run_due", "set_push_policy", "stop_pushes", "subscribe_choice",
    "tell_positions", "ticket_of", "waitlist_of",
]
