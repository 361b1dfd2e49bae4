"""The Kafka broker of one service: FastStream over aiokafka, with an idempotent producer."""

from __future__ import annotations

import logging

from faststream.kafka import KafkaBroker

from .settings import ServiceSettings


def make_broker(settings: ServiceSettings, service: str) -> KafkaBroker:
    return KafkaBroker(
        settings.kafka_bootstrap_servers,
        client_id=settings.kafka_client_id or f"liveline-{service}",
        enable_idempotence=True,
        acks="all",
        request_timeout_ms=int(settings.kafka_request_timeout_s * 1000),
        allow_auto_create_topics=False,
        logger=logging.getLogger(f"liveline.{service}.kafka"),
        graceful_timeout=10.0,
    )
