"""The inbox in a real browser (Debian's Chromium through Playwright), on a phone and a desk.

A citizen writes on Telegram (posted to the webhook, answered through the
fake Bot API); the officer watches the queue, which refreshes itself, and
works the case. Fields are found by their visible labels.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from playwright.async_api import Page, expect

from bot.runtime import Runtime
from bot.settings import Settings
from tests.conftest import ADMIN_PASSWORD
from tests.support.browser import (
    DESKTOP,
    PHONE,
    browser_page,
    chromium_or_skip,
    screenshot,
    served,
)
from tests.support.fake_telegram import FakeBotAPI
from tests.support.journeys import file_complaint_on
from tests.support.outbox import settle
from tests.support.telegram_citizen import TelegramCitizen, telegram_settings

CHAT = 5550123
REPLY = "Laporan Bapak sedang kami periksa."
POLL = 12_000  # ms: the queue asks every 5 s


@pytest.fixture
def settings(settings: Settings, fake_api: FakeBotAPI) -> Settings:
    return telegram_settings(settings, fake_api, web_poll_wait_seconds=1.0)


@pytest.fixture
async def base_url(app: FastAPI) -> AsyncIterator[str]:
    async with served(app) as url:
        yield url


@pytest.fixture
def chromium() -> Path:
    return chromium_or_skip()


async def log_in(page: Page, username: str, password: str) -> None:
    await page.goto("/backoffice/")
    await expect(page).to_have_url(f"{page.url.split('/backoffice')[0]}/backoffice/login")
    await page.get_by_label("Nama pengguna").fill(username)
    await page.get_by_label("Kata sandi").fill(password)
    await page.get_by_role("button", name="Masuk").click()
    await expect(page.get_by_role("heading", name="Antrean kasus")).to_be_visible()


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
async def test_an_officer_works_a_telegram_complaint_in_the_browser(
    size: tuple[int, int],
    chromium: Path,
    base_url: str,
    client: httpx.AsyncClient,
    fake_api: FakeBotAPI,
    runtime: Runtime,
) -> None:
    name = "phone" if size == PHONE else "desktop"
    dialogs: list[str] = []
    async with browser_page(chromium, base_url, size) as page:
        page.on("dialog", lambda dialog: dialogs.append(dialog.message))
        await page.goto("/backoffice/login")
        await screenshot(page, f"inbox-login-{name}")
        await log_in(page, "admin", ADMIN_PASSWORD)
        await expect(page.get_by_text("Tidak ada kasus yang cocok.")).to_be_visible()

        citizen = TelegramCitizen(client, fake_api, runtime, CHAT)
        ref = await file_complaint_on(citizen, first="halo")
        case_link = page.get_by_role("link", name=ref)
        await expect(case_link).to_be_visible(timeout=POLL)  # no reload: the queue asked
        await screenshot(page, f"inbox-queue-{name}", full_page=True)

        await case_link.click()
        await expect(page.get_by_role("heading", name=ref)).to_be_visible()
        await page.get_by_label("Balasan (dikirim ke warga)").fill(REPLY)
        await page.get_by_role("button", name="Kirim balasan").click()
        await expect(page.get_by_text("Balasan disimpan dan dikirim ke warga.")).to_be_visible()
        await settle(runtime)
        assert any(REPLY in text for text in fake_api.texts_to(CHAT))
        await page.reload()
        await expect(page.locator(".msg-out .ticks")).to_be_visible()
        await screenshot(page, f"inbox-case-{name}", full_page=True)

        sent_before = len(fake_api.texts_to(CHAT))
        await page.get_by_label("Penyelesaian").fill("Petugas yang bersangkutan telah ditegur.")
        await page.get_by_role("button", name="Tutup kasus").click()
        await expect(page.get_by_text("Kasus ditutup; warga diberi tahu.")).to_be_visible()
        await settle(runtime)
        closing = fake_api.texts_to(CHAT)[sent_before:]
        assert any(ref in text for text in closing), closing

        await page.get_by_role("button", name="Keluar").click()
        await expect(page.get_by_label("Nama pengguna")).to_be_visible()
        await page.goto(f"/backoffice/cases/{ref}")
        await expect(page.get_by_label("Nama pengguna")).to_be_visible()
    assert dialogs == []
