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

from backoffice.officers import Role
from bot.domain.clock import ManualClock
from bot.domain.references import REFERENCE_PATTERN
from bot.runtime import Runtime
from bot.settings import Settings
from tests.conftest import ADMIN_PASSWORD
from tests.support.broadcasts import SECOND_ADMIN, SECOND_ADMIN_PASSWORD, second_admin
from tests.support.browser import (
    DESKTOP,
    PHONE,
    browser_page,
    chromium_or_skip,
    screenshot,
    served,
)
from tests.support.fake_telegram import FakeBotAPI, text_update
from tests.support.journeys import DESCRIPTION, file_complaint_on
from tests.support.office import sign_in
from tests.support.outbox import settle
from tests.support.telegram_citizen import TelegramCitizen, next_update_id, telegram_settings
from tests.support.units import officer_in
from tests.support.web import WebCitizen

CHAT = 5550123
REPLY = "Laporan Bapak sedang kami periksa."
NOTE = "Pelapor sudah dua kali datang ke loket."
POLL = 12_000  # ms: the queue asks every 5 s


@pytest.fixture
def settings(settings: Settings, fake_api: FakeBotAPI) -> Settings:
    return telegram_settings(
        settings, fake_api, web_poll_wait_seconds=1.0, broadcast_approval_min=2
    )


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
        await page.get_by_label("Catatan (hanya untuk petugas, tidak dikirim ke warga)").fill(NOTE)
        await page.get_by_role("button", name="Simpan catatan").click()
        await expect(page.get_by_text("Catatan internal disimpan")).to_be_visible()
        await expect(page.locator(".msg-note").filter(has_text=NOTE)).to_be_visible()
        await settle(runtime)
        assert not any(NOTE in text for text in fake_api.texts_to(CHAT))

        await page.get_by_label("Penyelesaian").fill("Petugas yang bersangkutan telah ditegur.")
        await page.get_by_role("button", name="Tutup kasus").click()
        await expect(page.get_by_text("Kasus ditutup; warga diberi tahu.")).to_be_visible()
        await settle(runtime)
        closing = fake_api.texts_to(CHAT)[sent_before:]
        assert any(ref in text for text in closing), closing

        told = len(fake_api.texts_to(CHAT))
        await page.get_by_role("button", name="Buka kembali").click()
        await expect(page.get_by_text("Kasus dibuka kembali; warga diberi tahu.")).to_be_visible()
        await expect(page.get_by_label("Balasan (dikirim ke warga)")).to_be_visible()
        await settle(runtime)
        assert any(ref in text for text in fake_api.texts_to(CHAT)[told:])

        await page.get_by_role("button", name="Keluar").click()
        await expect(page.get_by_label("Nama pengguna")).to_be_visible()
        await page.goto(f"/backoffice/cases/{ref}")
        await expect(page.get_by_label("Nama pengguna")).to_be_visible()

        await other_unit_officer(client, runtime)
        await log_in(page, "budi", "budi-password")
        await page.goto(f"/backoffice/cases/{ref}")
        await expect(page.get_by_role("heading", name="Tidak ditemukan")).to_be_visible()
        await expect(page.get_by_text(DESCRIPTION)).to_have_count(0)
        await screenshot(page, f"inbox-404-other-unit-{name}")
    assert dialogs == []


async def other_unit_officer(client: httpx.AsyncClient, runtime: Runtime) -> None:
    """Budi, an officer of polres-b, a unit that is not the case's (propam's)."""
    admin = await sign_in(client, "admin", ADMIN_PASSWORD)
    body = {"code": "polres-b", "name": "Polres B", "parent": "polda"}
    assert (await client.post("/api/v1/units", json=body, headers=admin)).status_code == 201
    await officer_in(client, runtime, username="budi", role=Role.OFFICER, unit="polres-b")


async def anonymous_complaint(citizen: TelegramCitizen) -> str:
    """File an anonymous complaint from an account with a full name and a username."""
    first = text_update(next_update_id(), citizen.chat_id, "halo")
    for who in (first["message"]["from"], first["message"]["chat"]):
        who.update(first_name="Siti", last_name="Rahmawati", username="siti_plg")
    await citizen.send(first)
    await citizen.press("Pengaduan")
    await citizen.press("Perilaku petugas")
    await citizen.say(DESCRIPTION)
    await citizen.press("Lewati")
    await citizen.press("Ya, anonim")
    await citizen.press("Tidak perlu")  # not confidential
    done = await citizen.press("Kirim")
    found = REFERENCE_PATTERN.search("\n".join(done))
    assert found, done
    return found.group(0)


async def test_an_anonymous_telegram_complaint_shows_no_name_username_or_number(
    chromium: Path,
    base_url: str,
    client: httpx.AsyncClient,
    fake_api: FakeBotAPI,
    runtime: Runtime,
) -> None:
    citizen = TelegramCitizen(client, fake_api, runtime, CHAT)
    ref = await anonymous_complaint(citizen)
    async with browser_page(chromium, base_url, PHONE) as page:
        await log_in(page, "admin", ADMIN_PASSWORD)
        await page.get_by_role("link", name=ref).click()
        await expect(page.get_by_role("heading", name=ref)).to_be_visible()
        await expect(page.get_by_text("anonim").first).to_be_visible()
        await page.get_by_label("Balasan (dikirim ke warga)").fill(REPLY)
        await page.get_by_role("button", name="Kirim balasan").click()
        await expect(page.get_by_text("Balasan disimpan dan dikirim ke warga.")).to_be_visible()
        await screenshot(page, "inbox-case-anonymous-phone", full_page=True)
        for path in ("/backoffice/", f"/backoffice/cases/{ref}"):
            await page.goto(path)
            shown = await page.content()
            for personal in ("Siti", "Rahmawati", "siti_plg", str(CHAT)):
                assert personal not in shown, (path, personal)
    await settle(runtime)
    assert any(REPLY in text for text in fake_api.texts_to(CHAT))  # replies still reach them


async def test_a_second_admin_approves_a_broadcast_and_the_survey_page_on_a_phone(
    chromium: Path,
    base_url: str,
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: ManualClock,
) -> None:
    for marks in (["4"] + ["3"] * 8, ["3"] * 9):
        citizen = await WebCitizen.open(client)
        await citizen.say("langganan")
        await citizen.say("survei")
        for mark in marks:
            await citizen.say(mark)
        await citizen.say("Loket SKCK ditambah.")
    await second_admin(client, runtime, clock)
    async with browser_page(chromium, base_url, PHONE) as page:
        await log_in(page, "admin", ADMIN_PASSWORD)
        await page.get_by_role("link", name="Siaran").click()
        await page.get_by_label("Pesan (Bahasa Indonesia)").fill("Operasi Zebra mulai Senin.")
        await page.get_by_role("button", name="Jadwalkan").click()
        await expect(page.get_by_text("Menunggu persetujuan admin lain.")).to_be_visible()
        await expect(page.get_by_role("button", name="Setujui")).to_have_count(0)
        await page.get_by_role("button", name="Keluar").click()

        await log_in(page, SECOND_ADMIN, SECOND_ADMIN_PASSWORD)
        await page.get_by_role("link", name="Siaran").click()
        await page.get_by_role("button", name="Setujui").click()
        await expect(page.get_by_text("Siaran disetujui.")).to_be_visible()
        await expect(page.locator("#broadcast-list").get_by_text("terjadwal")).to_be_visible()
        await screenshot(page, "inbox-broadcasts-phone", full_page=True)

        await page.get_by_role("link", name="Survei").click()
        await expect(page.get_by_text("76,39 · C")).to_be_visible()
        await screenshot(page, "inbox-survey-phone", full_page=True)
