"""The channel contract (`bot.domain.channel.ChannelHandler`), the same cases over every channel.

Each case runs against Telegram, WhatsApp, web chat and the console, each
driven the way its citizens reach pintu (`tests.support.channels`).
"""

from __future__ import annotations

import ast
import io
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from bot.domain.channel import ChannelHandler, Event, Said, Unreadable
from bot.domain.messages import Choice, InboundKind, Outbound
from bot.handlers.console import ConsoleChannel
from bot.outbox.queue import enqueue, outbox
from bot.runtime import Runtime
from bot.settings import Settings
from bot.storage.tables import contacts, dead_letters, inbound_events
from tests.support.channels import (
    BSUID,
    CHANNELS,
    TELEGRAM_CHAT,
    WA_ID,
    ChannelCitizen,
    ConsoleDriver,
    TelegramDriver,
    WebDriver,
    WhatsAppDriver,
)
from tests.support.fake_telegram import FakeBotAPI, text_update
from tests.support.fake_whatsapp import FakeGraphAPI, encode, message, notification, profile
from tests.support.telegram_citizen import TelegramCitizen, telegram_settings
from tests.support.whatsapp_citizen import WhatsAppCitizen, whatsapp_settings

HANDLERS = Path(__file__).resolve().parents[2] / "bot" / "handlers"
DEEP_ARRAY = b"[" * 5000 + b"]" * 5000


@pytest.fixture
def settings(settings: Settings, fake_api: FakeBotAPI, graph: FakeGraphAPI) -> Settings:
    return telegram_settings(whatsapp_settings(settings, graph), fake_api)


@pytest.fixture(params=CHANNELS)
def citizen(request: pytest.FixtureRequest) -> ChannelCitizen:
    """A citizen on each channel in turn (the console on a runtime of its own)."""
    if request.param == "console":
        runtime, screen = request.getfixturevalue("console_runtime")
        return ConsoleDriver(runtime, screen)
    client: httpx.AsyncClient = request.getfixturevalue("client")
    runtime = request.getfixturevalue("runtime")
    if request.param == "telegram":
        api = request.getfixturevalue("fake_api")
        return TelegramDriver(TelegramCitizen(client, api, runtime, TELEGRAM_CHAT))
    if request.param == "whatsapp":
        graph = request.getfixturevalue("graph")
        return WhatsAppDriver(WhatsAppCitizen(client, graph, runtime, user_id=BSUID, wa_id=WA_ID))
    return WebDriver(client, runtime)


async def count(runtime: Runtime, table: object) -> int:
    async with runtime.db.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(table)) or 0)  # type: ignore[arg-type]


# -- the cases, over every channel -----------------------------------------------------


async def test_a_text_reaches_the_engine_and_is_answered(citizen: ChannelCitizen) -> None:
    [answer] = await citizen.say("halo")  # welcome, privacy and menu in one message
    assert "Selamat datang" in answer
    assert "Apa yang bisa kami bantu?" in answer


async def test_a_redelivered_event_is_handled_once(citizen: ChannelCitizen) -> None:
    answer = await citizen.say_twice("halo")
    assert len(answer) == 1
    assert await count(citizen.runtime, inbound_events) == 1


async def test_a_choice_is_understood(citizen: ChannelCitizen) -> None:
    await citizen.say("halo")
    answer = await citizen.press("Pengaduan")
    assert any("Pengaduan Anda tentang apa?" in text for text in answer)


async def test_unreadable_input_is_never_a_server_error(citizen: ChannelCitizen) -> None:
    """Platforms get 200 and the payload is kept as a dead letter (they would redeliver
    anything else); the web chat's browser is told 422; a console line is always text."""
    status = await citizen.post_raw(DEEP_ARRAY)
    letters = await count(citizen.runtime, dead_letters)
    if citizen.channel in ("telegram", "whatsapp"):
        assert (status, letters) == (200, 1)
        assert await count(citizen.runtime, inbound_events) == 0
    elif citizen.channel == "web":
        assert 400 <= status < 500
        assert letters == 0
    else:
        assert (status, letters) == (200, 0)
    await citizen.read_new()
    assert await citizen.say("menu")  # and the channel goes on as before


async def test_what_is_sent_is_recorded_as_sent(citizen: ChannelCitizen) -> None:
    await citizen.say("halo")
    runtime = citizen.runtime
    async with runtime.db.begin() as conn:
        contact_id = await conn.scalar(
            select(contacts.c.id).where(contacts.c.channel == citizen.channel)
        )
        assert contact_id is not None
        question = Outbound(
            "Apakah lampu sudah menyala?", (Choice("y", "Ya"), Choice("n", "Belum"))
        )
        await enqueue(
            conn,
            contact_id=contact_id,
            channel=citizen.channel,
            message=question,
            now=runtime.clock.now(),
        )
    [received] = await citizen.read_new()
    assert "Apakah lampu sudah menyala?" in received
    async with runtime.db.connect() as conn:
        statuses = set((await conn.execute(select(outbox.c.status))).scalars())
    assert statuses == {"sent"}


@pytest.mark.parametrize("citizen", ["telegram", "whatsapp"], indirect=True)
async def test_a_blocked_citizen_is_unreachable_on_every_platform(
    citizen: TelegramDriver | WhatsAppDriver,
) -> None:
    """Each platform says "blocked" its own way; the outbox makes the same of it.
    (Sending on the web chat and the console is recording: it cannot be refused.)"""
    await citizen.say("halo")
    citizen.refuse_next_send_as_blocked()
    await citizen.say("menu")
    async with citizen.runtime.db.connect() as conn:
        assert await conn.scalar(select(contacts.c.reachable)) is False
        statuses = list(
            (await conn.execute(select(outbox.c.status).order_by(outbox.c.id))).scalars()
        )
    assert statuses == ["sent", "failed"]  # welcome with the menu; the menu again


# -- parse, on every channel's handler ---------------------------------------------------


def channel_handlers(runtime: Runtime) -> list[ChannelHandler]:
    return [*runtime.sender.handlers.values(), ConsoleChannel(io.StringIO())]


def a_text(channel: str) -> tuple[bytes, str | None]:
    """A text "halo" as each channel's transport carries it, and the sender it vouches for."""
    if channel == "telegram":
        return encode(text_update(1, TELEGRAM_CHAT, "halo")), None
    if channel == "whatsapp":
        halo = message("text", user_id=BSUID, wa_id=WA_ID, text={"body": "halo"})
        body = notification(messages=[halo], contacts=[profile(user_id=BSUID, wa_id=WA_ID)])
        return encode(body), None
    if channel == "web":
        return b'{"client_id": "abcdefgh", "text": "halo"}', "browser-1"
    return b"halo", "console-1"


async def test_every_channel_parses_a_text_into_one_said(app: FastAPI, runtime: Runtime) -> None:
    handlers = channel_handlers(runtime)
    assert sorted(handler.channel for handler in handlers) == sorted(CHANNELS)
    for handler in handlers:
        raw, sender = a_text(handler.channel)
        [event] = handler.parse(raw, sender_id=sender)
        assert isinstance(event, Said), handler.channel
        assert event.inbound.kind == InboundKind.TEXT
        assert event.inbound.text == "halo"
        assert event.inbound.channel == handler.channel


@pytest.mark.parametrize(
    "raw",
    [b"", b"\xff\xfe", b"null", b"{}", b"[]", b'"halo"', b"{" * 100, DEEP_ARRAY, b'{"a": 1e999}'],
)
async def test_parse_never_raises(app: FastAPI, runtime: Runtime, raw: bytes) -> None:
    for handler in channel_handlers(runtime):
        events: list[Event] = list(handler.parse(raw, sender_id="someone"))
        assert all(isinstance(event, Said | Unreadable) for event in events) or not events


# -- the rule behind it --------------------------------------------------------------------


def test_handlers_keep_no_books() -> None:
    """No SQL in `bot/handlers`: storage is the ingress's, the outbox's and the services'."""
    found = []
    for path in sorted(HANDLERS.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            found += [
                f"{path.name}: {name}"
                for name in names
                if name.split(".")[0] in ("sqlalchemy", "sqlmodel")
                or name.startswith("bot.storage")
            ]
    assert found == []
