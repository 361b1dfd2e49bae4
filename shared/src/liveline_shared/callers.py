"""Who is calling, as the gateway tells the internal services.

The gateway authenticates the user (JWT) and calls a service over HTTP with the caller's id,
role and merchant in headers, signed by a shared internal token. Services trust only requests
that carry that token, and make every object-level decision ("is this order yours?") themselves,
since they own the objects.

These are plain types; the FastAPI dependencies that read them from a request are in
`api_dependencies.py`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

Role = Literal["customer", "staff", "admin"]
ROLES: tuple[Role, ...] = ("customer", "staff", "admin")

TOKEN_HEADER = "X-Liveline-Internal-Token"
CALLER_ID_HEADER = "X-Liveline-Caller-Id"
CALLER_ROLE_HEADER = "X-Liveline-Caller-Role"
CALLER_MERCHANT_HEADER = "X-Liveline-Caller-Merchant"


class Caller(BaseModel):
    """An authenticated account: a customer, the staff of one merchant, or an admin."""

    model_config = ConfigDict(frozen=True)

    account_id: str
    role: Role
    merchant_id: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def is_staff_of(self, merchant_id: str) -> bool:
        return self.role == "staff" and self.merchant_id == merchant_id

    def headers(self, internal_token: str) -> dict[str, str]:
        headers = {TOKEN_HEADER: internal_token, CALLER_ID_HEADER: self.account_id, CALLER_ROLE_HEADER: self.role}
        if self.merchant_id:
            headers[CALLER_MERCHANT_HEADER] = self.merchant_id
        return headers
