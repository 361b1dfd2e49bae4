"""The order service's use cases: one async function per command, each given the `Dependencies`
it works with and the caller the gateway named. Every object-level decision is made here.

One module per resource; `settlement` takes an order from pending to its outcome and holds
the recovery sweep.
"""

from .deals import ChangeDeal, CreateDeal, DealView, change_deal, create_deal, get_deal, list_deals
from .dependencies import Dependencies
from .merchants import CreateMerchant, create_merchant, get_merchant, list_merchants
from .orders import PlacedOrder, PlaceOrder, get_order, list_orders, place_order
from .redemptions import RedeemVoucher, redeem_voucher
from .refunds import RefundOrder, refund_order
from .settlement import recover_unsettled, settle

__all__ = [
    "ChangeDeal",
    "CreateDeal",
    "CreateMerchant",
    "DealView",
    "Dependencies",
    "PlaceOrder",
    "PlacedOrder",
    "RedeemVoucher",
    "RefundOrder",
    "change_deal",
    "create_deal",
    "create_merchant",
    "get_deal",
    "get_merchant",
    "get_order",
    "list_deals",
    "list_merchants",
    "list_orders",
    "place_order",
    "recover_unsettled",
    "redeem_voucher",
    "refund_order",
    "settle",
]
