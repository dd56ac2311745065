"""Pacing through the real channels and the fake platforms, on the manual clock.

A chat the platform refused waits exactly its `retry_after` and then goes on
at its usual pace; a chat's pace never holds back another chat's messages;
a burst the platform allows leaves at once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import pytest
from sqlalchemy import insert, select

from bot.app import telegram_from, whatsapp_from
from bot.domain.clock import ManualClock
from bot.domain.messages import Outbound
from bot.handlers.telegram import TelegramChannel
from bot.handlers.whatsapp.channel import WhatsAppChannel
from bot.outbox.queue import enqueue
from bot.outbox.sender import fair_share
from bot.runtime import Runtime, build_runtime
from bot.settings import Settings
from bot.storage.migrate import upgrade_database
from bot.storage.tables import contacts, outbox
from tests.support.fake_telegram import FakeBotAPI, Scripted
from tests.support.fake_whatsapp import FakeGraphAPI
from tests.support.telegram_citizen import telegram_settings
from tests.support.whatsapp_citizen import whatsapp_settings

TOO_MANY = Scripted(429, retry_after=1, description="Too Many Requests: retry after 1")


@pytest.fixture
async def telegram(
    settings: Settings, fake_api: FakeBotAPI, clock: ManualClock
) -> AsyncIterator[Runtime]:
    """The sender on the Telegram channel at the default pace, on the manual clock."""
    defaults = Settings(_env_file=None)  # type: ignore[call-arg]
    paced = telegram_settings(
        settings,
        fake_api,
        telegram_chat_messages_per_second=defaults.telegram_chat_messages_per_second,
        telegram_chat_burst=defaults.telegram_chat_burst,
    )
    channel = telegram_from(paced)
    assert channel is not None
    async with serving(settings, clock, channel) as runtime:
        yield runtime


@pytest.fixture
async def whatsapp(
    settings: Settings, graph: FakeGraphAPI, clock: ManualClock
) -> AsyncIterator[Runtime]:
    """The sender on the WhatsApp channel at the default pair rate and burst, manual clock."""
    defaults = Settings(_env_file=None)  # type: ignore[call-arg]
    paced = whatsapp_settings(
        settings,
        graph,
        whatsapp_pair_burst=defaults.whatsapp_pair_burst,
        whatsapp_pair_seconds=defaults.whatsapp_pair_seconds,
    )
    channel = whatsapp_from(paced)
    assert channel is not None
    async with serving(settings, clock, channel) as runtime:
        yield runtime


@asynccontextmanager
async def serving(
    settings: Settings, clock: ManualClock, channel: TelegramChannel | WhatsAppChannel
) -> AsyncIterator[Runtime]:
    """The outbox sender and its database, sending through `channel` alone, whose
    pacer reads the manual clock."""
    channel.pacer.clock = lambda: clock.now().timestamp()
    runtime = build_runtime(settings, clock, {channel.channel: channel})
    await upgrade_database(runtime.db)
    try:
        yield runtime
    finally:
        await runtime.close()
        await channel.close()


async def add_contact(runtime: Runtime, channel: str, external_id: str) -> int:
    async with runtime.db.begin() as conn:
        result = await conn.execute(
            insert(contacts)
            .values(
                channel=channel,
                external_id=external_id,
                locale="id",
                locale_chosen=False,
                broadcast_opt_in=True,
                reachable=True,
                created_at=runtime.clock.now(),
            )
            .returning(contacts.c.id)
        )
        return int(result.scalar_one())


async def queue(runtime: Runtime, channel: str, contact_id: int, *texts: str) -> None:
    async with runtime.db.begin() as conn:
        for text in texts:
            await enqueue(
                conn,
                contact_id=contact_id,
                channel=channel,
                message=Outbound(text=text),
                now=runtime.clock.now(),
            )


async def pending(runtime: Runtime) -> int:
    async with runtime.db.connect() as conn:
        rows = await conn.execute(select(outbox.c.id).where(outbox.c.status == "pending"))
        return len(rows.all())


async def drain(runtime: Runtime) -> None:
    """Passes of the sender until nothing is due at this moment (the clock stands still)."""
    while await runtime.sender.send_due():
        pass


async def test_after_a_429_retry_after_1_the_chat_sends_again_a_second_later(
    telegram: Runtime, clock: ManualClock, fake_api: FakeBotAPI
) -> None:
    runtime = telegram
    chat = await add_contact(runtime, "telegram", "4242")
    await queue(runtime, "telegram", chat, "satu", "dua", "tiga")
    fake_api.fail_next("sendMessage", TOO_MANY, TOO_MANY, TOO_MANY)
    for _ in range(3):  # refused three times, each retried exactly a second later
        refused_at = clock.now()
        await runtime.sender.send_due()
        assert runtime.sender.next_retry() == refused_at + timedelta(seconds=1)
        clock.advance(0.99)
        await runtime.sender.send_due()
        clock.advance(0.01)
    before = fake_api.attempts()
    await drain(runtime)
    assert fake_api.texts_to(4242) == ["satu"]  # at +1 s after the third 429, not +8 s
    assert fake_api.attempts() == before + 1  # "dua" waits for the chat's pace, unrefused
    # the chat is not slowed beyond the platform's pace: one a second from here
    clock.advance(1.0)
    await runtime.sender.send_due()
    assert fake_api.texts_to(4242) == ["satu", "dua"]
    clock.advance(1.0)
    await runtime.sender.send_due()
    assert fake_api.texts_to(4242) == ["satu", "dua", "tiga"]


async def test_a_paced_chat_does_not_delay_another_chats_messages(
    telegram: Runtime, clock: ManualClock, fake_api: FakeBotAPI
) -> None:
    runtime = telegram
    busy = await add_contact(runtime, "telegram", "1001")
    quiet = await add_contact(runtime, "telegram", "1002")
    await queue(runtime, "telegram", busy, *(f"pesan {n}" for n in range(1, 7)))
    await queue(runtime, "telegram", quiet, "halo")
    await drain(runtime)  # no time passes: a send waits on no chat's pace but its own
    assert fake_api.texts_to(1002) == ["halo"]
    assert fake_api.texts_to(1001) == ["pesan 1", "pesan 2", "pesan 3"]  # the burst
    assert runtime.sender.next_retry() == clock.now() + timedelta(seconds=1)
    await queue(runtime, "telegram", quiet, "lagi")
    await drain(runtime)  # the busy chat's rows wait behind its paced one
    assert fake_api.texts_to(1002) == ["halo", "lagi"]
    assert await pending(runtime) == 3


async def test_a_burst_the_platform_allows_leaves_at_once(
    whatsapp: Runtime, clock: ManualClock, graph: FakeGraphAPI
) -> None:
    runtime = whatsapp
    citizen = await add_contact(runtime, "whatsapp", "ID.1234")
    burst = int(Settings(_env_file=None).whatsapp_pair_burst)  # type: ignore[call-arg]
    await queue(runtime, "whatsapp", citizen, *(f"bagian {n}" for n in range(burst + 1)))
    await drain(runtime)
    assert len(graph.sent()) == burst  # a whole conversation's worth, without waiting
    assert runtime.sender.next_retry() == clock.now() + timedelta(seconds=6)  # then the pair rate


async def test_the_whatsapp_pair_burst_borrows_most_of_what_meta_allows() -> None:
    defaults = Settings(_env_file=None)  # type: ignore[call-arg]
    # Meta: bursts of up to 45 messages to one user, borrowed from the 1-per-6-s quota
    assert 30 <= defaults.whatsapp_pair_burst < 45
    assert defaults.whatsapp_pair_seconds == 6.0


def test_a_full_batch_takes_every_contacts_first_row_before_anyones_second() -> None:
    # (row id, contact id) in queue order: contact 1 has a whole turn queued
    due = [(1, 1), (2, 1), (3, 1), (4, 1), (5, 2), (6, 2), (7, 3)]
    assert fair_share(due, 3) == [1, 5, 7]
    assert fair_share(due, 5) == [1, 5, 7, 2, 6]
    assert fair_share(due, 50) == [1, 5, 7, 2, 6, 3, 4]  # room for all: all are taken
