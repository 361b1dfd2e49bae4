"""Accounts in the gateway's database: one document per account, the login unique."""

from __future__ import annotations

from typing import Any

import pymongo
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from ..domain.accounts import Account, Login
from ..domain.errors import LoginTaken

COLLECTION = "accounts"


def _to_document(account: Account) -> dict[str, Any]:
    return {
        "_id": account.account_id,
        "login": account.login.value,
        "login_kind": account.login.kind,
        "role": account.role,
        "merchant_id": account.merchant_id,
        "password_hash": account.password_hash,
        "created_at": account.created_at,
    }


def _from_document(document: dict[str, Any]) -> Account:
    return Account(
        account_id=document["_id"],
        login=Login(document["login_kind"], document["login"]),
        role=document["role"],
        merchant_id=document.get("merchant_id"),
        password_hash=document["password_hash"],
        created_at=document["created_at"],
    )


class AccountsRepository:
    def __init__(self, db: AsyncDatabase, timeout_s: float) -> None:
        self._accounts = db[COLLECTION]
        self._timeout_s = timeout_s

    async def ensure_indexes(self) -> None:
        with pymongo.timeout(self._timeout_s):
            await self._accounts.create_index("login", unique=True, name="login_unique")

    async def add(self, account: Account) -> None:
        """Stores a new account; LoginTaken when another account has its login (the unique index decides)."""
        try:
            with pymongo.timeout(self._timeout_s):
                await self._accounts.insert_one(_to_document(account))
        except DuplicateKeyError:
            raise LoginTaken(account.login.value) from None

    async def by_login(self, login: Login) -> Account | None:
        with pymongo.timeout(self._timeout_s):
            document = await self._accounts.find_one({"login": login.value})
        return _from_document(document) if document else None

    async def by_id(self, account_id: str) -> Account | None:
        with pymongo.timeout(self._timeout_s):
            document = await self._accounts.find_one({"_id": account_id})
        return _from_document(document) if document else None
