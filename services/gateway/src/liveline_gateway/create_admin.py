"""Creates an admin account: `python -m liveline_gateway.create_admin --login L --password-stdin`.

The password comes from stdin or from an environment variable, never from the command line
(which other users of the machine can read). Running it again for an existing admin changes
nothing and succeeds, so `make run` may call it every time.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from liveline_shared.mongo import make_mongo_client

from .bootstrap import build_accounts, ensure_indexes
from .config import Settings
from .domain.accounts import normalize_login
from .domain.errors import AccountsError, LoginTaken
from .handlers.accounts import CreateAdmin, create_admin


class _NoMerchantLookups:
    """Creating an admin never asks which merchants exist, so the CLI needs no order service."""

    async def exists(self, merchant_id: str) -> bool:
        raise RuntimeError("the admin command line does not look up merchants")


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m liveline_gateway.create_admin", description=__doc__)
    parser.add_argument("--login", required=True, help="an E.164 phone number or an e-mail address")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    source.add_argument("--password-env", metavar="NAME", help="read the password from this environment variable")
    return parser.parse_args(argv)


async def _create(login: str, password: str, settings: Settings) -> int:
    mongo = make_mongo_client(settings, "liveline-gateway-create-admin")
    accounts = build_accounts(settings, mongo[settings.mongo_database], _NoMerchantLookups())
    try:
        await ensure_indexes(accounts)
        try:
            account = await create_admin(CreateAdmin(login=login, password=password), accounts)
        except LoginTaken:
            existing = await accounts.repository.by_login(normalize_login(login))
            if existing is None or existing.role != "admin":
                print(f"error: {login} is already used by a non-admin account", file=sys.stderr)
                return 1
            print(f"admin {existing.login.value} already exists (id {existing.account_id}); nothing changed")
            return 0
        print(f"created admin {account.login.value} (id {account.account_id})")
        return 0
    finally:
        accounts.passwords.close()
        await mongo.close()


def main(argv: list[str] | None = None) -> int:
    arguments = _arguments(argv)
    if arguments.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = os.environ.get(arguments.password_env, "")
    try:
        return asyncio.run(_create(arguments.login, password, Settings()))
    except AccountsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
