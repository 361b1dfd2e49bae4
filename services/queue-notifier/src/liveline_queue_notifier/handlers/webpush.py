"""Web Push: a customer's browsers subscribe (their push service's endpoint and keys), list and
unsubscribe; every NotificationCreated for a user is pushed once to each of their browsers, so a
phone shows it with the page closed.

Exactly once per browser, as far as a push service allows: a push is recorded under
`<subscription>~<notification>` **after** its push service accepted it. A redelivered event, or a
retry after another browser of the same user failed, skips the browsers recorded already. A crash
between the push service's answer and the record sends that one push again on redelivery
(at-least-once; recording before sending would lose it instead). Queue updates carry a `Topic`, so
a push service still holding an earlier one for an offline phone replaces it rather than adding.
"""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol
from urllib.parse import urlsplit

import structlog
from cryptography.hazmat.primitives.asymmetric import ec

from liveline_shared.callers import Caller
from liveline_shared.contracts.webpush import PushSubscriptionIn, b64url_decode
from liveline_shared.events import NotificationCreated

from ..adapters.webpush import Push, PushSubscriptionsRepository, payload_bytes, subscription_id
from ..domain.errors import Forbidden, InvalidPushSubscription, PushSubscriptionNotFound, WebPushUnavailable
from .dependencies import Dependencies

log = structlog.get_logger(__name__)

# A user's browsers beyond this many: the oldest subscriptions are dropped (browsers renew
# endpoints, and an abandoned one is only noticed when its push service answers 410).
MAX_SUBSCRIPTIONS_PER_USER = 10
# Notifications other than queue updates stay useful for a day at a push service.
OTHER_TTL = timedelta(days=1)
# What a push service answers for a subscription that no longer exists.
GONE = frozenset({404, 410})
# Answers that will not change on a retry (a malformed or refused push): logged, not retried.
REFUSED = frozenset({400, 401, 403, 413})

_TITLES = {
    "queue_update": "The queue before your visit",
    "slot_reoffer": "You missed your visit — pick a new time",
    "video_prompt": "Thanks for visiting — record a short video of it",
    "video_edited": "Your video is online",
    "video_rejected": "Your video could not be used",
}


class PushSender(Protocol):
    public_key: str

    async def send(self, push: Push) -> int: ...


@dataclass
class WebPush:
    """The Web Push part of the queue-notifier's dependencies (bootstrap.py)."""

    subscriptions: PushSubscriptionsRepository
    sender: PushSender | None  # None: no VAPID key configured, nothing is sent
    production: bool
    queue_ttl: timedelta = timedelta(minutes=10)


class PushServiceFailed(Exception):
    """A push service answered with an error worth retrying (429, 5xx) or not at all."""


def _of(deps: Dependencies) -> WebPush:
    assert deps.web_push is not None, "bootstrap.py sets the Web Push dependencies"
    return deps.web_push


def vapid_public_key(deps: Dependencies) -> str:
    web_push = _of(deps)
    if web_push.sender is None:
        raise WebPushUnavailable("Web Push is not configured on this server (no VAPID key); "
                                 "set LIVELINE_QUEUE_NOTIFIER_VAPID_PRIVATE_KEY")
    return web_push.sender.public_key


def _customer(caller: Caller | None) -> Caller:
    if caller is None or caller.is_admin or caller.role == "staff":
        raise Forbidden("only a buyer subscribes to pushes")
    return caller


def _refuse_in_production(endpoint: str) -> None:
    """In production a push service is a public HTTPS service: not plain HTTP, and not an address
    inside our own network (the notifier would post to whatever a caller names)."""
    parts = urlsplit(endpoint)
    if parts.scheme != "https":
        raise InvalidPushSubscription("the endpoint must be an https:// URL")
    host = (parts.hostname or "").lower()
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        if host == "localhost" or host.endswith((".localhost", ".local", ".internal")) or "." not in host:
            raise InvalidPushSubscription("the endpoint must be a public push service") from None
        return
    if not address.is_global:
        raise InvalidPushSubscription("the endpoint must be a public push service")


async def subscribe(caller: Caller | None, body: PushSubscriptionIn, deps: Dependencies) -> str:
    """Stores the caller's browser subscription; the same endpoint again answers the same id."""
    user_id = _customer(caller).account_id
    web_push = _of(deps)
    if web_push.production:
        _refuse_in_production(body.endpoint)
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64url_decode(body.keys.p256dh))
    except ValueError:
        raise InvalidPushSubscription("keys.p256dh is not a point on the P-256 curve") from None
    sid = subscription_id(body.endpoint)
    now = deps.now()
    await web_push.subscriptions.save({
        "_id": sid, "user_id": user_id, "endpoint": body.endpoint, "p256dh": body.keys.p256dh, "auth": body.keys.auth,
        "expiration_time": body.expiration_time, "created_at": now, "updated_at": now,
    })
    listed = await web_push.subscriptions.listed(user_id)
    if len(listed) > MAX_SUBSCRIPTIONS_PER_USER:
        for oldest in listed[:-MAX_SUBSCRIPTIONS_PER_USER]:
            await web_push.subscriptions.delete(oldest, user_id)
    return sid


async def subscriptions_of(caller: Caller | None, deps: Dependencies) -> list[dict[str, Any]]:
    return await _of(deps).subscriptions.of_user(_customer(caller).account_id)


async def unsubscribe(caller: Caller | None, subscription_id_: str, deps: Dependencies) -> None:
    user_id = _customer(caller).account_id
    if not await _of(deps).subscriptions.delete(subscription_id_, user_id):
        raise PushSubscriptionNotFound(subscription_id_)


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def push_body(event: NotificationCreated) -> str:
    """One or two short lines a phone shows under the title."""
    subject = event.subject or event.kind
    if event.kind == "queue_update" and event.waiting_people is not None:
        people = f"{event.waiting_people} {'person' if event.waiting_people == 1 else 'people'}"
        parties = event.waiting_parties if event.waiting_parties is not None else 0
        parts = [f"{people} waiting ({parties} {'party' if parties == 1 else 'parties'})"]
        if event.calling:
            parts.append(f"calling {event.calling}")
        if event.wait_low_minutes is not None and event.wait_high_minutes is not None and parties:
            parts.append(f"wait about {event.wait_low_minutes}–{event.wait_high_minutes} min")
        text = ", ".join(parts) + "."
        if event.stale:
            text += " These figures are not current."
        elif event.late:
            text += " Sent late."
        return text
    if event.position is not None and event.ticket:
        if event.position == 0:
            return f"Your ticket {event.ticket} is being called."
        return f"Your ticket {event.ticket} is {_ordinal(event.position)} in line."
    return {
        "slot_reoffer": "Pick a new time for your visit.",
        "video_prompt": "Tap to record and upload a short video of your visit.",
        "video_edited": "Other buyers can watch it now.",
        "video_rejected": "Tap to see why.",
    }.get(subject, "Tap to open.")


def _about_the_queue(event: NotificationCreated) -> bool:
    """Queue figures and the caller's place in line: urgent, and stale within minutes."""
    return event.kind == "queue_update" or event.subject in ("queue_position", "queue_called")


def _replaces_the_previous(event: NotificationCreated) -> bool:
    """A newer queue update (or place in line) of an order makes the previous one worthless."""
    return event.kind == "queue_update" or event.subject == "queue_position"


def push_payload(event: NotificationCreated) -> dict[str, Any]:
    """What the service worker gets (`event.data.json()`): it shows `title` and `body` and opens
    `link_path` on a tap; `tag` lets a newer queue update replace the shown one."""
    subject = event.subject or event.kind
    return {
        "title": event.title or _TITLES.get(subject, "liveline"),
        "body": push_body(event),
        "link_path": event.link_path,
        "notification_id": event.notification_id,
        "tag": f"order-{event.order_id}" if _replaces_the_previous(event) else event.notification_id,
    }


async def push_notification(event: NotificationCreated, deps: Dependencies) -> None:
    """Pushes the notification to each of its user's browsers that has not had it yet. Browsers
    are tried together; a gone one is deleted; if one fails in a way worth retrying, the others
    are recorded and PushServiceFailed is raised, so the consumer tries again (only that one)."""
    web_push = _of(deps)
    if web_push.sender is None:
        return
    ttl = web_push.queue_ttl if _about_the_queue(event) else OTHER_TTL
    if deps.now() - event.occurred_at > ttl:
        log.info("web_push_skipped_expired", notification_id=event.notification_id)
        return
    subscriptions = await web_push.subscriptions.of_user(event.user_id)
    if not subscriptions:
        return
    payload = payload_bytes(push_payload(event))
    urgency = "high" if _about_the_queue(event) else "normal"
    # Topic: at most 32 base64url characters (RFC 8030).
    topic = hashlib.sha256(event.order_id.encode()).hexdigest()[:32] if _replaces_the_previous(event) else None
    age = int((deps.now() - event.occurred_at).total_seconds())
    push_ttl = max(int(ttl.total_seconds()) - max(age, 0), 0)
    outcomes = await asyncio.gather(*(
        _push_once(sub, event, Push(sub["endpoint"], sub["p256dh"], sub["auth"], payload, push_ttl, urgency, topic), deps)
        for sub in subscriptions
    ), return_exceptions=True)
    failures = [o for o in outcomes if isinstance(o, BaseException)]
    if failures:
        # A database error is retried by the consumer as such; a push service's as a handler failure.
        raise next((f for f in failures if not isinstance(f, PushServiceFailed)), failures[0])


async def _push_once(sub: dict[str, Any], event: NotificationCreated, push: Push, deps: Dependencies) -> None:
    web_push = _of(deps)
    assert web_push.sender is not None
    delivery_id = f"{sub['_id']}~{event.notification_id}"
    if await web_push.subscriptions.delivered(delivery_id):
        return
    expires = sub.get("expiration_time")
    if expires is not None and expires <= deps.now().timestamp() * 1000:
        await web_push.subscriptions.delete(sub["_id"], sub["user_id"])
        log.info("web_push_subscription_expired", subscription_id=sub["_id"])
        return
    try:
        status = await web_push.sender.send(push)
    except Exception as error:  # the push service unreachable or too slow
        log.warning("web_push_failed", subscription_id=sub["_id"], error=str(error))
        raise PushServiceFailed(str(error)) from error
    if status in GONE:
        await web_push.subscriptions.delete(sub["_id"], sub["user_id"])
        log.info("web_push_subscription_gone", subscription_id=sub["_id"], status=status)
        return
    if status in REFUSED:
        # A key mismatch (the VAPID key was rotated) or a payload the service will never take.
        log.warning("web_push_refused", subscription_id=sub["_id"], status=status)
        await web_push.subscriptions.record_delivery(delivery_id, "refused", status, deps.now())
        return
    if status >= 300:
        log.warning("web_push_failed", subscription_id=sub["_id"], status=status)
        raise PushServiceFailed(f"push service answered {status}")
    await web_push.subscriptions.record_delivery(delivery_id, "sent", status, deps.now())
