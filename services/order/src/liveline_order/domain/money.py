"""Money: an integer number of minor units and an ISO 4217 currency code. Never floats."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import InvalidMoney

_CURRENCY = re.compile(r"[A-Z]{3}")
MAX_AMOUNT_MINOR = 10**12


@dataclass(frozen=True)
class Money:
    amount_minor: int
    currency: str

    def __post_init__(self) -> None:
        if not _CURRENCY.fullmatch(self.currency):
            raise InvalidMoney(f"{self.currency!r} is not an ISO 4217 currency code")
        if isinstance(self.amount_minor, bool) or not isinstance(self.amount_minor, int):
            raise InvalidMoney("an amount is a whole number of minor units")
        if not 0 <= self.amount_minor <= MAX_AMOUNT_MINOR:
            raise InvalidMoney(f"an amount is between 0 and {MAX_AMOUNT_MINOR} minor units")

    def times(self, quantity: int) -> Money:
        return Money(self.amount_minor * quantity, self.currency)
