"""What the queue-notifier refuses, in the domain's words (api/problems.py gives each its HTTP form)."""

from __future__ import annotations


class QueueError(Exception):
    """The base of every refusal the queue-notifier explains to its caller."""


class Forbidden(QueueError):
    """The caller may not run this merchant's waitlist."""


class InvalidParty(QueueError):
    """A party's size or details break a rule."""


class MerchantNotFound(QueueError):
    pass


class PartyNotFound(QueueError):
    """No such party in this merchant's waitlist today."""


class PartyAlreadyLeft(QueueError):
    """The party was seated, marked no-show or cancelled already."""

    def __init__(self, ticket: str, outcome: str) -> None:
        super().__init__(f"party {ticket} was already {outcome.replace('_', '-')}")
        self.outcome = outcome


class QueueBusy(QueueError):
    """Too many changes to this waitlist at once; the change was not made. Try again."""


class MerchantDirectoryUnavailable(ConnectionError, QueueError):
    """The order service, which knows merchants' time zones, did not answer. A ConnectionError,
    so a consumer retries the event later instead of dead-lettering it."""


class InvalidPushPolicy(QueueError):
    """A push policy's lead time or cadence is out of range."""


class NotificationNotFound(QueueError):
    """No such notification in the caller's inbox (another user's is not told apart)."""


class OrderNotFound(QueueError):
    """No pushes are known for this order of the caller's (another user's is not told apart)."""


class AlreadyJoined(QueueError):
    """The order had a ticket already (one per order), whose record the waitlist no longer keeps."""

    def __init__(self, ticket: str) -> None:
        super().__init__(f"the order had ticket {ticket} and cannot join again")
        self.ticket = ticket


class OutsideLeadWindow(QueueError):
    """Joining from a push is open from the lead time before one of the order's chosen slots
    until that slot ends; now is outside every such window (or no slot is chosen)."""


class OrderClosed(QueueError):
    """The order was redeemed or refunded: its voucher cannot join a queue any more."""


class TicketNotFound(QueueError):
    """The caller's order has no ticket in a waitlist (another user's is not told apart)."""


class InvalidPushSubscription(QueueError):
    """A browser's push subscription is not one the notifier will post to."""


class PushSubscriptionNotFound(QueueError):
    """No such push subscription of the caller's (another user's is not told apart)."""


class WebPushUnavailable(QueueError):
    """Web Push is not configured here (no VAPID key)."""
