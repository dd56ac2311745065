"""A fake Telegram Bot API on loopback: real HTTP, recorded calls, scripted failures.

It serves ``/bot<token>/<method>`` and ``/file/bot<token>/<path>`` as
api.telegram.org does, answers like the Bot API (``{"ok": true, "result": …}``
or ``{"ok": false, "error_code": …, "description": …, "parameters": …}``)
and can be told to answer the next calls of a method with a 429, a 5xx, a
403 or no answer at all.
"""

from __future__ import annotations

import asyncio
import html
import itertools
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.support.loopback import until_client_hangs_up
from tests.support.platform_limits import PlatformLimits

BOT_ID = 700000001


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    status: int = 200  # what the fake answered
    retry_after: int | None = None  # and the wait it named, with a 429


@dataclass
class Scripted:
    status: int = 200
    retry_after: int | None = None
    description: str = ""
    hang: bool = False  # no answer: the client times out


@dataclass
class FakeBotAPI:
    token: str = "700000001:TEST-TOKEN"
    calls: list[Call] = field(default_factory=list)
    script: dict[str, list[Scripted]] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)
    # file ids whose getFile answer names this path instead of one under /file/bot<token>/
    file_paths: dict[str, str] = field(default_factory=dict)
    url: str = ""
    limits: PlatformLimits | None = None  # answer sends over the rate limits with 429
    on_sent: Callable[[int, dict[str, Any]], None] | None = None  # chat id, params: accepted
    held: set[int] = field(default_factory=set)  # chats whose sends wait for `release`
    release: asyncio.Event = field(default_factory=asyncio.Event)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1000))

    # -- what tests use -----------------------------------------------------------

    def fail_next(self, method: str, *answers: Scripted) -> None:
        self.script.setdefault(method, []).extend(answers)

    def add_file(self, file_id: str, data: bytes) -> None:
        self.files[file_id] = data

    def sent(self, method: str = "sendMessage") -> list[dict[str, Any]]:
        """Parameters of the calls of `method` that were accepted."""
        return [c.params for c in self.calls if c.method == method and c.status == 200]

    def attempts(self, method: str = "sendMessage") -> int:
        """Calls of `method`, accepted or refused."""
        return sum(call.method == method for call in self.calls)

    def texts_to(self, chat_id: int) -> list[str]:
        return [p["text"] for p in self.sent() if int(p["chat_id"]) == chat_id]

    # -- the server ---------------------------------------------------------------

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/bot{token}/{method}", self._api, methods=["GET", "POST"]),
                Route("/file/bot{token}/{path:path}", self._file, methods=["GET"]),
            ]
        )

    async def _api(self, request: Request) -> Response:
        if request.path_params["token"] != self.token:
            return self._error(401, "Unauthorized")
        method = request.path_params["method"]
        call = Call(method, await self._params(request))
        self.calls.append(call)
        params = call.params
        queued = self.script.get(method)
        if queued:
            answer = queued.pop(0)
            call.status = answer.status
            call.retry_after = answer.retry_after
            if answer.hang:
                await until_client_hangs_up(request)
            if answer.status != 200:
                return self._error(answer.status, answer.description, answer.retry_after)
        if method == "sendMessage" and int(params["chat_id"]) in self.held:
            await self.release.wait()  # a slow platform answer for this one chat
        if method == "sendMessage":
            refused = self.limits and self.limits.refuse(str(params["chat_id"]))
            if refused:
                call.status = 429
                retry_after = call.retry_after = max(1, math.ceil(refused[1]))
                return self._error(
                    429, f"Too Many Requests: retry after {retry_after}", retry_after
                )
            if self.on_sent is not None:
                self.on_sent(int(params["chat_id"]), params)
        return JSONResponse({"ok": True, "result": self._result(method, params)})

    async def _params(self, request: Request) -> dict[str, Any]:
        if request.headers.get("content-type", "").startswith("application/json"):
            body: dict[str, Any] = await request.json()
            return body
        form = await request.form()
        params: dict[str, Any] = {}
        for key, value in form.items():
            if not isinstance(value, str):
                continue
            try:
                params[key] = json.loads(value)
            except ValueError:
                params[key] = value
        return params

    def _result(self, method: str, params: dict[str, Any]) -> Any:
        if method in ("sendMessage", "editMessageText"):
            return {
                "message_id": int(params.get("message_id") or next(self._ids)),
                "date": 1_790_000_000,
                "chat": {"id": int(params["chat_id"]), "type": "private"},
                "from": {"id": BOT_ID, "is_bot": True, "first_name": "pintu"},
                "text": str(params.get("text", "")),
            }
        if method == "getFile":
            file_id = str(params["file_id"])
            data = self.files.get(file_id, b"")
            return {
                "file_id": file_id,
                "file_unique_id": f"u-{file_id}",
                "file_size": len(data),
                "file_path": self.file_paths.get(file_id, f"photos/{file_id}.jpg"),
            }
        if method == "getMe":
            return {"id": BOT_ID, "is_bot": True, "first_name": "pintu", "username": "pintu_bot"}
        return True

    async def _file(self, request: Request) -> Response:
        name = request.path_params["path"].rsplit("/", 1)[-1].removesuffix(".jpg")
        if name not in self.files:
            return Response(status_code=404)
        return Response(self.files[name], media_type="application/octet-stream")

    @staticmethod
    def _error(status: int, description: str, retry_after: int | None = None) -> Response:
        body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        if retry_after is not None:
            body["parameters"] = {"retry_after": retry_after}
        return JSONResponse(body, status_code=status)


def update_id_counter(start: int = 500_000) -> itertools.count[int]:
    return itertools.count(start)


def text_update(update_id: int, chat_id: int, text: str, **extra: Any) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1_790_000_000,
            "chat": {"id": chat_id, "type": "private", "first_name": "Siti"},
            "from": {"id": chat_id, "is_bot": False, "first_name": "Siti", "language_code": "id"},
            "text": text,
            **extra,
        },
    }


def message_update(update_id: int, chat_id: int, **content: Any) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1_790_000_000,
            "chat": {"id": chat_id, "type": "private", "first_name": "Siti"},
            "from": {"id": chat_id, "is_bot": False, "first_name": "Siti"},
            **content,
        },
    }


def press_update(update_id: int, chat_id: int, data: str, prompt: dict[str, Any]) -> dict[str, Any]:
    """A press on a button of `prompt` (the sendMessage params the bot sent)."""
    return {
        "update_id": update_id,
        "callback_query": {
            "id": f"cq-{update_id}",
            "from": {"id": chat_id, "is_bot": False, "first_name": "Siti"},
            "chat_instance": "ci-1",
            "data": data,
            "message": {
                "message_id": 4242,
                "date": 1_790_000_000,
                "chat": {"id": chat_id, "type": "private"},
                "from": {"id": BOT_ID, "is_bot": True, "first_name": "pintu"},
                "text": html.unescape(re.sub(r"<[^>]+>", "", prompt["text"])),
                "reply_markup": prompt.get("reply_markup"),
            },
        },
    }
