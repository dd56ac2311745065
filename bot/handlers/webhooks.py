"""The platforms' webhooks, answered in front of the web framework.

Every Telegram and WhatsApp update is one ``POST``; walking FastAPI's and
Starlette's middleware, routing, parameter and response machinery cost each
of them about 0.3 ms of the server's CPU, more than pintu's own work on the
update (bench/README.md, "Where the 1.6 ms went"). `FastWebhooks` answers
those ``POST`` requests itself and passes everything else to the app
unchanged, keeping what the stack gave them:

- the correlation id (`bot.handlers.correlation`): in the log context for the
  whole request, its background work included, and in the answer;
- the body limit (`bot.handlers.http_limits`): 413 for a declared length over
  it, unread, or as soon as the body streamed in passes it;
- the app's answer to an error (`bot.app.unavailable`: 503 for a fault of the
  database itself); any other error a 500, raised on to the server as the
  stack does, which logs it;
- the work left for after the answer (Telegram's button acknowledgements),
  run once the answer is sent.

A webhook is written once, as a `Webhook` over a `WebhookRequest`; the routes
stay declared on the FastAPI app through `declared` (the OpenAPI schema
documents them, and a request that reaches the app is answered the same).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from fastapi import BackgroundTasks, Request
from fastapi.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from bot.handlers.correlation import HEADER as REQUEST_ID
from bot.handlers.correlation import request_id
from bot.handlers.http_limits import BodyTooLarge, too_large
from bot.logs import correlated


@dataclass(frozen=True, slots=True)
class Answer:
    """A webhook's JSON answer."""

    status: int
    body: bytes
    headers: tuple[tuple[bytes, bytes], ...] = ()

    def response(self) -> Response:
        """The same answer from a route of the app."""
        return Response(
            self.body,
            status_code=self.status,
            headers={name.decode(): value.decode() for name, value in self.headers},
            media_type="application/json",
        )


OK = Answer(200, b'{"ok":true}')


def _json(content: object) -> bytes:
    """As Starlette's `JSONResponse` renders it."""
    return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode()


def refused(status: int, detail: str, headers: tuple[tuple[bytes, bytes], ...] = ()) -> Answer:
    """The error answer FastAPI gives an `HTTPException`: ``{"detail": …}``."""
    return Answer(status, _json({"detail": detail}), headers)


@dataclass(frozen=True, slots=True)
class WebhookRequest:
    """What a webhook reads of its request."""

    headers: Mapping[bytes, bytes]  # lower-case names; the first value of each
    body: Callable[[], Awaitable[bytes]]
    background: BackgroundTasks  # run after the answer is sent

    def header(self, name: bytes) -> str | None:
        """The header's value as Starlette gives it (latin-1), None when absent."""
        value = self.headers.get(name)
        return None if value is None else value.decode("latin-1")


Webhook = Callable[[WebhookRequest], Awaitable[Answer]]
# An error's answer, given the request's method and path; None: a 500.
ErrorAnswer = Callable[[Exception, str, str], Answer | None]


@dataclass(frozen=True, slots=True)
class FastRoute:
    webhook: Webhook
    max_body_bytes: int


class FastWebhooks:
    """Answers ``POST`` to the paths of `routes`; passes every other request to `app`."""

    def __init__(
        self, app: ASGIApp, routes: Mapping[str, FastRoute], on_error: ErrorAnswer
    ) -> None:
        self.app = app
        self.routes = routes
        self.on_error = on_error

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = None
        if scope["type"] == "http" and scope["method"] == "POST":
            route = self.routes.get(scope["path"])
        if route is None:
            await self.app(scope, receive, send)
            return
        raw_headers: list[tuple[bytes, bytes]] = scope["headers"]
        headers = dict(reversed(raw_headers))  # the first of each name, as Starlette reads
        correlation = request_id(headers.get(REQUEST_ID))
        with correlated(correlation):
            await self._answer(scope, route, headers, receive, _Sender(send, correlation))

    async def _answer(
        self,
        scope: Scope,
        route: FastRoute,
        headers: dict[bytes, bytes],
        receive: Receive,
        send: _Sender,
    ) -> None:
        limit = route.max_body_bytes
        declared = dict(scope["headers"]).get(b"content-length")  # the last, as BodySizeLimit
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await send.answer(Answer(413, too_large(limit)))
            return
        background = BackgroundTasks()
        request = WebhookRequest(headers, lambda: read_body(receive, limit), background)
        try:
            answer = await route.webhook(request)
        except BodyTooLarge:
            answer = Answer(413, too_large(limit))
        except _Disconnected:
            return  # nobody is left to answer
        except Exception as error:
            found = self.on_error(error, scope["method"], scope["path"])
            if found is None:
                await send.server_error()
                raise
            answer = found
        await send.answer(answer)
        await background()


class _Disconnected(Exception):
    pass


async def read_body(receive: Receive, limit: int) -> bytes:
    """The whole body, refused (`BodyTooLarge`) as soon as it passes `limit` bytes."""
    chunks: list[bytes] = []
    received = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _Disconnected
        chunk: bytes = message.get("body", b"")
        received += len(chunk)
        if received > limit:
            raise BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


class _Sender:
    """Sends answers carrying the request's correlation id."""

    def __init__(self, send: Send, correlation: str) -> None:
        self.send = send
        self.correlation = correlation.encode("ascii")

    async def answer(self, answer: Answer) -> None:
        await self._send(answer.status, answer.body, b"application/json", answer.headers)

    async def server_error(self) -> None:
        """What Starlette's `ServerErrorMiddleware` answers to an unexpected error."""
        await self._send(500, b"Internal Server Error", b"text/plain; charset=utf-8", ())

    async def _send(
        self, status: int, body: bytes, media: bytes, extra: tuple[tuple[bytes, bytes], ...]
    ) -> None:
        headers = [
            *extra,
            (b"content-length", str(len(body)).encode()),
            (b"content-type", media),
            (REQUEST_ID, self.correlation),
        ]
        await self.send({"type": "http.response.start", "status": status, "headers": headers})
        await self.send({"type": "http.response.body", "body": body})


async def declared(webhook: Webhook, request: Request, background: BackgroundTasks) -> Response:
    """`webhook` answering a request that came through FastAPI (its declared route)."""
    headers = dict(reversed(request.headers.raw))
    answer = await webhook(WebhookRequest(headers, request.body, background))
    return answer.response()
