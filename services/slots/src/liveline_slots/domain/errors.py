"""What the slots service refuses, in the domain's words (api/problems.py gives each its HTTP form)."""

from __future__ import annotations


class SlotsError(Exception):
    """The base of every refusal the slots service explains to its caller."""


class Forbidden(SlotsError):
    """The caller's role may not do this."""


class InvalidPolicy(SlotsError):
    """A slot policy breaks a rule (overlapping periods, an unknown time zone …)."""


class MerchantNotFound(SlotsError):
    pass


class OfferNotFound(SlotsError):
    """No offer for this order yet, or an order that is not the caller's."""


class OrderClosed(SlotsError):
    """The order was redeemed, refunded or has expired: it gets no slots any more."""

    def __init__(self, status: str) -> None:
        super().__init__(f"the order is {status}")
        self.status = status


class OfferReplaced(SlotsError):
    """The choice names an offer that a newer one replaced; read the offer again."""


class SlotNotOffered(SlotsError):
    """A chosen slot is not in the order's current offer."""


class SlotClosed(SlotsError):
    """A chosen slot is past its cut-off."""


class SlotFull(SlotsError):
    """A chosen slot has no place left."""


class ChoiceLocked(SlotsError):
    """The first chosen slot has started: the choice can no longer be replaced."""


class ChoiceInProgress(SlotsError):
    """Another choice for the same order is being made right now."""
