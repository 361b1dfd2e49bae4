"""One flow, one id: what a consumer logs while it handles an event carries the ids of the
publisher's flow, so a grep for the correlation id finds both sides of the hop."""

from __future__ import annotations

import io
import json
import logging
from datetime import UTC, datetime, timedelta

import structlog

from liveline_shared.consumer import register_consumer
from liveline_shared.events import Event, OrderPlaced
from liveline_shared.logging import configure_logging
from liveline_shared.outbox import outbox_fields
from liveline_shared.relay import OutboxRelay
from shared.tests.integration.support import new_broker, new_topic, running, wait_until
from tests.random_refs import group_name, suffix


async def test_a_consumers_log_lines_carry_the_publishers_correlation_and_entity_ids(bootstrap, db):
    topic = await new_topic(bootstrap, "log-context")
    order_id, correlation_id = f"ord-{suffix()}", f"checkout-{suffix()}"
    now = datetime.now(UTC)
    placed_type = type("OrderPlaced", (OrderPlaced,), {"topic": topic.name})
    placed = placed_type(
        occurred_at=now, producer="order", order_id=order_id, deal_id="deal-1", merchant_id="m-1", user_id="u-1",
        quantity=1, amount_minor=100, currency="CNY", voucher_valid_from=now, voucher_valid_until=now + timedelta(days=1),
        correlation_id=correlation_id,
    )

    lines = io.StringIO()
    saved_handlers = logging.getLogger().handlers[:]
    configure_logging("consumer-under-test")
    logging.getLogger().handlers[0].setStream(lines)  # type: ignore[attr-defined]
    handled: list[Event] = []

    async def handle(event: Event) -> None:
        structlog.get_logger("handler").info("order_seen")
        handled.append(event)

    try:
        broker = new_broker(bootstrap)
        register_consumer(broker, name=group_name("log-context"), topic=topic, db=db, handler=handle)
        await db.orders.insert_one({"_id": order_id, **outbox_fields(placed, now=now)})
        async with running(broker), OutboxRelay(db, ["orders"], bootstrap) as relay:
            relay.notify("orders", order_id)

            async def was_handled() -> bool:
                return bool(handled)

            await wait_until(was_handled, what="the event to be handled")
    finally:
        logging.getLogger().handlers[:] = saved_handlers
        structlog.reset_defaults()

    records = [json.loads(line) for line in lines.getvalue().splitlines() if line.startswith("{")]
    seen = [r for r in records if r.get("event") == "order_seen"]
    assert seen, "the handler's log line was not written"
    assert seen[0]["correlation_id"] == correlation_id
    assert seen[0]["event_id"] == str(placed.event_id)
    assert (seen[0]["order_id"], seen[0]["user_id"], seen[0]["merchant_id"]) == (order_id, "u-1", "m-1")
    assert seen[0]["service"] == "consumer-under-test"
    relayed = [r for r in records if r.get("correlation_id") == correlation_id and r.get("event") != "order_seen"]
    assert relayed, "no other line of the flow carries its correlation id"
