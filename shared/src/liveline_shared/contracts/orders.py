"""The order service's HTTP contract: request and response bodies of its internal API.

The order service validates its input with these models and answers with them; the gateway
will reuse them to describe (and forward) the public API. Money is an integer amount of minor
units with an ISO 4217 currency code; every instant is UTC (ISO 8601 with an offset).
"""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

DealStatus = Literal["draft", "on_sale", "ended"]
OrderStatus = Literal["pending", "paid", "rejected", "redeemed", "refunded"]

IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"
# Set to "true" on an answer that repeats an earlier request with the same Idempotency-Key.
IDEMPOTENT_REPLAY_HEADER = "Idempotent-Replayed"


class _Input(BaseModel):
    # Unknown fields are refused, so a misspelt field is an error rather than silently ignored.
    model_config = ConfigDict(extra="forbid", frozen=True)


class Money(_Input):
    amount_minor: int = Field(ge=0, le=10**12, description="Amount in minor units of `currency` (cents, fen).")
    currency: str = Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 currency code, e.g. CNY.")


class NewMerchant(_Input):
    name: str = Field(min_length=1, max_length=200)
    address: str = Field(min_length=1, max_length=500)
    timezone: str = Field(min_length=1, max_length=64, description="IANA time zone, e.g. Asia/Shanghai.")
    contact: str = Field(
        min_length=3, max_length=254, description="The business's phone (E.164, e.g. +862161234567) or e-mail."
    )


class MerchantOut(BaseModel):
    merchant_id: str
    name: str
    address: str
    timezone: str
    contact: str
    created_at: AwareDatetime


class MerchantPage(BaseModel):
    items: list[MerchantOut]
    limit: int
    offset: int


class NewDeal(_Input):
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=5000)
    price: Money = Field(description="What a buyer pays per unit.")
    original_price: Money = Field(description="The usual price per unit; not below `price`, same currency.")
    stock: int | None = Field(gt=0, description="Units on sale; null means unlimited.")
    per_user_limit: int = Field(gt=0, le=1000, description="Most units one buyer may hold at once.")
    sale_starts_at: AwareDatetime
    sale_ends_at: AwareDatetime
    voucher_valid_from: AwareDatetime
    voucher_valid_until: AwareDatetime = Field(description="Not before the end of the sale.")


class DealChange(_Input):
    """A status change (draft -> on_sale -> ended) and/or field edits (only while draft)."""

    status: DealStatus | None = None
    title: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=5000)
    price: Money | None = None
    original_price: Money | None = None
    stock: int | None = Field(default=None, gt=0)
    per_user_limit: int | None = Field(default=None, gt=0, le=1000)
    sale_starts_at: AwareDatetime | None = None
    sale_ends_at: AwareDatetime | None = None
    voucher_valid_from: AwareDatetime | None = None
    voucher_valid_until: AwareDatetime | None = None


class DealOut(BaseModel):
    deal_id: str
    merchant_id: str
    status: DealStatus
    title: str
    description: str
    price: Money
    original_price: Money
    stock: int | None = Field(description="Units left; null means unlimited.")
    sold: int
    per_user_limit: int
    sale_starts_at: AwareDatetime
    sale_ends_at: AwareDatetime
    voucher_valid_from: AwareDatetime
    voucher_valid_until: AwareDatetime
    created_at: AwareDatetime
    merchant: MerchantOut | None = Field(default=None, description="The merchant, embedded in listings.")


class DealPage(BaseModel):
    items: list[DealOut]
    limit: int
    offset: int


class PlaceOrder(_Input):
    deal_id: str = Field(min_length=1, max_length=64)
    quantity: int = Field(ge=1, le=1000)


class VoucherOut(BaseModel):
    code: str = Field(description="The voucher code the merchant's staff redeem (digits only).")
    qr_payload: str = Field(description="What the voucher's QR code encodes.")
    valid_from: AwareDatetime
    valid_until: AwareDatetime


class PaymentOut(BaseModel):
    provider: str
    sandbox: bool = Field(description="True when no real money moved (the sandbox provider).")
    reference: str


class OrderOut(BaseModel):
    order_id: str
    status: OrderStatus
    deal_id: str
    merchant_id: str
    user_id: str
    quantity: int
    amount: Money
    voucher: VoucherOut | None = None
    payment: PaymentOut | None = None
    rejection_reason: str | None = None
    created_at: AwareDatetime
    paid_at: AwareDatetime | None = None
    redeemed_at: AwareDatetime | None = None
    refunded_at: AwareDatetime | None = None


class OrderPage(BaseModel):
    items: list[OrderOut]
    limit: int
    offset: int


class Redeem(_Input):
    code: str = Field(min_length=1, max_length=64, description="The voucher code shown by the buyer.")
