"""Taking and giving back payment. The order service sees only the `PaymentProvider` protocol."""

from __future__ import annotations

from typing import Protocol

from ..domain.money import Money
from ..domain.orders import Payment


class PaymentProvider(Protocol):
    """Charges are keyed by order id: charging an order twice (a retry, the recovery sweep) must
    charge it once and return the same payment. Refunds are keyed and idempotent in the same way."""

    async def charge(self, order_id: str, amount: Money) -> Payment: ...

    async def refund(self, order_id: str) -> None:
        """Gives back whatever was charged for the order, if anything (so it is safe for unpaid orders)."""
        ...


class SandboxPaymentProvider:
    """Succeeds at once and moves no money; orders and the API say `sandbox: true`."""

    name = "sandbox"

    async def charge(self, order_id: str, amount: Money) -> Payment:
        return Payment(provider=self.name, sandbox=True, reference=f"sandbox-{order_id}")

    async def refund(self, order_id: str) -> None:
        return None
