from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from liveline_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    """Settings of the order service, read from LIVELINE_ORDER_* environment variables."""

    model_config = SettingsConfigDict(env_prefix="LIVELINE_ORDER_")

    http_port: int = 8101
    mongo_database: str = "liveline_order"
