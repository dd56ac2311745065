"""Platform faults: a 429 storm, 5xx, timeouts, the platform unreachable for a minute.

On the manual clock (`tests/support/faults.py`): afterwards every message is
delivered, in order per chat, none twice (except a send whose answer was
lost, which alone may arrive twice), retry-after honoured, and pintu's own
pacing never refused; an outage buries nothing, even with few attempts allowed.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.domain.clock import ManualClock
from bot.settings import Settings
from tests.support.fake_telegram import FakeBotAPI, Scripted
from tests.support.faults import (
    Platform,
    Tally,
    expected,
    limited_fake,
    queue_conversations,
    run_for,
    tally,
    telegram_sender,
)
from tests.support.loopback import running

CHATS = (7001, 7002, 7003, 7004, 7005)
PER_CHAT = 4
# Everything delivered once, in order, retry-after kept, pintu's pacing never refused.
CLEAN = Tally(
    queued=20,
    delivered=20,
    twice=0,
    out_of_order=0,
    unsent=0,
    buried=0,
    calls=0,  # how many sends it took: not compared
    refused_by_limits=0,
    early_retries=0,
)


@pytest.fixture
def api(clock: ManualClock) -> FakeBotAPI:
    return limited_fake(clock)


def clean(result: Tally) -> bool:
    return replace(result, calls=0) == CLEAN


async def test_a_429_storm_is_waited_out_as_told(
    settings: Settings, api: FakeBotAPI, clock: ManualClock
) -> None:
    storm = 25  # every send refused for a while, each with "retry after 5"
    api.fail_next(
        "sendMessage", *[Scripted(429, retry_after=5, description="Too Many Requests")] * storm
    )
    async with running(api), telegram_sender(settings, api, clock) as runtime:
        platform = Platform(api, clock)
        await queue_conversations(runtime, CHATS, PER_CHAT)
        await run_for(runtime, platform, 60)
        result = await tally(runtime, platform, CHATS, PER_CHAT)
        assert sum(status == 429 for _, _, status in platform.stamped) == storm
        assert clean(result), result


async def test_5xx_for_a_while_buries_nothing(
    settings: Settings, api: FakeBotAPI, clock: ManualClock
) -> None:
    api.fail_next("sendMessage", *[Scripted(502, description="Bad Gateway")] * 20)
    async with (
        running(api),
        telegram_sender(settings, api, clock, outbox_max_attempts=3) as runtime,
    ):
        platform = Platform(api, clock)
        await queue_conversations(runtime, CHATS, PER_CHAT)
        await run_for(runtime, platform, 180)
        assert sum(status == 502 for _, _, status in platform.stamped) == 20
        result = await tally(runtime, platform, CHATS, PER_CHAT)
        assert clean(result), result


async def test_timeouts_are_retried_and_only_a_lost_answer_arrives_twice(
    settings: Settings, api: FakeBotAPI, clock: ManualClock
) -> None:
    lost = Scripted(hang=True)  # the platform took it, the answer never came
    unanswered = Scripted(504, hang=True)  # the platform never took it
    api.fail_next("sendMessage", lost, *[unanswered] * 4)
    async with running(api), telegram_sender(settings, api, clock) as runtime:
        platform = Platform(api, clock)
        await queue_conversations(runtime, CHATS, PER_CHAT)
        await run_for(runtime, platform, 60)
        [twice] = [chat for chat in CHATS if len(platform.delivered(chat)) > PER_CHAT]
        first, *rest = expected(twice, PER_CHAT)
        assert platform.delivered(twice) == [first, first, *rest]  # still in order
        result = await tally(runtime, platform, CHATS, PER_CHAT)
        assert result.twice == 1
        assert clean(replace(result, twice=0)), result


async def test_a_minute_unreachable_buries_nothing_and_sending_resumes(
    settings: Settings, api: FakeBotAPI, clock: ManualClock
) -> None:
    async with running(api):  # to learn a port, then down: connections refused
        port = int(api.url.rsplit(":", 1)[1])
    async with telegram_sender(settings, api, clock, outbox_max_attempts=3) as runtime:
        platform = Platform(api, clock)
        await queue_conversations(runtime, CHATS, PER_CHAT)
        await run_for(runtime, platform, 60)
        assert platform.stamped == []  # nothing reached it
        async with running(api, port=port):
            back = clock.now().timestamp()
            await run_for(runtime, platform, 45)
        result = await tally(runtime, platform, CHATS, PER_CHAT)
        assert clean(result), result
        first = min(at for at, _, status in platform.stamped if status == 200)
        policy_wait = runtime.settings.outbox_outage_retry_seconds
        assert first - back <= policy_wait * 1.2  # resumed within the outage's retry wait
