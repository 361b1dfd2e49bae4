"""The pure parts of dead letters: the headers added on the way in and removed on replay."""

from __future__ import annotations

from datetime import UTC, datetime

from liveline_shared.dead_letters import (
    ERROR_HEADER_MAX_CHARS,
    dead_letter_headers,
    describe_error,
    header,
    original_headers,
    replay_group,
    replay_headers,
    should_replay,
)

FAILED_AT = datetime(2015, 3, 24, 9, 30, tzinfo=UTC)
ORIGINAL = [("event_type", b"OrderPlaced"), ("event_id", b"e-1"), ("trace", b"\x01\x02")]


def letter_headers(**overrides) -> list[tuple[str, bytes]]:
    fields = dict(
        reason="handler_failed", error=RuntimeError("boom"), consumer="order-stats", topic="liveline.orders.v1",
        partition=2, offset=41, attempts=3, failed_at=FAILED_AT,
    )
    return dead_letter_headers(ORIGINAL, **(fields | overrides))


def test_a_dead_letter_keeps_the_original_headers_and_says_why_where_and_when():
    headers = letter_headers()
    assert headers[: len(ORIGINAL)] == ORIGINAL
    assert dict(headers[len(ORIGINAL):]) == {
        "dlq_reason": b"handler_failed",
        "dlq_error": b"RuntimeError: boom",
        "dlq_consumer": b"order-stats",
        "dlq_topic": b"liveline.orders.v1",
        "dlq_partition": b"2",
        "dlq_offset": b"41",
        "dlq_attempts": b"3",
        "dlq_failed_at": b"2015-03-24T09:30:00+00:00",
    }


def test_a_letter_that_fails_again_carries_only_its_latest_failure():
    again = dead_letter_headers(
        letter_headers(), reason="invalid_message", error=ValueError("bad"), consumer="slots",
        topic="liveline.orders.v1", partition=0, offset=7, attempts=1, failed_at=FAILED_AT,
    )
    assert [name for name, _ in again].count("dlq_reason") == 1
    assert header(again, "dlq_consumer") == "slots"


def test_long_errors_are_cut_to_a_bounded_header():
    text = describe_error(ValueError("x" * 5000))
    assert len(text) == ERROR_HEADER_MAX_CHARS and text.startswith("ValueError: xxx")


def test_replay_restores_the_original_headers_and_names_the_consumer_it_is_for():
    headers = letter_headers()
    assert original_headers(headers) == ORIGINAL
    assert replay_headers(headers, None) == ORIGINAL
    assert replay_headers(headers, "order-stats") == [*ORIGINAL, ("replayed_for", b"order-stats")]
    assert original_headers(replay_headers(headers, "order-stats")) == ORIGINAL


def test_replay_filters_by_the_consumer_that_gave_up():
    headers = letter_headers()
    assert should_replay(headers, None)
    assert should_replay(headers, "order-stats")
    assert not should_replay(headers, "slots")


def test_each_filter_replays_in_a_consumer_group_of_its_own():
    assert replay_group("liveline.orders.v1", None) == "liveline-dlq-replay.liveline.orders.v1.all"
    assert replay_group("liveline.orders.v1", "slots") == "liveline-dlq-replay.liveline.orders.v1.slots"
