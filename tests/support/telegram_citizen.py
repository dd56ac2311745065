"""A citizen on Telegram: updates posted to the webhook, answers read off the fake Bot API."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import httpx
from pydantic import SecretStr

from bot.domain.messages import split_number
from bot.runtime import Runtime
from bot.settings import Settings
from tests.support.fake_telegram import FakeBotAPI, press_update, text_update
from tests.support.outbox import settle

SECRET = "test-webhook-secret_42"


def telegram_settings(settings: Settings, api: FakeBotAPI, **more: object) -> Settings:
    """`settings` with the Telegram channel on, talking to the fake Bot API `api`,
    paced fast enough that tests never wait for the per-chat limit."""
    telegram = {
        "telegram_bot_token": SecretStr(api.token),
        "telegram_webhook_secret": SecretStr(SECRET),
        "telegram_api_url": api.url,
        "telegram_timeout_seconds": 0.5,
        "telegram_chat_messages_per_second": 1000.0,
        "telegram_chat_burst": 1000.0,
    }
    return settings.model_copy(update=telegram | more)


_update_ids = itertools.count(900_000)


@dataclass
class TelegramCitizen:
    http: httpx.AsyncClient
    api: FakeBotAPI
    runtime: Runtime
    chat_id: int
    seen: int = 0
    posted: list[dict[str, Any]] = field(default_factory=list)

    async def post(self, update: dict[str, Any], secret: str | None = SECRET) -> httpx.Response:
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
        self.posted.append(update)
        return await self.http.post("/webhooks/telegram", json=update, headers=headers)

    async def send(self, update: dict[str, Any]) -> list[str]:
        response = await self.post(update)
        assert response.status_code == 200, response.text
        await settle(self.runtime)
        return self.new_texts()

    async def say(self, text: str) -> list[str]:
        return await self.send(text_update(next(_update_ids), self.chat_id, text))

    async def press(self, label: str) -> list[str]:
        prompt = self.last_prompt()
        data = self.button_data(prompt, label)
        return await self.send(press_update(next(_update_ids), self.chat_id, data, prompt))

    def new_texts(self) -> list[str]:
        texts = self.api.texts_to(self.chat_id)
        fresh, self.seen = texts[self.seen :], len(texts)
        return fresh

    def last_prompt(self) -> dict[str, Any]:
        for params in reversed(self.api.sent()):
            markup = params.get("reply_markup") or {}
            if int(params["chat_id"]) == self.chat_id and markup.get("inline_keyboard"):
                return params
        raise AssertionError("no message with an inline keyboard yet")

    @staticmethod
    def button_data(prompt: dict[str, Any], label: str) -> str:
        for row in prompt["reply_markup"]["inline_keyboard"]:
            for button in row:
                if label in (button["text"], split_number(button["text"])[1]):
                    return str(button["callback_data"])
        raise AssertionError(f"no button {label!r}")


def next_update_id() -> int:
    return next(_update_ids)
