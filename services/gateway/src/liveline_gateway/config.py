from __future__ import annotations

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from liveline_shared.settings import DEVELOPMENT_SECRET, ServiceSettings


class Settings(ServiceSettings):
    """Settings of the gateway service, read from LIVELINE_GATEWAY_* environment variables."""

    model_config = SettingsConfigDict(env_prefix="LIVELINE_GATEWAY_")

    http_port: int = 8080
    mongo_database: str = "liveline_gateway"

    # Signs access tokens. Outside development and test it must be set, and long enough.
    signing_key: SecretStr = SecretStr(DEVELOPMENT_SECRET)
    access_token_ttl_s: int = Field(default=15 * 60, gt=0)
    refresh_token_ttl_s: int = Field(default=30 * 24 * 3600, gt=0)

    login_failures_per_account: int = Field(default=5, gt=0)
    login_failure_window_s: int = Field(default=15 * 60, gt=0)
    login_attempts_per_address: int = Field(default=30, gt=0)
    login_address_window_s: int = Field(default=60, gt=0)
    registrations_per_address: int = Field(default=20, gt=0)
    registration_window_s: int = Field(default=3600, gt=0)
    # How often expired rate-limit windows and refresh tokens are deleted.
    purge_interval_s: float = Field(default=300.0, gt=0)

    # Argon2 hashes (registrations, logins) at once: None is one per CPU. Beyond them, up to
    # `password_hashing_queue` wait (None: four per worker), each at most the wait below;
    # anything more is answered 503 busy at once.
    password_hashing_workers: int | None = Field(default=None, gt=0)
    password_hashing_queue: int | None = Field(default=None, ge=0)
    password_hashing_max_wait_s: float = Field(default=2.0, gt=0)

    # The order service's internal API (its default port on this machine).
    order_url: str = "http://127.0.0.1:8101"
    # Placing an order may wait for a concurrent request with the same key (the order service's
    # IDEMPOTENT_REPLAY_WAIT_S, 10 s), so a whole call (connecting included) may take longer.
    order_timeout_s: float = Field(default=15.0, gt=0)
    order_connect_timeout_s: float = Field(default=2.0, gt=0)
    # Tries of a request that is safe to repeat (reads, and orders with their Idempotency-Key).
    order_attempts: int = Field(default=3, ge=1, le=10)
    # Requests this gateway process has waiting on the order service at once; one more is answered
    # 503 with Retry-After at once rather than queued (a burst beyond the order service's pace
    # would otherwise wait for seconds, past its own recovery sweep's patience).
    order_max_in_flight: int = Field(default=32, ge=1)

    # The other internal services' APIs (their default ports on this machine) and how long the
    # gateway waits for them; what is safe to repeat is tried `upstream_attempts` times.
    slots_url: str = "http://127.0.0.1:8102"
    queue_notifier_url: str = "http://127.0.0.1:8103"
    media_url: str = "http://127.0.0.1:8104"
    upstream_timeout_s: float = Field(default=10.0, gt=0)
    upstream_connect_timeout_s: float = Field(default=2.0, gt=0)
    upstream_attempts: int = Field(default=3, ge=1, le=10)
    # How long reading a just-bought order's slot offer waits for the slots service to build it.
    offer_wait_s: float = Field(default=5.0, ge=0, le=30)
    # The notification stream: a comment line this often keeps proxies from closing it; a stream
    # opened while the gateway is (re)connecting to Kafka waits this long before a 503.
    stream_ping_s: float = Field(default=15.0, gt=0, le=300)
    stream_ready_wait_s: float = Field(default=5.0, ge=0, le=60)

    @model_validator(mode="after")
    def _refuse_short_signing_key_outside_development(self) -> Settings:
        if self.environment not in ("development", "test") and len(self.signing_key.get_secret_value()) < 32:
            raise ValueError("LIVELINE_GATEWAY_SIGNING_KEY needs at least 32 characters")
        return self
