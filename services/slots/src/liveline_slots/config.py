from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from liveline_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    """Settings of the slots service, read from LIVELINE_SLOTS_* environment variables."""

    model_config = SettingsConfigDict(env_prefix="LIVELINE_SLOTS_")

    http_port: int = 8102
    mongo_database: str = "liveline_slots"

    # The order service's internal API, asked for a merchant's time zone (once per merchant).
    order_url: str = "http://127.0.0.1:8101"
    order_timeout_s: float = Field(default=5.0, gt=0)
    # How often choices whose request died are finished (handlers/choices.py), and after how long.
    recovery_sweep_interval_s: float = Field(default=10.0, gt=0)
    stale_choice_s: float = Field(default=30.0, gt=0)
    # False: this process consumes and serves but publishes nothing (its outbox waits for a
    # process that relays). Used to hold a crash window open in tests.
    relay_enabled: bool = True
