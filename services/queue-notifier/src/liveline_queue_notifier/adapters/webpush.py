"""Web Push: browsers' push subscriptions in the queue-notifier's database (every read and write
by `_id`), and the sender that encrypts a payload for one browser and posts it to its push service.

* `push_subscriptions` — `_id` = the subscription id (a hash of the endpoint, so the same browser
  subscribing again finds its document): the user, the endpoint, the browser's keys.
* `push_subscribers` — `_id` = user id: the user's subscription ids, oldest first. An id listed
  here whose document names another user (the browser was handed on) or is gone is skipped.
* `push_deliveries` — `_id` = `<subscription>~<notification id>`: written once a push service
  accepted the push, so a redelivered notification is not sent to that browser again.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import pymongo
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError
from pywebpush import WebPusher

from liveline_shared.contracts.webpush import b64url_decode, b64url_encode

SUBSCRIPTIONS = "push_subscriptions"
SUBSCRIBERS = "push_subscribers"
DELIVERIES = "push_deliveries"


def subscription_id(endpoint: str) -> str:
    return hashlib.sha256(endpoint.encode()).hexdigest()[:32]


class PushSubscriptionsRepository:
    def __init__(self, db: AsyncDatabase, timeout_s: float) -> None:
        self._subscriptions = db[SUBSCRIPTIONS]
        self._subscribers = db[SUBSCRIBERS]
        self._deliveries = db[DELIVERIES]
        self._timeout_s = timeout_s

    async def save(self, document: dict[str, Any]) -> None:
        """Stores the subscription under its `_id`, or takes over the one stored for the same
        endpoint (new keys; a new user when the browser was handed on), then lists it for its user."""
        with pymongo.timeout(self._timeout_s):
            try:
                await self._subscriptions.insert_one(document)
            except DuplicateKeyError:
                fields = {k: v for k, v in document.items() if k not in ("_id", "created_at")}
                await self._subscriptions.update_one({"_id": document["_id"]}, {"$set": fields})
            try:
                await self._subscribers.insert_one({"_id": document["user_id"], "ids": [document["_id"]]})
            except DuplicateKeyError:
                await self._subscribers.update_one({"_id": document["user_id"]}, {"$addToSet": {"ids": document["_id"]}})

    async def listed(self, user_id: str) -> list[str]:
        with pymongo.timeout(self._timeout_s):
            index = await self._subscribers.find_one({"_id": user_id})
        return list((index or {}).get("ids", []))

    async def of_user(self, user_id: str) -> list[dict[str, Any]]:
        """The user's subscriptions, oldest first (ids listed for them whose document is another's are skipped)."""
        ids = await self.listed(user_id)
        with pymongo.timeout(self._timeout_s):
            found = await asyncio.gather(*(self._subscriptions.find_one({"_id": sid}) for sid in ids))
        return [doc for doc in found if doc is not None and doc["user_id"] == user_id]

    async def get(self, subscription_id: str) -> dict[str, Any] | None:
        with pymongo.timeout(self._timeout_s):
            return await self._subscriptions.find_one({"_id": subscription_id})

    async def unlist(self, user_id: str, ids: list[str]) -> None:
        with pymongo.timeout(self._timeout_s):
            await self._subscribers.update_one({"_id": user_id}, {"$pull": {"ids": {"$in": ids}}})

    async def delete(self, subscription_id: str, user_id: str) -> bool:
        """Deletes the user's subscription (False if it is not theirs or is gone), then unlists it."""
        with pymongo.timeout(self._timeout_s):
            result = await self._subscriptions.delete_one({"_id": subscription_id, "user_id": user_id})
        await self.unlist(user_id, [subscription_id])
        return result.deleted_count == 1

    async def delivered(self, delivery_id: str) -> bool:
        with pymongo.timeout(self._timeout_s):
            return await self._deliveries.find_one({"_id": delivery_id}) is not None

    async def record_delivery(self, delivery_id: str, outcome: str, status: int, at: datetime) -> None:
        with pymongo.timeout(self._timeout_s):
            try:
                await self._deliveries.insert_one({"_id": delivery_id, "outcome": outcome, "status": status, "at": at})
            except DuplicateKeyError:
                pass


def load_vapid_key(text: str) -> ec.EllipticCurvePrivateKey:
    """A P-256 private key from PEM, or base64url of the raw 32-byte scalar or of DER."""
    text = text.strip()
    if text.startswith("-----BEGIN"):
        key = serialization.load_pem_private_key(text.encode(), password=None)
    else:
        raw = b64url_decode("".join(text.split()))
        if len(raw) == 32:
            key = ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())
        else:
            key = serialization.load_der_private_key(raw, password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise ValueError("the VAPID key must be a P-256 (prime256v1) private key")
    return key


@dataclass(frozen=True)
class Push:
    """One encrypted push for one browser."""

    endpoint: str
    p256dh: str
    auth: str
    payload: bytes
    ttl_s: int
    urgency: str
    topic: str | None


class PushServiceError(Exception):
    """The push service could not be reached or did not answer in time. Not an infrastructure
    error of ours: the consumer retries it a bounded number of times, then dead-letters it."""


class WebPushSender:
    """Signs (VAPID, RFC 8292), encrypts (aes128gcm, RFC 8291) and posts pushes with pywebpush's
    asyncio support, over one aiohttp session made on first use."""

    def __init__(self, private_key: str, subject: str, timeout_s: float) -> None:
        try:
            self._vapid = Vapid02(load_vapid_key(private_key))
        except ValueError as error:
            raise ValueError(f"LIVELINE_QUEUE_NOTIFIER_VAPID_PRIVATE_KEY is not usable: {error}") from None
        self._subject = subject
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._session: aiohttp.ClientSession | None = None
        # A VAPID token per push service origin, reused until an hour before it expires.
        self._tokens: dict[str, tuple[int, dict[str, str]]] = {}
        self.public_key = b64url_encode(self._vapid.public_key.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint))

    def _authorization(self, endpoint: str) -> dict[str, str]:
        parts = urlsplit(endpoint)
        audience = f"{parts.scheme}://{parts.netloc}"
        now = int(time.time())
        cached = self._tokens.get(audience)
        if cached is None or cached[0] - now < 3600:
            expires = now + 12 * 3600
            cached = (expires, self._vapid.sign({"aud": audience, "sub": self._subject, "exp": expires}))
            self._tokens[audience] = cached
        return dict(cached[1])

    async def send(self, push: Push) -> int:
        """The push service's HTTP status (201 accepted; 404/410 the subscription is gone)."""
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        headers = {**self._authorization(push.endpoint), "Urgency": push.urgency}
        if push.topic:
            headers["Topic"] = push.topic
        pusher = WebPusher({"endpoint": push.endpoint, "keys": {"p256dh": push.p256dh, "auth": push.auth}},
                           aiohttp_session=self._session)
        try:
            response = await pusher.send_async(push.payload, headers, ttl=push.ttl_s, content_encoding="aes128gcm",
                                               timeout=self._timeout)
        except (aiohttp.ClientError, TimeoutError) as error:
            raise PushServiceError(f"{type(error).__name__}: {error}") from None
        assert isinstance(response, aiohttp.ClientResponse)
        return response.status

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


def payload_bytes(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
