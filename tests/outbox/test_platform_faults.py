"""Platform faults: a 429 storm, 5xx, timeouts, the platform unreachable for a minute.

The real Telegram channel sends to the fake Bot API on loopback, which keeps
Telegram's rate limits on the manual clock (as the pacer does) and answers
as scripted. Time is the manual clock, moved in quarter seconds with a pass
of the sender at each step: a minute of outage takes no minute. Afterwards
every message is delivered, in order per chat, none twice (except a send
whose answer was lost, which alone may arrive twice), and retry-after
honoured; an outage buries nothing, even with few attempts allowed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import pytest
from sqlalchemy import func, insert, select

from bot.app import telegram_from
from bot.domain.clock import ManualClock
from bot.domain.messages import Outbound
from bot.outbox.queue import enqueue
from bot.runtime import Runtime, build_runtime
from bot.settings import Settings
from bot.storage.migrate import upgrade_database
from bot.storage.tables import contacts, dead_letters, outbox
from tests.support.fake_telegram import FakeBotAPI, Scripted
from tests.support.loopback import running
from tests.support.platform_limits import telegram_limits
from tests.support.telegram_citizen import telegram_settings

CHATS = (7001, 7002, 7003, 7004, 7005)
PER_CHAT = 4
STEP = 0.25  # seconds of the manual clock between two passes of the sender


@dataclass
class Platform:
    """The fake Bot API, each call stamped with the manual clock's time."""

    api: FakeBotAPI
    clock: ManualClock
    stamped: list[tuple[float, int, int]] = field(default_factory=list)  # time, chat, status

    def stamp(self) -> None:
        now = self.clock.now().timestamp()
        for call in self.api.calls[len(self.stamped) :]:
            chat = int(call.params.get("chat_id", 0))
            self.stamped.append((now, chat, call.status))

    def delivered(self, chat: int) -> list[str]:
        return self.api.texts_to(chat)


@asynccontextmanager
async def telegram_sender(
    settings: Settings, api: FakeBotAPI, clock: ManualClock, **more: object
) -> AsyncIterator[Runtime]:
    """The outbox sender on the Telegram channel at Telegram's own pace, manual clock."""
    defaults = Settings(_env_file=None)  # type: ignore[call-arg]
    paced = telegram_settings(
        settings,
        api,
        telegram_chat_messages_per_second=defaults.telegram_chat_messages_per_second,
        telegram_chat_burst=defaults.telegram_chat_burst,
        **more,
    )
    channel = telegram_from(paced)
    assert channel is not None
    channel.pacer.clock = lambda: clock.now().timestamp()
    runtime = build_runtime(paced, clock, {channel.channel: channel})
    await upgrade_database(runtime.db)
    try:
        yield runtime
    finally:
        await runtime.close()
        await channel.close()


@pytest.fixture
def api(clock: ManualClock) -> FakeBotAPI:
    limits = telegram_limits()
    limits.clock = lambda: clock.now().timestamp()
    return FakeBotAPI(limits=limits)


def expected(chat: int) -> list[str]:
    return [f"pesan {n} untuk {chat}" for n in range(1, PER_CHAT + 1)]


async def queue_conversations(runtime: Runtime) -> None:
    """Four messages for each of five chats, interleaved as replies come."""
    now = runtime.clock.now()
    async with runtime.db.begin() as conn:
        ids = {}
        for chat in CHATS:
            ids[chat] = await conn.scalar(
                insert(contacts)
                .values(
                    channel="telegram",
                    external_id=str(chat),
                    locale="id",
                    locale_chosen=False,
                    broadcast_opt_in=True,
                    reachable=True,
                    created_at=now,
                )
                .returning(contacts.c.id)
            )
        for n in range(PER_CHAT):
            for chat in CHATS:
                message = Outbound(text=expected(chat)[n])
                await enqueue(
                    conn, contact_id=ids[chat], channel="telegram", message=message, now=now
                )


async def run_for(runtime: Runtime, platform: Platform, seconds: float) -> None:
    """Let `seconds` of the manual clock pass, the sender making a pass at every step."""
    for _ in range(round(seconds / STEP)):
        await runtime.sender.send_due()
        platform.stamp()
        platform.clock.advance(STEP)


async def unsent(runtime: Runtime) -> int:
    async with runtime.db.connect() as conn:
        count = await conn.scalar(
            select(func.count()).select_from(outbox).where(outbox.c.status != "sent")
        )
    return int(count or 0)


async def buried(runtime: Runtime) -> int:
    async with runtime.db.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(dead_letters)) or 0)


async def assert_all_delivered_in_order_once(runtime: Runtime, platform: Platform) -> None:
    for chat in CHATS:
        assert platform.delivered(chat) == expected(chat)
    assert await unsent(runtime) == 0
    assert await buried(runtime) == 0


async def test_a_429_storm_is_waited_out_as_told(
    settings: Settings, api: FakeBotAPI, clock: ManualClock
) -> None:
    storm = 25  # every send refused for a while, each with "retry after 5"
    api.fail_next(
        "sendMessage", *[Scripted(429, retry_after=5, description="Too Many Requests")] * storm
    )
    async with running(api), telegram_sender(settings, api, clock) as runtime:
        platform = Platform(api, clock)
        await queue_conversations(runtime)
        await run_for(runtime, platform, 60)
        await assert_all_delivered_in_order_once(runtime, platform)
        # retry-after honoured: no chat was tried again sooner than told
        for at, chat, status in platform.stamped:
            if status == 429:
                later = [t for t, c, _ in platform.stamped if c == chat and t > at]
                assert not later or min(later) >= at + 5
        assert api.limits is not None
        assert api.limits.refusals == {"chat": 0, "overall": 0}  # and no refusal of its own


async def test_5xx_for_a_while_buries_nothing(
    settings: Settings, api: FakeBotAPI, clock: ManualClock
) -> None:
    api.fail_next("sendMessage", *[Scripted(502, description="Bad Gateway")] * 20)
    async with (
        running(api),
        telegram_sender(settings, api, clock, outbox_max_attempts=3) as runtime,
    ):
        platform = Platform(api, clock)
        await queue_conversations(runtime)
        await run_for(runtime, platform, 180)
        assert sum(status == 502 for _, _, status in platform.stamped) == 20
        await assert_all_delivered_in_order_once(runtime, platform)


async def test_timeouts_are_retried_and_only_a_lost_answer_arrives_twice(
    settings: Settings, api: FakeBotAPI, clock: ManualClock
) -> None:
    lost = Scripted(hang=True)  # the platform took it, the answer never came
    unanswered = Scripted(504, hang=True)  # the platform never took it
    api.fail_next("sendMessage", lost, *[unanswered] * 4)
    async with running(api), telegram_sender(settings, api, clock) as runtime:
        platform = Platform(api, clock)
        await queue_conversations(runtime)
        await run_for(runtime, platform, 60)
        [twice] = [chat for chat in CHATS if len(platform.delivered(chat)) > PER_CHAT]
        first, *rest = expected(twice)
        assert platform.delivered(twice) == [first, first, *rest]  # still in order
        for chat in CHATS:
            if chat != twice:
                assert platform.delivered(chat) == expected(chat)
        assert await unsent(runtime) == 0
        assert await buried(runtime) == 0


async def test_a_minute_unreachable_buries_nothing_and_sending_resumes(
    settings: Settings, api: FakeBotAPI, clock: ManualClock
) -> None:
    async with running(api):  # to learn a port, then down: connections refused
        port = int(api.url.rsplit(":", 1)[1])
    async with telegram_sender(settings, api, clock, outbox_max_attempts=3) as runtime:
        platform = Platform(api, clock)
        await queue_conversations(runtime)
        await run_for(runtime, platform, 60)
        assert platform.stamped == []  # nothing reached it
        async with running(api, port=port):
            back = clock.now().timestamp()
            await run_for(runtime, platform, 45)
        await assert_all_delivered_in_order_once(runtime, platform)
        first = min(at for at, _, status in platform.stamped if status == 200)
        policy_wait = runtime.settings.outbox_outage_retry_seconds
        assert first - back <= policy_wait * 1.2  # resumed within the outage's retry wait
