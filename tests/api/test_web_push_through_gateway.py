"""Web Push subscriptions through the gateway, as a browser's page makes them: anyone reads the
VAPID public key; a customer subscribes the browser, lists and unsubscribes it; nobody removes
another's; a bad subscription changes nothing. (Sending: the queue-notifier's test_web_push.py.)"""

from __future__ import annotations

import base64
import os

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.api.support import assert_problem, new_customer


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def browser_subscription() -> dict:
    point = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return {"endpoint": f"https://push.example.net/wpush/v2/{b64url(os.urandom(24))}", "expirationTime": None,
            "keys": {"p256dh": b64url(point), "auth": b64url(os.urandom(16))}}


def test_a_customer_subscribes_a_browser_with_the_published_key_and_only_they_remove_it(client):
    key = client.get("/v1/push/vapid-public-key")
    assert key.status_code == 200, key.text
    point = base64.urlsafe_b64decode(key.json()["public_key"] + "==")
    assert len(point) == 65 and point[0] == 4
    alice, bob = new_customer(client), new_customer(client)
    subscription = browser_subscription()
    assert_problem(client.post("/v1/me/push-subscriptions", json=subscription), 401)
    created = client.post("/v1/me/push-subscriptions", json=subscription, headers=alice.headers)
    assert created.status_code == 201, created.text
    subscription_id = created.json()["subscription_id"]
    again = client.post("/v1/me/push-subscriptions", json=subscription, headers=alice.headers)
    assert again.status_code == 201 and again.json()["subscription_id"] == subscription_id
    bad = subscription | {"keys": {"p256dh": subscription["keys"]["p256dh"], "auth": "c2hvcnQ"}}
    assert_problem(client.post("/v1/me/push-subscriptions", json=bad, headers=bob.headers), 422, "invalid-request")
    assert client.get("/v1/me/push-subscriptions", headers=bob.headers).json() == {"subscriptions": []}
    path = f"/v1/me/push-subscriptions/{subscription_id}"
    assert_problem(client.delete(path, headers=bob.headers), 404, "push-subscription-not-found")
    mine = client.get("/v1/me/push-subscriptions", headers=alice.headers).json()["subscriptions"]
    assert [(s["subscription_id"], s["endpoint"]) for s in mine] == [(subscription_id, subscription["endpoint"])]
    assert client.delete(path, headers=alice.headers).status_code == 204
    assert client.get("/v1/me/push-subscriptions", headers=alice.headers).json() == {"subscriptions": []}
