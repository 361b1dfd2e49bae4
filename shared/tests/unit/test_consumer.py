"""The pure parts of a consumer: retry schedule, error classes, event-type filtering."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pymongo.errors import DuplicateKeyError, NetworkTimeout, ServerSelectionTimeoutError

from liveline_shared.consumer import (
    HandlerFailed,
    RetryPolicy,
    call_with_retries,
    handles,
    is_infrastructure_error,
    meant_for_another_consumer,
)
from liveline_shared.events import OrderPlaced
from liveline_shared.idempotence import consumed_record_id

NOW = datetime(2015, 3, 24, 9, 30, tzinfo=UTC)
PLACED = OrderPlaced(
    occurred_at=NOW, producer="order", order_id="ord-1", deal_id="deal-1", merchant_id="m-1", user_id="u-1",
    quantity=1, amount_minor=100, currency="CNY", voucher_valid_from=NOW, voucher_valid_until=NOW + timedelta(days=1),
)


def test_backoff_doubles_between_attempts_and_is_capped():
    assert RetryPolicy(attempts=3, first_delay_s=0.2).delays() == [0.2, 0.4]
    assert RetryPolicy(attempts=6, first_delay_s=1, max_delay_s=5).delays() == [1, 2, 4, 5, 5]
    assert RetryPolicy(attempts=1).delays() == []


async def test_a_handler_that_keeps_failing_is_tried_the_bounded_number_of_times():
    calls: list[int] = []
    pauses: list[float] = []
    retried: list[int] = []

    async def failing() -> None:
        calls.append(1)
        raise ValueError("no")

    async def pause(seconds: float) -> None:
        pauses.append(seconds)

    with pytest.raises(HandlerFailed) as failed:
        await call_with_retries(failing, RetryPolicy(attempts=3, first_delay_s=0.5), on_retry=lambda n, e: retried.append(n), sleep=pause)

    assert (len(calls), pauses, retried) == (3, [0.5, 1.0], [1, 2])
    assert failed.value.attempts == 3 and isinstance(failed.value.error, ValueError)


async def test_a_handler_that_recovers_is_not_dead_lettered():
    outcomes = iter([RuntimeError("once"), None])

    async def flaky() -> None:
        if error := next(outcomes):
            raise error

    async def pause(seconds: float) -> None:
        pass

    await call_with_retries(flaky, RetryPolicy(attempts=3), sleep=pause)


async def test_an_infrastructure_error_is_not_retried_here_but_handed_back_for_redelivery():
    calls: list[int] = []

    async def database_away() -> None:
        calls.append(1)
        raise ServerSelectionTimeoutError("no server")

    with pytest.raises(ServerSelectionTimeoutError):
        await call_with_retries(database_away, RetryPolicy(attempts=3))
    assert calls == [1]


@pytest.mark.parametrize(
    ("error", "infrastructure"),
    [
        (ServerSelectionTimeoutError("x"), True),
        (NetworkTimeout("x"), True),
        (TimeoutError(), True),
        (ConnectionRefusedError(), True),
        (DuplicateKeyError("x"), False),
        (ValueError("x"), False),
        (KeyError("x"), False),
    ],
)
def test_errors_of_the_database_broker_or_network_count_as_infrastructure(error, infrastructure):
    assert is_infrastructure_error(error) is infrastructure


def test_a_consumer_applies_only_the_event_types_it_lists():
    assert handles(PLACED, {"OrderPlaced", "OrderRefunded"})
    assert not handles(PLACED, {"OrderRedeemed"})
    assert handles(PLACED, ())  # no list: every type


def test_a_replay_meant_for_one_consumer_is_skipped_by_the_others():
    assert meant_for_another_consumer({"replayed_for": "slots"}, "order-stats")
    assert not meant_for_another_consumer({"replayed_for": "order-stats"}, "order-stats")
    assert not meant_for_another_consumer({}, "order-stats")


def test_the_consumed_record_is_keyed_by_consumer_and_event_id():
    assert consumed_record_id("order-stats", PLACED.event_id) == f"order-stats:{PLACED.event_id}"
