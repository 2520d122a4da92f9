"""Real headless Chromium (Debian's /usr/bin/chromium) driven by Playwright, with the network cut off.

Tests skip with a reason when Chromium or Playwright is missing, except under CI (CI=true),
where a missing browser is a failure: `.ci/run` installs it.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("INFLUGRAPH_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
# flags the machine's probe uses: no background connections, no sandbox as root, no GPU
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


def require_browser():
    """Playwright's sync API, or skip (fail under CI) with the reason it is unavailable."""
    problem = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        problem = "playwright is not installed (pip install -e '.[test]')"
    if problem is None and not Path(CHROMIUM).exists():
        problem = f"Chromium not found at {CHROMIUM} (install Debian's chromium: sh tests/install-system-packages.sh)"
    if problem:
        if os.environ.get("CI"):
            pytest.fail(problem)
        pytest.skip(problem)
    return sync_playwright


class OfflineContext:
    """One offline browser context for many pages opened one after another (a context costs up to a second).

    Each page records its own requests, errors, dialogs and `__xss` calls, as with a context of its
    own: open the next page only after closing the previous one (`Page(..., shared=this)`).
    """

    def __init__(self, browser, viewport=(1400, 900)):
        self.context = browser.new_context(offline=True, viewport={"width": viewport[0], "height": viewport[1]})
        self.current: Page | None = None
        self.context.expose_function("__xss", lambda n=-1: self.current.hits.append(n))
        self.context.route("**/*", lambda route: self.current._route(route))

    def close(self) -> None:
        self.context.close()


class Page:
    """A page opened offline: every request other than the file itself is aborted and recorded."""

    def __init__(self, browser, path: Path, viewport=(1400, 900), *, shared: OfflineContext | None = None):
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.hits: list[int] = []
        self.dialogs: list[str] = []
        self.shared = shared
        if shared is None:
            self.context = browser.new_context(offline=True, viewport={"width": viewport[0], "height": viewport[1]})
            self.context.expose_function("__xss", lambda n=-1: self.hits.append(n))
            self.context.route("**/*", self._route)
        else:
            assert shared.current is None, "close the shared context's previous page first"
            self.context, shared.current = shared.context, self
        self.page = self.context.new_page()
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("console", lambda message: self.errors.append(message.text) if message.type == "error" else None)
        self.page.on("dialog", lambda dialog: (self.dialogs.append(dialog.message), dialog.dismiss()))
        self.url = path.resolve().as_uri()
        self.page.goto(self.url)
        self.page.wait_for_selector("body[data-ready='1']", timeout=30_000)

    def _route(self, route) -> None:
        url = route.request.url
        if url == self.url or url.startswith(self.url + "#"):
            route.continue_()
        else:
            self.requests.append(url)
            route.abort()

    def close(self) -> None:
        if self.shared is None:
            self.context.close()
        else:
            self.page.close()
            self.shared.current = None
