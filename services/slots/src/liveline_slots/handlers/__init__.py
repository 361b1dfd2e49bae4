"""The slots service's use cases: one async function per command or event, each given the
service's dependencies (built in bootstrap.py) and, for a command, the caller. They call
`domain` for decisions and `adapters` for storage; api/routes and consumers.py only translate
and call them. One module per resource."""

from .choices import choose, recover_choices
from .dependencies import Dependencies
from .history import record_queue_tick
from .offers import (
    OfferView,
    close_order,
    get_offer,
    offer_after_purchase,
    offer_again_after_missed_slot,
    request_offer,
)
from .policies import get_policy, policy_of, put_policy

__all__ = [
    "Dependencies", "OfferView", "choose", "close_order", "get_offer", "get_policy", "offer_after_purchase",
    "offer_again_after_missed_slot", "policy_of", "put_policy", "record_queue_tick", "recover_choices",
    "request_offer",
]
