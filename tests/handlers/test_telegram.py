"""The Telegram channel end to end: webhook over HTTP, a fake Bot API on loopback."""

from __future__ import annotations

import asyncio
import hashlib

import httpx
import pytest
from sqlalchemy import func, select

from bot.cli import main
from bot.domain.clock import ManualClock
from bot.domain.messages import Choice, Outbound
from bot.domain.references import REFERENCE_PATTERN
from bot.outbox.queue import enqueue
from bot.runtime import Runtime
from bot.settings import Settings
from bot.storage.tables import cases, contacts, dead_letters, inbound_events, media
from tests.conftest import ADMIN_PASSWORD
from tests.support.fake_telegram import (
    FakeBotAPI,
    Scripted,
    message_update,
    press_update,
    text_update,
)
from tests.support.images import numbered_jpeg
from tests.support.journeys import DESCRIPTION, PlatformCitizen, file_complaint_on
from tests.support.outbox import settle
from tests.support.telegram_citizen import (
    SECRET,
    TelegramCitizen,
    next_update_id,
    telegram_settings,
)

CHAT = 5550001


@pytest.fixture
def settings(settings: Settings, fake_api: FakeBotAPI) -> Settings:
    return telegram_settings(settings, fake_api)


@pytest.fixture
def siti(client: httpx.AsyncClient, fake_api: FakeBotAPI, runtime: Runtime) -> TelegramCitizen:
    return TelegramCitizen(client, fake_api, runtime, CHAT)


async def count(runtime: Runtime, table: object) -> int:
    async with runtime.db.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(table)) or 0)  # type: ignore[arg-type]


async def officer_token(client: httpx.AsyncClient) -> dict[str, str]:
    response = await client.post(
        "/api/v1/auth/token", data={"username": "admin", "password": ADMIN_PASSWORD}
    )
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def file_by_buttons(siti: PlatformCitizen) -> str:
    return await file_complaint_on(siti, first="/start")


async def test_complaint_from_start_to_reference_by_buttons(
    siti: TelegramCitizen, fake_api: FakeBotAPI, runtime: Runtime
) -> None:
    ref = await file_by_buttons(siti)
    async with runtime.db.connect() as conn:
        case = (await conn.execute(select(cases))).one()
    assert case.ref == ref
    assert case.channel == "telegram"
    # every press was answered, and accepted presses edited the prompt to show the answer
    answered = fake_api.sent("answerCallbackQuery")
    assert len(answered) == 6
    edits = fake_api.sent("editMessageText")
    assert any("✓ <b>Perilaku petugas</b>" in edit["text"] for edit in edits)
    first = fake_api.sent()[0]
    assert first["parse_mode"] == "HTML"


async def test_complaint_by_typing_with_bot_suffix(siti: TelegramCitizen, runtime: Runtime) -> None:
    started = await siti.say("/pengaduan@pintu_bot")
    assert any("Pengaduan Anda tentang apa?" in text for text in started)
    await siti.say("perilaku petugas")
    await siti.say(DESCRIPTION)
    await siti.say("lewati")
    await siti.say("tidak")
    await siti.say("tidak")  # not confidential either
    done = await siti.say("kirim")
    assert REFERENCE_PATTERN.search("\n".join(done))


async def test_deep_link_start_payload_opens_the_named_flow(siti: TelegramCitizen) -> None:
    answer = await siti.say("/start pengaduan")
    assert any("Pengaduan Anda tentang apa?" in text for text in answer)


async def test_officer_reply_arrives_as_send_message_escaped(
    siti: TelegramCitizen, client: httpx.AsyncClient, fake_api: FakeBotAPI, runtime: Runtime
) -> None:
    ref = await file_by_buttons(siti)
    reply = "Mohon datang ke <kantor> & bawa KTP *asli*"
    response = await client.post(
        f"/api/v1/cases/{ref}/replies", json={"text": reply}, headers=await officer_token(client)
    )
    assert response.status_code == 201
    await settle(runtime)
    [sent] = siti.new_texts()
    assert "Mohon datang ke &lt;kantor&gt; &amp; bawa KTP <b>asli</b>" in sent
    assert ref in sent
    async with runtime.db.connect() as conn:
        status = await conn.scalar(select(func.max(cases.c.status)))
    assert status == "in_progress"


async def test_text_over_4096_characters_is_split_on_paragraphs(
    siti: TelegramCitizen, runtime: Runtime
) -> None:
    await siti.say("halo")
    paragraphs = [f"Paragraf {n}: " + "keterangan " * 150 for n in range(6)]
    long = Outbound(text="\n\n".join(paragraphs), choices=(Choice("ok", "Oke"),), prompt_token="9")
    async with runtime.db.begin() as conn:
        contact_id = await conn.scalar(select(contacts.c.id))
        await enqueue(
            conn, contact_id=contact_id, channel="telegram", message=long, now=runtime.clock.now()
        )
    runtime.sender.wake()
    await settle(runtime)
    parts = siti.new_texts()
    assert len(parts) == 3
    assert all(len(part) <= 4096 for part in parts)
    assert all(part.startswith("Paragraf") for part in parts)  # cut between paragraphs
    sent = siti.api.sent()[-3:]
    assert "inline_keyboard" in sent[-1]["reply_markup"]  # the buttons travel with the last
    assert "inline_keyboard" not in sent[0]["reply_markup"]


async def test_redelivered_update_is_processed_once(
    siti: TelegramCitizen, fake_api: FakeBotAPI, runtime: Runtime
) -> None:
    update = text_update(next_update_id(), CHAT, "halo")
    first = await siti.post(update)
    again = await siti.post(update)
    assert first.status_code == again.status_code == 200
    await settle(runtime)
    assert len(siti.new_texts()) == 1  # welcome, privacy and menu in one message: once
    assert await count(runtime, inbound_events) == 1


async def test_wrong_or_missing_secret_is_403_and_stores_nothing(
    siti: TelegramCitizen, runtime: Runtime
) -> None:
    update = text_update(next_update_id(), CHAT, "halo")
    assert (await siti.post(update, secret="wrong")).status_code == 403
    assert (await siti.post(update, secret=None)).status_code == 403
    assert (await siti.post(update, secret=SECRET[:-1])).status_code == 403
    assert await count(runtime, inbound_events) == 0
    assert await count(runtime, contacts) == 0


async def test_429_storm_loses_nothing_and_doubles_nothing(
    client: httpx.AsyncClient, fake_api: FakeBotAPI, runtime: Runtime, clock: ManualClock
) -> None:
    fake_api.fail_next("sendMessage", *[Scripted(429, retry_after=3, description="Too Many")] * 12)
    people = [TelegramCitizen(client, fake_api, runtime, CHAT + n) for n in range(5)]
    for person in people:
        response = await person.post(text_update(next_update_id(), person.chat_id, "halo"))
        assert response.status_code == 200
    for _ in range(10):
        await settle(runtime)
        clock.advance(3)
    await settle(runtime)
    for person in people:
        texts = person.new_texts()
        assert len(texts) == 1, texts  # the welcome with the menu exactly once
    assert fake_api.attempts() == 5 + 12  # every refusal retried once more, nothing else


async def test_5xx_and_timeouts_are_retried(
    siti: TelegramCitizen, fake_api: FakeBotAPI, runtime: Runtime, clock: ManualClock
) -> None:
    fake_api.fail_next("sendMessage", Scripted(502, description="Bad Gateway"))
    fake_api.fail_next("sendMessage", Scripted(hang=True))  # until the 0.5 s timeout
    await siti.post(text_update(next_update_id(), CHAT, "halo"))
    for _ in range(6):
        await settle(runtime)
        clock.advance(10)
    texts = siti.new_texts()
    # the timed-out call may have been delivered too: the outcome of a timeout is unknown
    assert texts
    assert all(part in texts[0] for part in ("Selamat datang", "privasi", "Pilih salah satu"))


async def test_a_400_is_never_retried_but_kept_for_an_admin(
    siti: TelegramCitizen, fake_api: FakeBotAPI, runtime: Runtime, clock: ManualClock
) -> None:
    # python-telegram-bot's BadRequest is a NetworkError: it must not be read as one.
    fake_api.fail_next("sendMessage", Scripted(400, description="Bad Request: chat not found"))
    await siti.post(text_update(next_update_id(), CHAT, "halo"))
    for _ in range(4):
        await settle(runtime)
        clock.advance(60)
    assert fake_api.attempts() == 1
    async with runtime.db.connect() as conn:
        [reason] = (await conn.execute(select(dead_letters.c.reason))).scalars().all()
    assert "chat not found" in reason.lower()


async def test_blocked_citizen_is_marked_unreachable_and_back(
    siti: TelegramCitizen, fake_api: FakeBotAPI, runtime: Runtime
) -> None:
    await siti.say("halo")
    fake_api.fail_next(
        "sendMessage", Scripted(403, description="Forbidden: bot was blocked by the user")
    )
    await siti.say("menu")
    async with runtime.db.connect() as conn:
        assert await conn.scalar(select(contacts.c.reachable)) is False
    member = {
        "update_id": next_update_id(),
        "my_chat_member": {
            "chat": {"id": CHAT, "type": "private"},
            "from": {"id": CHAT, "is_bot": False, "first_name": "Siti"},
            "date": 1_790_000_000,
            "old_chat_member": {
                "status": "kicked",
                "user": {"id": 1, "is_bot": True, "first_name": "p"},
                "until_date": 0,
            },
            "new_chat_member": {
                "status": "member",
                "user": {"id": 1, "is_bot": True, "first_name": "p"},
            },
        },
    }
    assert (await siti.post(member)).status_code == 200
    async with runtime.db.connect() as conn:
        assert await conn.scalar(select(contacts.c.reachable)) is True
    member["update_id"] = next_update_id()
    member["my_chat_member"]["new_chat_member"] = {  # type: ignore[index]
        "status": "kicked",
        "user": {"id": 1, "is_bot": True, "first_name": "p"},
        "until_date": 0,
    }
    assert (await siti.post(member)).status_code == 200
    async with runtime.db.connect() as conn:
        assert await conn.scalar(select(contacts.c.reachable)) is False


async def test_odd_updates_never_fail(
    siti: TelegramCitizen, fake_api: FakeBotAPI, runtime: Runtime
) -> None:
    await siti.say("halo")
    edited = {
        "update_id": next_update_id(),
        "edited_message": text_update(0, CHAT, "halo (edit)")["message"] | {"edit_date": 1},
    }
    channel_post = {
        "update_id": next_update_id(),
        "channel_post": {
            "message_id": 1,
            "date": 1,
            "chat": {"id": -100123, "type": "channel", "title": "news"},
            "text": "pengumuman",
        },
    }
    unknown = {"update_id": next_update_id(), "brand_new_kind": {"x": 1}}
    for update in (edited, channel_post, unknown):
        response = await siti.post(update)
        assert response.status_code == 200, response.text
    await settle(runtime)
    assert siti.new_texts() == []  # recorded and ignored
    sticker = message_update(
        next_update_id(),
        CHAT,
        sticker={
            "file_id": "stk",
            "file_unique_id": "stk-u",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        },
    )
    polite = await siti.send(sticker)
    assert any("stiker" in text for text in polite)


async def test_unparseable_payloads_go_to_dead_letters_with_200(
    siti: TelegramCitizen, client: httpx.AsyncClient, runtime: Runtime
) -> None:
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "content-type": "application/json"}
    for body in (b"{not json", b"[1,2,3]", b'{"update_id": "x"}', b"\xff\xfe"):
        response = await client.post("/webhooks/telegram", content=body, headers=headers)
        assert response.status_code == 200
    assert await count(runtime, dead_letters) == 4


async def test_five_megabyte_photo_is_fetched_hashed_and_kept(
    siti: TelegramCitizen, fake_api: FakeBotAPI, runtime: Runtime
) -> None:
    photo = numbered_jpeg(0, padding=5 * 1024 * 1024)
    fake_api.add_file("big-photo", photo)
    await siti.say("pengaduan")
    await siti.press("Pelayanan publik")
    await siti.say(DESCRIPTION)
    sizes = [
        {"file_id": "small", "file_unique_id": "s", "width": 90, "height": 90, "file_size": 10},
        {
            "file_id": "big-photo",
            "file_unique_id": "b",
            "width": 2560,
            "height": 1920,
            "file_size": len(photo),
        },
    ]
    answer = await siti.send(message_update(next_update_id(), CHAT, photo=sizes))
    assert any("anonim" in text for text in answer)
    async with runtime.db.connect() as conn:
        row = (await conn.execute(select(media))).one()
    assert row.size == len(photo)
    assert row.sha256 == hashlib.sha256(photo).hexdigest()
    assert [c["file_id"] for c in fake_api.sent("getFile")] == ["big-photo"]


async def test_voice_note_where_text_is_expected_gets_a_reprompt(
    siti: TelegramCitizen, fake_api: FakeBotAPI
) -> None:
    fake_api.add_file("voice-1", b"OggS" + b"\x00" * 500)
    await siti.say("pengaduan")
    await siti.press("Pelayanan publik")
    voice = {"file_id": "voice-1", "file_unique_id": "v", "duration": 3, "file_size": 504}
    answer = await siti.send(message_update(next_update_id(), CHAT, voice=voice))
    assert any("mengetik teks" in text for text in answer)


async def test_hundred_kilobyte_text_is_answered_politely(
    siti: TelegramCitizen, runtime: Runtime
) -> None:
    await siti.say("pengaduan")
    await siti.press("Pelayanan publik")
    answer = await siti.say("panjang " * 12_800)
    assert any("terlalu panjang" in text for text in answer)
    assert await count(runtime, dead_letters) == 0


async def test_press_on_an_outdated_keyboard_gets_a_note_not_a_second_action(
    siti: TelegramCitizen, fake_api: FakeBotAPI, runtime: Runtime
) -> None:
    await siti.say("pengaduan")
    category_prompt = siti.last_prompt()
    await siti.press("Pelayanan polisi")
    edits_before = len(fake_api.sent("editMessageText"))
    data = siti.button_data(category_prompt, "Pelayanan publik")
    answer = await siti.send(press_update(next_update_id(), CHAT, data, category_prompt))
    assert any("tombol itu sudah tidak berlaku" in text for text in answer)
    assert len(fake_api.sent("editMessageText")) == edits_before
    assert len(fake_api.sent("answerCallbackQuery")) == 2
    async with runtime.db.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(cases)) == 0


async def test_set_webhook_registers_secret_update_types_and_commands(
    fake_api: FakeBotAPI, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PINTU_TELEGRAM_BOT_TOKEN", fake_api.token)
    monkeypatch.setenv("PINTU_TELEGRAM_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("PINTU_TELEGRAM_API_URL", fake_api.url)
    monkeypatch.setenv("PINTU_VAR_DIR", str(settings.var_dir))
    url = "https://pintu.example.go.id/webhooks/telegram"
    assert await asyncio.to_thread(main, ["telegram", "set-webhook", url]) == 0
    [webhook] = fake_api.sent("setWebhook")
    assert webhook["url"] == url
    assert webhook["secret_token"] == SECRET
    assert set(webhook["allowed_updates"]) >= {"message", "callback_query", "my_chat_member"}
    menus = {c.get("language_code"): c["commands"] for c in fake_api.sent("setMyCommands")}
    assert [c["command"] for c in menus["id"]][:3] == ["start", "menu", "pengaduan"]
    assert "complaint" in [c["command"] for c in menus["en"]]
    assert {"lapor", "status"} <= {c["command"] for c in menus["id"]}
    assert {"report", "status"} <= {c["command"] for c in menus["en"]}
    assert menus[None] == menus["id"]
    assert all(c["description"] for c in menus["en"])
