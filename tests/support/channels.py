"""One citizen per channel behind one interface, so a test can run over every channel.

Each driver talks to pintu the way its platform does: Telegram and WhatsApp
post (signed) webhooks, the web chat posts to its API with a browser token,
the console types lines into `chat_loop`. Answers are read back where that
citizen would see them (the fake Bot API, the fake Graph API, the long
poll, the terminal).
"""

from __future__ import annotations

import io
import itertools
import re
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from bot.domain.channel import Unreadable
from bot.handlers.console import ConsoleChannel, chat_loop, said
from bot.runtime import Runtime
from tests.support.fake_telegram import Scripted as TelegramAnswer
from tests.support.fake_telegram import text_update
from tests.support.fake_whatsapp import Scripted as GraphAnswer
from tests.support.outbox import settle
from tests.support.telegram_citizen import SECRET, TelegramCitizen, next_update_id
from tests.support.web import WebCitizen
from tests.support.whatsapp_citizen import WhatsAppCitizen

CHANNELS = ("telegram", "whatsapp", "web", "console")
TELEGRAM_CHAT = 5550101
BSUID = "ID.1349120865530274191"
WA_ID = "6281234567890"


class ChannelCitizen(Protocol):
    channel: str

    @property
    def runtime(self) -> Runtime: ...

    async def say(self, text: str) -> list[str]: ...

    async def press(self, label: str) -> list[str]: ...

    async def say_twice(self, text: str) -> list[str]:
        """The same event delivered twice; what the citizen got."""
        ...

    async def post_raw(self, raw: bytes) -> int:
        """`raw` as this channel's transport carries it, authenticated; the HTTP status."""
        ...

    async def read_new(self) -> list[str]:
        """What the citizen got since the last look, once the outbox is idle."""
        ...


@dataclass
class TelegramDriver:
    citizen: TelegramCitizen
    channel: str = "telegram"

    @property
    def runtime(self) -> Runtime:
        return self.citizen.runtime

    async def say(self, text: str) -> list[str]:
        return await self.citizen.say(text)

    async def press(self, label: str) -> list[str]:
        return await self.citizen.press(label)

    async def say_twice(self, text: str) -> list[str]:
        update = text_update(next_update_id(), self.citizen.chat_id, text)
        for _ in range(2):
            assert (await self.citizen.post(update)).status_code == 200
        return await self.read_new()

    async def post_raw(self, raw: bytes) -> int:
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "content-type": "application/json"}
        response = await self.citizen.http.post("/webhooks/telegram", content=raw, headers=headers)
        return response.status_code

    async def read_new(self) -> list[str]:
        await settle(self.runtime)
        return self.citizen.new_texts()

    def refuse_next_send_as_blocked(self) -> None:
        """The platform's answer when the citizen blocked pintu."""
        blocked = TelegramAnswer(403, description="Forbidden: bot was blocked by the user")
        self.citizen.api.fail_next("sendMessage", blocked)


@dataclass
class WhatsAppDriver:
    citizen: WhatsAppCitizen
    channel: str = "whatsapp"

    @property
    def runtime(self) -> Runtime:
        return self.citizen.runtime

    async def say(self, text: str) -> list[str]:
        return await self.citizen.say(text)

    async def press(self, label: str) -> list[str]:
        return await self.citizen.press(label)

    async def say_twice(self, text: str) -> list[str]:
        payload = self.citizen.notification(self.citizen.message("text", text={"body": text}))
        for _ in range(2):
            assert (await self.citizen.post(payload)).status_code == 200
        return await self.read_new()

    async def post_raw(self, raw: bytes) -> int:
        return (await self.citizen.post(raw)).status_code

    async def read_new(self) -> list[str]:
        await settle(self.runtime)
        return self.citizen.new_texts()

    def refuse_next_send_as_blocked(self) -> None:
        """The platform's answer when the citizen blocked pintu."""
        self.citizen.api.fail_next(GraphAnswer(400, code=131026, message="Message undeliverable"))


_client_ids = itertools.count(1)


@dataclass
class WebDriver:
    http: httpx.AsyncClient
    runtime: Runtime
    channel: str = "web"
    _citizen: WebCitizen | None = None

    async def citizen(self) -> WebCitizen:
        """The browser, which opens its session on first use."""
        if self._citizen is None:
            self._citizen = await WebCitizen.open(self.http)
        return self._citizen

    async def say(self, text: str) -> list[str]:
        return _texts(await (await self.citizen()).say(text))

    async def press(self, label: str) -> list[str]:
        return _texts(await (await self.citizen()).press(label))

    async def say_twice(self, text: str) -> list[str]:
        citizen = await self.citizen()
        body = {"text": text, "client_id": f"twice-{next(_client_ids):08d}"}
        first = await citizen.post(dict(body))
        again = await citizen.post(dict(body))
        assert first.status_code == again.status_code == 202
        assert again.json()["duplicate"] is True
        return await self.read_new()

    async def post_raw(self, raw: bytes) -> int:
        citizen = await self.citizen()
        headers = citizen.headers | {"content-type": "application/json"}
        response = await self.http.post("/chat/api/messages", content=raw, headers=headers)
        return response.status_code

    async def read_new(self) -> list[str]:
        await settle(self.runtime)
        return _texts(await (await self.citizen()).read(wait=0))


def _texts(messages: list[dict[str, Any]]) -> list[str]:
    return [message["text"] for message in messages]


_CONSOLE_MESSAGE = "\npintu › "


@dataclass
class ConsoleDriver:
    runtime: Runtime
    screen: io.StringIO
    channel: str = "console"
    external_id: str = "console-contract"
    shown: int = 0

    async def say(self, text: str) -> list[str]:
        await chat_loop(self.runtime, self.external_id, io.StringIO(text + "\n"), self.screen)
        return await self.read_new()

    async def press(self, label: str) -> list[str]:
        """The console has no buttons: the citizen types the number shown beside `label`."""
        shown = self.screen.getvalue()
        last = shown.rsplit(_CONSOLE_MESSAGE, 1)[-1]
        found = re.search(rf"^   (\d+)\. {re.escape(label)}$", last, re.MULTILINE)
        assert found, f"no choice {label!r} in {last!r}"
        return await self.say(found.group(1))

    async def say_twice(self, text: str) -> list[str]:
        channel = self.runtime.sender.handlers[self.channel]
        typed = said(text, self.external_id)
        first = await self.runtime.intake.handle(channel, typed)
        again = await self.runtime.intake.handle(channel, typed)
        assert (first.processed, again.processed) == (True, False)
        return await self.read_new()

    async def post_raw(self, raw: bytes) -> int:
        """A line of anything typed into the terminal: there is no HTTP, so 200 for "answered"."""
        [event] = ConsoleChannel(self.screen).parse(raw, sender_id=self.external_id)
        assert not isinstance(event, Unreadable)  # any line is something the citizen said
        await self.say(raw.decode("utf-8", errors="replace").replace("\n", " "))
        return 200

    async def read_new(self) -> list[str]:
        await settle(self.runtime)
        shown = self.screen.getvalue()
        fresh, self.shown = shown[self.shown :], len(shown)
        return fresh.split(_CONSOLE_MESSAGE)[1:]
