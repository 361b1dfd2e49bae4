"""The gateway answers as its OpenAPI document says, for every caller, under every check.

This is the stricter conformance run, in the suite: schemathesis' own runner (its command line,
as an operator would run it) against the session's gateway, with every check (`--checks all`)
and every phase: the schema's examples, coverage (boundary values, missing headers, methods the
path does not have), fuzzing (valid and invalid data) and the stateful phase, which follows the
document's links from creating a merchant, deal or order to reading and changing it. It runs
once for each kind of caller: anonymous, a customer, a merchant's staff and an admin, about
5,500 requests in all.

A longer run had found that PATCH of a draft with `"original_price": null` crashed the order
service (a plain-text 500 to the client). With that fix reverted, this test's staff and admin
runs report it (ST101, a 500 on PATCH /v1/deals/{deal_id}) in the coverage, fuzzing and
stateful phases. What else it found is listed in the gateway's README.

Exclusions, each by design, are in CONFIG below with their reasons. Routes added later are
covered without changing this test.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from liveline_devstack.demo import deal_body
from tests.api.support import (
    buy,
    client_address,
    gateway_client,
    new_admin,
    new_customer,
    new_deal_on_sale,
    new_merchant,
    new_staff,
)
from tests.random_refs import suffix

SEED = 20260324
# Per operation and phase. Enough that the stateful phase drafts deals and changes them in
# every way the document allows (which is how the crash above was found), few enough that the
# four runs take about two minutes on two cores.
MAX_EXAMPLES = 25

CONFIG = """
seed = {seed}
# One worker: with two, schemathesis' threads now and then hit a CPython 3.11 bug in ast
# parsing (python/cpython#106905, "AST constructor recursion depth mismatch") and the run ends
# with a runtime error of the tool's own.
workers = 1
request-timeout = 30

[cache]
enabled = false

[generation]
max-examples = {max_examples}

[phases.stateful]
max-steps = 8

# Positive data acceptance: a request the document calls valid must not be refused for its
# content. By design, these operations also check rules that JSON Schema cannot state, so a
# schema-valid request may get a 422 problem naming the rule it broke:
# - a deal: the price at most the original price and in its currency, the sale starting before
#   it ends, the voucher valid from before until after it, and its times in the years
#   2000-2099 (the date-time format has no bounds to state them with);
# - a merchant: its time zone must be one the server's tz database knows;
# - an order: an Idempotency-Key already used with another body is refused (422
#   idempotency-key-reused, as the IETF draft on the header says), and generated keys repeat;
# - a slot policy: its meal periods must not overlap and each must start before it ends, and its
#   time zone must be one the server knows;
# - a choice of slots: each slot id must be one of the order's current offer (422 slot-not-offered);
# - a walk-in party: its name must not be only spaces (422 invalid-party);
# - a browser's push subscription: its p256dh key must be a point on the P-256 curve (422
#   invalid-push-subscription).
[[operations]]
include-operation-id = ["create_deal", "change_deal", "create_merchant", "place_order", "put_slot_policy", "choose_slots", "add_party",
                        "post_push_subscription"]
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "404", "409", "422", "429"]

# The notification stream never ends (Server-Sent Events): a generated request would wait on it
# until the run's timeout. tests/api/test_notification_stream.py tests it, bad input included.
[[operations]]
include-operation-id = ["notification_stream"]
enabled = false

# Half the time, the ids of a world this test made (below), so that answers other than 404
# are checked too; the other half, generated ones.
[parameters]
"path.merchant_id" = {{ dictionary = "merchants", probability = 0.5 }}
"path.deal_id" = {{ dictionary = "deals", probability = 0.5 }}
"path.order_id" = {{ dictionary = "orders", probability = 0.5 }}
"body.deal_id" = {{ dictionary = "deals", probability = 0.5 }}

[dictionaries.merchants]
values = ["{merchant_id}"]

[dictionaries.deals]
values = ["{deal_on_sale}", "{draft}"]

[dictionaries.orders]
values = ["{order_id}"]
"""


@pytest.fixture(scope="module")
def world(services) -> dict:
    """An admin, a merchant with staff, a deal on sale and a draft, and a customer who bought
    the deal: the callers of the runs and the ids they are given."""
    with gateway_client(services["gateway"]) as client:
        admin = new_admin(client, services["gateway"])
        merchant_id = new_merchant(client, admin)["merchant_id"]
        staff = new_staff(client, admin, merchant_id)
        deal_id = new_deal_on_sale(client, staff, merchant_id, stock=None)["deal_id"]
        draft = client.post(
            f"/v1/merchants/{merchant_id}/deals", json=deal_body(f"Draft {suffix()}", 9900, 19800, 10),
            headers=staff.headers,
        )
        assert draft.status_code == 201, draft.text
        customer = new_customer(client)
        bought = buy(client, customer, deal_id)
        assert bought.status_code == 201, bought.text
    return {
        "headers": {"anonymous": {}, "customer": customer.headers, "staff": staff.headers, "admin": admin.headers},
        "ids": {
            "merchant_id": merchant_id,
            "deal_on_sale": deal_id,
            "draft": draft.json()["deal_id"],
            "order_id": bought.json()["order_id"],
        },
    }


@pytest.mark.slow
@pytest.mark.parametrize("caller", ["anonymous", "customer", "staff", "admin"])
def test_the_gateway_answers_as_its_openapi_document_says(services, world, caller, tmp_path: Path):
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG.format(seed=SEED, max_examples=MAX_EXAMPLES, **world["ids"]))
    # A client address of the run's own: the login and registration limits it trips (documented
    # 429s) do not reach other tests.
    headers = {"X-Forwarded-For": client_address(), **world["headers"][caller]}
    command = [
        str(Path(sys.executable).parent / "schemathesis"), "--config-file", str(config), "--no-color",
        "run", f"{services['gateway'].url}/openapi.json", "--checks", "all",
        "--phases", "examples,coverage,fuzzing,stateful",
        *(option for name, value in headers.items() for option in ("-H", f"{name}: {value}")),
    ]
    run = subprocess.run(  # noqa: S603 - schemathesis, with arguments built here
        command, cwd=tmp_path, capture_output=True, text=True, timeout=600, check=False,
    )
    report = run.stdout + run.stderr
    assert run.returncode == 0, f"schemathesis as {caller}:\n{report}"
    assert " passed" in report and "Stateful" in report, report

