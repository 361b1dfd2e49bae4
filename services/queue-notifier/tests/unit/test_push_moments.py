"""A slot's push moments and the policy's bounds, without I/O."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from liveline_queue_notifier.domain.errors import InvalidPushPolicy
from liveline_queue_notifier.domain.pushes import PushPolicy, bucket_of, first_moment, moment_key, next_moment
from liveline_shared.clock import to_millis

START = datetime(2026, 11, 25, 18, 0, tzinfo=UTC)
END = START + timedelta(hours=2)


def test_the_first_push_is_the_lead_time_before_the_slot_starts():
    now = START - timedelta(hours=3)
    assert first_moment(START, END, PushPolicy(), now) == START - timedelta(minutes=30)


def test_a_slot_first_chosen_inside_the_lead_window_is_pushed_at_once():
    now = START - timedelta(seconds=590, microseconds=1234)
    assert first_moment(START, END, PushPolicy(lead_s=600, cadence_s=60), now) == to_millis(now)  # as stored


def test_moments_stop_before_the_slot_ends():
    assert next_moment(END - timedelta(seconds=3), END, 3) is None
    assert next_moment(END - timedelta(seconds=4), END, 3) == END - timedelta(seconds=1)
    assert first_moment(START, END, PushPolicy(), END) is None


@pytest.mark.parametrize(("lead_s", "cadence_s"), [(0, 60), (60, 1), (8 * 24 * 3600, 60), (60, 8 * 24 * 3600)])
def test_a_policy_out_of_range_is_refused(lead_s, cadence_s):
    with pytest.raises(InvalidPushPolicy):
        PushPolicy(lead_s, cadence_s)


def test_a_moment_is_filed_under_its_utc_minute_and_keyed_to_the_millisecond():
    moment = datetime(2026, 11, 25, 23, 59, 59, 123456, tzinfo=UTC)
    assert bucket_of(moment) == "2026-11-25T23:59"
    assert moment_key(moment) == "20261125T235959.123"


def test_a_moments_messages_are_each_recipients_own_event_byte_for_byte():
    from liveline_queue_notifier.handlers.inbox import moment_messages, queue_notification

    moment = {
        "_id": f"m1:2026-11-25:dinner@{moment_key(START)}", "merchant_id": "m1", "slot_id": "m1:2026-11-25:dinner",
        "starts_at": START, "ends_at": END, "moment": START - timedelta(minutes=30), "calling": "A012",
        "waiting_parties": 12, "waiting_people": 31, "wait_low_minutes": 30, "wait_high_minutes": 45,
        "enough_history": True, "measured_at": START - timedelta(minutes=31), "stale": False, "late": False,
        "change_parties": 2, "change_people": 5, "worked_at": START - timedelta(minutes=30), "seq": 42,
        "recipients": {"order-1": "user-1", 'or"der\\2': "usér-2"},
    }
    messages = moment_messages(moment)
    assert len(messages) == 2
    for message, (order_id, user_id) in zip(messages, sorted(moment["recipients"].items()), strict=True):
        expected = queue_notification(moment, order_id, user_id)
        assert message.value == expected.to_bytes() and message.key == user_id.encode()
        assert dict(message.headers) == {name: value.encode() for name, value in expected.headers().items()}
