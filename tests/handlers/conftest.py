"""Fixtures of the channel suites."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator

import pytest

from bot.domain.clock import ManualClock
from bot.handlers.console import ConsoleChannel
from bot.runtime import Runtime, build_runtime
from bot.settings import Settings
from bot.storage.migrate import upgrade_database


@pytest.fixture
async def console_runtime(
    settings: Settings, clock: ManualClock
) -> AsyncIterator[tuple[Runtime, io.StringIO]]:
    screen = io.StringIO()
    console = ConsoleChannel(screen)
    runtime = build_runtime(settings, clock, {console.channel: console})
    await upgrade_database(runtime.db)
    yield runtime, screen
    await runtime.close()
