"""A correlation id per HTTP request: in every log line the request causes, and in its answer.

An incoming ``X-Request-ID`` (set by a proxy in front of pintu) is kept when it
is short and made of safe characters only; otherwise pintu makes one. The
answer carries it back in ``X-Request-ID``.
"""

from __future__ import annotations

import random
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.logs import correlated

HEADER = b"x-request-id"
SAFE_ID = re.compile(rb"[A-Za-z0-9._:-]{1,64}")


def request_id(given: bytes | None) -> str:
    """`given` when it is safe to log and echo, else a new random id.

    The id only tells requests apart and protects nothing (a client may choose its
    own): Python's generator makes one in a fraction of a microsecond, where the
    system's (`secrets`) took 14 µs of every webhook (bench/webhook_load.py, py-spy).
    """
    if given is not None and SAFE_ID.fullmatch(given):
        return given.decode("ascii")
    return f"{random.getrandbits(64):016x}"


class RequestCorrelation:
    """Sets the correlation id for the length of each request and answers with it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((value for name, value in scope["headers"] if name == HEADER), None)
        value = request_id(given)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(n, v) for n, v in message.get("headers", []) if n.lower() != HEADER]
                message["headers"] = [*headers, (HEADER, value.encode("ascii"))]
            await send(message)

        with correlated(value):
            await self.app(scope, receive, send_with_id)
