"""Every contract survives a trip through real Kafka and a registered consumer unchanged."""

from __future__ import annotations

import json
from typing import Any

from jsonschema import Draft202012Validator

from liveline_shared.consumer import register_consumer
from liveline_shared.events import EVENT_TYPES, Event
from liveline_shared.events.schemas import schema_path
from shared.tests.integration.support import new_broker, new_topic, one_event_of_each_type, publish_event, running, wait_until
from tests.random_refs import group_name, suffix

def schema_violations(body: dict[str, Any], schema: dict[str, Any]) -> list[str]:
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    return sorted(f"{'.'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(body))


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
        assert schema_violations(json.loads(arrived.to_bytes()), schema) == [], event.event_type


def test_the_schema_check_notices_a_missing_field_and_a_wrong_type():
    event = one_event_of_each_type("ord-x")[0]
    schema = json.loads(schema_path(type(event)).read_text())
    body = json.loads(event.to_bytes())
    del body["deal_id"]
    body["quantity"] = "two"
    assert schema_violations(body, schema) == [": 'deal_id' is a required property", "quantity: 'two' is not of type 'integer'"]
