"""`pintu chat`: the terminal channel on the same engine and database."""

from __future__ import annotations

import io

from bot.domain.references import REFERENCE_PATTERN
from bot.handlers.console import chat_loop, printable
from bot.runtime import Runtime


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
