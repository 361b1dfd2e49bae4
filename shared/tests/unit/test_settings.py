from __future__ import annotations

import pytest
from pydantic import SecretStr, ValidationError
from pydantic_settings import SettingsConfigDict

from liveline_shared.settings import DEVELOPMENT_SECRET, ServiceSettings


class ExampleSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="LIVELINE_EXAMPLE_")

    signing_key: SecretStr = SecretStr(DEVELOPMENT_SECRET)


def test_development_accepts_the_development_secret(monkeypatch):
    monkeypatch.setenv("LIVELINE_EXAMPLE_ENVIRONMENT", "development")
    assert ExampleSettings().signing_key.get_secret_value() == DEVELOPMENT_SECRET


def test_production_refuses_to_start_with_the_development_secret(monkeypatch):
    monkeypatch.setenv("LIVELINE_EXAMPLE_ENVIRONMENT", "production")
    monkeypatch.setenv("LIVELINE_EXAMPLE_INTERNAL_TOKEN", "a-real-internal-token")
    with pytest.raises(ValidationError, match="LIVELINE_EXAMPLE_SIGNING_KEY still has the development default"):
        ExampleSettings()


def test_production_starts_with_a_real_secret(monkeypatch):
    monkeypatch.setenv("LIVELINE_EXAMPLE_ENVIRONMENT", "production")
    monkeypatch.setenv("LIVELINE_EXAMPLE_SIGNING_KEY", "a-real-secret-from-the-vault")
    monkeypatch.setenv("LIVELINE_EXAMPLE_INTERNAL_TOKEN", "a-real-internal-token")
    assert ExampleSettings().environment == "production"


def test_settings_are_read_with_the_service_prefix_only(monkeypatch):
    monkeypatch.setenv("LIVELINE_EXAMPLE_KAFKA_BOOTSTRAP_SERVERS", "kafka-a:9092")
    monkeypatch.setenv("LIVELINE_OTHER_KAFKA_BOOTSTRAP_SERVERS", "kafka-b:9092")
    assert ExampleSettings().kafka_bootstrap_servers == "kafka-a:9092"


def test_production_refuses_the_development_internal_token(monkeypatch):
    monkeypatch.setenv("LIVELINE_EXAMPLE_ENVIRONMENT", "production")
    monkeypatch.setenv("LIVELINE_EXAMPLE_SIGNING_KEY", "a-real-secret-from-the-vault")
    with pytest.raises(ValidationError, match="LIVELINE_EXAMPLE_INTERNAL_TOKEN still has the development default"):
        ExampleSettings()
