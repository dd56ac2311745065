"""A citizen on WhatsApp: signed notifications to the webhook, answers read off the fake API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import urlsplit

import httpx
from pydantic import SecretStr

from bot.domain.messages import split_number
from bot.handlers.whatsapp.channel import WhatsAppChannel
from bot.handlers.whatsapp.render import BUTTON_TITLE, ROW_TITLE, shorten
from bot.runtime import Runtime
from bot.settings import Settings
from tests.support.fake_whatsapp import (
    APP_SECRET,
    PHONE_NUMBER_ID,
    VERIFY_TOKEN,
    FakeGraphAPI,
    encode,
    message,
    notification,
    profile,
    shown_text,
    sign,
)
from tests.support.outbox import settle

Payload = dict[str, Any]


def whatsapp_settings(settings: Settings, graph: FakeGraphAPI, **extra: Any) -> Settings:
    """The suite's settings with WhatsApp pointed at `graph`; pacing out of the way."""
    return settings.model_copy(
        update={
            "whatsapp_access_token": SecretStr(graph.token),
            "whatsapp_phone_number_id": PHONE_NUMBER_ID,
            "whatsapp_app_secret": SecretStr(APP_SECRET),
            "whatsapp_verify_token": SecretStr(VERIFY_TOKEN),
            "whatsapp_api_url": graph.url,
            "media_download_hosts": [urlsplit(graph.url).netloc],  # the fake serves the files
            "whatsapp_timeout_seconds": 0.5,
            "whatsapp_pair_burst": 1000.0,
            "whatsapp_pair_seconds": 0.001,
        }
        | extra
    )


@dataclass
class WhatsAppCitizen:
    http: httpx.AsyncClient
    api: FakeGraphAPI
    runtime: Runtime
    user_id: str | None  # BSUID; None: a payload in the format from before April 2026
    wa_id: str | None  # phone number; None: a citizen with a WhatsApp username
    name: str = "Siti"
    seen: int = 0

    # -- posting ---------------------------------------------------------------------

    async def post(
        self, payload: Payload | bytes, *, signature: str | None = None, signed: bool = True
    ) -> httpx.Response:
        """Post `payload` with `signature`, or signed with the app secret, or (`signed=False`)
        without the header."""
        raw = payload if isinstance(payload, bytes) else encode(payload)
        headers = {"content-type": "application/json"}
        if signature is not None or signed:
            headers["X-Hub-Signature-256"] = signature if signature is not None else sign(raw)
        return await self.http.post("/webhooks/whatsapp", content=raw, headers=headers)

    async def deliver(self, payload: Payload) -> list[str]:
        """Post `payload`, wait for the outbox, and return what the citizen got since last time."""
        response = await self.post(payload)
        assert response.status_code == 200, response.text
        await settle(self.runtime)
        return self.new_texts()

    def message(self, kind: str, **content: Any) -> Payload:
        """A message of `kind` from this citizen, sent now by the app's clock."""
        content.setdefault("timestamp", str(int(self.runtime.clock.now().timestamp())))
        return message(kind, user_id=self.user_id, wa_id=self.wa_id, **content)

    def notification(self, *messages: Payload) -> Payload:
        me = profile(user_id=self.user_id, wa_id=self.wa_id, name=self.name)
        return notification(messages=messages, contacts=[me])

    async def send(self, kind: str, **content: Any) -> list[str]:
        return await self.deliver(self.notification(self.message(kind, **content)))

    async def say(self, text: str) -> list[str]:
        return await self.send("text", text={"body": text})

    async def press(self, label: str) -> list[str]:
        """Press the button or list row for `label` on the newest interactive message."""
        return await self.deliver(self.notification(self.press_message(label)))

    def press_message(self, label: str, prompt: Payload | None = None) -> Payload:
        interactive = (prompt or self.last_prompt())["interactive"]
        option = self.option(interactive, label)
        kind = "button_reply" if interactive["type"] == "button" else "list_reply"
        reply = {"id": option["id"], "title": option["title"]}
        return self.message("interactive", interactive={"type": kind, kind: reply})

    # -- reading -----------------------------------------------------------------------

    def received(self) -> list[Payload]:
        return self.api.sent_to(wa_id=self.wa_id, user_id=self.user_id)

    def new_texts(self) -> list[str]:
        texts = [shown_text(body) for body in self.received()]
        fresh, self.seen = texts[self.seen :], len(texts)
        return fresh

    def last_prompt(self) -> Payload:
        for body in reversed(self.received()):
            if body["type"] == "interactive" and body["interactive"]["type"] in ("button", "list"):
                return body
        raise AssertionError("no message with buttons or a list yet")

    def option(self, interactive: Payload, label: str) -> Payload:
        """The button or row a citizen would take for `label` (perhaps shown shortened)."""
        if interactive["type"] == "button":
            options = [button["reply"] for button in interactive["action"]["buttons"]]
            limit = BUTTON_TITLE
        else:
            options = [
                row for section in interactive["action"]["sections"] for row in section["rows"]
            ]
            limit = ROW_TITLE
        channel = cast(WhatsAppChannel, self.runtime.sender.handlers["whatsapp"])
        shown = {
            shorten(label, limit, channel.wording(locale).short_labels) for locale in ("id", "en")
        }
        for option in options:
            title = split_number(option["title"])[1]
            described = split_number(option.get("description", ""))[1]
            if title in shown or option["title"] in shown or label in (described, title):
                return cast(Payload, option)
        raise AssertionError(f"no option {label!r} in {[o['title'] for o in options]}")
