"""The recovery sweep finishes or undoes orders that a crashed request left half-way.

The handler-level tests drive the sweep with a manual clock against the real database; the
last two leave a "crashed" order in the running service's database and watch its sweep.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from pymongo import AsyncMongoClient
from pymongo.errors import AutoReconnect
from pymongo.asynchronous.database import AsyncDatabase

from liveline_order import handlers
from liveline_order.bootstrap import build_dependencies, ensure_indexes
from liveline_order.config import Settings
from liveline_order.domain.deals import Deal
from liveline_order.domain.errors import OrderAbandoned
from liveline_order.domain.money import Money
from liveline_order.domain.orders import Order, order_id_for, request_fingerprint
from liveline_shared.callers import Caller
from liveline_shared.clock import ManualClock
from services.order.tests.integration.support import (
    admin,
    assert_problem,
    customer,
    get_deal,
    headers,
    new_deal,
    new_merchant,
    order_events,
    place,
    wait_for,
)
from tests.random_refs import database_name

START = datetime.now(UTC).replace(microsecond=0)
TIMEOUT = timedelta(seconds=5)
GRACE = timedelta(seconds=20)


@pytest.fixture
async def own_db(stack_endpoints) -> AsyncIterator[AsyncDatabase]:
    """A database of these tests' own: the running service's sweep (on the real clock) must not
    see orders written on the manual clock."""
    client: AsyncMongoClient = AsyncMongoClient(stack_endpoints.mongo_url, tz_aware=True, timeoutMS=10_000)
    try:
        yield client[database_name("order_sweep")]
    finally:
        await client.close()


@pytest.fixture
async def service(own_db) -> handlers.Dependencies:
    settings = Settings(
        environment="test", pending_timeout_s=TIMEOUT.total_seconds(), abandoned_grace_s=GRACE.total_seconds()
    )
    service = build_dependencies(settings, own_db, clock=ManualClock(START))
    await ensure_indexes(service)
    return service


async def a_deal_on_sale(service: handlers.Dependencies, stock: int = 10) -> Deal:
    boss = Caller(account_id="admin-1", role="admin")
    merchant = await handlers.create_merchant(
        handlers.CreateMerchant("Hotpot", "1 Nanjing Rd", "Asia/Shanghai", "+862161234567"), boss, service
    )
    deal = await handlers.create_deal(
        handlers.CreateDeal(
            merchant_id=merchant.merchant_id, title="Hotpot", description="", price=Money(9900, "CNY"),
            original_price=Money(19800, "CNY"), stock=stock, per_user_limit=3,
            sale_starts_at=START - timedelta(hours=1), sale_ends_at=START + timedelta(days=1),
            voucher_valid_from=START, voucher_valid_until=START + timedelta(days=30),
        ),
        boss, service,
    )
    return await handlers.change_deal(handlers.ChangeDeal(deal.deal_id, "on_sale"), boss, service)


async def a_crashed_order(
    service: handlers.Dependencies, deal: Deal, *, quota: bool, stock: bool, quantity: int = 2
) -> tuple[Order, str]:
    """A pending order as a request that died after the steps named would have left it."""
    buyer, key = f"cust-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    now = service.now()
    order = Order(
        order_id=order_id_for(buyer, key), status="pending", user_id=buyer, deal_id=deal.deal_id,
        merchant_id=deal.merchant_id, quantity=quantity, amount=deal.price.times(quantity),
        request_fingerprint=request_fingerprint(deal.deal_id, quantity), created_at=now, updated_at=now, settled=False,
    )
    assert await service.orders.claim(order) is None
    if quota:
        assert await service.purchases.reserve(deal.deal_id, buyer, order.order_id, quantity, deal.per_user_limit)
    if stock:
        assert await service.deals.reserve_stock(deal, order.order_id, quantity, now)
    return order, key


async def sweep_after(service: handlers.Dependencies, delay: timedelta) -> int:
    service.clock.advance(delay)  # type: ignore[attr-defined]
    return await handlers.recover_unsettled(service)


async def test_a_young_pending_order_is_left_alone(service):
    deal = await a_deal_on_sale(service)
    order, _ = await a_crashed_order(service, deal, quota=True, stock=True)
    service.clock.advance(TIMEOUT - timedelta(seconds=1))  # type: ignore[attr-defined]
    await handlers.recover_unsettled(service)
    assert (await service.orders.get(order.order_id)).status == "pending"


async def test_an_order_that_holds_quota_and_stock_is_paid_by_the_sweep(service, own_db):
    deal = await a_deal_on_sale(service, stock=10)
    order, _ = await a_crashed_order(service, deal, quota=True, stock=True)

    await sweep_after(service, TIMEOUT + timedelta(seconds=1))

    paid = await service.orders.get(order.order_id)
    assert paid.status == "paid" and paid.settled
    assert paid.voucher is not None and paid.payment is not None
    document = await own_db.orders.find_one({"_id": order.order_id})
    assert document["_outbox_pending"] == 1  # OrderPlaced rides in the same document
    after = await service.deals.get(deal.deal_id)
    assert (after.stock, after.sold) == (8, 2)
    assert not await service.deals.holds_stock_for(deal.deal_id, order.order_id)  # the hold is settled


async def test_an_order_that_holds_only_its_quota_is_undone(service):
    deal = await a_deal_on_sale(service, stock=10)
    order, key = await a_crashed_order(service, deal, quota=True, stock=False)

    await sweep_after(service, TIMEOUT + timedelta(seconds=1))

    rejected = await service.orders.get(order.order_id)
    assert (rejected.status, rejected.rejection_reason) == ("rejected", "abandoned")
    assert not await service.purchases.holds_quota_for(deal.deal_id, order.user_id, order.order_id)
    assert (await service.deals.get(deal.deal_id)).stock == 10
    # Swept again during the grace for late reservations, then settled for good.
    assert not rejected.settled
    await sweep_after(service, GRACE)
    assert (await service.orders.get(order.order_id)).settled
    # A retry with the request's key learns what happened, and is not placed a second time.
    buyer = Caller(account_id=order.user_id, role="customer")
    with pytest.raises(OrderAbandoned):
        await handlers.place_order(handlers.PlaceOrder(key, deal.deal_id, 2), buyer, service)


async def test_an_order_that_holds_stock_but_no_quota_gives_the_stock_back_once(service):
    deal = await a_deal_on_sale(service, stock=10)
    order, _ = await a_crashed_order(service, deal, quota=False, stock=True)
    assert (await service.deals.get(deal.deal_id)).stock == 8

    await sweep_after(service, TIMEOUT + timedelta(seconds=1))
    await sweep_after(service, TIMEOUT + timedelta(seconds=1))  # a second sweep changes nothing

    assert (await service.orders.get(order.order_id)).status == "rejected"
    after = await service.deals.get(deal.deal_id)
    assert (after.stock, after.sold) == (10, 0)


async def test_a_refund_cut_short_is_finished_by_the_sweep_and_returns_stock_once(service, own_db):
    deal = await a_deal_on_sale(service, stock=10)
    buyer = Caller(account_id=f"cust-{uuid.uuid4().hex[:8]}", role="customer")
    placed = await handlers.place_order(handlers.PlaceOrder(uuid.uuid4().hex, deal.deal_id, 3), buyer, service)
    assert (await service.deals.get(deal.deal_id)).stock == 7
    # The refund's status change happened, then the process died before giving anything back.
    await own_db.orders.update_one(
        {"_id": placed.order.order_id},
        {"$set": {"status": "refunded", "settled": False, "refunded_at": service.now(), "refunded_by": buyer.account_id}},
    )

    # The sweep dies too, after giving the stock back and before marking the order settled.
    mark_settled = service.orders.mark_settled
    deaths = iter([AutoReconnect("the sweep's process died here")])

    async def dies_once(order_id: str, status: str) -> None:
        if error := next(deaths, None):
            raise error
        await mark_settled(order_id, status)

    service.orders.mark_settled = dies_once  # type: ignore[method-assign]
    await sweep_after(service, TIMEOUT + timedelta(seconds=1))
    assert not (await service.orders.get(placed.order.order_id)).settled
    await sweep_after(service, TIMEOUT + timedelta(seconds=1))

    after = await service.deals.get(deal.deal_id)
    assert (after.stock, after.sold) == (10, 0)
    assert not await service.purchases.holds_quota_for(deal.deal_id, buyer.account_id, placed.order.order_id)
    assert (await service.orders.get(placed.order.order_id)).settled
    # The marker that kept the return single is gone once the refund is settled.
    assert f"o{placed.order.order_id}" not in (await own_db.deals.find_one({"_id": deal.deal_id}))["returns"]


async def test_orders_paid_at_once_are_all_settled_with_no_hold_left_in_the_deal(service, own_db):
    deal = await a_deal_on_sale(service, stock=30)
    buyers = [Caller(account_id=f"cust-{uuid.uuid4().hex[:8]}", role="customer") for _ in range(24)]
    placed = await asyncio.gather(*(
        handlers.place_order(handlers.PlaceOrder(uuid.uuid4().hex, deal.deal_id, 1), buyer, service) for buyer in buyers
    ))

    assert all(p.order.status == "paid" for p in placed)
    for p in placed:
        assert (await service.orders.get(p.order.order_id)).settled
    document = await own_db.deals.find_one({"_id": deal.deal_id})
    assert document["holds"] == {} and (document["stock"], document["sold"]) == (6, 24)


async def test_paid_orders_whose_settlement_failed_are_settled_by_the_sweep(service, own_db):
    deal = await a_deal_on_sale(service, stock=30)
    settle_holds = service.deals.settle_holds
    deaths = iter([AutoReconnect("the database went away here")])

    async def fails_once(deal_id: str, order_ids: list[str]) -> None:
        if error := next(deaths, None):
            raise error
        await settle_holds(deal_id, order_ids)

    service.deals.settle_holds = fails_once  # type: ignore[method-assign]
    buyers = [Caller(account_id=f"cust-{uuid.uuid4().hex[:8]}", role="customer") for _ in range(3)]
    placed = await asyncio.gather(*(
        handlers.place_order(handlers.PlaceOrder(uuid.uuid4().hex, deal.deal_id, 1), buyer, service) for buyer in buyers
    ))
    # The buyers were answered "paid" all the same; whatever was left unsettled the sweep finishes.
    assert all(p.order.status == "paid" for p in placed)
    assert not all([(await service.orders.get(p.order.order_id)).settled for p in placed])

    await sweep_after(service, TIMEOUT + timedelta(seconds=1))

    for p in placed:
        assert (await service.orders.get(p.order.order_id)).settled
    document = await own_db.deals.find_one({"_id": deal.deal_id})
    assert document["holds"] == {} and (document["stock"], document["sold"]) == (27, 3)


class StallBeforeReservingStock:
    """Holds a placement just before it reserves stock, as a slow network or a paused process would,
    and optionally kills the request right after the reservation went through."""

    def __init__(self, service: handlers.Dependencies, *, die_after: bool) -> None:
        self.stalled = asyncio.Event()
        self.resume = asyncio.Event()
        self._reserve = service.deals.reserve_stock
        self._die_after = die_after
        service.deals.reserve_stock = self.reserve_stock  # type: ignore[method-assign]

    async def reserve_stock(self, *args, **kwargs) -> bool:
        self.stalled.set()
        await self.resume.wait()
        reserved = await self._reserve(*args, **kwargs)
        if self._die_after:
            raise RequestDied("the request died right after reserving")
        return reserved


class RequestDied(Exception):
    pass


async def a_stalled_placement(service: handlers.Dependencies, *, die_after: bool):  # noqa: ANN201
    """A buyer's placement of 2 units of a new deal (stock 10), held just before it reserves stock."""
    deal = await a_deal_on_sale(service, stock=10)
    buyer = Caller(account_id=f"cust-{uuid.uuid4().hex[:8]}", role="customer")
    key = uuid.uuid4().hex
    stall = StallBeforeReservingStock(service, die_after=die_after)
    placing = asyncio.ensure_future(handlers.place_order(handlers.PlaceOrder(key, deal.deal_id, 2), buyer, service))
    await asyncio.wait_for(stall.stalled.wait(), 30)
    return deal, buyer, key, stall, placing


async def test_a_placement_that_stalls_past_the_timeout_and_reserves_late_gives_its_stock_back(service):
    deal, buyer, key, stall, placing = await a_stalled_placement(service, die_after=False)

    await sweep_after(service, TIMEOUT + timedelta(seconds=1))  # the sweep gives up on the stalled order
    stall.resume.set()  # ...and then the request reserves its stock after all

    with pytest.raises(OrderAbandoned):
        await asyncio.wait_for(placing, 30)
    after = await service.deals.get(deal.deal_id)
    assert (after.stock, after.sold) == (10, 0)
    order = await service.orders.get(order_id_for(buyer.account_id, key))
    assert (order.status, order.rejection_reason) == ("rejected", "abandoned")
    assert not await service.deals.holds_stock_for(deal.deal_id, order.order_id)
    assert not await service.purchases.holds_quota_for(deal.deal_id, buyer.account_id, order.order_id)


async def test_a_placement_that_reserves_after_the_sweep_gave_up_and_then_dies_is_undone_by_the_sweep(service):
    deal, buyer, key, stall, placing = await a_stalled_placement(service, die_after=True)

    await sweep_after(service, TIMEOUT + timedelta(seconds=1))
    stall.resume.set()
    with pytest.raises(RequestDied):
        await asyncio.wait_for(placing, 30)
    assert (await service.deals.get(deal.deal_id)).stock == 8  # the late hold, with nobody left to release it

    await sweep_after(service, TIMEOUT + timedelta(seconds=1))
    after = await service.deals.get(deal.deal_id)
    assert (after.stock, after.sold) == (10, 0)
    await sweep_after(service, GRACE)
    await sweep_after(service, GRACE)  # later sweeps give nothing back twice
    after = await service.deals.get(deal.deal_id)
    assert (after.stock, after.sold) == (10, 0)
    order_id = order_id_for(buyer.account_id, key)
    assert not await service.deals.holds_stock_for(deal.deal_id, order_id)
    assert not await service.purchases.holds_quota_for(deal.deal_id, buyer.account_id, order_id)
    assert (await service.orders.get(order_id)).settled


async def crashed_order_document(db, deal: dict, buyer: str, *, quantity: int, hold_quota: bool) -> str:
    """Writes what a request that died after reserving stock (and maybe quota) leaves behind."""
    order_id = order_id_for(buyer, uuid.uuid4().hex)
    long_ago = datetime.now(UTC) - timedelta(hours=1)
    await db.orders.insert_one({
        "_id": order_id, "status": "pending", "user_id": buyer, "deal_id": deal["deal_id"],
        "merchant_id": deal["merchant_id"], "quantity": quantity,
        "amount": {"amount_minor": deal["price"]["amount_minor"] * quantity, "currency": deal["price"]["currency"]},
        "request_fingerprint": request_fingerprint(deal["deal_id"], quantity), "correlation_id": None,
        "created_at": long_ago, "updated_at": long_ago, "settled": False,
    })
    if hold_quota:
        await db.deal_purchases.insert_one({
            "_id": f"{deal['deal_id']}:{buyer}", "deal_id": deal["deal_id"], "user_id": buyer,
            "count": quantity, "orders": {f"o{order_id}": quantity},
        })
    await db.deals.update_one(
        {"_id": deal["deal_id"]}, {"$inc": {"stock": -quantity, "sold": quantity}, "$set": {f"holds.o{order_id}": quantity}}
    )
    return order_id


async def test_the_running_service_undoes_a_crashed_order_that_held_only_stock(client, db):
    merchant = await new_merchant(client)
    deal = await new_deal(client, merchant["merchant_id"], stock=5)
    buyer = customer()
    order_id = await crashed_order_document(db, deal, buyer.account_id, quantity=2, hold_quota=False)
    assert (await get_deal(client, deal["deal_id"]))["stock"] == 3

    async def undone() -> bool:
        order = await client.get(f"/orders/{order_id}", headers=headers(admin()))
        return order.json()["status"] == "rejected"

    await wait_for(undone, deadline_s=30, what="the sweep to undo the order")
    await wait_for(
        lambda: db.orders.count_documents({"_id": order_id, "settled": True}), deadline_s=60,
        what="settled after the grace for late reservations",
    )
    after = await get_deal(client, deal["deal_id"])
    assert (after["stock"], after["sold"]) == (5, 0)
    # All five units can be sold again.
    assert (await place(client, customer(), deal["deal_id"], quantity=5)).status_code == 201
    assert_problem(await place(client, customer(), deal["deal_id"]), 409, "sold-out")


async def test_the_running_service_finishes_a_crashed_order_that_held_everything(client, db, kafka):
    merchant = await new_merchant(client)
    deal = await new_deal(client, merchant["merchant_id"], stock=5)
    buyer = customer()
    order_id = await crashed_order_document(db, deal, buyer.account_id, quantity=1, hold_quota=True)

    async def paid() -> dict | None:
        order = (await client.get(f"/orders/{order_id}", headers=headers(buyer))).json()
        return order if order["status"] == "paid" else None

    order = await wait_for(paid, deadline_s=30, what="the sweep to finish the order")
    assert order["voucher"]["code"]
    assert (await get_deal(client, deal["deal_id"]))["stock"] == 4
    events = await order_events(kafka, where={"order_id": order_id, "event_type": "OrderPlaced"}, expect=1)
    assert len(events) == 1
