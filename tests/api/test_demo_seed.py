"""`make run`'s demo data: made through the gateway, and made once however often it runs."""

from __future__ import annotations

import json
import stat

from liveline_devstack.demo import DEMO_FILE, seed
from tests.api.support import log_in
from tests.random_refs import suffix


def test_seeding_twice_makes_the_demo_once(services, tmp_path, client):
    gateway = services["gateway"]
    domain = f"demo-{suffix()}.example.com"
    first = seed(gateway.url, gateway.env, tmp_path, domain=domain)
    second = seed(gateway.url, gateway.env, tmp_path, domain=domain)

    assert (second.merchant_id, second.deal_ids) == (first.merchant_id, first.deal_ids)
    assert [entry.password for entry in second.logins()] == [entry.password for entry in first.logins()]
    assert stat.S_IMODE((tmp_path / DEMO_FILE).stat().st_mode) == 0o600
    assert json.loads((tmp_path / DEMO_FILE).read_text())["merchant_id"] == first.merchant_id

    merchant = client.get(f"/v1/merchants/{first.merchant_id}").json()
    assert merchant["timezone"] == "Asia/Shanghai"
    on_sale = client.get("/v1/deals", params={"merchant_id": first.merchant_id}).json()["items"]
    assert sorted(deal["stock"] is None for deal in on_sale) == [False, True]
    for entry in first.logins():
        account = log_in(client, entry.login, entry.password)
        me = client.get("/v1/me", headers=account.headers).json()
        assert me["role"] == entry.role
        assert me["merchant_id"] == (first.merchant_id if entry.role == "staff" else None)
