"""The public transparency page in a real browser, on a 360-pixel phone."""

from __future__ import annotations

from playwright.async_api import Page, expect

from tests.handlers.test_web_page import base_url, chromium, page, screenshot, settings

__all__ = ["base_url", "chromium", "page", "settings"]  # the fixtures this module uses


async def test_the_page_reads_on_a_small_phone_under_its_policy(page: Page) -> None:
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text))
    response = await page.goto("/transparansi")
    assert response is not None
    assert response.status == 200
    await expect(page.locator("h1")).to_have_text("Transparansi Pelayanan Pengaduan dan Laporan")
    await expect(page.locator("section")).to_have_count(12)
    # The inline style ran (allowed by its hash): the page's own background, not white.
    background = await page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(244, 246, 248)"
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360  # nothing runs off the side of the phone
    assert not [text for text in violations if "Content Security Policy" in text]
    await screenshot(page, "transparansi-360px")
