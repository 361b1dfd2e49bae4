"""How the queue-notifier's domain errors read as problem documents: one stable slug per error."""

from __future__ import annotations

from fastapi import FastAPI

from liveline_shared.merchant_directory import MerchantDirectoryUnavailable
from liveline_shared.problems import TRY_AGAIN, UPSTREAM_UNAVAILABLE, Problem, answer_errors

from ..domain import errors

_PROBLEMS: dict[type[errors.QueueError], tuple[int, str, str]] = {
    errors.Forbidden: (403, "forbidden", "Not allowed"),
    errors.InvalidParty: (422, "invalid-party", "The party is not valid"),
    errors.InvalidPushPolicy: (422, "invalid-push-policy", "The push policy is not valid"),
    errors.NotificationNotFound: (404, "notification-not-found", "No such notification"),
    errors.OrderNotFound: (404, "order-not-found", "No such order"),
    errors.MerchantNotFound: (404, "merchant-not-found", "No such merchant"),
    errors.PartyNotFound: (404, "party-not-found", "No such party in this waitlist"),
    errors.PartyAlreadyLeft: (409, "party-already-left", "The party has left the waitlist"),
    errors.QueueBusy: (409, "queue-busy", "The waitlist changed meanwhile"),
    errors.TicketNotFound: (404, "ticket-not-found", "No ticket for this order"),
    errors.AlreadyJoined: (409, "already-joined", "The order has had its ticket"),
    errors.OutsideLeadWindow: (409, "outside-lead-window", "The line is not open to this order now"),
    errors.OrderClosed: (409, "order-closed", "The order was redeemed or refunded"),
    errors.InvalidPushSubscription: (422, "invalid-push-subscription", "The push subscription is not valid"),
    errors.PushSubscriptionNotFound: (404, "push-subscription-not-found", "No such push subscription"),
    errors.WebPushUnavailable: (503, "web-push-unavailable", "Web Push is not available"),
}


def problem_for(error: errors.QueueError) -> Problem:
    status, slug, title = next(_PROBLEMS[cls] for cls in type(error).__mro__ if cls in _PROBLEMS)
    headers = dict(TRY_AGAIN) if isinstance(error, errors.QueueBusy) else None
    quiet = isinstance(error, errors.MerchantNotFound | errors.PartyNotFound | errors.NotificationNotFound
                       | errors.OrderNotFound | errors.TicketNotFound | errors.PushSubscriptionNotFound)
    extensions = {"ticket": error.ticket} if isinstance(error, errors.AlreadyJoined) else {}
    return Problem(status, slug, title, "" if quiet else str(error), headers=headers, **extensions)


def install_queue_problems(app: FastAPI) -> None:
    answer_errors(app, errors.QueueError, problem_for)
    answer_errors(app, MerchantDirectoryUnavailable, lambda _: UPSTREAM_UNAVAILABLE)
