"""The order service's HTTP contract: request and response bodies of its internal API.

The order service validates its input with these models and answers with them; the gateway
will reuse them to describe (and forward) the public API. Money is an integer amount of minor
units with an ISO 4217 currency code; every instant is UTC (ISO 8601 with an offset).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, field_validator
from pydantic.json_schema import JsonDict

from ..contacts import CONTACT_MAX_LENGTH, CONTACT_PATTERN

DealStatus = Literal["draft", "on_sale", "ended"]
OrderStatus = Literal["pending", "paid", "rejected", "redeemed", "refunded"]

IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"
# Set to "true" on an answer that repeats an earlier request with the same Idempotency-Key.
IDEMPOTENT_REPLAY_HEADER = "Idempotent-Replayed"


class _Input(BaseModel):
    # Unknown fields are refused, so a misspelt field is an error rather than silently ignored.
    model_config = ConfigDict(extra="forbid", frozen=True)


# A deal is sold and used in these years. A time outside them is a typo (0080 for 2080), and times
# near the limits of Python's datetime overflow when converted to UTC.
DEAL_YEARS = (2000, 2099)


def _within_deal_years(moment: datetime) -> datetime:
    first, last = DEAL_YEARS
    if not first <= moment.year <= last:
        raise ValueError(f"a deal's times lie in the years {first} to {last}")
    return moment


DealTime = Annotated[
    AwareDatetime,
    AfterValidator(_within_deal_years),
    Field(description=f"An instant with its UTC offset, in the years {DEAL_YEARS[0]} to {DEAL_YEARS[1]}."),
]


def _without_default(schema: JsonDict) -> None:
    schema.pop("default", None)


def _may_be_left_out(**constraints: Any) -> Any:
    """A field a change may leave out (it stays as it is) but not set to null."""
    return Field(default=None, json_schema_extra=_without_default, **constraints)


class Money(_Input):
    amount_minor: int = Field(ge=0, le=10**12, description="Amount in minor units of `currency` (cents, fen).")
    currency: str = Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 currency code, e.g. CNY.")


class NewMerchant(_Input):
    name: str = Field(min_length=1, max_length=200)
    address: str = Field(min_length=1, max_length=500)
    timezone: str = Field(min_length=1, max_length=64, description="IANA time zone, e.g. Asia/Shanghai.")
    contact: str = Field(
        min_length=3, max_length=CONTACT_MAX_LENGTH, json_schema_extra={"pattern": CONTACT_PATTERN},
        description="The business's phone (E.164, e.g. +862161234567) or e-mail.",
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
    sale_starts_at: DealTime
    sale_ends_at: DealTime
    voucher_valid_from: DealTime
    voucher_valid_until: DealTime = Field(description="Not before the end of the sale.")


class DealChange(_Input):
    """A status change (draft -> on_sale -> ended) and/or field edits (only while draft).

    A field left out stays as it is (and reads None here: see `model_fields_set`). Only `stock`
    may be null (unlimited); null for any other field is refused, as a deal cannot be without it.
    """

    status: DealStatus = _may_be_left_out()
    title: str = _may_be_left_out(min_length=1, max_length=200)
    description: str = _may_be_left_out(max_length=5000)
    price: Money = _may_be_left_out()
    original_price: Money = _may_be_left_out()
    stock: int | None = Field(default=None, gt=0, description="Units on sale; null means unlimited.")
    per_user_limit: int = _may_be_left_out(gt=0, le=1000)
    sale_starts_at: DealTime = _may_be_left_out()
    sale_ends_at: DealTime = _may_be_left_out()
    voucher_valid_from: DealTime = _may_be_left_out()
    voucher_valid_until: DealTime = _may_be_left_out()

    @field_validator(
        "status", "title", "description", "price", "original_price", "per_user_limit",
        "sale_starts_at", "sale_ends_at", "voucher_valid_from", "voucher_valid_until", mode="before",
    )
    @classmethod
    def _refuse_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("cannot be null; leave the field out to keep it")
        return value


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
