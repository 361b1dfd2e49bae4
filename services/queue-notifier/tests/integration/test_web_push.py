"""Web Push to browsers that subscribed: the notifier encrypts each notification for each of the
user's browsers and posts it, signed with its VAPID key, to the browser's push service. Here the
push service is a small HTTP server in the test that checks the signature against the public key
the notifier publishes and decrypts the payload with the keys a browser would have made."""

from __future__ import annotations

import base64
import json
import os
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime

import http_ece
import httpx
import pytest
from aiohttp import web
from multidict import CIMultiDict
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from liveline_shared.events import NotificationCreated
from tests.callers import customer, staff
from tests.queue_support import headers, wait_for
from tests.random_refs import database_name, suffix
from tests.service_tests import assert_problem, publish


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Browser:
    """What a browser makes when it subscribes: a P-256 key pair and a 16-byte auth secret."""

    endpoint: str
    key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    auth: bytes = field(default_factory=lambda: os.urandom(16))

    def subscription(self) -> dict:
        point = self.key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        return {"endpoint": self.endpoint, "expirationTime": None, "keys": {"p256dh": b64url(point), "auth": b64url(self.auth)}}

    def decrypt(self, body: bytes) -> dict:
        return json.loads(http_ece.decrypt(body, private_key=self.key, auth_secret=self.auth, version="aes128gcm"))


@dataclass
class Received:
    headers: CIMultiDict[str]
    body: bytes
    answered: int


class PushService:
    """A push service on a free local port: takes every POST to /push/<browser>, answers 201 or the
    statuses queued for that browser, and keeps what came."""

    def __init__(self) -> None:
        self.received: dict[str, list[Received]] = defaultdict(list)
        self.answers: dict[str, list[int]] = defaultdict(list)
        self.url = ""

    async def _push(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        queued = self.answers[name]
        status = queued.pop(0) if queued else 201
        self.received[name].append(Received(CIMultiDict(request.headers), await request.read(), status))
        return web.Response(status=status)

    def browser(self, **answers: list[int]) -> Browser:
        name = uuid.uuid4().hex
        self.answers[name] = list(answers.get("answers", []))
        return Browser(f"{self.url}/push/{name}")

    def of(self, browser: Browser) -> list[Received]:
        return self.received[browser.endpoint.rsplit("/", 1)[1]]


@pytest.fixture
async def push_service():
    service = PushService()
    app = web.Application()
    app.router.add_post("/push/{name}", service._push)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    service.url = f"http://127.0.0.1:{port}"
    try:
        yield service
    finally:
        await runner.cleanup()


def verify_vapid(received: Received, public_key: str, audience: str) -> dict:
    """The claims of the push's VAPID token (RFC 8292), after checking it is signed by `public_key`."""
    scheme, _, params = received.headers["Authorization"].partition(" ")
    assert scheme == "vapid", received.headers["Authorization"]
    parts = dict(p.strip().split("=", 1) for p in params.split(","))
    assert parts["k"] == public_key
    signing_input, _, signature = parts["t"].rpartition(".")
    raw = unb64url(signature)
    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(public_key))
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    try:
        key.verify(der, signing_input.encode(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        pytest.fail("the VAPID token is not signed with the published key")
    header, claims = (json.loads(unb64url(p)) for p in signing_input.split("."))
    assert header["alg"] == "ES256"
    assert claims["aud"] == audience and claims["exp"] > time.time() and claims["sub"].startswith("mailto:")
    return claims


def queue_update(user_id: str, **fields) -> NotificationCreated:
    order_id = uuid.uuid4().hex
    now = datetime.now(UTC)
    values = dict(
        occurred_at=now, producer="queue-notifier", notification_id=f"m-{suffix()}:dinner@x~{order_id}", user_id=user_id,
        kind="queue_update", subject="queue_update", order_id=order_id, merchant_id=f"m-{suffix()}",
        title="Noodle Bar: the queue before your dinner", waiting_parties=5, waiting_people=12, calling="A017",
        wait_low_minutes=15, wait_high_minutes=25, queue_as_of=now, moment_at=now, stale=False, late=False,
        link_path=f"/orders/{order_id}",
    )
    return NotificationCreated(**(values | fields))


def video_prompt(user_id: str) -> NotificationCreated:
    order_id = uuid.uuid4().hex
    return NotificationCreated(occurred_at=datetime.now(UTC), producer="queue-notifier",
                               notification_id=f"video-prompt~{order_id}", user_id=user_id, kind="video_prompt",
                               subject="video_prompt", order_id=order_id, merchant_id="m", link_path=f"/orders/{order_id}/video")


async def subscribe(client, caller, browser: Browser) -> str:
    response = await client.post("/users/me/push-subscriptions", json=browser.subscription(), headers=headers(caller))
    assert response.status_code == 201, response.text
    return response.json()["subscription_id"]


async def listed(client, caller) -> list[dict]:
    response = await client.get("/users/me/push-subscriptions", headers=headers(caller))
    assert response.status_code == 200, response.text
    return response.json()["subscriptions"]


async def test_a_queue_push_reaches_each_browser_signed_encrypted_and_once(client, producer, push_service):
    buyer = customer()
    phone = push_service.browser()
    laptop = push_service.browser(answers=[503])  # its push service fails once, then takes it
    phone_id = await subscribe(client, buyer, phone)
    await subscribe(client, buyer, laptop)
    assert await subscribe(client, buyer, phone) == phone_id  # the same browser again: the same subscription
    assert {s["endpoint"] for s in await listed(client, buyer)} == {phone.endpoint, laptop.endpoint}
    key = await client.get("/push/vapid-public-key", headers=headers(None))
    assert key.status_code == 200, key.text
    public_key = key.json()["public_key"]

    push = queue_update(buyer.account_id)
    again = push.model_copy(update={"event_id": uuid.uuid4()})  # the same notification in another event
    marker = video_prompt(buyer.account_id)
    # Redelivered as it is and as a new event; the marker comes after them on the user's partition.
    await publish(producer, push, push, again, marker)

    async def marker_everywhere() -> bool:
        return all(any(r.answered == 201 and b.decrypt(r.body)["notification_id"] == marker.notification_id
                       for r in push_service.of(b)) for b in (phone, laptop))

    await wait_for(marker_everywhere, deadline_s=30, what="the pushes on both browsers")
    for browser, answered in ((phone, [201, 201]), (laptop, [503, 201, 201])):
        received = push_service.of(browser)
        assert [r.answered for r in received] == answered
        payloads = [browser.decrypt(r.body) for r in received]
        assert [p["notification_id"] for p in payloads] == [push.notification_id] * (len(answered) - 1) + [marker.notification_id]
        shown = payloads[-2]
        assert shown["title"] == "Noodle Bar: the queue before your dinner"
        assert shown["body"] == "12 people waiting (5 parties), calling A017, wait about 15–25 min."
        assert shown["link_path"] == push.link_path
        first = received[-2]
        assert first.headers["Urgency"] == "high" and 0 < int(first.headers["TTL"]) <= 600
        assert first.headers["Content-Encoding"] == "aes128gcm" and first.headers.get("Topic")
        verify_vapid(first, public_key, push_service.url)
        assert received[-1].headers["Urgency"] == "normal"


async def test_a_browser_whose_push_service_says_gone_is_unsubscribed(client, producer, push_service):
    buyer = customer()
    gone = push_service.browser(answers=[410])
    await subscribe(client, buyer, gone)
    await publish(producer, queue_update(buyer.account_id))

    async def unsubscribed() -> bool:
        return not await listed(client, buyer)

    await wait_for(unsubscribed, deadline_s=30, what="the gone subscription removed")
    assert [r.answered for r in push_service.of(gone)] == [410]


async def test_nobody_sees_or_removes_another_users_subscription(client, push_service):
    alice, bob = customer(), customer()
    alices = await subscribe(client, alice, push_service.browser())
    refused = await client.delete(f"/users/me/push-subscriptions/{alices}", headers=headers(bob))
    assert_problem(refused, 404, "push-subscription-not-found")
    assert await listed(client, bob) == []
    host = staff(f"m-{suffix()}")
    assert_problem(await client.post("/users/me/push-subscriptions", json=push_service.browser().subscription(),
                                     headers=headers(host)), 403, "forbidden")
    assert [s["subscription_id"] for s in await listed(client, alice)] == [alices]
    assert (await client.delete(f"/users/me/push-subscriptions/{alices}", headers=headers(alice))).status_code == 204
    assert await listed(client, alice) == []


async def test_bad_subscriptions_are_refused_and_nothing_is_stored(client, db, push_service):
    buyer = customer()
    good = push_service.browser().subscription()
    not_on_the_curve = b64url(b"\x04" + b"\x01" * 64)
    bad_bodies = [
        good | {"endpoint": "not a url"},
        good | {"endpoint": "ftp://push.example.net/x"},
        good | {"keys": {"p256dh": good["keys"]["p256dh"][:-4], "auth": good["keys"]["auth"]}},
        good | {"keys": {"p256dh": "!" * 87, "auth": good["keys"]["auth"]}},
        good | {"keys": {"p256dh": good["keys"]["p256dh"], "auth": b64url(os.urandom(15))}},
        {"endpoint": good["endpoint"]},
        good | {"unexpected": 1},
    ]
    for body in bad_bodies:
        answer = await client.post("/users/me/push-subscriptions", json=body, headers=headers(buyer))
        assert_problem(answer, 422, "invalid-request")
    off_curve = good | {"keys": {"p256dh": not_on_the_curve, "auth": good["keys"]["auth"]}}
    answer = await client.post("/users/me/push-subscriptions", json=off_curve, headers=headers(buyer))
    assert_problem(answer, 422, "invalid-push-subscription")
    assert await listed(client, buyer) == []
    assert await db["push_subscribers"].find_one({"_id": buyer.account_id}) is None


async def test_in_production_only_public_https_push_services_are_taken_and_without_a_key_none_is_offered(
    another_queue_process, push_service
):
    buyer = customer()
    process = another_queue_process(database_name("queue_webpush_prod"), "webpush-production", f"test-{suffix()}-",
                                    LIVELINE_QUEUE_NOTIFIER_ENVIRONMENT="production",
                                    LIVELINE_QUEUE_NOTIFIER_VAPID_PRIVATE_KEY="")
    with process.running():
        async with httpx.AsyncClient(base_url=process.url, timeout=30) as http:
            no_key = await http.get("/push/vapid-public-key", headers=headers(None))
            assert_problem(no_key, 503, "web-push-unavailable")
            browser = push_service.browser()
            for endpoint in (browser.endpoint, "https://127.0.0.1/push/x", "https://localhost/push/x"):
                body = browser.subscription() | {"endpoint": endpoint}
                refused = await http.post("/users/me/push-subscriptions", json=body, headers=headers(buyer))
                assert_problem(refused, 422, "invalid-push-subscription")
            public = browser.subscription() | {"endpoint": "https://push.example.net/wpush/v2/abc"}
            assert (await http.post("/users/me/push-subscriptions", json=public, headers=headers(buyer))).status_code == 201
            answer = await http.get("/users/me/push-subscriptions", headers=headers(buyer))
            assert [s["endpoint"] for s in answer.json()["subscriptions"]] == [public["endpoint"]]
