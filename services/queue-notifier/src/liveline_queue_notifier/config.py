from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from liveline_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    """Settings of the queue-notifier service, read from LIVELINE_QUEUE_NOTIFIER_* environment variables."""

    model_config = SettingsConfigDict(env_prefix="LIVELINE_QUEUE_NOTIFIER_")

    http_port: int = 8103
    mongo_database: str = "liveline_queue_notifier"

    # The order service's internal API, asked for a merchant's time zone (once per merchant).
    order_url: str = "http://127.0.0.1:8101"
    order_timeout_s: float = Field(default=5.0, gt=0)
    # While parties wait, a QueueTick at least this often (a heartbeat), checked this often.
    heartbeat_interval_s: float = Field(default=60.0, gt=0)
    heartbeat_check_s: float = Field(default=5.0, gt=0)
    # An outside queue system's figures older than this are shown as stale.
    stale_after_s: float = Field(default=600.0, gt=0)
