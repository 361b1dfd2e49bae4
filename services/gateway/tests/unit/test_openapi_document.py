"""What the gateway's OpenAPI document tells a client generated from it."""

from __future__ import annotations

import pytest

from liveline_gateway.bootstrap import build_app
from liveline_gateway.config import Settings
from liveline_gateway.domain.accounts import LOGIN_PATTERN, PASSWORD_MIN_LENGTH, PASSWORD_PATTERN
from liveline_shared.problems import PROBLEM_JSON


@pytest.fixture(scope="module")
def document() -> dict:
    return build_app(Settings()).openapi()


def operation(document: dict, method: str, path: str) -> dict:
    return document["paths"][path][method]


@pytest.mark.parametrize("path", ["/v1/deals", "/v1/deals/{deal_id}", "/v1/merchants/{merchant_id}"])
def test_public_reads_take_a_token_but_do_not_need_one(document, path):
    assert operation(document, "get", path)["security"] == [{}, {"HTTPBearer": []}]
    assert set(document["components"]["securitySchemes"]) == {"HTTPBearer"}


def test_changes_need_a_token(document):
    assert operation(document, "patch", "/v1/deals/{deal_id}")["security"] == [{"HTTPBearer": []}]


@pytest.mark.parametrize("schema_name", ["NewAccount", "Credentials"])
def test_logins_show_the_form_the_gateway_accepts(document, schema_name):
    login = document["components"]["schemas"][schema_name]["properties"]["login"]
    assert login["pattern"] == LOGIN_PATTERN and login["maxLength"] == 254


def test_a_new_accounts_password_shows_its_minimum_length(document):
    password = document["components"]["schemas"]["NewAccount"]["properties"]["password"]
    assert (password["minLength"], password["maxLength"], password["pattern"]) == (PASSWORD_MIN_LENGTH, 256, PASSWORD_PATTERN)


def test_every_error_answer_is_a_problem_document_with_its_correlation_id(document):
    for path, operations in document["paths"].items():
        for method, details in operations.items():
            errors = {status: r for status, r in details["responses"].items() if int(status) >= 400}
            assert {"500", "503"} <= set(errors), (method, path)
            for status, response in errors.items():
                assert list(response["content"]) == [PROBLEM_JSON], (method, path, status)
                expected = {"X-Correlation-Id"} | ({"Retry-After"} if status in ("429", "503") else set())
                assert set(response["headers"]) == expected, (method, path, status)


@pytest.mark.parametrize(
    "method, path, status, links",
    [
        ("post", "/v1/admin/merchants", "201", {"GetMerchant": "get_merchant", "CreateDeal": "create_deal"}),
        ("post", "/v1/merchants/{merchant_id}/deals", "201", {"GetDeal": "get_deal", "ChangeDeal": "change_deal"}),
        ("post", "/v1/orders", "201", {"GetOrder": "get_order", "RefundOrder": "refund_order"}),
    ],
)
def test_what_a_creation_answers_links_to_reading_and_changing_it(document, method, path, status, links):
    answer_links = operation(document, method, path)["responses"][status]["links"]
    assert {name: answer_links[name]["operationId"] for name in links} == links
    operation_ids = {o["operationId"] for ops in document["paths"].values() for o in ops.values()}
    assert {link["operationId"] for link in answer_links.values()} <= operation_ids
