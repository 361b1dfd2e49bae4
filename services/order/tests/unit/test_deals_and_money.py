"""The pure rules of deals and money: prices, windows, stock, status changes."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from liveline_order.domain.deals import Deal, change_deal, new_deal_stock_rule
from liveline_order.domain.errors import DealNotEditable, InvalidDeal, InvalidMoney, InvalidStatusChange
from liveline_order.domain.money import Money

T0 = datetime(2015, 3, 24, 1, 0, tzinfo=UTC)


def a_deal(**overrides) -> Deal:
    fields = dict(
        deal_id="d1", merchant_id="m1", status="draft", title="Hotpot for two", description="",
        price=Money(9900, "CNY"), original_price=Money(19800, "CNY"), stock=50, sold=0, per_user_limit=2,
        sale_starts_at=T0, sale_ends_at=T0 + timedelta(days=7),
        voucher_valid_from=T0, voucher_valid_until=T0 + timedelta(days=90), created_at=T0,
    )
    return Deal(**{**fields, **overrides})


def test_a_sensible_deal_is_accepted():
    assert a_deal().price == Money(9900, "CNY")


def test_a_free_deal_is_allowed_but_not_a_free_original_price():
    assert a_deal(price=Money(0, "CNY")).price.amount_minor == 0
    with pytest.raises(InvalidDeal, match="original price must be above zero"):
        a_deal(price=Money(0, "CNY"), original_price=Money(0, "CNY"))


def test_the_price_may_not_exceed_the_original_price():
    with pytest.raises(InvalidDeal, match="may not exceed"):
        a_deal(price=Money(20000, "CNY"))


def test_prices_must_share_a_currency():
    with pytest.raises(InvalidDeal, match="same currency"):
        a_deal(original_price=Money(19800, "USD"))


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"sale_ends_at": T0}, "start before it ends"),
        ({"sale_ends_at": T0 - timedelta(hours=1)}, "start before it ends"),
        ({"voucher_valid_until": T0}, "valid before it expires"),
        ({"voucher_valid_until": T0 + timedelta(days=6)}, "at least until the sale ends"),
    ],
)
def test_windows_must_be_in_order(overrides, message):
    with pytest.raises(InvalidDeal, match=message):
        a_deal(**overrides)


def test_vouchers_valid_exactly_until_the_sale_ends_are_fine():
    assert a_deal(voucher_valid_until=T0 + timedelta(days=7))


@pytest.mark.parametrize("stock", [0, -1])
def test_a_new_deal_needs_positive_stock_or_none(stock):
    with pytest.raises(InvalidDeal):
        new_deal_stock_rule(stock)
    new_deal_stock_rule(None)
    new_deal_stock_rule(1)


def test_a_sold_out_deal_has_zero_stock_but_never_less():
    assert a_deal(stock=0).stock == 0
    with pytest.raises(InvalidDeal):
        a_deal(stock=-1)


@pytest.mark.parametrize(
    "amount, currency",
    [(-1, "CNY"), (10**12 + 1, "CNY"), (1.5, "CNY"), (True, "CNY"), (100, "cny"), (100, "YUAN"), (100, "")],
)
def test_money_is_whole_minor_units_with_an_iso_code(amount, currency):
    with pytest.raises(InvalidMoney):
        Money(amount, currency)


def test_money_times_a_quantity():
    assert Money(9900, "CNY").times(3) == Money(29700, "CNY")


def test_status_moves_draft_to_on_sale_to_ended():
    on_sale = change_deal(a_deal(), "on_sale", {})
    assert on_sale.status == "on_sale"
    assert change_deal(on_sale, "ended", {}).status == "ended"
    assert change_deal(a_deal(), "ended", {}).status == "ended"


@pytest.mark.parametrize("before, after", [("on_sale", "draft"), ("ended", "on_sale"), ("ended", "draft")])
def test_status_never_moves_back(before, after):
    with pytest.raises(InvalidStatusChange):
        change_deal(a_deal(status=before), after, {})


def test_only_a_draft_can_be_edited():
    edited = change_deal(a_deal(), None, {"title": "Hotpot for four", "stock": 10})
    assert (edited.title, edited.stock) == ("Hotpot for four", 10)
    with pytest.raises(DealNotEditable):
        change_deal(a_deal(status="on_sale"), None, {"title": "Cheaper"})


def test_edits_are_checked_against_every_rule():
    with pytest.raises(InvalidDeal, match="may not exceed"):
        change_deal(a_deal(), None, {"price": Money(30000, "CNY")})
    with pytest.raises(InvalidDeal, match="cannot change"):
        change_deal(a_deal(), None, {"sold": 3})


def test_on_sale_is_the_status_and_the_window():
    deal = a_deal(status="on_sale")
    assert deal.is_on_sale_at(T0)
    assert not deal.is_on_sale_at(T0 - timedelta(seconds=1))
    assert not deal.is_on_sale_at(T0 + timedelta(days=7))  # the end is exclusive
    assert not dataclasses.replace(deal, status="ended").is_on_sale_at(T0)


@pytest.mark.parametrize("field", ["original_price", "price", "title", "per_user_limit", "sale_starts_at"])
def test_null_for_a_field_a_deal_needs_is_refused(field):
    with pytest.raises(InvalidDeal, match=f"{field} cannot be null"):
        change_deal(a_deal(), None, {field: None})


def test_null_stock_makes_a_draft_unlimited():
    assert change_deal(a_deal(), None, {"stock": None}).stock is None
