"""The bodies the gateway's account and session routes read and write."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from liveline_shared.callers import Role

from ..domain.accounts import EMAIL_MAX_LENGTH, PASSWORD_MAX_LENGTH, Account, LoginKind
from ..handlers import Session

# Unknown fields are refused rather than ignored: a client sending `"role": "admin"` should hear no.
_STRICT = ConfigDict(extra="forbid")


class Credentials(BaseModel):
    model_config = _STRICT

    login: str = Field(
        min_length=1, max_length=EMAIL_MAX_LENGTH + 10,
        description="A phone number in E.164 form (+8613800138000) or an e-mail address",
        examples=["+8613800138000"],
    )
    password: str = Field(
        min_length=1, max_length=PASSWORD_MAX_LENGTH, description="At least 10 characters when registering"
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
