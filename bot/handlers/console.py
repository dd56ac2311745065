"""The terminal channel behind `pintu chat`: the bot in a shell, on the same database.

Its citizen is the machine's user (one id kept in the var directory), so a
conversation survives restarts like any other. Officers' replies reach the
terminal through this process's own outbox sender, which sends only console
rows. Text is stripped of control characters before it is printed, so no
message can move the cursor or recolour the terminal; only the channel's own
emphasis (``*bold*`` as ANSI bold, on a terminal) is added afterwards. Lines
wrap on words at the terminal's width, and choices are numbered: the console
has no buttons, the citizen types the number.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import shutil
import textwrap
import unicodedata
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from bot.domain.channel import Attachment, Recipient, Said, SendReceipt
from bot.domain.i18n import N_
from bot.domain.messages import Inbound, InboundKind, Outbound, split_number
from bot.media.store import RejectedFile
from bot.runtime import Runtime

CHANNEL = "console"
QUIT_WORDS = ("/quit", "/exit", "/keluar")
PHOTO_COMMAND = "/foto"
SPEAKER = "pintu › "
CHOICE_INDENT = "   "
MAX_WIDTH = 100  # long lines tire the eye even on a wide terminal
EMPHASIS = re.compile(r"\*([^*\n]+)\*")
# Emphasis is marked with two private-use characters while lines are wrapped
# (`printable` has removed any such character a message carried), so a bold
# phrase may wrap and each of its lines still closes what it opens.
START, END = "\ue000", "\ue001"
BOLD, PLAIN = "\x1b[1m", "\x1b[0m"


def printable(text: str) -> str:
    """`text` without control characters other than newline and tab."""
    return "".join(
        ch for ch in text if ch in "\n\t" or not unicodedata.category(ch).startswith("C")
    )


def emphasised(lines: list[str], *, ansi: bool) -> list[str]:
    """Wrapped `lines` of marked text with emphasis as ANSI bold (`ansi`) or plain."""
    shown, inside = [], False
    for line in lines:
        if inside:  # reopened after the indent
            text = line.lstrip(" ")
            line = line[: len(line) - len(text)] + START + text
        inside = line.rfind(START) > line.rfind(END)
        line += END if inside else ""
        bold, plain = (BOLD, PLAIN) if ansi else ("", "")
        shown.append(line.replace(START, bold).replace(END, plain))
    return shown


def wrapped(text: str, width: int, *, first: str = "", rest: str = "") -> list[str]:
    """`text` wrapped on words to `width`, paragraph by paragraph (its newlines kept)."""
    lines: list[str] = []
    for number, paragraph in enumerate(text.split("\n")):
        lead = first if number == 0 else rest
        lines += textwrap.wrap(
            paragraph,
            width,
            initial_indent=lead,
            subsequent_indent=rest,
            break_long_words=False,
            break_on_hyphens=False,
        ) or [lead.rstrip()]
    return lines


def terminal_width(stream: TextIO) -> int:
    """The width to wrap at: the terminal's, at most `MAX_WIDTH` (80 when not a terminal)."""
    columns = shutil.get_terminal_size().columns if _is_tty(stream) else 80
    return max(20, min(columns, MAX_WIDTH))


def _is_tty(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class ConsoleChannel:
    channel = CHANNEL

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def render(self, message: Outbound) -> str:
        """`message` as the terminal shows it: wrapped, emphasised, its choices numbered."""
        width, ansi = terminal_width(self.stream), _is_tty(self.stream)
        pad = " " * len(SPEAKER)
        marked = EMPHASIS.sub(rf"{START}\1{END}", printable(message.text))
        lines = wrapped(marked, width, first=SPEAKER, rest=pad)
        for number, choice in enumerate(message.choices, 1):  # numbered by the engine, or here
            prefix, label = split_number(choice.label)
            lead = f"{CHOICE_INDENT}{prefix or f'{number}. '}"
            lines += wrapped(printable(label), width, first=lead, rest=" " * len(lead))
        return "\n" + "\n".join(emphasised(lines, ansi=ansi)) + "\n"

    def parse(self, raw: bytes, *, sender_id: str | None = None) -> list[Said]:
        """One typed line of `sender_id` (this terminal's user)."""
        return [said(raw.decode("utf-8", errors="replace").rstrip("\n"), sender_id or "")]

    async def fetch(self, attachment: Attachment) -> bytes | None:
        # `chat_loop` reads a named file itself, to tell the user why it cannot.
        return attachment.data

    async def send(self, recipient: Recipient, message: Outbound) -> SendReceipt:
        self.stream.write(self.render(message))
        self.stream.flush()
        return SendReceipt(external_id=None)


def said(line: str, sender_id: str) -> Said:
    """What a typed line means; ``/foto <path>`` sends the file at `path`."""
    inbound = Inbound(
        channel=CHANNEL,
        sender_id=sender_id,
        event_id=secrets.token_hex(12),
        kind=InboundKind.TEXT,
        text=line,
    )
    if line.startswith(PHOTO_COMMAND + " "):
        path = line[len(PHOTO_COMMAND) :].strip()
        media = replace(inbound, kind=InboundKind.MEDIA, text="")
        return Said(media, attachment=Attachment(file_id=path))
    return Said(inbound)


def read_file(name: str) -> bytes:
    return Path(name).expanduser().read_bytes()


def console_identity(var_dir: Path) -> str:
    """This terminal user's stable citizen id, created on first use."""
    path = var_dir / "console-id"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("console-" + secrets.token_hex(8))
    return path.read_text().strip()


async def chat_loop(runtime: Runtime, sender_id: str, lines: TextIO, out: TextIO) -> None:
    """Read the citizen's lines until end of input, handing each to the engine."""
    loop = asyncio.get_running_loop()
    channel = runtime.sender.handlers[CHANNEL]

    def t(key: str, **params: object) -> str:
        return runtime.translator.text(runtime.translator.default_locale, key, **params)

    out.write("\n".join(wrapped(t(N_("console.banner")), terminal_width(out))) + "\n")
    while True:
        out.write(t(N_("console.you")) + " › ")
        out.flush()
        line = await loop.run_in_executor(None, lines.readline)
        if not line or line.strip() in QUIT_WORDS:
            return
        text = line.rstrip("\n")
        if not text.strip():
            continue
        typed = said(text, sender_id)
        if typed.attachment is not None and typed.attachment.file_id is not None:
            path = typed.attachment.file_id
            try:
                data = await asyncio.to_thread(read_file, path)
            except OSError as error:
                out.write(t(N_("console.file_unreadable"), path=path, error=error.strerror) + "\n")
                continue
            typed = replace(typed, attachment=Attachment(data=data))
        try:
            await runtime.intake.handle(channel, typed)
        except RejectedFile:
            out.write(t(N_("console.file_rejected")) + "\n")
            continue
        await runtime.sender.send_due()
        await asyncio.sleep(0.05)
