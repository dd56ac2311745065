"""A committed batch wakes the sending of exactly the channels it queued messages for.

Every channel's sending loop used to be woken after every batch and each
then claimed from the outbox, mostly finding nothing: under load, a tenth of
the server's CPU. A channel that is not woken still sends at its next poll,
so a wake missed would not lose a message but would delay it by up to the
poll interval (a second) — an urgent alert to the duty group included. These
tests hold the runner to its word.
"""

from __future__ import annotations

from collections.abc import Collection

import pytest

from bot.domain.messages import Inbound, InboundKind
from bot.runtime import Runtime
from bot.settings import Settings
from tests.support.duty import GROUP
from tests.support.fake_telegram import FakeBotAPI
from tests.support.telegram_citizen import telegram_settings


@pytest.fixture
def settings(settings: Settings, fake_api: FakeBotAPI) -> Settings:
    return telegram_settings(settings, fake_api, duty_telegram_chat_id=str(GROUP))


def web(sender: str, event: str, text: str) -> Inbound:
    return Inbound(
        channel="web", sender_id=sender, event_id=event, kind=InboundKind.TEXT, text=text
    )


def woken_by(runtime: Runtime) -> list[set[str]]:
    """The channels each commit of the runner wakes, from now on."""
    woken: list[set[str]] = []

    def note(channels: Collection[str]) -> None:
        woken.append(set(channels))

    runtime.runner.on_committed = note
    return woken


async def test_a_reply_wakes_its_own_channel_only(runtime: Runtime) -> None:
    woken = woken_by(runtime)
    await runtime.runner.handle(web("siti", "e1", "halo"))
    assert woken == [{"web"}]


async def test_a_redelivery_queues_nothing_and_wakes_nobody(runtime: Runtime) -> None:
    await runtime.runner.handle(web("siti", "e1", "halo"))
    woken = woken_by(runtime)
    handled = await runtime.runner.handle(web("siti", "e1", "halo"))
    assert not handled.processed
    assert woken == []


async def test_an_emergency_on_the_web_wakes_the_duty_groups_channel_too(
    runtime: Runtime,
) -> None:
    woken = woken_by(runtime)
    await runtime.runner.handle(web("budi", "e1", "tolong ada perampokan sekarang di rumah saya"))
    assert woken == [{"web", "telegram"}]
