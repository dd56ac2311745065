"""The tests' fake platform APIs as one process, for benchmarks.

``python -m bench.fake_bot_api PORT BOT_TOKEN GRAPH_TOKEN PHONE_NUMBER_ID`` serves the
fake Bot API at ``/bot…`` and ``/file/bot…`` and the fake Graph API under ``/v25.0``.

A message whose text holds a marker ``BENCHREPLY-<n>`` has its arrival time
(wall clock, seconds) noted; ``GET /bench/arrivals`` answers them as JSON, so
the webhook benchmark can time an officer's reply from the API call to here.
"""

from __future__ import annotations

import json
import re
import sys
import time
from typing import Any

import uvicorn
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route

from tests.support.fake_telegram import FakeBotAPI
from tests.support.fake_whatsapp import FakeGraphAPI

MARKER = re.compile(rb"BENCHREPLY-\d+")

Scope = dict[str, Any]


class Arrivals:
    """ASGI wrapper noting when each marked message arrived."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.seen: dict[str, float] = {}

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] == "/bench/arrivals":
            body = json.dumps(self.seen).encode()
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-type", b"application/json")]})  # fmt: skip
            await send({"type": "http.response.body", "body": body})
            return
        chunks, more = [], True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        now = time.time()
        for marker in MARKER.findall(body):
            self.seen.setdefault(marker.decode(), now)
        replayed = False

        async def replay() -> dict[str, Any]:
            nonlocal replayed
            if replayed:
                return dict(await receive())
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


def main() -> None:
    port, bot_token, graph_token, phone_number_id = sys.argv[1:5]
    app = FakeBotAPI(token=bot_token).app()
    graph = FakeGraphAPI(token=graph_token, phone_number_id=phone_number_id).app()
    app.router.routes.append(Mount("/v25.0", app=graph))
    app.router.routes.append(Route("/healthz", lambda _request: JSONResponse({"status": "ok"})))
    uvicorn.run(
        Arrivals(app), host="127.0.0.1", port=int(port), log_level="warning", access_log=False
    )


if __name__ == "__main__":
    main()
