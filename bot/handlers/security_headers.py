"""Security headers added to every HTTP response under some path prefixes.

Applied as ASGI middleware rather than per route, so error answers (401,
404, 429) and static files carry them too.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class SecurityHeaders:
    """Sets `headers` (replacing any of the same name) on responses under one of `prefixes`."""

    def __init__(
        self, app: ASGIApp, *, prefixes: tuple[str, ...], headers: Mapping[str, str]
    ) -> None:
        self.app = app
        self.prefixes = prefixes
        self.headers = [(name.lower().encode(), value.encode()) for name, value in headers.items()]
        self.names = {name for name, _ in self.headers}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith(self.prefixes):
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.get("headers", [])
                kept = [(k, v) for k, v in headers if k.lower() not in self.names]
                message["headers"] = [*kept, *self.headers]
            await send(message)

        await self.app(scope, receive, send_with_headers)
