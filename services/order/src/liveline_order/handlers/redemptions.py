"""Redemption: a merchant's staff redeem a voucher of their merchant, exactly once."""

from __future__ import annotations

from dataclasses import dataclass

import structlog

from liveline_shared.callers import Caller
from liveline_shared.events import OrderRedeemed

from ..adapters.orders import COLLECTION as ORDERS
from ..domain.errors import Forbidden, VoucherNotFound, VoucherOfAnotherMerchant
from ..domain.orders import Order, why_not_redeemable
from ..domain.vouchers import normalize_code
from .dependencies import Dependencies
from .events import order_event

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class RedeemVoucher:
    code: str


async def redeem_voucher(command: RedeemVoucher, caller: Caller | None, deps: Dependencies) -> Order:
    """A merchant's staff redeem a voucher of their merchant, exactly once, within its validity."""
    if caller is None or caller.role != "staff" or caller.merchant_id is None:
        raise Forbidden("only a merchant's staff redeem vouchers")
    code = normalize_code(command.code)
    order_id = await deps.orders.order_id_of_voucher(code) if code else None
    order = await deps.orders.get(order_id) if order_id else None
    if code is None or order is None or order.voucher is None or order.voucher.code != code:
        raise VoucherNotFound("no order has this voucher")
    if order.merchant_id != caller.merchant_id:
        raise VoucherOfAnotherMerchant("this voucher is for another merchant")
    now = deps.now()
    event = order_event(OrderRedeemed, order, now, redeemed_by=caller.account_id)
    lease = deps.write_lease()
    redeemed = await deps.orders.redeem(order.order_id, code, caller.merchant_id, caller.account_id, event, now, lease)
    if redeemed is None:
        raise why_not_redeemable(await deps.orders.get(order.order_id), code, caller.merchant_id, now)
    deps.notify(ORDERS, redeemed.order_id, lease)
    log.info("voucher_redeemed", order_id=redeemed.order_id, merchant_id=redeemed.merchant_id)
    return redeemed
