"""One citizen, any channel: the moves a journey script makes and what it reads back.

`Chat` is what the journey scripts (`tests.support.chat_journeys`) talk to.
`TelegramChat` and `WhatsAppChat` turn each move into the platform's own
webhook (a Telegram Update, a signed Cloud API notification), read the
answers off the fake platform API as the citizen would see them (markup
taken off, so scripts compare words), and check the platform's rendering
of a prompt: inline keyboard or reply buttons, list, location request.
`WebChat` makes the moves the web chat page makes, over its HTTP API; the
page has neither stickers nor voice notes.

Every move first advances the manual clock by `TYPING_SECONDS`: a citizen
typing at a human pace, so a long journey never trips the flood slow-down
(30 messages a minute) that `test_incident_flow` tests on its own.
"""

from __future__ import annotations

import html
import itertools
import re
from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.domain.clock import ManualClock
from bot.domain.messages import plain_label
from bot.handlers.whatsapp.render import BUTTON_TITLE, ROW_TITLE
from bot.runtime import Runtime
from tests.support.fake_telegram import FakeBotAPI, message_update
from tests.support.images import numbered_jpeg
from tests.support.outbox import settle
from tests.support.telegram_citizen import TelegramCitizen, next_update_id
from tests.support.web import NAME as WEB_NAME
from tests.support.web import PHONE as WEB_PHONE
from tests.support.web import WebCitizen
from tests.support.whatsapp_citizen import WhatsAppCitizen

TYPING_SECONDS = 3.0
OGG_VOICE = b"OggS\x00\x02" + bytes(range(64)) * 8
_files = itertools.count(1)


def jpeg(n: int) -> bytes:
    """A small JPEG, different for each `n` (media is content-addressed)."""
    return numbered_jpeg(n)


def said(texts: list[str]) -> str:
    return "\n".join(texts)


class Chat(Protocol):
    """A citizen in a chat; every move returns what the citizen got since the last one."""

    channel: str
    clock: ManualClock

    async def command(self, word: str) -> list[str]:
        """A command word as the channel types it: ``/lapor`` or ``lapor``."""
        ...

    async def say(self, text: str) -> list[str]: ...

    async def press(self, label: str) -> list[str]:
        """Press the button or list row `label` of the newest prompt."""
        ...

    async def share_location(self, latitude: float, longitude: float) -> list[str]: ...

    async def send_photo(self, data: bytes) -> list[str]: ...

    async def send_sticker(self) -> list[str]: ...

    async def send_voice_note(self) -> list[str]: ...

    async def read(self) -> list[str]:
        """What arrived without a move of the citizen's (an officer's doing, a sweep)."""
        ...

    def shows_buttons(self, labels: list[str]) -> None:
        """The newest prompt offers exactly `labels` as quick buttons."""
        ...

    def shows_list(self, labels: list[str]) -> None:
        """The newest prompt offers exactly `labels` as a list to pick from."""
        ...

    def shows_location_request(self) -> None:
        """The newest message asks for a location with the platform's own control."""
        ...

    def location_control_gone(self) -> None:
        """Nothing left on screen from the location request."""
        ...

    def duty_group(self) -> list[str] | None:
        """What the duty officers' Telegram group was sent; None without such a group."""
        ...


# -- Telegram ---------------------------------------------------------------------------


async def named(chat: Chat, answer: list[str]) -> list[str]:
    """`answer`, the reply to a named report's last common step; on the web chat the
    citizen is then asked a name and a phone number (issue 10), and the reply to
    those is the one that follows."""
    if chat.channel != "web":
        return answer
    await chat.say(WEB_NAME)
    return await chat.say(WEB_PHONE)


def telegram_plain(text: str) -> str:
    """A sendMessage text (HTML) as the citizen reads it."""
    return html.unescape(re.sub(r"<[^>]+>", "", text))


@dataclass
class TelegramChat:
    citizen: TelegramCitizen
    clock: ManualClock
    group: int | None = None  # the duty group's chat id, when one is configured
    channel: str = "telegram"

    @property
    def api(self) -> FakeBotAPI:
        return self.citizen.api

    def _plain(self, texts: list[str]) -> list[str]:
        return [telegram_plain(text) for text in texts]

    async def post_message(self, **content: Any) -> list[str]:
        self.clock.advance(TYPING_SECONDS)
        update = message_update(next_update_id(), self.citizen.chat_id, **content)
        return self._plain(await self.citizen.send(update))

    async def command(self, word: str) -> list[str]:
        return await self.say(f"/{word}")

    async def say(self, text: str) -> list[str]:
        self.clock.advance(TYPING_SECONDS)
        return self._plain(await self.citizen.say(text))

    async def press(self, label: str) -> list[str]:
        self.clock.advance(TYPING_SECONDS)
        return self._plain(await self.citizen.press(label))

    async def share_location(self, latitude: float, longitude: float) -> list[str]:
        return await self.post_message(location={"latitude": latitude, "longitude": longitude})

    async def send_photo(self, data: bytes) -> list[str]:
        file_id = f"photo-{next(_files)}"
        self.api.add_file(file_id, data)
        sizes = [
            {"file_id": f"{file_id}-thumb", "file_unique_id": "t", "width": 90, "height": 67},
            {
                "file_id": file_id,
                "file_unique_id": f"u-{file_id}",
                "width": 1280,
                "height": 960,
                "file_size": len(data),
            },
        ]
        return await self.post_message(photo=sizes)

    async def send_sticker(self) -> list[str]:
        sticker = {
            "file_id": "sticker-1",
            "file_unique_id": "u-sticker-1",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": "👍",
        }
        return await self.post_message(sticker=sticker)

    async def send_voice_note(self) -> list[str]:
        file_id = f"voice-{next(_files)}"
        self.api.add_file(file_id, OGG_VOICE)
        voice = {
            "file_id": file_id,
            "file_unique_id": f"u-{file_id}",
            "duration": 4,
            "mime_type": "audio/ogg",
            "file_size": len(OGG_VOICE),
        }
        return await self.post_message(voice=voice)

    async def read(self) -> list[str]:
        await settle(self.citizen.runtime)
        return self._plain(self.citizen.new_texts())

    def newest(self) -> dict[str, Any]:
        return [p for p in self.api.sent() if int(p["chat_id"]) == self.citizen.chat_id][-1]

    def _inline_labels(self) -> list[str]:
        markup = self.citizen.last_prompt()["reply_markup"]  # an urgent note may follow it
        return [plain_label(button["text"]) for row in markup["inline_keyboard"] for button in row]

    def shows_buttons(self, labels: list[str]) -> None:
        assert self._inline_labels() == labels

    def shows_list(self, labels: list[str]) -> None:
        assert self._inline_labels() == labels  # Telegram has one kind of choice: inline

    def shows_location_request(self) -> None:
        markup = self.newest()["reply_markup"]
        [[button]] = markup["keyboard"]
        assert button["request_location"] is True
        assert markup["one_time_keyboard"] is True

    def location_control_gone(self) -> None:
        """The newest message without inline buttons took the location keyboard away
        (a message with inline buttons cannot also remove a reply keyboard)."""
        mine = [p for p in self.api.sent() if int(p["chat_id"]) == self.citizen.chat_id]
        plain = [p for p in mine if "inline_keyboard" not in (p.get("reply_markup") or {})]
        assert plain[-1]["reply_markup"] == {"remove_keyboard": True}

    def duty_group(self) -> list[str] | None:
        if self.group is None:
            return None
        return self._plain(self.api.texts_to(self.group))


# -- WhatsApp ---------------------------------------------------------------------------


def whatsapp_plain(text: str) -> str:
    """A WhatsApp body as the citizen reads it: ``*bold*`` shows as bold words."""
    return re.sub(r"\*([^*\n]+)\*", r"\1", text)


@dataclass
class WhatsAppChat:
    citizen: WhatsAppCitizen
    clock: ManualClock
    channel: str = "whatsapp"
    _media: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def _plain(self, texts: list[str]) -> list[str]:
        return [whatsapp_plain(text) for text in texts]

    async def _send(self, kind: str, **content: Any) -> list[str]:
        self.clock.advance(TYPING_SECONDS)
        return self._plain(await self.citizen.send(kind, **content))

    async def command(self, word: str) -> list[str]:
        return await self.say(word)

    async def say(self, text: str) -> list[str]:
        return await self._send("text", text={"body": text})

    async def press(self, label: str) -> list[str]:
        self.clock.advance(TYPING_SECONDS)
        return self._plain(await self.citizen.press(label))

    async def share_location(self, latitude: float, longitude: float) -> list[str]:
        return await self._send("location", location={"latitude": latitude, "longitude": longitude})

    async def send_photo(self, data: bytes) -> list[str]:
        media_id = f"media-photo-{next(_files)}"
        self.citizen.api.add_media(media_id, data, "image/jpeg")
        return await self._send("image", image={"id": media_id, "mime_type": "image/jpeg"})

    async def send_sticker(self) -> list[str]:
        sticker = {"id": "media-sticker-1", "mime_type": "image/webp", "animated": False}
        return await self._send("sticker", sticker=sticker)

    async def send_voice_note(self) -> list[str]:
        media_id = f"media-voice-{next(_files)}"
        mime = "audio/ogg; codecs=opus"
        self.citizen.api.add_media(media_id, OGG_VOICE, mime)
        return await self._send("audio", audio={"id": media_id, "mime_type": mime, "voice": True})

    async def read(self) -> list[str]:
        await settle(self.citizen.runtime)
        return self._plain(self.citizen.new_texts())

    def newest(self) -> dict[str, Any]:
        return self.citizen.received()[-1]

    def shows_buttons(self, labels: list[str]) -> None:
        interactive = self.citizen.last_prompt()["interactive"]  # an urgent note may follow
        assert interactive["type"] == "button", interactive
        titles = [button["reply"]["title"] for button in interactive["action"]["buttons"]]
        assert [plain_label(title) for title in titles] == labels
        assert all(len(title) <= BUTTON_TITLE for title in titles)

    def shows_list(self, labels: list[str]) -> None:
        interactive = self.citizen.last_prompt()["interactive"]  # an urgent note may follow
        assert interactive["type"] == "list", interactive
        rows = [row for section in interactive["action"]["sections"] for row in section["rows"]]
        assert all(len(row["title"]) <= ROW_TITLE for row in rows)
        # a title shortened to fit carries the whole label underneath
        assert [plain_label(row.get("description", row["title"])) for row in rows] == labels

    def shows_location_request(self) -> None:
        interactive = self.newest()["interactive"]
        assert interactive["type"] == "location_request_message"
        assert interactive["action"] == {"name": "send_location"}

    def location_control_gone(self) -> None:
        assert self.newest()["type"] in ("text", "interactive")
        assert self.newest().get("interactive", {}).get("type") != "location_request_message"

    def duty_group(self) -> list[str] | None:
        return None


# -- Web chat ---------------------------------------------------------------------------


@dataclass
class WebChat:
    """A browser on the web chat. Each move waits until the outbox has sent
    everything, then reads it all at once, so no answer is split across moves."""

    citizen: WebCitizen
    runtime: Runtime
    clock: ManualClock
    channel: str = "web"

    async def _answer(self) -> list[str]:
        await settle(self.runtime)
        # the page, like WhatsApp, shows ``*bold*`` as bold words (chat.js)
        return [whatsapp_plain(message["text"]) for message in await self.citizen.read(wait=0)]

    async def _post(self, body: dict[str, Any]) -> list[str]:
        self.clock.advance(TYPING_SECONDS)
        response = await self.citizen.post(body)
        assert response.status_code == 202, response.text
        return await self._answer()

    async def command(self, word: str) -> list[str]:
        return await self.say(word)

    async def say(self, text: str) -> list[str]:
        return await self._post({"text": text})

    async def press(self, label: str) -> list[str]:
        prompt = self.citizen.last_prompt()
        [choice] = [c for c in prompt["choices"] if label in (c["label"], plain_label(c["label"]))]
        return await self._post({"choice_id": choice["id"], "prompt_token": prompt["prompt_token"]})

    async def share_location(self, latitude: float, longitude: float) -> list[str]:
        return await self._post({"location": {"latitude": latitude, "longitude": longitude}})

    async def send_photo(self, data: bytes) -> list[str]:
        self.clock.advance(TYPING_SECONDS)
        response = await self.citizen.upload(data)
        assert response.status_code == 202, response.text
        return await self._answer()

    async def send_sticker(self) -> list[str]:
        raise AssertionError("the web chat page has no stickers")

    async def send_voice_note(self) -> list[str]:
        raise AssertionError("the web chat page records no voice notes")

    async def read(self) -> list[str]:
        return await self._answer()

    def newest(self) -> dict[str, Any]:
        return self.citizen.inbox[-1]

    def _labels(self) -> list[str]:
        prompt = self.citizen.last_prompt()  # an urgent note may follow it
        return [plain_label(choice["label"]) for choice in prompt["choices"]]

    def shows_buttons(self, labels: list[str]) -> None:
        assert self._labels() == labels

    def shows_list(self, labels: list[str]) -> None:
        assert self._labels() == labels  # the page shows every choice as a button

    def shows_location_request(self) -> None:
        newest = self.newest()
        assert newest["expects"] == "location"
        assert [choice["id"] for choice in newest["choices"]] == ["_location"]

    def location_control_gone(self) -> None:
        assert "_location" not in [choice["id"] for choice in self.newest()["choices"]]

    def duty_group(self) -> list[str] | None:
        return None
