"""Fixtures of the browser tests: one headless Chromium per test module, and the session's demo outputs."""
from __future__ import annotations

import pytest
from browser import require_browser


@pytest.fixture(scope="module")
def browser():
    sync_playwright = require_browser()
    from browser import ARGS, CHROMIUM

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield instance
        instance.close()


@pytest.fixture(scope="module")
def demo(demo_run):
    return demo_run.result
