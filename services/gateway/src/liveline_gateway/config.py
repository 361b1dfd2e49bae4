from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from liveline_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    """Settings of the gateway service, read from LIVELINE_GATEWAY_* environment variables."""

    model_config = SettingsConfigDict(env_prefix="LIVELINE_GATEWAY_")

    http_port: int = 8080
    mongo_database: str = "liveline_gateway"
