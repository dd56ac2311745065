"""Which process sends a channel's outbox: one at a time across the deployment.

Pacing lives in the sending process (`bot.outbox.pacing`): two processes
sending the same channel would each keep the platform's rate, and together
send twice as fast as it allows. So each channel's sending is held by one
process only.

On PostgreSQL that process holds a session advisory lock per channel on a
connection it keeps open for the purpose. The others try to take the lock
every `retry_seconds`; when the holder dies its connection closes, the lock
is free, and another worker takes over within that time. The holder checks
its connection as often: when the connection is gone, so is the lock, and it
stops sending until it holds the lock again. Rows are claimed with row locks
anyway (`FOR UPDATE SKIP LOCKED`), so even the moment two processes both
believe they hold a channel sends no row twice.

On SQLite one process owns the database file (`pintu serve` refuses several
workers there), so it holds every channel's sending.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import zlib
from collections.abc import Callable, Coroutine
from typing import Any, Protocol

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger(__name__)

# Distinct from the migration's and the scheduler's keys (about 2**39): "pnt" << 32.
LOCK_BASE = 0x706E74 << 32

Work = Callable[[], Coroutine[Any, Any, None]]


class SendingRights(Protocol):
    async def serve(self, channel: str, work: Work) -> None:
        """Run `work` (a channel's sending loop, which never returns) while this
        process holds `channel`'s sending; wait for it otherwise. Returns only
        by cancellation."""
        ...


class SoleSender:
    """The only process there is (SQLite): it always holds the sending."""

    async def serve(self, channel: str, work: Work) -> None:
        await work()


def lock_key(channel: str) -> int:
    """The advisory lock key of `channel`'s sending (the same in every worker)."""
    return LOCK_BASE | zlib.crc32(channel.encode())


class AdvisoryLocks:
    """One PostgreSQL session advisory lock per channel, held on a connection of its own.

    Only the channels in `locked`: a channel whose sending is recording (web
    chat: the browser collects) has no platform rate to keep, and every worker
    sends it, so the worker that took a citizen's message answers at once.
    """

    def __init__(self, db: AsyncEngine, *, retry_seconds: float, locked: frozenset[str]) -> None:
        self.db = db
        self.retry_seconds = retry_seconds
        self.locked = locked

    async def serve(self, channel: str, work: Work) -> None:
        if channel not in self.locked:
            await work()
            return
        while True:
            conn = await self._take(channel)
            try:
                await self._while_held(conn, work)
            finally:
                with contextlib.suppress(Exception):
                    await conn.close()
            log.warning("outbox sending lost the lock of a channel; trying to take it again")

    async def _take(self, channel: str) -> AsyncConnection:
        """Wait until this process holds `channel`'s lock; the connection that holds it."""
        while True:
            try:
                conn = await self.db.connect()
            except Exception:
                log.warning("outbox lock: the database does not answer; trying again")
            else:
                try:
                    taken = await conn.scalar(select(func.pg_try_advisory_lock(lock_key(channel))))
                    await conn.commit()
                except Exception:
                    taken = False
                if taken:
                    return conn
                await conn.close()
            # Held by another process: nothing here could tell when it is released.
            await asyncio.sleep(self.retry_seconds)

    async def _while_held(self, conn: AsyncConnection, work: Work) -> None:
        """Run `work` until it ends or `conn` (and with it the lock) is gone."""
        task = asyncio.create_task(work())
        try:
            while True:
                done, _ = await asyncio.wait({task}, timeout=self.retry_seconds)
                if done:
                    task.result()  # `work` never returns: this raises what it raised
                    return
                if not await _alive(conn):
                    return
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


async def _alive(conn: AsyncConnection) -> bool:
    try:
        await conn.execute(text("SELECT 1"))
        await conn.commit()
    except Exception:
        return False
    return True
