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
stops sending until it holds the lock again. A worker that queued work for a
channel it does not hold wakes the holder with a NOTIFY, which the holder
LISTENs for on the lock's connection. Rows are claimed with row locks
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
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.storage.database import connection_alive

log = logging.getLogger(__name__)

# Distinct from the migration's and the scheduler's keys (about 2**39): "pnt" << 32.
LOCK_BASE = 0x706E74 << 32

# The NOTIFY channel on which workers wake the sending worker.
WAKE_CHANNEL = "pintu_outbox"

Work = Callable[[], Coroutine[Any, Any, None]]


class SendingRights(Protocol):
    async def serve(self, channel: str, work: Work, wake: Callable[[], None]) -> None:
        """Run `work` (a channel's sending loop, which never returns) while this
        process holds `channel`'s sending; wait for it otherwise. `wake` wakes
        the loop when another process has queued work. Returns only by
        cancellation."""
        ...

    def wake_others(self) -> None:
        """Tell the processes holding the channels this one does not that work was queued."""
        ...

    def lease_grace(self, channel: str) -> timedelta | None:
        """How long rows leased before this process began sending `channel` may still
        be in another process's hands; None: they wait for their lease to run out."""
        ...


class SoleSender:
    """The only process there is (SQLite): it always holds the sending."""

    async def serve(self, channel: str, work: Work, wake: Callable[[], None]) -> None:
        await work()

    def wake_others(self) -> None:
        pass

    def lease_grace(self, channel: str) -> timedelta:
        """No grace: a lease from before this process is a dead process's."""
        return timedelta(0)


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
        self._held: set[str] = set()
        self._notifying: asyncio.Task[None] | None = None
        self._again = False

    async def serve(self, channel: str, work: Work, wake: Callable[[], None]) -> None:
        if channel not in self.locked:
            await work()
            return
        while True:
            conn = await self._take(channel)
            try:
                await _listen(conn, wake)
                self._held.add(channel)
                await self._while_held(conn, work)
            finally:
                self._held.discard(channel)
                with contextlib.suppress(Exception):
                    await conn.close()
            log.warning("outbox sending lost the lock of a channel; trying to take it again")

    def lease_grace(self, channel: str) -> timedelta | None:
        """A held channel's rows leased before this process took the lock were leased
        by the previous holder, which is dead or stops sending within `retry_seconds`
        of losing its connection (it checks that often, then cancels its sends): after
        twice that and a second they are nobody's, not after the whole lease (a killed
        worker's chats would wait two minutes for their answers). Channels every
        worker sends (web chat) are never taken back: another live worker may hold them.
        """
        if channel not in self.locked:
            return None
        return timedelta(seconds=2 * self.retry_seconds + 1)

    def holds(self, channel: str) -> bool:
        """Whether this process sends `channel` now."""
        return channel in self._held or channel not in self.locked

    def wake_others(self) -> None:
        """NOTIFY the holders, when some channel is held elsewhere: a worker that
        took a citizen's message has the answer sent at once by the worker that
        holds its channel, not at that worker's next poll.

        One notification at a time; wake-ups meanwhile make one more after it.
        """
        if self.locked <= self._held:
            return
        if self._notifying is not None and not self._notifying.done():
            self._again = True
            return
        with contextlib.suppress(RuntimeError):  # no event loop: nobody to notify from here
            self._notifying = asyncio.get_running_loop().create_task(self._notify())

    async def _notify(self) -> None:
        while True:
            self._again = False
            try:
                async with self.db.connect() as conn:
                    await conn.execute(text(f"NOTIFY {WAKE_CHANNEL}"))
                    await conn.commit()
            except Exception:
                log.warning("outbox: could not notify the sending worker; it polls anyway")
            if not self._again:
                return

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
                if not await connection_alive(conn):
                    return
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


async def _listen(conn: AsyncConnection, wake: Callable[[], None]) -> None:
    """Call `wake` whenever a worker NOTIFYs that it queued work (on the lock's connection)."""
    raw = await conn.get_raw_connection()
    driver: Any = raw.driver_connection  # asyncpg's connection: LISTEN needs it
    await driver.add_listener(WAKE_CHANNEL, lambda *_: wake())
