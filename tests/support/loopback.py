"""Serving a fake platform API on a free loopback port, in the test's own event loop."""

from __future__ import annotations

import asyncio
import socket
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


class _LoopbackServer(uvicorn.Server):
    """uvicorn that stops the moment it is told to.

    uvicorn's own loop checks for an exit every 0.1 s and its shutdown waits
    another 0.1 s for connections to finish; a fake whose test is over has
    nothing left to finish, and every test that used one paid 0.2 s.
    """

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.stop = asyncio.Event()

    async def main_loop(self) -> None:
        await self.stop.wait()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for server in self.servers:
            server.close()
        for connection in list(self.server_state.connections):
            connection.shutdown()
        for task in list(self.server_state.tasks):  # a request still held open
            task.cancel()
        await asyncio.gather(*self.server_state.tasks, return_exceptions=True)
        for server in self.servers:
            await server.wait_closed()


@asynccontextmanager
async def running(fake: Fake, port: int = 0) -> AsyncIterator[Fake]:
    """Serve `fake` for the length of the block, on `port` (0: a free one); its `url`
    is set meanwhile. Outside the block its port refuses connections."""
    config = uvicorn.Config(
        fake.app(), host="127.0.0.1", port=port, log_level="warning", lifespan="off"
    )
    server = _LoopbackServer(config)
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn offers no event to wait on
        await asyncio.sleep(0.005)
    port = server.servers[0].sockets[0].getsockname()[1]
    fake.url = f"http://127.0.0.1:{port}"
    try:
        yield fake
    finally:
        server.stop.set()
        await task


async def until_client_hangs_up(request: Request) -> None:
    """Hold a request unanswered until its client gives up on it (a timeout).

    Event-driven, unlike sleeping past the client's timeout: the wait ends as
    soon as the connection closes, or when the server shuts down.
    """
    while (await request.receive())["type"] != "http.disconnect":
        pass
