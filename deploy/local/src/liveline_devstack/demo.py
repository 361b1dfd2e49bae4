"""Demo data for `make run`: an admin, a merchant with a staff account and two deals on sale,
and two customers, all made through the gateway's public API (the first admin through the
gateway's create_admin command line, as an operator would).

Seeding is idempotent: what it made is remembered in `demo.json` beside the state it was made
in (with the generated passwords, so never in git), and a second run finds it there instead of
making it again.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

DEMO_DOMAIN = "demo.liveline.dev"
DEMO_FILE = "demo.json"


@dataclass
class DemoLogin:
    role: str
    login: str
    password: str


@dataclass
class Demo:
    """What the demo consists of; stored as JSON in the state folder."""

    admin: DemoLogin
    staff: DemoLogin
    customers: list[DemoLogin]
    merchant_id: str | None = None
    deal_ids: dict[str, str] = field(default_factory=dict)

    @classmethod
    def new(cls, domain: str = DEMO_DOMAIN) -> Demo:
        def login(role: str, name: str) -> DemoLogin:
            return DemoLogin(role, f"{name}@{domain}", secrets.token_urlsafe(12))

        return cls(
            admin=login("admin", "admin"),
            staff=login("staff", "host"),
            customers=[login("customer", "alice"), login("customer", "bob")],
        )

    @classmethod
    def load_or_new(cls, path: Path, domain: str = DEMO_DOMAIN) -> Demo:
        if not path.exists():
            return cls.new(domain)
        data = json.loads(path.read_text())
        return cls(
            admin=DemoLogin(**data["admin"]),
            staff=DemoLogin(**data["staff"]),
            customers=[DemoLogin(**c) for c in data["customers"]],
            merchant_id=data.get("merchant_id"),
            deal_ids=data.get("deal_ids", {}),
        )

    def save(self, path: Path) -> None:
        path.touch(mode=0o600, exist_ok=True)
        path.write_text(json.dumps(asdict(self), indent=2))

    def logins(self) -> list[DemoLogin]:
        return [self.admin, self.staff, *self.customers]


class SeedError(RuntimeError):
    pass


def create_admin(gateway_env: dict[str, str], login: str, password: str) -> None:
    """The gateway's own command line; it changes nothing for an admin that exists."""
    result = subprocess.run(  # noqa: S603 - our own module, arguments we built
        [sys.executable, "-m", "liveline_gateway.create_admin", "--login", login, "--password-stdin"],
        input=f"{password}\n", capture_output=True, text=True, env=gateway_env, timeout=60, check=False,
    )
    if result.returncode != 0:
        raise SeedError(f"create_admin failed: {result.stdout}{result.stderr}")


def _expect(response: httpx.Response, *statuses: int) -> httpx.Response:
    if response.status_code not in statuses:
        request = response.request
        raise SeedError(f"{request.method} {request.url.path} answered {response.status_code}: {response.text}")
    return response


def log_in(client: httpx.Client, login: str, password: str) -> dict[str, str]:
    session = _expect(client.post("/v1/sessions", json={"login": login, "password": password}), 201).json()
    return {"Authorization": f"Bearer {session['access_token']}"}


def deal_body(title: str, price_minor: int, original_minor: int, stock: int | None) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "title": title,
        "description": "A demo deal",
        "price": {"amount_minor": price_minor, "currency": "CNY"},
        "original_price": {"amount_minor": original_minor, "currency": "CNY"},
        "stock": stock,
        "per_user_limit": 5,
        "sale_starts_at": (now - timedelta(minutes=5)).isoformat(),
        "sale_ends_at": (now + timedelta(days=365)).isoformat(),
        "voucher_valid_from": (now - timedelta(minutes=5)).isoformat(),
        "voucher_valid_until": (now + timedelta(days=400)).isoformat(),
    }


# name in demo.json -> (title, price, original price, stock; None is unlimited)
DEMO_DEALS: dict[str, tuple[str, int, int, int | None]] = {
    "limited": ("Hotpot for two (limited)", 9900, 19800, 100),
    "unlimited": ("Afternoon tea set", 4900, 8800, None),
}


def seed(gateway_url: str, gateway_env: dict[str, str], state_dir: Path, *, domain: str = DEMO_DOMAIN) -> Demo:
    """Makes whatever part of the demo is missing and returns all of it (logins @`domain`)."""
    path = state_dir / DEMO_FILE
    demo = Demo.load_or_new(path, domain)
    demo.save(path)  # the passwords are kept before any account uses them
    create_admin(gateway_env, demo.admin.login, demo.admin.password)
    with httpx.Client(base_url=gateway_url, timeout=30) as client:
        admin = log_in(client, demo.admin.login, demo.admin.password)

        if demo.merchant_id is None or client.get(f"/v1/merchants/{demo.merchant_id}").status_code == 404:
            merchant = {"name": "Liveline Demo Hotpot", "address": "1 Nanjing East Rd, Shanghai",
                        "timezone": "Asia/Shanghai", "contact": "+862161234567"}
            created = _expect(client.post("/v1/admin/merchants", json=merchant, headers=admin), 201)
            demo.merchant_id = created.json()["merchant_id"]
            demo.deal_ids = {}
            demo.save(path)

        staff_body = {"login": demo.staff.login, "password": demo.staff.password}
        # 409: made by an earlier run.
        _expect(client.post(f"/v1/admin/merchants/{demo.merchant_id}/staff", json=staff_body, headers=admin), 201, 409)
        staff = log_in(client, demo.staff.login, demo.staff.password)

        for name, (title, price, original, stock) in DEMO_DEALS.items():
            known = demo.deal_ids.get(name)
            if known and client.get(f"/v1/deals/{known}", headers=staff).status_code == 200:
                continue
            body = deal_body(title, price, original, stock)
            deal = _expect(client.post(f"/v1/merchants/{demo.merchant_id}/deals", json=body, headers=staff), 201).json()
            _expect(client.patch(f"/v1/deals/{deal['deal_id']}", json={"status": "on_sale"}, headers=staff), 200)
            demo.deal_ids[name] = deal["deal_id"]
            demo.save(path)

        for customer in demo.customers:
            body = {"login": customer.login, "password": customer.password}
            _expect(client.post("/v1/accounts", json=body), 201, 409)
    return demo


def describe(demo: Demo) -> str:
    lines = ["Demo logins (log in with POST /v1/sessions; kept in the state folder's demo.json):"]
    lines += [f"  {entry.role:<9} {entry.login:<28} {entry.password}" for entry in demo.logins()]
    lines.append(f"  merchant  {demo.merchant_id} (Asia/Shanghai); deals on sale: "
                 + ", ".join(f"{name} {deal_id}" for name, deal_id in demo.deal_ids.items()))
    return "\n".join(lines)

