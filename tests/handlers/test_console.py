"""`pintu chat`: the terminal channel on the same engine and database."""

from __future__ import annotations

import io

import pytest

from bot.domain.messages import Choice, Outbound
from bot.domain.references import REFERENCE_PATTERN
from bot.handlers.console import BOLD, PLAIN, ConsoleChannel, chat_loop, printable
from bot.runtime import Runtime

STORY = (
    "🚨 *Jika ada yang dalam bahaya, telepon 110 SEKARANG* (gratis, 24 jam). Laporan darurat "
    "Anda sudah diteruskan ke petugas piket; tetaplah di tempat yang aman bila bisa."
)


class Terminal(io.StringIO):
    """A stream that says it is a terminal, as `sys.stdout` does in a shell."""

    def isatty(self) -> bool:
        return True


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


async def test_an_incident_in_the_terminal_never_asks_to_press_a_button(
    console_runtime: tuple[Runtime, io.StringIO],
) -> None:
    runtime, screen = console_runtime
    typed = ["lapor", "2", "1", "2", "kemarin jam 9", "Jalan Sudirman depan pasar", "x", "/quit"]
    await chat_loop(runtime, "console-test", io.StringIO("\n".join(typed) + "\n"), screen)
    shown = screen.getvalue().lower()
    assert "kemarin" in shown  # the conversation went through the time question
    assert "tekan" not in shown  # the console has no buttons: numbers are typed
    assert max(len(line) for line in screen.getvalue().splitlines()) <= 80
    assert "ketik nomornya" in shown  # the banner says how to choose


def test_long_messages_wrap_on_words_with_choices_numbered() -> None:
    screen = io.StringIO()
    message = Outbound(STORY * 2, choices=(Choice("a", "Pencurian/jambret " * 6),))
    shown = ConsoleChannel(screen).render(message)
    lines = shown.strip("\n").split("\n")
    assert max(len(line) for line in lines) <= 80
    assert len(lines) > 4
    assert " ".join(line.strip() for line in lines[:-2]).startswith("pintu › 🚨 Jika ada")
    words = {word for line in lines for word in line.split()}
    assert {"SEKARANG", "diteruskan", "1."} <= words  # no word cut in two
    assert lines[-2].startswith("   1. Pencurian/jambret")
    assert lines[-1].startswith("      Pencurian/jambret")  # a long label wraps under itself
    assert "*" not in shown  # not a terminal: the emphasis is plain text


def test_emphasis_is_bold_on_a_terminal_even_when_it_wraps(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "30")
    shown = ConsoleChannel(Terminal()).render(Outbound(STORY))
    lines = shown.strip("\n").split("\n")
    assert lines[0] == f"pintu › 🚨 {BOLD}Jika ada yang dalam{PLAIN}"
    assert lines[1] == f"        {BOLD}bahaya, telepon 110{PLAIN}"
    assert lines[2] == f"        {BOLD}SEKARANG{PLAIN} (gratis, 24"
    assert all(line.count(BOLD) == line.count(PLAIN) for line in lines)
    assert max(len(line.replace(BOLD, "").replace(PLAIN, "")) for line in lines) <= 30
    assert "*" not in shown
