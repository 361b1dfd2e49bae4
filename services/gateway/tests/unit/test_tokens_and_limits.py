"""Access tokens and rate-limit windows, with time moved by a ManualClock instead of waited for."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import pytest

from liveline_gateway.adapters.rate_limits import window_start
from liveline_gateway.adapters.tokens import AccessTokens, hash_refresh_token
from liveline_gateway.domain.errors import InvalidToken, TokenExpired
from liveline_shared.callers import Caller
from liveline_shared.clock import ManualClock

START = datetime(2026, 3, 24, 11, 0, tzinfo=UTC)
STAFF = Caller(account_id="acc-1", role="staff", merchant_id="m-1")


def test_an_access_token_names_its_caller_until_it_expires():
    clock = ManualClock(START)
    tokens = AccessTokens("secret-one", timedelta(minutes=15), clock)
    token = tokens.issue(STAFF)
    clock.advance(timedelta(minutes=14, seconds=59))
    assert tokens.caller(token) == STAFF
    clock.advance(timedelta(seconds=1))
    with pytest.raises(TokenExpired):
        tokens.caller(token)


def test_an_access_token_carries_the_documented_claims():
    token = AccessTokens("secret-one", timedelta(minutes=15), ManualClock(START)).issue(STAFF)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["sub"] == "acc-1" and claims["role"] == "staff" and claims["merchant_id"] == "m-1"
    assert claims["exp"] - claims["iat"] == 15 * 60
    assert claims["jti"]
    assert jwt.get_unverified_header(token)["alg"] == "HS256"


def test_a_token_signed_with_another_key_is_refused():
    clock = ManualClock(START)
    token = AccessTokens("secret-one", timedelta(minutes=15), clock).issue(STAFF)
    with pytest.raises(InvalidToken):
        AccessTokens("secret-two", timedelta(minutes=15), clock).caller(token)


def test_an_unsigned_or_tampered_token_is_refused():
    clock = ManualClock(START)
    tokens = AccessTokens("secret-one", timedelta(minutes=15), clock)
    claims = jwt.decode(tokens.issue(STAFF), options={"verify_signature": False})
    unsigned = jwt.encode({**claims, "role": "admin"}, key=None, algorithm="none")
    for token in (unsigned, "not-a-jwt", tokens.issue(STAFF)[:-4] + "AAAA"):
        with pytest.raises(InvalidToken):
            tokens.caller(token)


def test_refresh_tokens_are_stored_as_a_sha256_hash():
    digest = hash_refresh_token("opaque")
    assert len(digest) == 64 and "opaque" not in digest


@pytest.mark.parametrize(
    ("moment", "window", "start"),
    [
        (START + timedelta(seconds=59), timedelta(minutes=1), START),
        (START + timedelta(minutes=14, seconds=59), timedelta(minutes=15), START),
        (START + timedelta(minutes=15), timedelta(minutes=15), START + timedelta(minutes=15)),
    ],
)
def test_fixed_windows_start_on_multiples_of_their_length(moment, window, start):
    assert window_start(moment, window) == start
