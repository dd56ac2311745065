"""Driving the outbox sender through platform faults on the manual clock.

The real Telegram channel sends to the fake Bot API on loopback, which keeps
Telegram's rate limits on the manual clock (as pintu's pacer then does) and
answers as scripted. Time moves in quarter seconds with a pass of the sender
at each step, so a minute of outage takes no minute. Used by
tests/outbox/test_platform_faults.py and bench/outbox_faults.py.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from sqlalchemy import func, select

from bot.app import telegram_from
from bot.domain.clock import ManualClock
from bot.domain.messages import Outbound
from bot.outbox.queue import enqueue
from bot.runtime import Runtime, build_runtime
from bot.settings import Settings
from bot.storage.migrate import upgrade_database
from bot.storage.tables import dead_letters, outbox
from tests.support.fake_telegram import FakeBotAPI
from tests.support.outbox import new_telegram_contact
from tests.support.platform_limits import telegram_limits
from tests.support.telegram_citizen import telegram_settings

STEP = 0.25  # seconds of the manual clock between two passes of the sender


def limited_fake(clock: ManualClock) -> FakeBotAPI:
    """A fake Bot API that refuses sends over Telegram's limits, on the manual clock."""
    limits = telegram_limits()
    limits.clock = lambda: clock.now().timestamp()
    return FakeBotAPI(limits=limits)


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

    def early_retries(self) -> int:
        """Tries of a chat sooner than a 429 to it had said to wait."""
        early = 0
        for (at, chat, status), call in zip(self.stamped, self.api.calls, strict=False):
            if status == 429 and call.retry_after is not None:
                later = [t for t, c, _ in self.stamped if c == chat and t > at]
                early += bool(later) and min(later) < at + call.retry_after
        return early


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
    # The pacer sleeps short channel-wide waits, in real time, which the manual
    # clock does not see: every wait goes back to the outbox instead.
    channel.pacer.max_wait = 0.0
    runtime = build_runtime(paced, clock, {channel.channel: channel})
    await upgrade_database(runtime.db)
    try:
        yield runtime
    finally:
        await runtime.close()
        await channel.close()


def expected(chat: int, per_chat: int) -> list[str]:
    return [f"pesan {n} untuk {chat}" for n in range(1, per_chat + 1)]


async def queue_conversations(runtime: Runtime, chats: Sequence[int], per_chat: int) -> None:
    """`per_chat` messages for each chat, interleaved as replies come."""
    now = runtime.clock.now()
    async with runtime.db.begin() as conn:
        ids = {}
        for chat in chats:
            ids[chat] = await new_telegram_contact(conn, chat, now)
        for n in range(per_chat):
            for chat in chats:
                text = expected(chat, per_chat)[n]
                message = Outbound(text=text)
                await enqueue(
                    conn, contact_id=ids[chat], channel="telegram", message=message, now=now
                )


async def run_for(
    runtime: Runtime,
    platform: Platform,
    seconds: float,
    *,
    done: Callable[[], bool] | None = None,
) -> float:
    """Let up to `seconds` of the manual clock pass, the sender making a pass at every
    step (sooner when `done` says so); the seconds that passed."""
    for steps in range(round(seconds / STEP)):
        if done is not None and done():
            return steps * STEP
        await runtime.sender.send_due()
        platform.stamp()
        platform.clock.advance(STEP)
    return seconds


async def unsent(runtime: Runtime) -> int:
    async with runtime.db.connect() as conn:
        count = await conn.scalar(
            select(func.count()).select_from(outbox).where(outbox.c.status != "sent")
        )
    return int(count or 0)


async def buried(runtime: Runtime) -> int:
    async with runtime.db.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(dead_letters)) or 0)


@dataclass(frozen=True)
class Tally:
    """How a fault run ended, message by message."""

    queued: int
    delivered: int  # distinct messages the platform accepted
    twice: int  # messages it accepted more than once
    out_of_order: int  # chats whose messages arrived in another order
    unsent: int
    buried: int
    calls: int  # sends tried
    refused_by_limits: int  # the fake's own rate limits (pintu's pacing failing)
    early_retries: int  # tries sooner than a 429's retry_after


async def tally(runtime: Runtime, platform: Platform, chats: Sequence[int], per_chat: int) -> Tally:
    twice = out_of_order = delivered = 0
    for chat in chats:
        got = platform.delivered(chat)
        counts = Counter(got)
        delivered += len(counts)
        twice += sum(n > 1 for n in counts.values())
        out_of_order += list(dict.fromkeys(got)) != expected(chat, per_chat)[: len(counts)]
    limits = platform.api.limits
    return Tally(
        queued=len(chats) * per_chat,
        delivered=delivered,
        twice=twice,
        out_of_order=out_of_order,
        unsent=await unsent(runtime),
        buried=await buried(runtime),
        calls=len(platform.api.calls),
        refused_by_limits=sum(limits.refusals.values()) if limits else 0,
        early_retries=platform.early_retries(),
    )
