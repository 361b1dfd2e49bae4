"""The gateway answers as its OpenAPI document says, for every caller.

schemathesis reads /openapi.json of the session's gateway and sends each operation generated
requests, valid and invalid, as an anonymous caller and as a customer, a merchant's staff and
an admin. Every answer must be free of server errors and match the document: a documented
status, a documented content type and a body that fits the schema. Routes added later are
covered without changing this test. The generation is seeded and bounded to keep `make test`
within a few minutes on two cores.
"""

from __future__ import annotations

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

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

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# Per operation, per mode, per caller. Derandomized: the same requests on every run, so a
# failure is reproducible; no shrinking, which would re-send requests for minutes.
SETTINGS = hypothesis.settings(
    max_examples=25,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
    verbosity=hypothesis.Verbosity.quiet,
)


@pytest.fixture(scope="module")
def world(services) -> dict[str, dict[str, str]]:
    """An admin, a merchant with staff and a deal on sale, and a customer who bought it: the
    callers of the runs, and ids that exist, so that answers other than 404 are checked too."""
    with gateway_client(services["gateway"]) as client:
        admin = new_admin(client, services["gateway"])
        merchant_id = new_merchant(client, admin)["merchant_id"]
        staff = new_staff(client, admin, merchant_id)
        deal_id = new_deal_on_sale(client, staff, merchant_id, stock=None)["deal_id"]
        customer = new_customer(client)
        bought = buy(client, customer, deal_id)
        assert bought.status_code == 201, bought.text
    return {
        "headers": {"anonymous": {}, "customer": customer.headers, "staff": staff.headers, "admin": admin.headers},
        "ids": {"merchant_id": merchant_id, "deal_id": deal_id, "order_id": bought.json()["order_id"]},
    }


@pytest.fixture(params=["anonymous", "customer", "staff", "admin"])
def caller_headers(request, world) -> dict[str, str]:
    """One caller's headers; each run has a client address of its own, so the login limits it
    trips (documented 429s) do not reach other tests."""
    return {"X-Forwarded-For": client_address(), **world["headers"][request.param]}


@pytest.mark.slow
def test_the_gateway_answers_as_its_openapi_document_says(services, world, caller_headers):
    schema = schemathesis.openapi.from_url(f"{services['gateway'].url}/openapi.json", timeout=30)
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15, [operation.label for operation in operations]
    for operation in operations:
        strategies = {mode.value: operation.as_strategy(generation_mode=mode) for mode in GenerationMode}
        known = {p.name: world["ids"][p.name] for p in operation.path_parameters if p.name in world["ids"]}
        if known:
            strategies["existing ids"] = operation.as_strategy(path_parameters=known)
        for what, strategy in strategies.items():

            @SETTINGS
            @hypothesis.given(case=strategy)
            def answers_as_documented(case: schemathesis.Case) -> None:
                case.call_and_validate(headers=caller_headers, checks=CHECKS, timeout=30)

            try:
                answers_as_documented()
            # schemathesis raises its findings as an exception group; each operation still runs.
            except (Exception, BaseExceptionGroup) as failure:  # noqa: BLE001
                failures.append(f"{operation.label} ({what}):\n{failure}")
    assert not failures, "\n\n".join(failures)
