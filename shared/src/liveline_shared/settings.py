"""The settings every service shares; each service subclasses them with its own env prefix."""

from __future__ import annotations

from typing import Literal

from pydantic import SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# A secret left at this value is only acceptable while developing or testing.
DEVELOPMENT_SECRET = "development-only-secret"


class ServiceSettings(BaseSettings):
    """Common settings. A service's subclass sets `env_prefix` (LIVELINE_<SVC>_) and adds its own."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    environment: Literal["development", "test", "production"] = "development"
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    # Proxies whose X-Forwarded-For is believed (the client address feeds the login limits).
    forwarded_allow_ips: str = "127.0.0.1"
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_json: bool = True

    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    kafka_client_id: str | None = None
    kafka_request_timeout_s: float = 10.0
    kafka_partitions: int = 3
    kafka_replication_factor: int = 1
    # Put before every consumer group name of the service. Empty in a deployment; stacks that
    # share one Kafka (tests running several copies of a service) set one each, so each copy
    # sees every event instead of splitting the partitions with the others.
    consumer_group_prefix: str = ""

    mongo_url: str = "mongodb://127.0.0.1:27017/"
    mongo_database: str = ""
    mongo_timeout_s: float = 5.0

    readiness_timeout_s: float = 2.0
    # On SIGTERM, how long consumers may finish the message in hand before it is handed back
    # (left uncommitted for another member); see liveline_shared.drain.drain_consumers.
    shutdown_drain_s: float = 10.0
    max_request_body_bytes: int = 64 * 1024
    # Shared by the gateway and the internal services; see liveline_shared.callers.
    internal_token: SecretStr = SecretStr(DEVELOPMENT_SECRET)

    @model_validator(mode="after")
    def _refuse_development_secrets_outside_development(self) -> ServiceSettings:
        if self.environment in ("development", "test"):
            return self
        for name, value in self:
            if isinstance(value, SecretStr) and value.get_secret_value() == DEVELOPMENT_SECRET:
                prefix = self.model_config.get("env_prefix", "")
                raise ValueError(
                    f"{prefix}{name.upper()} still has the development default; "
                    f"set a real secret when {prefix}ENVIRONMENT={self.environment}"
                )
        return self
