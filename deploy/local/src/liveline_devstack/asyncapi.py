"""Writes docs/asyncapi.yaml, the AsyncAPI 3.0 document of liveline's events, for other teams:

    python -m liveline_devstack.asyncapi > docs/asyncapi.yaml      (make asyncapi)

FastStream generates it from the services' own brokers, built as each service's bootstrap builds
them (every consumer group they register becomes a `receive` operation), plus one `send`
operation per topic from its producer, whose payload is the topic's event contracts. A test
keeps the committed file current; regenerate after changing an event, a topic or a consumer.
"""

from __future__ import annotations

import copy
import importlib
from typing import Any, Union

import yaml
from faststream.kafka import KafkaBroker
from faststream.specification import AsyncAPI

from liveline_shared.events import EVENT_TYPES, TOPICS

# The services that publish or consume events (the gateway does neither).
SERVICES = ("order", "slots", "queue-notifier", "media")
BOOTSTRAP_SERVERS = "kafka:9092"
DESCRIPTION = """Integration events of liveline, on Kafka. Every message is one JSON event with the
envelope fields event_id, event_type, schema_version, occurred_at, producer, key, correlation_id
and causation_id; the message key is the field named in each topic's description, and the headers
repeat event_type, schema_version, event_id, correlation_id and producer. Delivery is at least
once: deduplicate by event_id. Ordering holds per key. Keys, retention, compaction and examples:
docs/events.md; JSON Schemas: shared/schemas/."""


def service_broker(service: str, build: str = "build_app", **settings_overrides: Any) -> KafkaBroker:
    """The broker `service`'s bootstrap builds (with `build`), its consumers registered (not started)."""
    package = "liveline_" + service.replace("-", "_")
    settings = importlib.import_module(f"{package}.config").Settings(
        environment="test", kafka_bootstrap_servers=BOOTSTRAP_SERVERS, **settings_overrides
    )
    app = getattr(importlib.import_module(f"{package}.bootstrap"), build)(settings)
    return app.state.runtime.broker


def declare_publications(broker: KafkaBroker, service: str) -> None:
    """The topics `service` produces (its outbox relay publishes them outside FastStream)."""
    for topic in TOPICS:
        if topic.producer != service:
            continue
        types = tuple(cls for cls in EVENT_TYPES if cls.topic == topic.name)
        broker.publisher(
            topic.name,
            title=f"{topic.name}:{service}",
            description=f"{topic.description} Key: `{topic.key}`; cleanup: {topic.cleanup_policy}.",
            schema=Union[types] if len(types) > 1 else types[0],  # noqa: UP007 - a runtime union of classes
        )


def document() -> dict[str, Any]:
    brokers = []
    for service in SERVICES:
        broker = service_broker(service)
        declare_publications(broker, service)
        brokers.append(broker)
    spec = AsyncAPI(*brokers, title="liveline events", version="1", description=DESCRIPTION, schema_version="3.0.0")
    doc = yaml.safe_load(spec.to_specification().to_yaml())
    _type_received_messages(doc)
    return doc


def _type_received_messages(doc: dict[str, Any]) -> None:
    """A consumer's handler takes the raw bytes (it parses the contract itself, to dead-letter
    what fails it); other teams need the events it receives: its topic's payload."""
    messages = doc["components"]["messages"]
    payload_of_topic = {
        channel["address"]: messages[ref["$ref"].rsplit("/", 1)[-1]]["payload"]
        for operation in doc["operations"].values() if operation["action"] == "send"
        for channel in [doc["channels"][operation["channel"]["$ref"].rsplit("/", 1)[-1]]]
        for ref in channel["messages"].values()
    }
    for operation in doc["operations"].values():
        if operation["action"] != "receive":
            continue
        channel = doc["channels"][operation["channel"]["$ref"].rsplit("/", 1)[-1]]
        for ref in channel["messages"].values():
            message = messages[ref["$ref"].rsplit("/", 1)[-1]]
            old = message["payload"]["$ref"].rsplit("/", 1)[-1]
            message["payload"] = copy.deepcopy(payload_of_topic[channel["address"]])  # no YAML aliases
            doc["components"]["schemas"].pop(old, None)


def render() -> str:
    return yaml.safe_dump(document(), sort_keys=True, allow_unicode=True, width=100)


def consumer_groups() -> dict[str, list[list[str]]]:
    """Per process, named by its command (`<module> [argument]`, as `python -m` runs it), the
    (consumer group, topic) pairs it registers; the deployment checks compare them with the KEDA
    scalers. The media API runs without its worker there: the worker is a process of its own."""
    brokers = {"liveline_" + service.replace("-", "_"): service_broker(service) for service in SERVICES}
    brokers["liveline_media"] = service_broker("media", run_worker=False)
    brokers["liveline_media worker"] = service_broker("media", "build_worker_app")
    return {
        process: sorted([sub.group_id, topic] for sub in broker.subscribers for topic in sub.topic_names_for_subscribe)
        for process, broker in brokers.items()
    }


if __name__ == "__main__":
    import json
    import sys

    if sys.argv[1:] == ["--consumer-groups"]:
        print(json.dumps(consumer_groups()))
    else:
        print(render(), end="")
