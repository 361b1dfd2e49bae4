"""The gateway's settings refuse a development signing key where it would matter."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from liveline_gateway.config import Settings

REAL_INTERNAL_TOKEN = "an-internal-token-from-the-vault"


def test_production_refuses_the_default_signing_key(monkeypatch):
    monkeypatch.setenv("LIVELINE_GATEWAY_ENVIRONMENT", "production")
    monkeypatch.setenv("LIVELINE_GATEWAY_INTERNAL_TOKEN", REAL_INTERNAL_TOKEN)
    with pytest.raises(ValidationError, match="LIVELINE_GATEWAY_SIGNING_KEY still has the development default"):
        Settings()


def test_production_refuses_a_short_signing_key(monkeypatch):
    monkeypatch.setenv("LIVELINE_GATEWAY_ENVIRONMENT", "production")
    monkeypatch.setenv("LIVELINE_GATEWAY_INTERNAL_TOKEN", REAL_INTERNAL_TOKEN)
    monkeypatch.setenv("LIVELINE_GATEWAY_SIGNING_KEY", "too-short")
    with pytest.raises(ValidationError, match="at least 32 characters"):
        Settings()


def test_production_starts_with_a_real_signing_key(monkeypatch):
    monkeypatch.setenv("LIVELINE_GATEWAY_ENVIRONMENT", "production")
    monkeypatch.setenv("LIVELINE_GATEWAY_INTERNAL_TOKEN", REAL_INTERNAL_TOKEN)
    monkeypatch.setenv("LIVELINE_GATEWAY_SIGNING_KEY", "k" * 48)
    assert Settings().signing_key.get_secret_value() == "k" * 48


def test_login_limits_default_to_five_failures_per_quarter_hour_and_thirty_attempts_per_minute():
    settings = Settings()
    assert (settings.login_failures_per_account, settings.login_failure_window_s) == (5, 900)
    assert (settings.login_attempts_per_address, settings.login_address_window_s) == (30, 60)
    assert settings.access_token_ttl_s == 900
