"""Pages in a real browser: Debian's Chromium driven by Playwright, against the app
served by uvicorn on a free loopback port inside the test's event loop."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from playwright.async_api import Page, async_playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
# Kept after the run for people to look at (ignored by git); CI may upload the folder.
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PHONE = (360, 740)
DESKTOP = (1280, 800)


@asynccontextmanager
async def served(app: FastAPI) -> AsyncIterator[str]:
    """`app` (its lifespan already running) over real HTTP on 127.0.0.1; its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app, lifespan="off", ws="none", log_level="warning", timeout_graceful_shutdown=5
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()  # raises why the server could not start
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
        sock.close()


def chromium_or_skip() -> Path:
    """Debian's Chromium; the tests never download a browser (`playwright install`)."""
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium not installed: apt-get install chromium")
    return CHROMIUM


@asynccontextmanager
async def browser_page(
    chromium: Path, base_url: str, size: tuple[int, int] = PHONE, **context: Any
) -> AsyncIterator[Page]:
    """A page `size` CSS pixels large, in Indonesian, talking to the served app."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(chromium), args=CHROMIUM_ARGS
        )
        opened = await browser.new_context(
            base_url=base_url,
            locale="id-ID",
            viewport={"width": size[0], "height": size[1]},
            **context,
        )
        page = await opened.new_page()
        try:
            yield page
        finally:
            await opened.close()
            await browser.close()


async def screenshot(page: Page, name: str, *, full_page: bool = False) -> None:
    """Save what the page shows as `SCREENSHOTS/<name>.png`."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=full_page)
