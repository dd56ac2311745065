"""One scheduler leads at a time, also across a lost database connection (PostgreSQL).

Two schedulers on one database: one leads; when the leader's lock connection
is cut (as when PostgreSQL restarts), it pauses its jobs, and exactly one of
them leads again. Before, the old leader never noticed: it ran its jobs on
beside the new one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from fastapi import FastAPI
from sqlalchemy import text

from bot.app import create_app
from bot.domain.clock import ManualClock
from bot.runtime import Runtime
from bot.scheduler import LEADER_LOCK_KEY, Scheduler
from bot.settings import Settings

RETRY = 0.05
HOLDER = """SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted
AND ((classid::bigint << 32) | objid::bigint) = :key"""


@pytest.fixture
def settings(settings: Settings) -> Settings:
    if not settings.database_url.startswith("postgresql"):
        pytest.skip("leading across processes is PostgreSQL's: on SQLite one process leads")
    return settings


async def until(condition: Callable[[], bool], within: float = 5.0) -> None:
    async with asyncio.timeout(within):
        while not condition():  # noqa: ASYNC110 - the schedulers run meanwhile
            await asyncio.sleep(0.01)


async def until_one_leads_steadily(
    schedulers: list[Scheduler], steady: float, within: float = 5.0
) -> None:
    """Until exactly one scheduler has led for `steady` seconds straight."""
    loop = asyncio.get_running_loop()
    since: float | None = None
    async with asyncio.timeout(within):
        while since is None or loop.time() - since < steady:
            one = sum(s.leading for s in schedulers) == 1
            since = (since or loop.time()) if one else None
            await asyncio.sleep(0.01)


async def holder(runtime: Runtime) -> int | None:
    async with runtime.db.connect() as conn:
        pid = await conn.scalar(text(HOLDER), {"key": LEADER_LOCK_KEY})
    return int(pid) if pid is not None else None


async def test_a_leader_that_loses_its_connection_pauses_and_one_leads_again(
    settings: Settings, clock: ManualClock
) -> None:
    app: FastAPI = create_app(settings, clock=clock, run_workers=False)
    async with app.router.lifespan_context(app):
        runtime: Runtime = app.state.runtime
        schedulers = [Scheduler(runtime, retry_seconds=RETRY) for _ in range(2)]
        tasks = [asyncio.create_task(scheduler.lead()) for scheduler in schedulers]
        try:
            await until(lambda: any(s.leading for s in schedulers))
            assert sum(s.leading for s in schedulers) == 1
            first = await holder(runtime)
            assert first is not None
            async with runtime.db.connect() as conn:
                await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
            # Someone leads again, on another connection; never two at once meanwhile.
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 5
            while (pid := await holder(runtime)) in (None, first):
                assert sum(s.leading for s in schedulers) <= 1 or pid is None
                assert loop.time() < deadline, "nobody took the lock again"
                await asyncio.sleep(0.01)
            # The old leader learns of its lost connection at its next check (every RETRY)
            # and pauses; then exactly one leads, and goes on leading.
            await until_one_leads_steadily(schedulers, steady=4 * RETRY)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            for scheduler in schedulers:
                await scheduler.stop()
