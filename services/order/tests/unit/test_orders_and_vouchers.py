"""Orders' state machine, who sees and refunds an order, why a redemption is refused, voucher codes."""

from __future__ import annotations

import math
import re
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from liveline_order.domain import errors
from liveline_order.domain.merchants import check_timezone, normalize_contact
from liveline_order.domain.money import Money
from liveline_order.domain.orders import (
    InvalidTransition,
    Order,
    Voucher,
    can_refund,
    can_see,
    check_transition,
    order_id_for,
    request_fingerprint,
    why_not_redeemable,
)
from liveline_order.domain.vouchers import new_voucher_code, normalize_code, qr_payload
from liveline_shared.callers import Caller

T0 = datetime(2015, 3, 24, 1, 0, tzinfo=UTC)
CODE = "123456789012"


def an_order(status: str = "paid", merchant_id: str = "m1") -> Order:
    return Order(
        order_id="o1", status=status, user_id="u1", deal_id="d1", merchant_id=merchant_id, quantity=1,
        amount=Money(9900, "CNY"), request_fingerprint="f", created_at=T0, updated_at=T0, settled=True,
        voucher=Voucher(CODE, qr_payload(CODE), T0, T0 + timedelta(days=30)),
    )


@pytest.mark.parametrize(
    "current, target",
    [("pending", "paid"), ("pending", "rejected"), ("paid", "redeemed"), ("paid", "refunded")],
)
def test_allowed_transitions(current, target):
    check_transition(current, target)


@pytest.mark.parametrize(
    "current, target",
    [("pending", "redeemed"), ("rejected", "paid"), ("redeemed", "refunded"), ("refunded", "paid"),
     ("redeemed", "paid"), ("paid", "pending")],
)
def test_forbidden_transitions(current, target):
    with pytest.raises(InvalidTransition):
        check_transition(current, target)


def test_the_order_id_is_the_same_for_the_same_buyer_and_key_only():
    assert order_id_for("u1", "k") == order_id_for("u1", "k")
    assert order_id_for("u1", "k") != order_id_for("u2", "k")
    # No separator trick makes two different pairs collide.
    assert order_id_for("u1:", "k") != order_id_for("u1", ":k")


def test_the_fingerprint_tells_different_requests_apart():
    assert request_fingerprint("d1", 1) == request_fingerprint("d1", 1)
    assert request_fingerprint("d1", 1) != request_fingerprint("d1", 2)
    assert request_fingerprint("d1", 1) != request_fingerprint("d2", 1)


def test_who_sees_and_who_refunds_an_order():
    order = an_order()
    buyer = Caller(account_id="u1", role="customer")
    other_customer = Caller(account_id="u2", role="customer")
    own_staff = Caller(account_id="s1", role="staff", merchant_id="m1")
    other_staff = Caller(account_id="s2", role="staff", merchant_id="m2")
    admin = Caller(account_id="a1", role="admin")
    assert [can_see(order, c) for c in (buyer, other_customer, own_staff, other_staff, admin)] == [
        True, False, True, False, True
    ]
    assert [can_refund(order, c) for c in (buyer, other_customer, own_staff, other_staff, admin)] == [
        True, False, False, False, True
    ]
    # A staff account whose id happens to equal the buyer's is still not the buyer.
    assert not can_see(order, Caller(account_id="u1", role="staff", merchant_id="m9"))


@pytest.mark.parametrize(
    "order, now, error",
    [
        (None, T0, errors.VoucherNotFound),
        (an_order(merchant_id="m2"), T0, errors.VoucherOfAnotherMerchant),
        (an_order(status="redeemed"), T0, errors.VoucherAlreadyRedeemed),
        (an_order(status="refunded"), T0, errors.VoucherRefunded),
        (an_order(status="pending"), T0, errors.VoucherNotFound),
        (an_order(), T0 + timedelta(days=31), errors.VoucherExpired),
        (an_order(), T0 - timedelta(seconds=1), errors.VoucherExpired),
    ],
)
def test_each_refused_redemption_has_its_own_reason(order, now, error):
    assert isinstance(why_not_redeemable(order, CODE, "m1", now), error)


def test_another_merchant_learns_nothing_about_the_state():
    refunded_elsewhere = an_order(status="refunded", merchant_id="m2")
    assert isinstance(why_not_redeemable(refunded_elsewhere, CODE, "m1", T0), errors.VoucherOfAnotherMerchant)


def test_voucher_codes_are_twelve_digits():
    for _ in range(1000):
        assert re.fullmatch(r"[0-9]{12}", new_voucher_code())


def test_voucher_codes_are_spread_over_all_digits():
    codes = [new_voucher_code() for _ in range(5000)]
    assert len(set(codes)) == len(codes)
    digits = Counter("".join(codes))
    expected = 5000 * 12 / 10
    # Every digit appears about equally often in every position (a chi-square-like bound).
    assert all(abs(count - expected) < 6 * math.sqrt(expected) for count in digits.values())
    first_digits = Counter(code[0] for code in codes)
    assert len(first_digits) == 10  # leading zeros are kept, not dropped


def test_a_code_can_be_typed_with_spaces_or_scanned():
    assert normalize_code("1234 5678 9012") == CODE
    assert normalize_code("1234-5678-9012") == CODE
    assert normalize_code(qr_payload(CODE)) == CODE
    assert normalize_code("12345") is None
    assert normalize_code("abcdefghijkl") is None


def test_merchants_need_an_iana_zone_and_a_phone_or_email():
    assert check_timezone("Asia/Shanghai") == "Asia/Shanghai"
    for bad in ("Mars/Olympus", "", "../etc/passwd", "UTC+8"):
        with pytest.raises(errors.InvalidMerchant):
            check_timezone(bad)
    assert normalize_contact("+86 21 6123 4567") == "+862161234567"
    assert normalize_contact("Front@Hotpot.CN") == "front@hotpot.cn"
    for bad in ("6123 4567", "hotpot", "a@b"):
        with pytest.raises(errors.InvalidMerchant):
            normalize_contact(bad)
