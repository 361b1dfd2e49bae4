from __future__ import annotations

from pydantic import Field, SecretStr, field_validator
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

    # Scheduled pushes: the scheduler's pass interval, how long an instance holds a due-moment
    # bucket, when a push counts as late, and how long after a user's last slot ends it is missed.
    scheduler_tick_s: float = Field(default=0.25, gt=0)
    bucket_lease_s: float = Field(default=10.0, gt=0)
    late_after_s: float = Field(default=5.0, gt=0)
    missed_grace_s: float = Field(default=900.0, ge=0)

    # Web Push: the VAPID private key (PEM, or the base64url raw 32-byte scalar or DER) and the
    # contact the push services see as `sub` (mailto: or https:). Without a key nothing is sent
    # and the public-key route answers 503; make run and the tests generate one (never in git).
    vapid_private_key: SecretStr | None = None
    vapid_subject: str = "mailto:webpush@liveline.dev"
    # How long a push service keeps a queue update for an offline browser (the figures go stale);
    # other notifications are kept a day. An event older than its TTL is not pushed at all.
    web_push_queue_ttl_s: int = Field(default=600, ge=0)
    # One push service request; a slow one is retried by the consumer, then dead-lettered.
    web_push_timeout_s: float = Field(default=5.0, gt=0)

    @field_validator("vapid_subject")
    @classmethod
    def _a_contact(cls, value: str) -> str:
        if not value.startswith(("mailto:", "https://")):
            raise ValueError("must be a mailto: or https:// contact")
        return value
