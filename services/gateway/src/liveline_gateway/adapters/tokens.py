"""Access tokens (short-lived signed JWTs) and refresh tokens (opaque, rotating, stored hashed).

An access token is checked by its signature alone, so no request needs a database read to know
its caller; that is why it lives only minutes. A refresh token is a random string the gateway
stores only as a SHA-256 hash. Each use marks it used and hands out a successor in the same
family; a second use of the same token means someone else has a copy, so the whole family
(every session descended from that login) is revoked.

Nothing lives forever: a token, used or not, is purged once it expires, and a family once its
newest token has (its `expires_at` follows that token's), since nothing can refer to it then.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt
import pymongo
import structlog
from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase

from liveline_shared.callers import ROLES, Caller
from liveline_shared.clock import Clock

from ..domain.errors import InvalidToken, RefreshTokenReused, TokenExpired

ALGORITHM = "HS256"
ISSUER = "liveline-gateway"
TOKENS = "refresh_tokens"
FAMILIES = "refresh_token_families"

log = structlog.get_logger(__name__)


def signing_key(secret: str) -> bytes:
    """A 32-byte HMAC key derived from the configured secret, used for access tokens only."""
    return hmac.new(secret.encode(), b"liveline access tokens v1", hashlib.sha256).digest()


class AccessTokens:
    def __init__(self, secret: str, ttl: timedelta, clock: Clock) -> None:
        self._key = signing_key(secret)
        self.ttl = ttl
        self._clock = clock

    def issue(self, caller: Caller) -> str:
        now = self._clock.now()
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "sub": caller.account_id,
            "role": caller.role,
            "merchant_id": caller.merchant_id,
            "iat": int(now.timestamp()),
            "exp": int((now + self.ttl).timestamp()),
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, self._key, algorithm=ALGORITHM)

    def caller(self, token: str) -> Caller:
        """The caller the token names; InvalidToken or TokenExpired when it cannot be trusted."""
        try:
            # Expiry is checked below against our Clock, so tests can move time.
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],
                issuer=ISSUER,
                options={"require": ["iss", "sub", "role", "iat", "exp", "jti"], "verify_exp": False},
            )
        except jwt.PyJWTError as error:
            raise InvalidToken(str(error)) from None
        if not isinstance(claims["exp"], int) or claims["exp"] <= self._clock.now().timestamp():
            raise TokenExpired("the access token has expired")
        if claims["role"] not in ROLES or not isinstance(claims["sub"], str):
            raise InvalidToken("unknown role or subject")
        return Caller(account_id=claims["sub"], role=claims["role"], merchant_id=claims.get("merchant_id"))


def hash_refresh_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class RefreshGrant:
    """What a valid refresh token was issued for."""

    account_id: str
    family_id: str


class RefreshTokens:
    """The refresh tokens: a document per token (by hash) and one per family (its revocation)."""

    def __init__(self, db: AsyncDatabase, ttl: timedelta, clock: Clock, timeout_s: float) -> None:
        self._tokens = db[TOKENS]
        self._families = db[FAMILIES]
        self.ttl = ttl
        self._clock = clock
        self._timeout_s = timeout_s

    async def ensure_indexes(self) -> None:
        with pymongo.timeout(self._timeout_s):
            await self._tokens.create_index("family_id", name="family")
            await self._tokens.create_index("expires_at", name="expires")
            await self._families.create_index("expires_at", name="expires")

    async def purge_expired(self) -> dict[str, int]:
        """Deletes expired tokens, and the families whose newest token has expired."""
        now = self._clock.now()
        with pymongo.timeout(self._timeout_s):
            tokens = await self._tokens.delete_many({"expires_at": {"$lte": now}})
            families = await self._families.delete_many({"expires_at": {"$lte": now}})
        return {"refresh_tokens": tokens.deleted_count, "refresh_token_families": families.deleted_count}

    async def start_family(self, account_id: str) -> str:
        """A new family (one login session) and its first refresh token."""
        family_id = uuid.uuid4().hex
        now = self._clock.now()
        with pymongo.timeout(self._timeout_s):
            await self._families.insert_one(
                {
                    "_id": family_id, "account_id": account_id, "created_at": now, "revoked_at": None,
                    "expires_at": now + self.ttl,
                }
            )
        return await self._issue(RefreshGrant(account_id, family_id))

    async def rotate(self, token: str) -> tuple[RefreshGrant, str]:
        """Uses `token` up and returns what it was for with its successor.

        Marking it used is one conditional update, so of two concurrent uses exactly one wins;
        the other is a reuse, and revokes the family.
        """
        token_hash = hash_refresh_token(token)
        now = self._clock.now()
        with pymongo.timeout(self._timeout_s):
            document = await self._tokens.find_one_and_update(
                {"_id": token_hash, "used_at": None},
                {"$set": {"used_at": now}},
                return_document=ReturnDocument.BEFORE,
            )
        if document is None:
            with pymongo.timeout(self._timeout_s):
                used = await self._tokens.find_one({"_id": token_hash})
            if used is None:
                raise InvalidToken("unknown refresh token")
            await self._revoke(used["family_id"], "reuse", now)
            log.warning("refresh_token_reused", family_id=used["family_id"], account_id=used["account_id"])
            raise RefreshTokenReused("this refresh token was already used; every session of this login has ended")
        grant = RefreshGrant(document["account_id"], document["family_id"])
        if document["expires_at"] <= now:
            raise TokenExpired("the refresh token has expired")
        await self._require_live_family(grant.family_id)
        return grant, await self._issue(grant)

    async def revoke_family_of(self, token: str) -> None:
        """Ends the session `token` belongs to (used or not). InvalidToken for a token never issued."""
        with pymongo.timeout(self._timeout_s):
            document = await self._tokens.find_one({"_id": hash_refresh_token(token)})
        if document is None:
            raise InvalidToken("unknown refresh token")
        await self._revoke(document["family_id"], "logout", self._clock.now())

    async def _issue(self, grant: RefreshGrant) -> str:
        token = secrets.token_urlsafe(32)
        now = self._clock.now()
        with pymongo.timeout(self._timeout_s):
            await self._tokens.insert_one(
                {
                    "_id": hash_refresh_token(token),
                    "family_id": grant.family_id,
                    "account_id": grant.account_id,
                    "issued_at": now,
                    "expires_at": now + self.ttl,
                    "used_at": None,
                }
            )
            # The family lives as long as its newest token.
            await self._families.update_one({"_id": grant.family_id}, {"$set": {"expires_at": now + self.ttl}})
        return token

    async def _require_live_family(self, family_id: str) -> None:
        with pymongo.timeout(self._timeout_s):
            family = await self._families.find_one({"_id": family_id})
        if family is None or family.get("revoked_at") is not None:
            raise InvalidToken("this session has ended")

    async def _revoke(self, family_id: str, reason: str, now: datetime) -> None:
        # Only the first revocation is recorded; the reason says why the session ended.
        with pymongo.timeout(self._timeout_s):
            await self._families.update_one(
                {"_id": family_id, "revoked_at": None}, {"$set": {"revoked_at": now, "revoked_reason": reason}}
            )
