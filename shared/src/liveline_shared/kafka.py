"""The Kafka broker of one service: FastStream over aiokafka, with an idempotent producer."""

from __future__ import annotations

import logging

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from faststream.kafka import KafkaBroker

from .events.topics import DEAD_LETTER_RETENTION_MS, TOPICS, Topic
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


def _new_topics(topics: tuple[Topic, ...], partitions: int) -> list[NewTopic]:
    new = []
    for topic in topics:
        config = {"retention.ms": str(topic.retention_ms), "cleanup.policy": topic.cleanup_policy}
        new.append(NewTopic(topic.name, num_partitions=partitions, replication_factor=1, topic_configs=config))
        dlq_config = {"retention.ms": str(DEAD_LETTER_RETENTION_MS), "cleanup.policy": "delete"}
        new.append(NewTopic(topic.dead_letters, num_partitions=1, replication_factor=1, topic_configs=dlq_config))
    return new


async def ensure_topics(
    bootstrap_servers: str, *, partitions: int, replication_factor: int = 1, topics: tuple[Topic, ...] = TOPICS
) -> list[str]:
    """Creates every liveline topic and its dead-letter topic that does not exist yet; returns the created ones.

    Each service calls this at start-up, so the first one up creates them and the rest find them.
    """
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=10_000)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in _new_topics(topics, partitions) if t.name not in existing]
        for topic in missing:
            topic.replication_factor = replication_factor
        if missing:
            try:
                await admin.create_topics(missing)
            except TopicAlreadyExistsError:
                pass  # another service created them first
        return [t.name for t in missing]
    finally:
        await admin.close()
