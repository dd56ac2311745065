"""The web chat page in a real browser: Debian's Chromium driven by Playwright.

The app (the `app` fixture: real lifespan, outbox sender running) is served by
uvicorn on a free loopback port inside the test's event loop, and the browser
talks to it exactly as a citizen's phone would.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from playwright.async_api import Dialog, Page, expect
from sqlalchemy import select

from bot.runtime import Runtime
from bot.settings import Settings
from bot.storage.tables import conversations
from tests.support.browser import (
    PHONE,
    browser_page,
    chromium_or_skip,
    screenshot,
    served,
)
from tests.support.images import numbered_jpeg

EMERGENCY = "tolong ada begal di jalan sudirman sekarang"
REFERENCE = re.compile(r"PGD-[23456789A-HJ-NP-Z]{6}")
HOSTILE = "<img src=x onerror=alert(1)>"
DESCRIPTION = f"Petugas loket SKCK meminta uang tambahan tanpa kuitansi {HOSTILE} kemarin pagi."


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Long polls held at most a second, so the server can stop gracefully at teardown."""
    return settings.model_copy(update={"web_poll_wait_seconds": 1.0})


@pytest.fixture
async def base_url(app: FastAPI) -> AsyncIterator[str]:
    """The app served over real HTTP on 127.0.0.1 (the `app` fixture runs the lifespan)."""
    async with served(app) as url:
        yield url


@pytest.fixture
def chromium() -> Path:
    return chromium_or_skip()


def phone(
    chromium: Path, base_url: str, size: tuple[int, int] = PHONE, **context: Any
) -> AbstractAsyncContextManager[Page]:
    """A phone-sized page (`size` in CSS pixels), in Indonesian, talking to the served app."""
    return browser_page(chromium, base_url, size, **context)


@pytest.fixture
async def page(chromium: Path, base_url: str) -> AsyncIterator[Page]:
    async with phone(chromium, base_url) as opened:
        yield opened


async def say(page: Page, text: str) -> None:
    """Type into the composer and send with Enter, as a citizen would."""
    await page.locator("#text").fill(text)
    await page.locator("#text").press("Enter")
    await expect(page.locator("#log .me").filter(has_text=text).last).to_be_visible()


async def press(page: Page, label: str) -> None:
    """Press the enabled button `label` (perhaps numbered: "1. Pengaduan") of the newest prompt."""
    button = page.locator("#log .choice:enabled").filter(
        has_text=re.compile(rf"^(\d+\. )?{re.escape(label)}$")
    )
    await expect(button).to_have_count(1)
    await button.click()
    await expect(button).to_have_count(0)  # the prompt's buttons retire at once


async def test_citizen_files_a_complaint_in_the_browser(page: Page) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: dialogs.append(dialog.message))
    log = page.locator("#log")

    await page.goto("/chat")
    await expect(page.locator("#send")).to_have_text("Kirim")  # labels came from the catalog
    await expect(page.locator("#intro a[href='tel:110']")).to_have_text("110")

    await say(page, "halo")
    await expect(log.locator(".bot").first).to_be_visible()
    await press(page, "Pengaduan")

    category = log.locator(".choice:enabled").first
    await expect(category).to_be_visible()
    await category.click()
    await expect(log.locator(".choice:enabled")).to_have_count(0)

    await expect(page.locator("#log .bot").last).to_be_visible()
    await say(page, DESCRIPTION)
    await expect(page.locator("#attach")).to_have_class(re.compile(r"\bwanted\b"))
    await press(page, "Lewati")
    await press(page, "Tidak, tampilkan nama saya")
    await say(page, "Siti Rahma")  # the web knows no name: a named citizen gives it
    await say(page, "0812 3456 7890")
    phone = page.locator("#log .bot").last.get_by_role("link", name="081234567890")
    await expect(phone).to_have_attribute("href", "tel:081234567890")
    await press(page, "Kirim")

    await expect(log.locator(".bot").last).to_contain_text(REFERENCE)
    await expect(log.locator(".me[data-state=sent]").filter(has_text=HOSTILE)).to_have_count(1)
    await expect(log.locator(".bot").filter(has_text=HOSTILE).first).to_be_visible()
    await expect(page.locator("img")).to_have_count(0)  # the markup stayed text
    assert dialogs == []
    assert await page.locator("#log .choice.pressed").count() == 5
    await screenshot(page, "complaint-filed")

    transcript = await log.locator(".msg").all_inner_texts()
    await page.reload()  # same conversation: history fetched again, own messages in place
    await expect(log.locator(".msg")).to_have_count(len(transcript))
    assert await log.locator(".msg").all_inner_texts() == transcript
    assert await page.locator("#log .choice.pressed").count() == 5


async def test_the_location_button_shares_where_the_phone_is(
    chromium: Path, base_url: str, runtime: Runtime
) -> None:
    spot = {"latitude": -2.9761, "longitude": 104.7754}
    async with phone(chromium, base_url, geolocation=spot, permissions=["geolocation"]) as page:
        await page.goto("/chat")
        await say(page, "lapor")
        await press(page, "Tidak")
        await press(page, "Narkoba")
        await press(page, "Sedang/baru terjadi")
        await press(page, "📍 Kirim lokasi")
        await expect(page.locator("#log .me").last).to_have_text("📍 -2.97610, 104.77540")
        await expect(page.locator("#log .bot").last).to_contain_text("Ceritakan")
    async with runtime.db.connect() as conn:
        state = await conn.scalar(select(conversations.c.state))
    assert '"latitude": -2.9761' in state


async def test_forged_token_is_replaced_and_rejected_photo_explained(
    page: Page, runtime: Runtime
) -> None:
    await page.goto("/chat")
    await page.evaluate("localStorage.setItem('pintu.token', 'forged.token')")
    await page.reload()

    await say(page, "halo")  # the 401 got a new session, and the message still went through
    await expect(page.locator("#log .choice:enabled").first).to_be_visible()
    assert await page.evaluate("localStorage.getItem('pintu.token')") != "forged.token"
    await press(page, "Pengaduan")
    await page.locator("#log .choice:enabled").first.click()
    await say(page, DESCRIPTION)
    await expect(page.locator("#attach")).to_have_class(re.compile(r"\bwanted\b"))

    not_a_photo = {"name": "foto.png", "mimeType": "image/png", "buffer": b"not a picture"}
    await page.locator("#photo").set_input_files(files=[not_a_photo])
    await expect(page.locator("#log .me[data-state=failed]")).to_have_text("foto.png")
    notice = runtime.translator.text("id", "web.upload_failed")
    await expect(page.locator("#log .notice:not(#intro)")).to_have_text(notice)


async def test_page_has_no_inline_code(base_url: str) -> None:
    """Scripts and styles come only from /chat/static, so a strict CSP can forbid the rest."""
    async with httpx.AsyncClient(base_url=base_url) as http:
        page = (await http.get("/chat")).text
        assets = [await http.get(f"/chat/static/chat.{ext}") for ext in ("js", "css")]
    assert re.findall(r"<script\b[^>]*>", page) == ['<script src="/chat/static/chat.js" defer>']
    assert "style=" not in page
    assert "<style" not in page
    assert "script-src 'self'" in page
    assert [asset.status_code for asset in assets] == [200, 200]
    assert "innerHTML" not in assets[0].text


async def file_complaint(page: Page, story: str) -> None:
    """From the category question to the reference, anonymously, without a photo."""
    await expect(page.locator("#log .bot").last).to_contain_text("Pengaduan Anda tentang apa?")
    await page.locator("#log .choice:enabled").first.click()
    await say(page, story)
    await press(page, "Lewati")
    await press(page, "Ya, anonim")
    await press(page, "Kirim")
    await expect(page.locator("#log .bot").last).to_contain_text(REFERENCE)


@pytest.mark.parametrize("size", [(360, 740), (320, 568)], ids=["360px", "320px"])
async def test_an_emergency_first_message_keeps_110_in_view_and_dialable(
    chromium: Path, base_url: str, size: tuple[int, int]
) -> None:
    async with phone(chromium, base_url, size) as page:
        await emergency_first_message(page, f"emergency-first-message-{size[0]}px")


async def emergency_first_message(page: Page, name: str) -> None:
    log = page.locator("#log")
    await page.goto("/chat")
    await say(page, EMERGENCY)

    urgent = log.locator(".bot.urgent")
    await expect(urgent).to_have_count(1)
    await expect(log.locator(".choice:enabled").first).to_be_attached()  # the report goes on
    await page.wait_for_timeout(300)  # let the last messages settle as a phone would show them
    emergency = urgent.get_by_role("link", name="110")
    await expect(emergency).to_have_attribute("href", "tel:110")
    await expect(emergency).to_be_in_viewport()
    desk = urgent.get_by_role("link", name="07115550100")  # the default duty desk, dialable
    await expect(desk).to_have_attribute("href", "tel:07115550100")
    await expect(desk).to_be_in_viewport()
    await screenshot(page, name)


async def test_a_second_complaint_at_360_px(page: Page) -> None:
    await page.goto("/chat")
    await say(page, "halo")
    await press(page, "Pengaduan")
    await file_complaint(page, DESCRIPTION)
    await say(page, "pengaduan")
    await file_complaint(page, "Antrean SIM di Satpas sangat panjang dan tidak ada nomor urut.")
    done = page.locator("#log .bot").filter(has_text=REFERENCE)
    await expect(done).to_have_count(2)
    await expect(done.last).to_be_in_viewport()
    await screenshot(page, "second-complaint-360px")


async def test_page_labels_follow_the_conversation_language(page: Page) -> None:
    await page.goto("/chat")
    await expect(page.locator("#send")).to_have_text("Kirim")
    await say(page, "bahasa")
    await press(page, "English")
    await expect(page.locator("#send")).to_have_text("Send")
    await expect(page.locator("#text")).to_have_attribute("placeholder", "Type a message…")
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    await page.reload()  # the conversation's language, not the browser's (id-ID), wins
    await expect(page.locator("#send")).to_have_text("Send")


async def test_the_survey_by_buttons_at_360_px(page: Page) -> None:
    log = page.locator("#log")
    await page.goto("/chat")
    await say(page, "survei")
    await expect(log.locator(".bot").last).to_contain_text("Langkah 1 dari 10")
    for step in range(2, 11):
        marks = log.locator(".choice:enabled")
        await expect(marks).to_have_count(4)  # the 1-4 scale, numbered for typing
        await expect(marks.last).to_have_text(re.compile(r"^4\. "))
        await marks.last.click()
        await expect(log.locator(".bot").last).to_contain_text(f"Langkah {step} dari 10")
    await press(page, "Lewati")
    thanks = log.locator(".bot").filter(has_text="Penilaian Anda sudah kami terima")
    await expect(thanks).to_be_in_viewport()
    await expect(log.locator(".choice:enabled")).to_have_text(
        ["1. Ya, mau", "2. Tidak, terima kasih"]
    )
    await screenshot(page, "survey-done-360px")
    await press(page, "Ya, mau")
    await expect(log.locator(".bot").last).to_contain_text("akan menerima pengumuman")


async def test_forgetting_the_conversation_at_360_px(
    page: Page, base_url: str, runtime: Runtime
) -> None:
    """ "Hapus percakapan ini": confirmed, the server refuses the token, and the
    transcript, the token and the screen are cleared; the next message starts afresh."""
    questions: list[str] = []

    async def answer(dialog: Dialog) -> None:
        questions.append(dialog.message)
        await (dialog.dismiss() if len(questions) == 1 else dialog.accept())

    page.on("dialog", answer)
    await page.goto("/chat")
    forget = page.get_by_role("button", name="Hapus percakapan ini")
    await expect(forget).to_be_visible()
    await say(page, "halo")
    await expect(page.locator("#log .bot").first).to_be_visible()
    token = await page.evaluate("localStorage.getItem('pintu.token')")
    await screenshot(page, "forget-button-360px")

    await forget.click()  # dismissed: nothing happens
    await expect(page.locator("#log .me")).to_have_count(1)
    await forget.click()

    await expect(page.locator("#log .msg")).to_have_count(0)
    forgotten = runtime.translator.text("id", "web.forgotten")
    await expect(page.locator("#log .notice:not(#intro)")).to_have_text(forgotten)
    assert questions == [runtime.translator.text("id", "web.forget_confirm")] * 2
    assert await page.evaluate("localStorage.getItem('pintu.mine')") in (None, "[]")
    async with httpx.AsyncClient(base_url=base_url) as http:
        refused = await http.get("/chat/api/messages", headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 401
    assert "revoked" in refused.json()["detail"]
    await screenshot(page, "forget-conversation-360px")

    await say(page, "selamat pagi")  # a new conversation: welcomed again, on a new token
    await expect(page.locator("#log .bot").first).to_contain_text("Selamat datang")
    assert await page.evaluate("localStorage.getItem('pintu.token')") not in (None, token)
    await expect(page.locator("#log .me")).to_have_count(1)


async def test_a_refused_new_session_is_told_politely_with_110(
    page: Page, base_url: str, runtime: Runtime
) -> None:
    allowance = runtime.settings.web_sessions_per_address_per_hour
    async with httpx.AsyncClient(base_url=base_url) as http:  # the same address as the page
        opened = [(await http.post("/chat/api/session")).status_code for _ in range(allowance)]
    assert set(opened) == {201}

    await page.goto("/chat")

    told = runtime.translator.text("id", "web.session_limited")
    await expect(page.locator("#log .notice:not(#intro)")).to_have_text(told)
    await expect(page.locator("#log .notice:not(#intro) a[href='tel:110']")).to_be_visible()
    await expect(page.locator("#status")).to_be_hidden()  # not "offline": refused, politely
    await screenshot(page, "session-limited-360px")


async def test_a_used_up_photo_quota_is_told_at_360_px(
    page: Page, base_url: str, runtime: Runtime
) -> None:
    await page.goto("/chat")
    await say(page, "pengaduan")
    await file_complaint(page, DESCRIPTION)  # photos now join the open case
    token = await page.evaluate("localStorage.getItem('pintu.token')")
    allowance = runtime.settings.web_uploads_per_session_per_day
    async with httpx.AsyncClient(base_url=base_url) as http:
        for n in range(allowance):  # the day's photos, sent by this same session
            files = {"file": ("foto.jpg", numbered_jpeg(n), "image/jpeg")}
            response = await http.post(
                "/chat/api/media",
                data={"client_id": f"quota-{n:04d}"},
                files=files,
                headers={"Authorization": f"Bearer {token}"},
            )
            assert response.status_code == 202

    photo = {"name": "foto.jpg", "mimeType": "image/jpeg", "buffer": numbered_jpeg(999)}
    await page.locator("#photo").set_input_files(files=[photo])

    await expect(page.locator("#log .me[data-state=failed]")).to_have_text("foto.jpg")
    told = runtime.translator.text("id", "web.upload_limited")
    await expect(page.locator("#log .notice:not(#intro)").last).to_have_text(told)
    await screenshot(page, "photo-quota-used-360px")
