"""What an operator reads: one JSON line per log call, structlog's and the libraries' in one
stream, whatever the values, and nothing below the level."""

from __future__ import annotations

import io
import json
import logging
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import structlog

from liveline_shared.logging import configure_logging


@pytest.fixture
def lines() -> Iterator[io.StringIO]:
    saved = logging.getLogger().handlers[:]
    written = io.StringIO()
    configure_logging("service-under-test")
    logging.getLogger().handlers[0].setStream(written)  # type: ignore[attr-defined]
    yield written
    logging.getLogger().handlers[:] = saved
    structlog.reset_defaults()


def records(lines: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in lines.getvalue().splitlines()]


def test_structlogs_lines_and_the_libraries_lines_are_one_json_stream(lines):
    log = structlog.get_logger("liveline.test")
    log.info("order_placed", order_id="ord-1")
    logging.getLogger("aiokafka").warning("broker %s is away", "b-1")
    log.debug("not written at info")
    first, second = records(lines)
    assert (first["event"], first["order_id"], first["level"], first["logger"]) == ("order_placed", "ord-1", "info", "liveline.test")
    assert (second["event"], second["level"], second["logger"]) == ("broker b-1 is away", "warning", "aiokafka")
    assert first["service"] == second["service"] == "service-under-test"
    assert first["timestamp"].endswith("Z")


def test_values_json_has_no_type_for_are_written_not_lost(lines):
    event_id, at = uuid.uuid4(), datetime(2026, 12, 5, 18, 30, tzinfo=UTC)
    log = structlog.get_logger("liveline.test")
    log.info("odd_values", event_id=event_id, at=at, error=ValueError("no seats"), huge=2**70)
    log.info("usual_values", event_id=event_id, at=at, error=ValueError("no seats"))
    odd, usual = records(lines)
    assert odd["huge"] == 2**70 and "no seats" in odd["error"]
    assert usual["event_id"] == str(event_id) and usual["at"].startswith("2026-12-05T18:30:00")
    assert usual["error"] == "ValueError('no seats')"


def test_an_exception_is_written_with_its_traceback(lines):
    try:
        raise RuntimeError("the disk is full")
    except RuntimeError:
        structlog.get_logger("liveline.test").exception("write_failed")
    (line,) = records(lines)
    assert line["level"] == "error" and "RuntimeError: the disk is full" in line["exception"]


def test_a_logger_used_before_the_logging_was_configured_again_writes_where_it_now_goes(lines):
    log = structlog.get_logger("liveline.test")
    log.info("before")
    elsewhere = io.StringIO()
    configure_logging("service-under-test")
    logging.getLogger().handlers[0].setStream(elsewhere)  # type: ignore[attr-defined]
    log.info("after")
    assert [r["event"] for r in records(lines)] == ["before"]
    assert [r["event"] for r in records(elsewhere)] == ["after"]
