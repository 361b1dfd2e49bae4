"""The bodies the gateway's account and session routes read and write."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from liveline_shared.callers import Role

from ..domain.accounts import (
    LOGIN_MAX_LENGTH,
    LOGIN_PATTERN,
    PASSWORD_MAX_LENGTH,
    PASSWORD_MIN_LENGTH,
    PASSWORD_PATTERN,
    Account,
    LoginKind,
)
from ..handlers.accounts import Session

# Unknown fields are refused rather than ignored: a client sending `"role": "admin"` should hear no.
_STRICT = ConfigDict(extra="forbid")

# The pattern and the minimum length are only shown here; the domain checks them, so that a
# client hears which rule it broke (invalid-login, weak-password) rather than invalid-request.
def _login() -> Any:
    return Field(
        max_length=LOGIN_MAX_LENGTH,
        json_schema_extra={"pattern": LOGIN_PATTERN},
        description="A phone number in E.164 form (+8613800138000; spaces, dashes, dots and brackets are "
        "dropped) or an e-mail address (lower-cased)",
        examples=["+8613800138000", "alice@example.com"],
    )


class Credentials(BaseModel):
    """A login and the password of an existing account."""

    model_config = _STRICT

    login: str = _login()
    password: str = Field(min_length=1, max_length=PASSWORD_MAX_LENGTH)


class NewAccount(BaseModel):
    """The login and password of an account to create."""

    model_config = _STRICT

    login: str = _login()
    password: str = Field(
        max_length=PASSWORD_MAX_LENGTH,
        json_schema_extra={"minLength": PASSWORD_MIN_LENGTH, "pattern": PASSWORD_PATTERN},
        description=f"{PASSWORD_MIN_LENGTH} to {PASSWORD_MAX_LENGTH} characters, not only spaces",
    )


class RefreshTokenIn(BaseModel):
    model_config = _STRICT

    refresh_token: str = Field(min_length=1, max_length=200, description="The refresh token of the session")


class AccountOut(BaseModel):
    id: str
    login: str = Field(description="The normalized login: +<digits> or a lower-case e-mail address")
    login_kind: LoginKind
    role: Role
    merchant_id: str | None = Field(description="The merchant a staff account works for; null for others")
    created_at: datetime

    @classmethod
    def of(cls, account: Account) -> AccountOut:
        return cls(
            id=account.account_id,
            login=account.login.value,
            login_kind=account.login.kind,
            role=account.role,
            merchant_id=account.merchant_id,
            created_at=account.created_at,
        )


class SessionOut(BaseModel):
    access_token: str = Field(description="Send as `Authorization: Bearer <access_token>`")
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int = Field(description="Seconds the access token stays valid")
    refresh_token: str = Field(description="Exchange once at POST /v1/sessions/refresh for a new pair")
    refresh_expires_in: int = Field(description="Seconds the refresh token stays valid if unused")

    @classmethod
    def of(cls, session: Session) -> SessionOut:
        return cls(
            access_token=session.access_token,
            expires_in=int(session.access_expires_in.total_seconds()),
            refresh_token=session.refresh_token,
            refresh_expires_in=int(session.refresh_expires_in.total_seconds()),
        )
