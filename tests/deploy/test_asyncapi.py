"""Other teams get an AsyncAPI document of every topic liveline publishes and every consumer
group reading one, with the event contracts as payloads, and it is never stale."""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from liveline_shared.events import EVENT_TYPES, TOPICS
from tests.deploy.k8s import run

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "asyncapi.yaml"


def test_the_committed_asyncapi_document_is_what_make_asyncapi_generates_now():
    result = run([sys.executable, "-m", "liveline_devstack.asyncapi"], timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout == DOCUMENT.read_text(), "docs/asyncapi.yaml is stale: run `make asyncapi` and commit it"


def test_every_topic_is_sent_by_its_producer_with_its_events_as_the_payload():
    doc = yaml.safe_load(DOCUMENT.read_text())
    assert doc["asyncapi"] == "3.0.0"
    sends = {op["channel"]["$ref"].rsplit("/", 1)[-1]: op for op in doc["operations"].values() if op["action"] == "send"}
    assert {doc["channels"][name]["address"] for name in sends} == {t.name for t in TOPICS}
    schemas = doc["components"]["schemas"]
    for topic in TOPICS:
        (channel,) = [name for name in sends if doc["channels"][name]["address"] == topic.name]
        assert channel == f"{topic.name}:{topic.producer}"
        (message_ref,) = doc["channels"][channel]["messages"].values()
        message = doc["components"]["messages"][message_ref["$ref"].rsplit("/", 1)[-1]]
        payload = message["payload"]["$ref"].rsplit("/", 1)[-1]
        variants = schemas[payload].get("oneOf") or schemas[payload].get("anyOf") or [{"$ref": f"#/x/{payload}"}]
        names = {v["$ref"].rsplit("/", 1)[-1] for v in variants}
        assert names == {cls.__name__ for cls in EVENT_TYPES if cls.topic == topic.name}, topic.name
    for cls in EVENT_TYPES:
        assert schemas[cls.__name__]["properties"]["event_type"]["const"] == cls.__name__
