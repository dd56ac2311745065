"""Serving a fake platform API on a free loopback port, in the test's own event loop."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Protocol, TypeVar

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request


class FakeAPI(Protocol):
    url: str

    def app(self) -> Starlette: ...


Fake = TypeVar("Fake", bound=FakeAPI)


@asynccontextmanager
async def running(fake: Fake) -> AsyncIterator[Fake]:
    """Serve `fake` for the length of the block; its `url` is set meanwhile."""
    config = uvicorn.Config(
        fake.app(), host="127.0.0.1", port=0, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn offers no event to wait on
        await asyncio.sleep(0.005)
    port = server.servers[0].sockets[0].getsockname()[1]
    fake.url = f"http://127.0.0.1:{port}"
    try:
        yield fake
    finally:
        server.should_exit = True
        await task


async def until_client_hangs_up(request: Request) -> None:
    """Hold a request unanswered until its client gives up on it (a timeout).

    Event-driven, unlike sleeping past the client's timeout: the wait ends as
    soon as the connection closes, or when the server shuts down.
    """
    while (await request.receive())["type"] != "http.disconnect":
        pass
