"""Kafka's own command-line tools, installed beside the broker from Maven Central, work against
liveline's Kafka: a consumer written outside liveline (the console consumer) reads a topic, and
every payload validates against the committed JSON Schema its event names."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from liveline_shared.events.schemas import SCHEMA_DIR
from liveline_shared.events.topics import QUEUE_TICKS, TOPICS
from liveline_shared.kafka import ensure_topics
from shared.tests.integration.support import new_topic, one_event_of_each_type, publish_event
from tests.deploy.k8s import run
from tests.random_refs import group_name, suffix

BIN = Path(__file__).resolve().parents[2] / "deploy" / "local" / "bin"


def kafka_tool(name: str, *args: str):
    result = run([str(BIN / name), *args], timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


async def test_the_console_consumer_reads_every_event_and_each_payload_validates_against_its_schema(stack_endpoints):
    bootstrap = stack_endpoints.kafka_bootstrap_servers
    topic = await new_topic(bootstrap, "console")
    events = one_event_of_each_type(f"ord-{suffix()}")
    for event in events:
        await publish_event(bootstrap, topic.name, event)
    group = group_name("console")

    output = kafka_tool(
        "kafka-console-consumer", "--bootstrap-server", bootstrap, "--topic", topic.name, "--group", group,
        "--from-beginning", "--max-messages", str(len(events)), "--timeout-ms", "60000",
        "--property", "print.key=true", "--property", "key.separator=\t",
    )

    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == len(events), output
    seen = []
    for line in lines:
        key, value = line.split("\t", 1)
        payload = json.loads(value)
        schema_file = SCHEMA_DIR / f"{payload['event_type']}.v{payload['schema_version']}.json"
        schema = json.loads(schema_file.read_text())
        jsonschema.validate(payload, schema, format_checker=jsonschema.FormatChecker())
        assert key == payload[schema["x-key"]] == payload["key"]
        seen.append(payload["event_id"])
    assert seen == [str(e.event_id) for e in events]

    # The group the console consumer used is visible, with nothing left to read.
    described = kafka_tool("kafka-consumer-groups", "--bootstrap-server", bootstrap, "--describe", "--group", group)
    lines = described.splitlines()
    header = next(line.split() for line in lines if line.startswith("GROUP"))
    row = next(line.split() for line in lines if topic.name in line.split())
    offsets = dict(zip(header, row, strict=False))
    assert offsets["CURRENT-OFFSET"] == offsets["LOG-END-OFFSET"] == str(len(events)), described
    assert offsets["LAG"] == "0", described


def test_kafka_topics_lists_and_describes_liveline_topics(stack_endpoints):
    bootstrap = stack_endpoints.kafka_bootstrap_servers
    name = f"test-tools-{suffix()}"
    kafka_tool("kafka-topics", "--bootstrap-server", bootstrap, "--create", "--topic", name, "--partitions", "2",
               "--config", "cleanup.policy=compact")
    assert name in kafka_tool("kafka-topics", "--bootstrap-server", bootstrap, "--list").split()
    described = kafka_tool("kafka-topics", "--bootstrap-server", bootstrap, "--describe", "--topic", name)
    assert "PartitionCount: 2" in described and "cleanup.policy=compact" in described, described


async def test_the_services_create_the_queue_tick_topic_compacted_and_the_others_time_bounded(stack_endpoints):
    bootstrap = stack_endpoints.kafka_bootstrap_servers
    await ensure_topics(bootstrap, partitions=3)  # what every service does at start
    for topic in TOPICS:
        described = kafka_tool("kafka-topics", "--bootstrap-server", bootstrap, "--describe", "--topic", topic.name)
        configs = described.splitlines()[0]
        assert f"cleanup.policy={topic.cleanup_policy}" in configs, described
    assert QUEUE_TICKS.cleanup_policy == "compact"
