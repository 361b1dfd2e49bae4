from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from liveline_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    """Settings of the queue-notifier service, read from LIVELINE_QUEUE_NOTIFIER_* environment variables."""

    model_config = SettingsConfigDict(env_prefix="LIVELINE_QUEUE_NOTIFIER_")

    http_port: int = 8103
    mongo_database: str = "liveline_queue_notifier"
