"""The pure rules of accounts: logins, passwords, merchant ids and roles."""

from __future__ import annotations

from datetime import UTC, datetime

import re

import hypothesis
import jsonschema
import pytest
from hypothesis import strategies

from liveline_gateway.api.schemas import NewAccount
from liveline_gateway.domain.accounts import (
    LOGIN_MAX_LENGTH,
    LOGIN_PATTERN,
    PASSWORD_PATTERN,
    Account,
    Login,
    check_merchant_id,
    check_password_policy,
    normalize_login,
)
from liveline_gateway.domain.errors import InvalidLogin, InvalidMerchantId, WeakPassword


@pytest.mark.parametrize(
    "raw",
    ["+8613800138000", " +86 138 0013 8000 ", "+86-138-0013-8000", "+86 (138) 0013.8000"],
)
def test_phone_numbers_are_kept_as_plus_and_digits(raw):
    assert normalize_login(raw) == Login("phone", "+8613800138000")


@pytest.mark.parametrize("raw", ["Alice@Example.COM", "  alice@example.com\t"])
def test_email_addresses_are_lower_cased_and_trimmed(raw):
    assert normalize_login(raw) == Login("email", "alice@example.com")


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "alice",
        "8613800138000",  # no plus: a national number is ambiguous
        "+0613800138000",  # country codes do not start with 0
        "+86138",  # too short
        "+8613800138000999",  # over 15 digits
        "+86138abc38000",
        "alice@",
        "@example.com",
        "alice@example",
        "ali ce@example.com",
        "a@b@example.com",
        "a" * 250 + "@example.com",
    ],
)
def test_malformed_logins_are_refused(raw):
    with pytest.raises(InvalidLogin):
        normalize_login(raw)


@pytest.mark.parametrize("password", ["short", "123456789", " " * 12, "x" * 257])
def test_weak_or_oversized_passwords_are_refused(password):
    with pytest.raises(WeakPassword):
        check_password_policy(password)


@pytest.mark.parametrize("password", ["0123456789", "correct horse battery staple", "x" * 256])
def test_passwords_of_ten_to_256_characters_are_accepted(password):
    check_password_policy(password)


@pytest.mark.parametrize("merchant_id", ["m-1", "Merchant_42", "a" * 64])
def test_well_formed_merchant_ids_are_accepted(merchant_id):
    assert check_merchant_id(merchant_id) == merchant_id


@pytest.mark.parametrize("merchant_id", ["", "a" * 65, "m/1", "m 1", "$where"])
def test_malformed_merchant_ids_are_refused(merchant_id):
    with pytest.raises(InvalidMerchantId):
        check_merchant_id(merchant_id)


def _account(role, merchant_id):
    return Account("a1", Login("email", "a@example.com"), role, merchant_id, "hash", datetime(2026, 1, 1, tzinfo=UTC))


def test_staff_belong_to_a_merchant_and_others_do_not():
    assert _account("staff", "m-1").as_caller().is_staff_of("m-1")
    assert _account("customer", None).as_caller().merchant_id is None
    with pytest.raises(ValueError):
        _account("staff", None)
    with pytest.raises(ValueError):
        _account("customer", "m-1")


# Logins and passwords as the OpenAPI document shows them (api/schemas.py): a JSON Schema
# validator, as a generated client would run, must agree with the domain on every one.
_SAMPLE_LOGINS = [
    "+8613800138000", " +86 138 0013 8000 ", "+86 (138) 0013.8000", "Alice@Example.COM", "  alice@example.com\t",
    "", "alice", "8613800138000", "+0613800138000", "+86138", "+8613800138000999", "+86138abc38000", "alice@",
    "@example.com", "alice@example", "ali ce@example.com", "a@b@example.com", "+alice@example.com",
    "a" * 242 + "@example.com", "a" * 243 + "@example.com", "+1 2 3 4 5 6 7", "+1234567\n", "x@y.z\n",
]
_SAMPLE_PASSWORDS = ["short", "123456789", "0123456789", " " * 12, " \t password ", "x" * 256, "x" * 257]


def _accepted(check, value) -> bool:
    try:
        check(value)
    except (InvalidLogin, WeakPassword):
        return False
    return True


@pytest.mark.parametrize("login", _SAMPLE_LOGINS)
def test_the_documented_login_rules_are_the_ones_the_domain_checks(login):
    schema = NewAccount.model_json_schema()["properties"]["login"]
    assert jsonschema.Draft202012Validator(schema).is_valid(login) == _accepted(normalize_login, login)


@pytest.mark.parametrize("password", _SAMPLE_PASSWORDS)
def test_the_documented_password_rules_are_the_ones_the_domain_checks(password):
    schema = NewAccount.model_json_schema()["properties"]["password"]
    assert jsonschema.Draft202012Validator(schema).is_valid(password) == _accepted(check_password_policy, password)


@hypothesis.settings(max_examples=300, derandomize=True, database=None)
@hypothesis.given(login=strategies.from_regex(LOGIN_PATTERN).filter(lambda login: len(login) <= LOGIN_MAX_LENGTH))
def test_every_login_the_pattern_describes_is_accepted(login):
    normalize_login(login)


@pytest.mark.parametrize("pattern", [LOGIN_PATTERN, PASSWORD_PATTERN])
def test_the_patterns_use_no_class_escape_that_python_and_json_schema_read_differently(pattern):
    # ECMA-262 (JSON Schema's regular expressions) and Python disagree on what \s, \d and \w
    # cover (Python's \s includes \x1c-\x1f and \x85): spelled out, the two agree.
    assert not re.search(r"\\[sSdDwWbB]", pattern), pattern


@pytest.mark.parametrize("character", ["\x1c", "\x85", "\xa0", "\u2028"])
def test_characters_that_only_python_calls_spaces_are_part_of_a_login(character):
    assert normalize_login(f"alice{character}@example.com").value == f"alice{character}@example.com"
