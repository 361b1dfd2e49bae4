"""Domain objects as the contract's response bodies (liveline_shared.contracts.orders)."""

from __future__ import annotations

from liveline_shared.contracts import orders as contract

from ..domain.deals import Deal
from ..domain.merchants import Merchant
from ..domain.money import Money
from ..domain.orders import Order


def money_out(money: Money) -> contract.Money:
    return contract.Money(amount_minor=money.amount_minor, currency=money.currency)


def merchant_out(merchant: Merchant) -> contract.MerchantOut:
    return contract.MerchantOut(
        merchant_id=merchant.merchant_id, name=merchant.name, address=merchant.address,
        timezone=merchant.timezone, contact=merchant.contact, created_at=merchant.created_at,
    )


def deal_out(deal: Deal, merchant: Merchant | None = None) -> contract.DealOut:
    return contract.DealOut(
        deal_id=deal.deal_id, merchant_id=deal.merchant_id, status=deal.status, title=deal.title,
        description=deal.description, price=money_out(deal.price), original_price=money_out(deal.original_price),
        stock=deal.stock, sold=deal.sold, per_user_limit=deal.per_user_limit,
        sale_starts_at=deal.sale_starts_at, sale_ends_at=deal.sale_ends_at,
        voucher_valid_from=deal.voucher_valid_from, voucher_valid_until=deal.voucher_valid_until,
        created_at=deal.created_at, merchant=merchant_out(merchant) if merchant else None,
    )


def order_out(order: Order) -> contract.OrderOut:
    voucher = order.voucher
    payment = order.payment
    return contract.OrderOut(
        order_id=order.order_id, status=order.status, deal_id=order.deal_id, merchant_id=order.merchant_id,
        user_id=order.user_id, quantity=order.quantity, amount=money_out(order.amount),
        voucher=contract.VoucherOut(
            code=voucher.code, qr_payload=voucher.qr_payload, valid_from=voucher.valid_from,
            valid_until=voucher.valid_until,
        ) if voucher else None,
        payment=contract.PaymentOut(
            provider=payment.provider, sandbox=payment.sandbox, reference=payment.reference,
        ) if payment else None,
        rejection_reason=order.rejection_reason, created_at=order.created_at, paid_at=order.paid_at,
        redeemed_at=order.redeemed_at, refunded_at=order.refunded_at,
    )
