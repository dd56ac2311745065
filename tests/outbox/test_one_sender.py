"""One sender per channel across workers (PostgreSQL): two app instances, each with
its own engine, on one database and one fake Bot API.

Only the instance that holds the channel's advisory lock sends, so the
deployment keeps the platform's rate as one process would; when it stops,
the other takes the channel over within `PINTU_SENDER_TAKEOVER_SECONDS`. Real
time (the pacer's and the lock's), a few seconds.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.app import create_app, headroom
from bot.cli import main
from bot.domain.clock import SystemClock
from bot.domain.messages import Outbound
from bot.outbox.ownership import AdvisoryLocks, lock_key
from bot.outbox.queue import enqueue
from bot.runtime import Runtime
from bot.settings import Settings
from tests.support.fake_telegram import FakeBotAPI, text_update
from tests.support.outbox import new_telegram_contact
from tests.support.telegram_citizen import SECRET, next_update_id, telegram_settings
from tests.support.web import WebCitizen

pytestmark = pytest.mark.slow

RATE = 20.0  # the channel-wide pace, messages a second
TAKEOVER = 0.2


@pytest.fixture
def settings(settings: Settings, fake_api: FakeBotAPI) -> Settings:
    if not settings.database_url.startswith("postgresql"):
        pytest.skip("several workers need PostgreSQL: on SQLite one process owns the file")
    return telegram_settings(
        settings,
        fake_api,
        telegram_messages_per_second=RATE,
        sender_takeover_seconds=TAKEOVER,
        outbox_poll_seconds=30.0,  # only a wake-up (a NOTIFY from another worker) is quick
    )


@asynccontextmanager
async def worker(settings: Settings, sent_by: Counter[str], name: str) -> AsyncIterator[FastAPI]:
    """One `pintu serve` worker: the whole app with its sender, on its own engine;
    `sent_by[name]` counts the messages it sends."""
    app: FastAPI = create_app(settings, clock=SystemClock())
    runtime: Runtime = app.state.runtime

    def count(contact_ids: set[int]) -> None:
        sent_by[name] += len(contact_ids)

    runtime.sender.sent_listeners.append(count)
    async with app.router.lifespan_context(app):
        yield app


async def queue_to_new_chats(runtime: Runtime, first_chat: int, count: int) -> None:
    now = runtime.clock.now()
    async with runtime.db.begin() as conn:
        for chat in range(first_chat, first_chat + count):
            contact_id = await new_telegram_contact(conn, chat, now)
            message = Outbound(text=f"pesan untuk {chat}")
            await enqueue(conn, contact_id=contact_id, channel="telegram", message=message, now=now)


async def until(condition: Callable[[], bool], what: str, within: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"not within {within} s: {what}")
        await asyncio.sleep(0.01)


async def all_sent(api: FakeBotAPI, sent_by: Counter[str], count: int, within: float) -> None:
    """Wait until the fake accepted `count` sends and the workers recorded as many."""
    await until(
        lambda: len(api.sent()) >= count and sent_by.total() >= count, f"{count} sent", within
    )


async def test_one_worker_sends_each_channel_at_the_platform_rate_and_another_takes_over(
    settings: Settings, fake_api: FakeBotAPI
) -> None:
    arrived: list[float] = []

    def record(_chat: int, _params: dict[str, Any]) -> None:
        arrived.append(time.monotonic())

    fake_api.on_sent = record
    sent_by: Counter[str] = Counter()
    workers = {"first": AsyncExitStack(), "second": AsyncExitStack()}
    try:
        apps = {
            name: await stack.enter_async_context(worker(settings, sent_by, name))
            for name, stack in workers.items()
        }
        runtimes: dict[str, Runtime] = {name: app.state.runtime for name, app in apps.items()}
        rows = 60
        await queue_to_new_chats(runtimes["first"], 1_000, rows)
        for runtime in runtimes.values():
            runtime.sender.wake()
        await all_sent(fake_api, sent_by, rows, within=20)

        chats = Counter(int(params["chat_id"]) for params in fake_api.sent())
        assert len(chats) == rows
        assert max(chats.values()) == 1  # no row sent twice
        # One pacer's worth: its burst, then RATE a second. Two senders would take half as long.
        least = (rows - headroom(RATE)) / RATE
        assert arrived[-1] - arrived[0] >= 0.9 * least
        [(holder, sent)] = sent_by.items()  # one worker did all the sending
        assert sent == rows

        [other_app] = [app for name, app in apps.items() if name != holder]
        transport = httpx.ASGITransport(app=other_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://pintu.test") as http:
            # Web chat has no platform to pace: the worker that took a message answers it.
            citizen = await WebCitizen.open(http)
            assert (await citizen.post({"text": "halo"})).status_code == 202
            async with asyncio.timeout(5):  # woken at once, not when a 20-s long poll ends
                assert await citizen.read(wait=20)
            # A Telegram message taken by the other worker: the holder is woken to answer.
            before = len(fake_api.sent())
            headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
            update = text_update(next_update_id(), 3_000, "halo")
            response = await http.post("/webhooks/telegram", json=update, headers=headers)
            assert response.status_code == 200
            await until(
                lambda: bool(fake_api.texts_to(3_000)) and sent_by.total() >= before + 2,
                "answered (and recorded) at once, not at the 30-s poll",
                within=5,
            )
        rows = len(fake_api.sent())
        sent_by.subtract(sent_by - Counter({holder: rows}))  # the web answer
        # The holder stops (its connection closes, and with it the lock): the other takes over.
        await workers.pop(holder).aclose()
        [(other, runtime)] = [(name, rt) for name, rt in runtimes.items() if name != holder]
        stopped = time.monotonic()
        await queue_to_new_chats(runtime, 2_000, 10)
        runtime.sender.wake()  # as the worker that queued them does after committing
        await all_sent(fake_api, sent_by, rows + 10, within=10)
        assert arrived[-1] - stopped < 2 * TAKEOVER + 10 / RATE + 1.0
        assert sent_by == {holder: rows, other: 10}
        assert max(Counter(int(p["chat_id"]) for p in fake_api.sent()).values()) == 1
    finally:
        for stack in workers.values():
            await stack.aclose()


def test_on_sqlite_one_process_owns_the_database(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Why SQLite needs no lock: `pintu serve` refuses several workers there."""
    monkeypatch.setenv("PINTU_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/pintu.db")
    assert main(["serve", "--workers", "2"]) == 2
    assert "several workers need PostgreSQL" in capsys.readouterr().err


async def test_a_worker_that_loses_its_lock_connection_stops_sending(
    settings: Settings, fake_api: FakeBotAPI
) -> None:
    """The holder's lock connection dies (a network cut, the server ending it): the lock
    is free, another worker may take it, so the holder must stop sending too."""
    sent_by: Counter[str] = Counter()
    async with (
        worker(settings, sent_by, "first") as first,
        worker(settings, sent_by, "second") as second,
    ):
        runtimes: list[Runtime] = [first.state.runtime, second.state.runtime]
        async with runtimes[0].db.connect() as conn:
            holder = await lock_holder(conn)
            assert await conn.scalar(select(func.pg_terminate_backend(holder)))
            await conn.commit()
            await asyncio.sleep(3 * TAKEOVER)  # the holder notices; someone takes the lock again
            assert await lock_holder(conn) != holder
        assert [holds_telegram(runtime) for runtime in runtimes].count(True) == 1
        await queue_to_new_chats(runtimes[0], 4_000, 80)  # more than one claim takes
        for runtime in runtimes:
            runtime.sender.wake()
        await all_sent(fake_api, sent_by, 80, within=15)
        assert len(+sent_by) == 1  # one worker sent them all
        assert max(Counter(int(p["chat_id"]) for p in fake_api.sent()).values()) == 1


def holds_telegram(runtime: Runtime) -> bool:
    rights = runtime.sender.rights
    assert isinstance(rights, AdvisoryLocks)
    return rights.holds("telegram")


async def lock_holder(conn: AsyncConnection, within: float = 5.0) -> int:
    """The server process id of the connection holding Telegram's sending lock."""
    key = lock_key("telegram")
    query = text(
        "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
        " AND classid = :high AND objid = :low"
    ).bindparams(high=key >> 32, low=key & 0xFFFFFFFF)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while (pid := await conn.scalar(query)) is None:
        await conn.commit()
        if loop.time() > deadline:
            raise AssertionError("no worker holds the Telegram channel")
        await asyncio.sleep(0.02)
    await conn.commit()
    return int(pid)


async def test_a_long_poll_on_one_worker_gets_what_another_worker_sent(
    settings: Settings, fake_api: FakeBotAPI
) -> None:
    """A browser's message and its long poll may land on different workers: the
    answer recorded by the first reaches the poll waiting on the second within
    `PINTU_WEB_POLL_RECHECK_SECONDS`, not when the poll's 20 s run out."""
    settings = settings.model_copy(update={"web_poll_recheck_seconds": 0.2})
    sent_by: Counter[str] = Counter()
    async with AsyncExitStack() as stack:
        first = await stack.enter_async_context(worker(settings, sent_by, "first"))
        second = await stack.enter_async_context(worker(settings, sent_by, "second"))
        clients = [
            await stack.enter_async_context(
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app), base_url="http://pintu.test"
                )
            )
            for app in (first, second)
        ]
        citizen = await WebCitizen.open(clients[0])
        assert await citizen.say("halo")  # the contact exists: the poll below listens
        polling = WebCitizen(http=clients[1], token=citizen.token, last_id=citizen.last_id)
        read = asyncio.create_task(polling.read(wait=20))
        await asyncio.sleep(0.3)  # the poll is waiting on the second worker
        assert (await citizen.post({"text": "menu"})).status_code == 202
        async with asyncio.timeout(5):
            assert await read
