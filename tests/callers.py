"""Callers as the gateway names them to an internal service, each a new account of its own."""

from __future__ import annotations

from liveline_shared.callers import Caller
from tests.random_refs import suffix


def customer() -> Caller:
    return Caller(account_id=f"cust-{suffix()}", role="customer")


def staff(merchant_id: str) -> Caller:
    return Caller(account_id=f"staff-{suffix()}", role="staff", merchant_id=merchant_id)


def admin() -> Caller:
    return Caller(account_id=f"admin-{suffix()}", role="admin")
