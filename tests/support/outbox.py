"""Waiting for the outbox sender, which runs in the background of the app under test."""

from __future__ import annotations

import asyncio

from bot.runtime import Runtime


async def settle(runtime: Runtime, within: float = 5.0) -> None:
    """Return once the outbox has nothing it could send now and nothing in flight.

    The background sender does the sending; passes made here only shorten the wait.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while await runtime.sender.backlog():
        await runtime.sender.send_due()
        if loop.time() > deadline:
            raise AssertionError(f"outbox still busy: {await runtime.sender.backlog()} rows")
        await asyncio.sleep(0.01)
