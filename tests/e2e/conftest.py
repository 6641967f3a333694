"""Browser fixtures: a demo server process, and Playwright driving Debian's headless Chromium.

No browser is downloaded: ``STOREWIRE_CHROMIUM`` (default ``/usr/bin/chromium``, installed by
``make system-deps``) is launched. Each test gets its own browser; contexts are signed in through
``POST /api/v1/auth/session``, so they hold the HttpOnly session cookie as a person's browser would.
Screenshots go to ``build/screenshots/`` (git-ignored).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from tests.conftest import start_server
from tests.support import ServerProcess

CHROMIUM = os.environ.get("STOREWIRE_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
DEMO_PASSWORD = "storewire-demo"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 860}

# The demo accounts (src/storewire/demo_data.py).
ADMIN = "admin@demo.storewire.dev"
ROASTER = "seller@demo.storewire.dev"
BAKERY = "bakery@demo.storewire.dev"
KITCHEN = "kitchen@demo.storewire.dev"
BEA = "buyer1@demo.storewire.dev"
BEN = "buyer2@demo.storewire.dev"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server started as ``make run`` starts it: demo data (which lets guests in), the built UI."""
    proc = start_server(tmp_path_factory.mktemp("e2e"), STOREWIRE_DEMO="true")
    yield proc
    proc.stop()


@pytest.fixture(scope="session")
def chromium() -> str:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: run `make system-deps` (or set STOREWIRE_CHROMIUM)")
    return CHROMIUM


@pytest.fixture
async def browser(chromium: str) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=chromium, headless=True)
        try:
            yield launched
        finally:
            await launched.close()


async def context_for(
    browser: Browser, server: ServerProcess, email: str | None, *, viewport: dict[str, int] = DESKTOP
) -> BrowserContext:
    """A browser context (one person's browser), signed in as ``email`` (a guest when None)."""
    context = await browser.new_context(base_url=server.url, viewport=viewport)  # type: ignore[arg-type]
    context.set_default_timeout(15_000)
    if email is not None:
        response = await context.request.post(
            "/api/v1/auth/session", data={"email": email, "password": DEMO_PASSWORD}
        )
        assert response.ok, await response.text()
    return context


async def screenshot(page: Page, name: str) -> None:
    """Save ``build/screenshots/{name}.png`` (the whole page)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
