"""The event contracts: envelope rules, parsing, and the schema-compatibility rule (and its test)."""

from __future__ import annotations

import copy
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from liveline_shared.events import EVENT_TYPES, OrderPlaced, QueueTick, UnknownEventType, parse_event
from liveline_shared.events.schemas import SCHEMA_DIR, check, current_schema, incompatibilities, schema_path

NOW = datetime(2015, 3, 24, 9, 30, tzinfo=UTC)


def order_placed(**overrides) -> OrderPlaced:
    fields = dict(
        occurred_at=NOW, producer="order", order_id="ord-1", deal_id="deal-1", merchant_id="m-1",
        user_id="u-1", quantity=2, amount_minor=19800, currency="CNY",
        voucher_valid_from=NOW, voucher_valid_until=NOW + timedelta(days=90),
    )
    return OrderPlaced(**(fields | overrides))


def test_key_is_the_events_partition_id():
    assert order_placed().key == "ord-1"
    tick = QueueTick(occurred_at=NOW, producer="queue-notifier", merchant_id="m-7", waiting_parties=3, waiting_people=9)
    assert tick.key == "m-7"


def test_a_key_that_contradicts_the_key_field_is_refused():
    with pytest.raises(ValidationError, match="key must equal order_id"):
        order_placed(key="someone-else")


def test_correlation_id_defaults_to_the_events_own_id_and_is_kept_when_given():
    event = order_placed()
    assert event.correlation_id == str(event.event_id)
    assert order_placed(correlation_id="flow-42").correlation_id == "flow-42"


def test_events_are_immutable():
    with pytest.raises(ValidationError):
        order_placed().quantity = 5  # type: ignore[misc]


def test_naive_timestamps_are_refused():
    with pytest.raises(ValidationError):
        order_placed(occurred_at=datetime(2015, 3, 24, 9, 30))


def test_bytes_round_trip_to_an_equal_event():
    event = order_placed()
    assert parse_event(event.to_bytes()) == event


def test_unknown_fields_from_a_newer_producer_are_ignored():
    data = json.loads(order_placed().to_bytes()) | {"a_field_added_later": 1}
    assert parse_event(data).order_id == "ord-1"


def test_unknown_event_types_are_refused_by_name():
    with pytest.raises(UnknownEventType, match="OrderTeleported v1"):
        parse_event({"event_type": "OrderTeleported", "schema_version": 1})


def test_no_contract_has_a_field_for_personal_data():
    forbidden = ("phone", "email", "e_mail", "name", "address")
    for cls in EVENT_TYPES:
        for field in cls.model_fields:
            assert not any(word in field for word in forbidden if field not in {"event_type"}), (cls, field)


def test_committed_schemas_match_the_contracts():
    assert check() == []


def test_every_field_has_a_description_for_the_asyncapi_document():
    for cls in EVENT_TYPES:
        for name, prop in current_schema(cls)["properties"].items():
            assert prop.get("description"), f"{cls.__name__}.{name} has no description"


def committed(cls) -> dict:
    return json.loads(schema_path(cls).read_text())


def test_adding_an_optional_field_is_compatible():
    old = committed(OrderPlaced)
    new = copy.deepcopy(old)
    new["properties"]["table_size"] = {"type": "integer", "description": "added later"}
    assert incompatibilities(old, new) == []


def test_compatibility_check_catches_a_removed_field():
    old = committed(OrderPlaced)
    new = copy.deepcopy(old)
    del new["properties"]["deal_id"]
    new["required"].remove("deal_id")
    assert incompatibilities(old, new) == ["deal_id: removed"]


def test_compatibility_check_catches_a_changed_type():
    old = committed(OrderPlaced)
    new = copy.deepcopy(old)
    new["properties"]["quantity"] = {"type": "string", "description": "Units bought."}
    assert incompatibilities(old, new) == ["quantity: type or constraints changed"]


def test_compatibility_check_catches_an_optional_field_made_required():
    old = committed(QueueTick)
    new = copy.deepcopy(old)
    new["required"].append("estimated_wait_minutes")
    assert incompatibilities(old, new) == ["estimated_wait_minutes: optional field became required"]


def test_compatibility_check_catches_a_changed_nested_definition():
    from liveline_shared.events import SlotChosen

    old = committed(SlotChosen)
    new = copy.deepcopy(old)
    new["$defs"]["SlotWindow"]["properties"]["meal_period"]["enum"] = ["lunch"]
    assert incompatibilities(old, new) == ["$defs/SlotWindow/meal_period: type or constraints changed"]


def test_the_compatibility_test_fails_on_a_broken_copy_of_the_committed_schemas(tmp_path):
    for path in SCHEMA_DIR.glob("*.json"):
        (tmp_path / path.name).write_text(path.read_text())
    broken = tmp_path / schema_path(OrderPlaced).name
    schema = json.loads(broken.read_text())
    schema["properties"]["quantity"]["type"] = "string"  # what the committed copy would say after a retype
    broken.write_text(json.dumps(schema))
    problems = check(tmp_path)
    assert problems == ["OrderPlaced.v1.json: quantity: type or constraints changed (needs a new schema version)"]


def test_event_ids_are_uuids_and_unique():
    ids = {order_placed().event_id for _ in range(100)}
    assert len(ids) == 100 and all(isinstance(i, uuid.UUID) for i in ids)


def test_docs_events_md_is_generated_from_the_current_contracts():
    from pathlib import Path

    from liveline_shared.events.docs import render

    committed_doc = (SCHEMA_DIR.parents[1] / "docs" / "events.md").read_text()
    assert committed_doc == render(), "run: python -m liveline_shared.events.docs > docs/events.md"
    assert Path(SCHEMA_DIR.parents[1] / "docs" / "events.md").exists()
