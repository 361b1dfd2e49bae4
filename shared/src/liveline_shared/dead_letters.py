"""Dead letters: messages a consumer could not apply, kept in `<topic>.dlq` until replayed.

A dead letter is the original message — the same value bytes, key and headers — plus `dlq_*`
headers that say why it failed (reason and error), which consumer gave up on it, where it came
from (topic, partition, offset) and when.

    python -m liveline_shared.dead_letters replay --bootstrap HOST:PORT --topic liveline.orders.v1 [--consumer NAME]

Replay reads `<topic>.dlq` in a consumer group of its own (one per `--consumer` filter), so each
dead letter is replayed once per filter, and re-publishes it to the original topic without its
`dlq_*` headers. With `--consumer NAME` the message also carries `replayed_for: NAME`, and the
topic's other consumers (which applied it the first time) skip it. Replaying a letter twice is
harmless: consumers recognise an event_id they have applied.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError
from faststream.kafka import KafkaBroker

from .metrics import EVENTS_DEAD_LETTERED

DLQ_PREFIX = "dlq_"
REASON_HEADER = "dlq_reason"
ERROR_HEADER = "dlq_error"
CONSUMER_HEADER = "dlq_consumer"
TOPIC_HEADER = "dlq_topic"
PARTITION_HEADER = "dlq_partition"
OFFSET_HEADER = "dlq_offset"
FAILED_AT_HEADER = "dlq_failed_at"
ATTEMPTS_HEADER = "dlq_attempts"
REPLAYED_FOR_HEADER = "replayed_for"

REASON_INVALID = "invalid_message"
REASON_HANDLER_FAILED = "handler_failed"
ERROR_HEADER_MAX_CHARS = 1000

Headers = list[tuple[str, bytes]]


def describe_error(error: BaseException) -> str:
    text = f"{type(error).__name__}: {error}"
    return text if len(text) <= ERROR_HEADER_MAX_CHARS else text[: ERROR_HEADER_MAX_CHARS - 1] + "…"


def dead_letter_headers(
    original: Iterable[tuple[str, bytes]],
    *,
    reason: str,
    error: BaseException,
    consumer: str,
    topic: str,
    partition: int,
    offset: int,
    attempts: int,
    failed_at: datetime,
) -> Headers:
    """The original headers (any old `dlq_*` ones dropped) followed by why and where it failed."""
    added = {
        REASON_HEADER: reason,
        ERROR_HEADER: describe_error(error),
        CONSUMER_HEADER: consumer,
        TOPIC_HEADER: topic,
        PARTITION_HEADER: str(partition),
        OFFSET_HEADER: str(offset),
        ATTEMPTS_HEADER: str(attempts),
        FAILED_AT_HEADER: failed_at.isoformat(),
    }
    return original_headers(original) + [(name, value.encode()) for name, value in added.items()]


def original_headers(headers: Iterable[tuple[str, bytes]]) -> Headers:
    """A dead letter's headers as the original message had them: `dlq_*` and `replayed_for` removed."""
    return [
        (name, value) for name, value in headers
        if not name.startswith(DLQ_PREFIX) and name != REPLAYED_FOR_HEADER
    ]


def header(headers: Iterable[tuple[str, bytes]], name: str) -> str | None:
    for key, value in headers:
        if key == name:
            return value.decode(errors="replace")
    return None


async def publish_dead_letter(
    broker: KafkaBroker,
    record: ConsumerRecord,
    *,
    dead_letter_topic: str,
    consumer: str,
    reason: str,
    error: BaseException,
    attempts: int,
    failed_at: datetime,
) -> None:
    """Publishes `record` unchanged to `dead_letter_topic`, with the dlq_* headers added.

    Goes through the service's FastStream broker (its idempotent producer), whose headers are
    text: a header value that is not UTF-8 is carried with replacement characters.
    """
    headers = dead_letter_headers(
        record.headers, reason=reason, error=error, consumer=consumer, topic=record.topic,
        partition=record.partition, offset=record.offset, attempts=attempts, failed_at=failed_at,
    )
    await broker.publish(
        record.value or b"",
        topic=dead_letter_topic,
        key=record.key,
        headers={name: value.decode(errors="replace") for name, value in headers},
    )
    EVENTS_DEAD_LETTERED.labels(record.topic, consumer).inc()


@dataclass(frozen=True)
class Replayed:
    dlq_offset: int
    topic: str
    key: bytes | None
    consumer: str | None
    reason: str | None
    error: str | None
    event_id: str | None

    def describe(self) -> str:
        key = self.key.decode(errors="replace") if self.key is not None else "-"
        return (
            f"replayed dlq offset {self.dlq_offset} -> {self.topic} key={key} event_id={self.event_id or '-'} "
            f"consumer={self.consumer or '-'} reason={self.reason or '-'} error={self.error or '-'}"
        )


def replay_group(topic: str, consumer: str | None) -> str:
    return f"liveline-dlq-replay.{topic}.{consumer or 'all'}"


def should_replay(headers: Sequence[tuple[str, bytes]], consumer: str | None) -> bool:
    return consumer is None or header(headers, CONSUMER_HEADER) == consumer


def replay_headers(headers: Sequence[tuple[str, bytes]], consumer: str | None) -> Headers:
    restored = original_headers(headers)
    if consumer is not None:
        restored.append((REPLAYED_FOR_HEADER, consumer.encode()))
    return restored


async def replay(
    bootstrap_servers: str,
    topic: str,
    *,
    consumer: str | None = None,
    group_id: str | None = None,
    timeout_s: float = 60.0,
    request_timeout_s: float = 10.0,
) -> list[Replayed]:
    """Re-publishes every not yet replayed dead letter of `topic` (of `consumer`, if given) to
    `topic`, committing after each one; stops at the end the dead-letter topic had at the start.
    """
    dead_letter_topic = f"{topic}.dlq"
    deadline = time.monotonic() + timeout_s
    reader = AIOKafkaConsumer(
        dead_letter_topic,
        bootstrap_servers=bootstrap_servers,
        group_id=group_id or replay_group(topic, consumer),
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        request_timeout_ms=int(request_timeout_s * 1000),
    )
    writer = AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers,
        enable_idempotence=True,
        acks="all",
        request_timeout_ms=int(request_timeout_s * 1000),
    )
    replayed: list[Replayed] = []
    async with asyncio.timeout(timeout_s):
        try:
            await reader.start()
            await writer.start()
            # The first fetch may already hold letters: they are replayed, not dropped.
            pending: list[ConsumerRecord] = []
            while not reader.assignment():
                if time.monotonic() > deadline:
                    raise TimeoutError(f"no partition of {dead_letter_topic} was assigned")
                for records in (await reader.getmany(timeout_ms=200)).values():
                    pending.extend(records)
            ends = await reader.end_offsets(list(reader.assignment()))
            while True:
                for record in pending:
                    if should_replay(record.headers, consumer):
                        await writer.send_and_wait(
                            topic, record.value, key=record.key, headers=replay_headers(record.headers, consumer)
                        )
                        replayed.append(
                            Replayed(
                                dlq_offset=record.offset, topic=topic, key=record.key,
                                consumer=header(record.headers, CONSUMER_HEADER),
                                reason=header(record.headers, REASON_HEADER),
                                error=header(record.headers, ERROR_HEADER),
                                event_id=header(record.headers, "event_id"),
                            )
                        )
                    # Committed one by one: a replay that stops half-way resumes after the last one.
                    await reader.commit({TopicPartition(record.topic, record.partition): record.offset + 1})
                positions = {tp: await reader.position(tp) for tp in ends}
                if all(positions[tp] >= end for tp, end in ends.items()):
                    return replayed
                pending = [r for records in (await reader.getmany(timeout_ms=500)).values() for r in records]
        finally:
            await writer.stop()
            await reader.stop()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m liveline_shared.dead_letters")
    commands = parser.add_subparsers(dest="command", required=True)
    replay_command = commands.add_parser("replay", help="re-publish a topic's dead letters to the topic")
    replay_command.add_argument("--bootstrap", required=True, help="Kafka bootstrap servers, host:port[,...]")
    replay_command.add_argument("--topic", required=True, help="the original topic, e.g. liveline.orders.v1")
    replay_command.add_argument("--consumer", help="only the dead letters of this consumer (group)")
    replay_command.add_argument("--group", help="the replay's own consumer group (default: one per filter)")
    replay_command.add_argument("--timeout-s", type=float, default=60.0)
    args = parser.parse_args(argv)

    try:
        done = asyncio.run(
            replay(args.bootstrap, args.topic, consumer=args.consumer, group_id=args.group, timeout_s=args.timeout_s)
        )
    except KafkaError as error:
        print(f"error: Kafka at {args.bootstrap} did not answer: {error}", file=sys.stderr)
        return 1
    for item in done:
        print(item.describe())
    print(f"replayed {len(done)} dead letter(s) from {args.topic}.dlq")
    return 0


if __name__ == "__main__":
    sys.exit(main())
