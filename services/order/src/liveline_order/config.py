from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from liveline_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    """Settings of the order service, read from LIVELINE_ORDER_* environment variables."""

    model_config = SettingsConfigDict(env_prefix="LIVELINE_ORDER_")

    http_port: int = 8101
    mongo_database: str = "liveline_order"

    # How often the recovery sweep looks for orders left unfinished (a crash mid-request).
    recovery_sweep_interval_s: float = Field(default=2.0, gt=0)
    # An unfinished order untouched this long is finished or compensated by the sweep. Longer
    # than any healthy request takes, so the sweep does not race live requests.
    pending_timeout_s: float = Field(default=10.0, gt=0)
    # An order the sweep rejected as abandoned is swept again this long, in case its stalled
    # request reserved something after all and then died, before it is settled for good.
    abandoned_grace_s: float = Field(default=60.0, gt=0)
    # How long a retried POST /orders waits for the first request with its Idempotency-Key.
    idempotent_replay_wait_s: float = Field(default=10.0, gt=0)
    # Orders reserved and paid at once by this process; more wait their turn (see Dependencies.placing).
    max_concurrent_orders: int = Field(default=16, ge=1)
    default_page_limit: int = Field(default=50, ge=1, le=100)
