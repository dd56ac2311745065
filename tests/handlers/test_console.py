"""`pintu chat`: the terminal channel on the same engine and database."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator

import pytest

from bot.domain.clock import ManualClock
from bot.domain.references import REFERENCE_PATTERN
from bot.handlers.console import ConsoleChannel, chat_loop, printable
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


async def test_complaint_in_the_terminal_by_numbers(
    console_runtime: tuple[Runtime, io.StringIO],
) -> None:
    runtime, screen = console_runtime
    typed = "\n".join(
        [
            "halo",
            "1",  # Pengaduan
            "3",  # Pelayanan publik
            "Lampu jalan di depan pos polisi mati sejak seminggu, rawan kejahatan malam hari.",
            "lewati",
            "2",  # not anonymous
            "1",  # Kirim
            "/quit",
        ]
    )
    await chat_loop(runtime, "console-test", io.StringIO(typed + "\n"), screen)
    shown = screen.getvalue()
    assert "Selamat datang" in shown
    assert "   1. Pengaduan" in shown
    assert REFERENCE_PATTERN.search(shown)


def test_control_characters_never_reach_the_terminal() -> None:
    assert printable("a\x1b[2Jb\x07c\nd") == "a[2Jbc\nd"
