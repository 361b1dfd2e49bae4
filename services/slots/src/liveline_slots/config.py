from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from liveline_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    """Settings of the slots service, read from LIVELINE_SLOTS_* environment variables."""

    model_config = SettingsConfigDict(env_prefix="LIVELINE_SLOTS_")

    http_port: int = 8102
    mongo_database: str = "liveline_slots"
