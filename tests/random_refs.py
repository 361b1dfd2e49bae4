"""Unique names for each test, so that no test has to clean up after another."""

import uuid


def suffix() -> str:
    return uuid.uuid4().hex[:10]


def topic_name(what: str = "topic") -> str:
    return f"test-{what}-{suffix()}"


def group_name(what: str = "group") -> str:
    return f"test-{what}-{suffix()}"


def database_name(what: str = "db") -> str:
    return f"test_{what}_{suffix()}"
