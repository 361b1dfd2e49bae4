"""Every contract survives a trip through real Kafka and a registered consumer unchanged."""

from __future__ import annotations

import json
from typing import Any

from liveline_shared.consumer import register_consumer
from liveline_shared.events import EVENT_TYPES, Event
from liveline_shared.events.schemas import schema_path
from shared.tests.integration.support import new_broker, new_topic, one_event_of_each_type, publish_event, running, wait_until
from tests.random_refs import group_name, suffix

JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,), "integer": (int,), "number": (int, float), "boolean": (bool,),
    "object": (dict,), "array": (list,), "null": (type(None),),
}


def schema_violations(value: Any, schema: dict, root: dict, where: str = "") -> list[str]:
    """A structural check against the committed JSON Schema (jsonschema is not installed):
    $ref, anyOf, type, const, enum, required, properties and array items."""
    if "$ref" in schema:
        schema = root["$defs"][schema["$ref"].rsplit("/", 1)[-1]]
    if "anyOf" in schema:
        options = [schema_violations(value, option, root, where) for option in schema["anyOf"]]
        return [] if any(not found for found in options) else [f"{where}: matches no anyOf option"]
    problems = []
    expected = schema.get("type")
    if expected and (not isinstance(value, JSON_TYPES[expected]) or (expected != "boolean" and isinstance(value, bool))):
        return [f"{where}: {value!r} is not {expected}"]
    if "const" in schema and value != schema["const"]:
        problems.append(f"{where}: {value!r} is not {schema['const']!r}")
    if "enum" in schema and value not in schema["enum"]:
        problems.append(f"{where}: {value!r} not in {schema['enum']}")
    if isinstance(value, dict):
        problems += [f"{where}.{name}: missing" for name in schema.get("required", []) if name not in value]
        for name, sub in schema.get("properties", {}).items():
            if name in value:
                problems += schema_violations(value[name], sub, root, f"{where}.{name}")
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            problems += schema_violations(item, schema["items"], root, f"{where}[{i}]")
    return problems


async def test_every_contract_arrives_equal_and_valid_against_its_committed_schema(bootstrap, db):
    topic = await new_topic(bootstrap, "round-trip", partitions=3)
    sent = one_event_of_each_type(f"ord-{suffix()}")
    assert {type(e) for e in sent} == set(EVENT_TYPES)
    received: dict[str, Event] = {}

    async def keep(event: Event) -> None:
        received[event.event_type] = event

    broker = new_broker(bootstrap)
    register_consumer(broker, name=group_name("round-trip"), topic=topic, db=db, handler=keep)
    async with running(broker):
        for event in sent:
            await publish_event(bootstrap, topic.name, event)

        async def all_received() -> bool:
            return len(received) == len(sent)

        await wait_until(all_received, what="all eleven contracts")

    for event in sent:
        arrived = received[event.event_type]
        assert arrived == event
        assert type(arrived) is type(event)
        schema = json.loads(schema_path(type(event)).read_text())
        assert schema_violations(json.loads(arrived.to_bytes()), schema, schema) == [], event.event_type


def test_the_structural_schema_check_notices_a_missing_field_and_a_wrong_type():
    event = one_event_of_each_type("ord-x")[0]
    schema = json.loads(schema_path(type(event)).read_text())
    body = json.loads(event.to_bytes())
    del body["deal_id"]
    body["quantity"] = "two"
    assert sorted(schema_violations(body, schema, schema)) == [".deal_id: missing", ".quantity: 'two' is not integer"]
