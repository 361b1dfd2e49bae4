"""The queue-notifier's HTTP contract for Web Push: the server's VAPID public key (what a browser
passes as `applicationServerKey` to `pushManager.subscribe()`), and a user's push subscriptions,
sent as the browser's `PushSubscription.toJSON()`.

The shape of a subscription is checked here (the gateway refuses a bad one before relaying it);
whether its push service must be HTTPS depends on where the queue-notifier runs and is its call.
"""

from __future__ import annotations

import base64
import binascii
import re
from urllib.parse import urlsplit

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

# A P-256 public key as a browser gives it: the uncompressed point (0x04, x, y).
P256DH_BYTES = 65
# The authentication secret a browser makes for each subscription (RFC 8291).
AUTH_SECRET_BYTES = 16
ENDPOINT_MAX_CHARS = 1024
_BASE64URL = re.compile(r"^[A-Za-z0-9_-]+={0,2}$")
# What the validators below accept, as the OpenAPI document states it: base64url of 65 bytes
# starting 0x04 ("B" then A-P), of 16 bytes, and an http(s) URL with a host name and no user part.
P256DH_PATTERN = "^B[A-P][A-Za-z0-9_-]{85}=?$"
AUTH_PATTERN = "^[A-Za-z0-9_-]{22}(==)?$"
ENDPOINT_PATTERN = r"^https?://[^\s/?#@:\[\]]+(:[0-9]{1,5})?([/?#]\S*)?$"


def b64url_decode(value: str) -> bytes:
    """Base64url with or without padding, as browsers and push libraries write it; ValueError otherwise."""
    if not _BASE64URL.match(value):
        raise ValueError("is not base64url")
    try:
        return base64.urlsafe_b64decode(value.rstrip("=") + "=" * (-len(value.rstrip("=")) % 4))
    except (binascii.Error, ValueError) as error:
        raise ValueError("is not base64url") from error


def b64url_encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class VapidPublicKeyOut(BaseModel):
    public_key: str = Field(description="The server's VAPID public key: the uncompressed P-256 point, base64url "
                                        "without padding. Pass it as `applicationServerKey` to `pushManager.subscribe()`.")


class PushSubscriptionKeysIn(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # The patterns state for the document what the validators check; the validators say why.
    p256dh: str = Field(max_length=128, description="The browser's P-256 public key (uncompressed point), base64url.",
                        json_schema_extra={"pattern": P256DH_PATTERN})
    auth: str = Field(max_length=64, description="The browser's 16-byte authentication secret, base64url.",
                      json_schema_extra={"pattern": AUTH_PATTERN})

    @field_validator("p256dh")
    @classmethod
    def _a_p256_point(cls, value: str) -> str:
        raw = b64url_decode(value)
        if len(raw) != P256DH_BYTES or raw[0] != 0x04 or not re.match(P256DH_PATTERN, value):
            raise ValueError(f"must be an uncompressed P-256 point ({P256DH_BYTES} bytes starting 0x04)")
        return value

    @field_validator("auth")
    @classmethod
    def _sixteen_bytes(cls, value: str) -> str:
        if len(b64url_decode(value)) != AUTH_SECRET_BYTES or not re.match(AUTH_PATTERN, value):
            raise ValueError(f"must be {AUTH_SECRET_BYTES} bytes")
        return value


class PushSubscriptionIn(BaseModel):
    """What `PushSubscription.toJSON()` gives in a browser."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    endpoint: str = Field(max_length=ENDPOINT_MAX_CHARS, description="The push service's URL for this browser "
                                                                     "(HTTPS where the service runs in production).",
                          json_schema_extra={"pattern": ENDPOINT_PATTERN})
    keys: PushSubscriptionKeysIn
    expiration_time: int | None = Field(default=None, alias="expirationTime", ge=0,
                                        description="When the subscription ends, in milliseconds since 1970 (usually null).")

    @field_validator("endpoint")
    @classmethod
    def _an_absolute_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("https", "http") or not parts.hostname or not re.match(ENDPOINT_PATTERN, value):
            raise ValueError("must be an absolute http(s) URL")
        return value


class PushSubscriptionCreatedOut(BaseModel):
    subscription_id: str = Field(description="The same for the same endpoint: subscribing again answers it again.")


class PushSubscriptionOut(BaseModel):
    subscription_id: str
    endpoint: str
    expiration_time: int | None
    created_at: AwareDatetime


class PushSubscriptionsOut(BaseModel):
    subscriptions: list[PushSubscriptionOut] = Field(description="The caller's subscriptions, oldest first.")
