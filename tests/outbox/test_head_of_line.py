"""No head-of-line blocking: one recipient's slow platform answer or pace holds back
nobody else's messages (issue 14).

Driven over HTTP as the issue's report was: citizens on the web chat and on
Telegram report an emergency while the duty group is configured, and the fake
Bot API leaves every send to the duty group unanswered until the test
releases it. The background sender alone sends (no test-driven passes, which
would go round a blocked loop): the citizens' 110 answers must all have
arrived while the group's first alert is still waiting for its answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from bot.app import create_app
from bot.domain.clock import ManualClock
from bot.domain.messages import Outbound
from bot.outbox.queue import enqueue
from bot.runtime import Runtime
from bot.settings import Settings
from bot.storage.tables import outbox
from tests.support.duty import GROUP
from tests.support.fake_telegram import FakeBotAPI, text_update
from tests.support.outbox import new_telegram_contact, settle
from tests.support.telegram_citizen import SECRET, next_update_id, telegram_settings
from tests.support.web import WebCitizen

EMERGENCY = "tolong ada perampokan sekarang di rumah saya"
CITIZENS = 12
FIRST_CHAT = 6_100_000


@pytest.fixture
def settings(settings: Settings, fake_api: FakeBotAPI) -> Settings:
    # A long timeout: the held send to the group must stay in flight for the whole test.
    return telegram_settings(
        settings, fake_api, duty_telegram_chat_id=str(GROUP), telegram_timeout_seconds=60.0
    )


async def until(condition: Callable[[], bool], what: str, within: float = 10.0) -> None:
    """Wait for the background sender to make `condition` true (polling the fake's record)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"not within {within} s: {what}")
        await asyncio.sleep(0.01)


def group_calls(api: FakeBotAPI) -> list[Any]:
    return [c for c in api.calls if c.method == "sendMessage" and int(c.params["chat_id"]) == GROUP]


def answered_110(api: FakeBotAPI, chat_id: int) -> bool:
    return any("110" in text for text in api.texts_to(chat_id))


async def report_on_telegram(client: httpx.AsyncClient, chat_id: int) -> None:
    update = text_update(next_update_id(), chat_id, EMERGENCY)
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    response = await client.post("/webhooks/telegram", json=update, headers=headers)
    assert response.status_code == 200, response.text


async def report_on_the_web(citizen: WebCitizen) -> list[dict[str, Any]]:
    response = await citizen.post({"text": EMERGENCY})
    assert response.status_code == 202, response.text
    return await citizen.read(wait=10.0)


async def test_citizens_answers_leave_while_the_duty_group_send_hangs(
    client: httpx.AsyncClient, fake_api: FakeBotAPI, runtime: Runtime
) -> None:
    fake_api.held.add(GROUP)
    first = await WebCitizen.open(client)
    answer = await report_on_the_web(first)
    assert any(message["urgent"] for message in answer)
    await until(lambda: len(group_calls(fake_api)) == 1, "the first alert is on its way")

    chats = [FIRST_CHAT + n for n in range(CITIZENS)]
    web = [await WebCitizen.open(client) for _ in range(CITIZENS)]
    for chat_id in chats:
        await report_on_telegram(client, chat_id)
    web_answers = await asyncio.gather(*(report_on_the_web(citizen) for citizen in web))

    await until(
        lambda: all(answered_110(fake_api, chat_id) for chat_id in chats),
        "every Telegram citizen has the 110 answer",
    )
    assert all(any(message["urgent"] for message in answer) for answer in web_answers)
    # ... all while the group's first alert still waits for the platform's answer:
    assert not fake_api.release.is_set()
    assert len(group_calls(fake_api)) == 1  # the group's next alerts wait behind it, in order

    fake_api.release.set()  # then every alert leaves, each once
    await settle(runtime)
    assert await count_rows(runtime, outbox.c.status != "sent") == 0
    alerts = fake_api.texts_to(GROUP)
    assert alerts
    assert len(set(alerts)) == len(alerts)


async def test_a_channel_at_its_pace_is_not_claimed_over_and_over(
    settings: Settings, fake_api: FakeBotAPI, clock: ManualClock
) -> None:
    """Rows refused under the channel's own pace pause the claiming until it allows again.

    Claiming meanwhile would only see every further row refused too, as fast as
    the loop turns: the writer busy, and conversations' answers late behind it
    (bench/broadcast.py measured replies during a broadcast at 5-7 s that way).
    """
    slow = settings.model_copy(update={"telegram_messages_per_second": 5.0})
    app = create_app(slow, clock=clock)
    runtime: Runtime = app.state.runtime
    async with app.router.lifespan_context(app):
        await queue_to_chats(runtime, range(FIRST_CHAT, FIRST_CHAT + 200))
        runtime.sender.wake()
        await until(lambda: len(fake_api.sent()) >= 2, "the channel's burst has left")
        await asyncio.sleep(0.3)  # what a busy loop would do meanwhile: refuse all 200
        refused = await count_rows(
            runtime, outbox.c.last_error.like("paced by pintu: this channel")
        )
        assert 0 < refused <= runtime.sender.batch_size


async def queue_to_chats(runtime: Runtime, chats: range) -> None:
    now = runtime.clock.now()
    async with runtime.db.begin() as conn:
        for chat in chats:
            contact_id = await new_telegram_contact(conn, chat, now)
            message = Outbound(text="pengumuman")
            await enqueue(conn, contact_id=contact_id, channel="telegram", message=message, now=now)


async def count_rows(runtime: Runtime, where: Any) -> int:
    async with runtime.db.connect() as conn:
        found = await conn.scalar(select(func.count()).select_from(outbox).where(where))
    return int(found or 0)
