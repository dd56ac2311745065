"""A citizen on the web chat, driven over HTTP exactly as the page drives it."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import httpx

from bot.domain.messages import plain_label

_ids = itertools.count(1)
NAME, PHONE = "Siti Rahma", "0812 3456 7890"  # what a named web citizen gives (issue 10)


@dataclass
class WebCitizen:
    http: httpx.AsyncClient
    token: str
    last_id: int = 0
    inbox: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    async def open(cls, http: httpx.AsyncClient) -> WebCitizen:
        response = await http.post("/chat/api/session")
        response.raise_for_status()
        return cls(http=http, token=response.json()["token"])

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def post(self, body: dict[str, Any]) -> httpx.Response:
        body.setdefault("client_id", f"msg-{next(_ids):08d}")
        return await self.http.post("/chat/api/messages", json=body, headers=self.headers)

    async def say(self, text: str) -> list[dict[str, Any]]:
        """Send text and return the bot's answer (all messages it sent back)."""
        response = await self.post({"text": text})
        assert response.status_code == 202, response.text
        return await self.read()

    async def press(self, label: str) -> list[dict[str, Any]]:
        """Press the button labelled `label` on the newest message that has buttons."""
        prompt = self.last_prompt()
        matches = [c for c in prompt["choices"] if label in (c["label"], plain_label(c["label"]))]
        assert matches, f"no button {label!r} in {[c['label'] for c in prompt['choices']]}"
        body = {"choice_id": matches[0]["id"], "prompt_token": prompt["prompt_token"]}
        response = await self.post(body)
        assert response.status_code == 202, response.text
        return await self.read()

    async def give_name(self) -> list[dict[str, Any]]:
        """Answer the two questions a named report ends with on the web: name, then phone."""
        await self.say(NAME)
        return await self.say(PHONE)

    async def upload(self, data: bytes, name: str = "photo.jpg") -> httpx.Response:
        files = {"file": (name, data, "image/jpeg")}
        form = {"client_id": f"upl-{next(_ids):08d}"}
        return await self.http.post("/chat/api/media", data=form, files=files, headers=self.headers)

    async def read(self, wait: float = 5.0) -> list[dict[str, Any]]:
        """Messages that arrived since the last read, waiting up to `wait` s for the first."""
        response = await self.http.get(
            "/chat/api/messages", params={"after": self.last_id, "wait": wait}, headers=self.headers
        )
        response.raise_for_status()
        body = response.json()
        self.last_id = body["last_id"]
        self.inbox.extend(body["messages"])
        messages: list[dict[str, Any]] = body["messages"]
        return messages

    def last_prompt(self) -> dict[str, Any]:
        for message in reversed(self.inbox):
            if message["choices"]:
                return message
        raise AssertionError("no message with buttons yet")


def texts(messages: list[dict[str, Any]]) -> str:
    return "\n".join(message["text"] for message in messages)
