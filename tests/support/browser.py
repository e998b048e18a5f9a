"""A real browser for tests: Playwright for Python driving Debian's ``chromium`` package.

No browser is ever downloaded (``playwright install`` is never run): the fixture launches the
system's ``/usr/bin/chromium`` (or ``DUBAN_CHROMIUM``) through ``executable_path``. Without it the
browser tests skip — unless ``DUBAN_REQUIRE_BROWSER=1`` (set by ``.ci/run``, which installs
``chromium`` and ``fonts-noto-cjk``), which turns that skip into a failure, as
``DUBAN_REQUIRE_PG`` does for PostgreSQL (``tests/conftest.py``).

One browser per test module (see :func:`browser` for why not per process), started on first use. Each test opens its
own context (:func:`open_context`) at a named viewport; a context lets the page reach only
127.0.0.1 and records every other request it refused, so a page that would need the internet (a
CDN script, a web font) shows up in :attr:`Visit.blocked`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import pytest

from tests.paths import ROOT

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page, Route

CHROMIUM = Path(os.environ.get("DUBAN_CHROMIUM", "/usr/bin/chromium"))
REQUIRE_BROWSER = os.environ.get("DUBAN_REQUIRE_BROWSER") == "1"
OUTPUT = ROOT / "tests" / "web" / "output"
"""Where screenshots go (gitignored): look at them after a run."""

LAUNCH_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
"""Headless, offline-quiet chromium: no sandbox (CI runs as root in a container), no calls home.
Its own widgets (date fields, the file chooser's button) stay in English: Debian ships their
translations in chromium-l10n, which the tests do not need."""

DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 375, "height": 812}
"""The two sizes the console must work at (issue 12): an office screen and a phone."""

TIMEOUT_MS = 15_000
"""Longest wait for one page action or navigation; a local server answers in far less."""

_LOCAL = re.compile(r"^(about:|data:|blob:|file:|https?://127\.0\.0\.1(:\d+)?/)")


def _unavailable(reason: str) -> NoReturn:
    message = f"browser tests need chromium: {reason}"
    if REQUIRE_BROWSER:
        pytest.fail(message + " (DUBAN_REQUIRE_BROWSER=1)")
    pytest.skip(message)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """A chromium for the test module, or a skip (a failure under ``DUBAN_REQUIRE_BROWSER=1``).

    Per module, not per session: Playwright's sync API marks its event loop as the thread's
    running loop while it is open, so every later ``asyncio.run`` in the same worker (the bot's
    tests) would fail. Pytest ends a module's fixtures before a test of another module runs."""
    if not os.access(CHROMIUM, os.X_OK):
        _unavailable(f"{CHROMIUM} not found (apt-get install chromium fonts-noto-cjk)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed (pip install -e '.[dev]')")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@dataclass
class Visit:
    """One browser context (its own cookies) and what it was refused."""

    context: BrowserContext
    page: Page
    blocked: list[str] = field(default_factory=list)


def open_context(browser: Browser, viewport: dict[str, int] = DESKTOP, **options: Any) -> Visit:
    """A fresh context and page at ``viewport``, in Chinese and Shanghai time, reaching only
    127.0.0.1 (anything else is aborted and listed in ``blocked``). The caller closes
    ``visit.context``."""
    context = browser.new_context(viewport=viewport, locale="zh-CN",  # type: ignore[arg-type]
                                  timezone_id="Asia/Shanghai", service_workers="block", **options)
    context.set_default_timeout(TIMEOUT_MS)
    visit = Visit(context=context, page=context.new_page())

    def guard(route: Route) -> None:
        if _LOCAL.match(route.request.url):
            route.continue_()
        else:
            visit.blocked.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    return visit


@pytest.fixture
def visit(browser: Browser) -> Iterator[Visit]:
    """A desktop-sized context for one test, closed afterwards."""
    opened = open_context(browser)
    try:
        yield opened
    finally:
        opened.context.close()


def screenshot(page: Page, name: str, *, full_page: bool = True) -> Path:
    """Save ``page`` as ``tests/web/output/<name>.png`` (whole page by default); returns the path."""
    OUTPUT.mkdir(parents=True, exist_ok=True)
    path = OUTPUT / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page, animations="disabled")
    return path
