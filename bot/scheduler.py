"""Scheduled work: one process at a time runs it, every job is idempotent anyway.

On PostgreSQL the process that holds a session-level advisory lock is the
leader; the others keep trying, so a new leader takes over when one dies.
The leader checks its lock's connection as often: when it is gone (the
database restarted, the connection cut), so is the lock, and the jobs pause
until this process holds the lock again — two leaders never run at once.
On SQLite there is one process, and it leads.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.schedulers.base import STATE_RUNNING
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.duty.sla import alert_breaches
from bot.media.orphans import remove_orphans
from bot.runtime import Runtime
from bot.services import survey_invitations
from bot.services.allowances import SharedAllowances
from bot.services.revoked_browsers import forget_old_revocations
from bot.storage.database import connection_alive, is_postgresql

log = logging.getLogger(__name__)

LEADER_LOCK_KEY = 0x70696E7475 + 1
LEADER_RETRY_SECONDS = 30.0


class Scheduler:
    def __init__(self, runtime: Runtime, *, retry_seconds: float = LEADER_RETRY_SECONDS) -> None:
        self.runtime = runtime
        self.retry_seconds = retry_seconds
        self._aps = AsyncIOScheduler(timezone=runtime.settings.timezone)
        self._leader_conn: AsyncConnection | None = None
        settings = runtime.settings
        jobs = (
            (self.expire_idle_conversations, settings.idle_sweep_seconds),
            (self.escalate_duty_alerts, settings.duty_sweep_seconds),
            (self.send_broadcasts, settings.broadcast_sweep_seconds),
            (self.send_survey_invitations, settings.survey_sweep_seconds),
            (self.raise_sla_alerts, settings.sla_sweep_seconds),
            (self.remove_orphaned_media, settings.media_sweep_seconds),
            (self.forget_revoked_browsers, settings.media_sweep_seconds),
            (self.forget_full_allowances, settings.media_sweep_seconds),
        )
        for job, seconds in jobs:
            self._aps.add_job(
                job,
                "interval",
                seconds=seconds,
                id=job.__name__.replace("_", "-"),
                max_instances=1,
                coalesce=True,
            )

    async def send_broadcasts(self) -> None:
        """Enqueue the broadcasts that are due (each claimed, so never by two schedulers)."""
        enqueued = await self.runtime.broadcasts.run_due()
        if enqueued:
            log.info("enqueued %d broadcast copies", enqueued)

    async def raise_sla_alerts(self) -> None:
        raised = await raise_sla_alerts(self.runtime)
        if raised:
            log.info("raised %d SLA alerts", raised)

    async def send_survey_invitations(self) -> None:
        sent = await send_survey_invitations(self.runtime)
        if sent:
            log.info("sent %d survey invitations", sent)

    async def expire_idle_conversations(self) -> None:
        expired = await self.runtime.runner.expire_idle(
            self.runtime.settings.conversation_idle_seconds
        )
        if expired:
            log.info("expired %d idle conversations", expired)

    async def escalate_duty_alerts(self) -> None:
        """Re-send, one level up, every urgent alert nobody acknowledged in time."""
        await self.runtime.duty.escalate_due()

    async def remove_orphaned_media(self) -> None:
        removed = await remove_orphaned_media(self.runtime)
        if removed:
            log.info("removed %d files no case took", removed)

    async def forget_revoked_browsers(self) -> None:
        """Revocations outlive no token: after the tokens' lifetime they are dropped."""
        runtime = self.runtime
        lifetime = timedelta(days=runtime.settings.web_token_days)
        await forget_old_revocations(runtime.db, before=runtime.clock.now() - lifetime)

    async def forget_full_allowances(self) -> None:
        """A bucket full again is as good as none: the table keeps only recent spenders."""
        runtime = self.runtime
        await SharedAllowances(runtime.db, runtime.secret_key, runtime.clock).forget_full()

    @property
    def leading(self) -> bool:
        """Whether this process runs the jobs now."""
        return bool(self._aps.state == STATE_RUNNING)

    async def lead(self) -> None:
        """Lead whenever this process holds the lock (waiting as long as it takes)."""
        if not is_postgresql(self.runtime.db):
            self._aps.start()
            return
        self._aps.start(paused=True)
        while True:
            # Held by another process, or the database away: nothing here could
            # signal a change, so look again after a while.
            if await self._take_lead():
                self._aps.resume()
                while await self._still_leading():  # noqa: ASYNC110
                    await asyncio.sleep(self.retry_seconds)
                self._aps.pause()
                log.warning("the scheduler lost its lock (its connection is gone); paused")
                await self._drop_lead()
            await asyncio.sleep(self.retry_seconds)

    async def _take_lead(self) -> bool:
        try:
            conn = await self.runtime.db.connect()
        except Exception as error:
            log.warning("scheduler: the database does not answer (%s)", type(error).__name__)
            return False
        try:
            if await conn.scalar(select(func.pg_try_advisory_lock(LEADER_LOCK_KEY))):
                await conn.commit()
                self._leader_conn = conn
                return True
        except Exception as error:
            log.warning("scheduler: the lock could not be asked for (%s)", type(error).__name__)
        await _close_quietly(conn)
        return False

    async def _still_leading(self) -> bool:
        conn = self._leader_conn
        return conn is not None and await connection_alive(conn)

    async def _drop_lead(self) -> None:
        if self._leader_conn is not None:
            await _close_quietly(self._leader_conn)
            self._leader_conn = None

    async def stop(self) -> None:
        if self._aps.running:
            self._aps.shutdown(wait=False)
        await self._drop_lead()


async def _close_quietly(conn: AsyncConnection) -> None:
    with contextlib.suppress(Exception):  # gone already: nothing to close
        await conn.close()


async def send_survey_invitations(runtime: Runtime) -> int:
    """Send the survey invitations due now (`bot.services.survey_invitations`); the count."""
    settings = runtime.settings
    rules = survey_invitations.SendingRules(
        min_interval=timedelta(days=settings.survey_min_interval_days),
        whatsapp_template=bool(settings.whatsapp_survey_template),
    )
    async with runtime.db.begin() as conn:
        sent = await survey_invitations.send_due(
            conn, now=runtime.clock.now(), translator=runtime.translator, rules=rules
        )
    if sent:
        runtime.sender.wake()
    return sent


async def remove_orphaned_media(runtime: Runtime) -> int:
    """Delete the files that joined no case within `PINTU_MEDIA_ORPHAN_DAYS`; how many."""
    retention = timedelta(days=runtime.settings.media_orphan_days)
    return await remove_orphans(
        runtime.db, runtime.settings.media_dir, before=runtime.clock.now() - retention
    )


async def raise_sla_alerts(runtime: Runtime) -> int:
    """Alert the breaches and SP2HP letters due now (`bot.duty.sla`); how many were raised."""
    group = runtime.duty.group
    async with runtime.db.begin() as conn:
        raised = await alert_breaches(
            conn,
            group=group,
            translator=runtime.translator,
            now=runtime.clock.now(),
            sp2hp_interval=timedelta(days=runtime.settings.sp2hp_interval_days),
        )
    if raised and group is not None:
        runtime.sender.wake()
    return len(raised)
