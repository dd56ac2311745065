"""The terminal channel behind `pintu chat`: the bot in a shell, on the same database.

Its citizen is the machine's user (one id kept in the var directory), so a
conversation survives restarts like any other. Officers' replies reach the
terminal through this process's own outbox sender, which sends only console
rows. Text is stripped of control characters before it is printed, so no
message can move the cursor or recolour the terminal.
"""

from __future__ import annotations

import asyncio
import secrets
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


def printable(text: str) -> str:
    """`text` without control characters other than newline and tab."""
    return "".join(
        ch for ch in text if ch in "\n\t" or not unicodedata.category(ch).startswith("C")
    )


class ConsoleChannel:
    channel = CHANNEL

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def parse(self, raw: bytes, *, sender_id: str | None = None) -> list[Said]:
        """One typed line of `sender_id` (this terminal's user)."""
        return [said(raw.decode("utf-8", errors="replace").rstrip("\n"), sender_id or "")]

    async def fetch(self, attachment: Attachment) -> bytes | None:
        # `chat_loop` reads a named file itself, to tell the user why it cannot.
        return attachment.data

    async def send(self, recipient: Recipient, message: Outbound) -> SendReceipt:
        lines = [f"\npintu › {printable(message.text)}"]
        for n, choice in enumerate(message.choices, 1):  # numbered by the engine, or here
            label = choice.label if split_number(choice.label)[0] else f"{n}. {choice.label}"
            lines.append(f"   {printable(label)}")
        self.stream.write("\n".join(lines) + "\n")
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

    out.write(t(N_("console.banner")) + "\n")
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
