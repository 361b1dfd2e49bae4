"""A real browser for the end-to-end tests: Debian's Chromium driven by Playwright, headless.

Playwright's own browser download does not work here (and is not needed): it is pointed at
/usr/bin/chromium, which deploy/local/install.sh installs from Debian's packages. Screenshots go
to `.liveline/test/artifacts/e2e/`, kept after the run.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect, sync_playwright

from liveline_devstack.pytest_plugin import TEST_STATE

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
ARTIFACTS = TEST_STATE / "artifacts" / "e2e"

# Registering and logging in hash passwords (Argon2): on a machine busy with the rest of the
# suite one step may take seconds; a wait still ends at its deadline.
expect.set_options(timeout=20_000)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    # Per module, not per session: while Playwright's synchronous API is open its event loop
    # runs in this thread, and pytest-asyncio cannot run the async tests that follow.
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
