"""The I/O around the pure engine, with group commit.

`handle` queues an inbound event and waits; a writer task takes every
event queued at that moment and runs them, in arrival order, in ONE
transaction (`bot.engine.hotpath.process` each), then answers all of them.
Nobody is answered before the commit, and a burst costs one commit instead
of one per event (DESIGN §4). If a batch fails, its events are retried one
by one, so one bad event cannot take others down with it.

There is one writer task per lane of the `Writer` (one on SQLite; several
on PostgreSQL, so batches overlap their round trips). A citizen's events
always go to the same lane, so they never interleave: they are handled in
arrival order there, and on PostgreSQL the contact row stays locked until
commit, which orders events across workers; batches lock contacts in a
fixed order (sorted here, touched in that order by one statement), so two
workers' batches cannot deadlock.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.domain.applications import ApplicationKind, LookupResult
from bot.domain.clock import Clock
from bot.domain.messages import Inbound
from bot.domain.references import new_reference
from bot.domain.sla import SlaPolicy
from bot.engine.core import Engine
from bot.engine.stored import state_from_json, state_to_json
from bot.engine.turn import Turn
from bot.ingress.hotpath import (
    Arrival,
    DutyAlerts,
    Handled,
    IdentityUnsettled,
    Setting,
    process_batch,
)
from bot.logs import described
from bot.media.store import MediaStore, StoredFile, Upload
from bot.outbox.queue import enqueue
from bot.services.faq import SELECT_FAQS, FaqCache, faqs_from_rows
from bot.storage.database import WriteGate, insert_ignoring_duplicates
from bot.storage.direct import Tx, Writer
from bot.storage.faults import is_unavailable
from bot.storage.tables import contacts, conversations, inbound_events

log = logging.getLogger(__name__)


MAX_BATCH = 256

__all__ = ["ConversationRunner", "Handled"]


@dataclass
class _Job:
    inbound: Inbound
    stored: StoredFile | None
    done: asyncio.Future[Handled] = field(repr=False)


@dataclass
class _Lane:
    number: int
    queue: list[_Job] = field(default_factory=list)
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None


class ConversationRunner:
    def __init__(
        self,
        *,
        db: AsyncEngine,
        writer: Writer,
        gate: WriteGate,
        engine: Engine,
        clock: Clock,
        media: MediaStore,
        default_locale: str,
        duty: DutyAlerts,
        sla: SlaPolicy,
        on_committed: Callable[[Collection[str]], None],
        internal_affairs: str = "propam",
    ) -> None:
        self.db = db
        self.writer = writer
        self.gate = gate
        self.engine = engine
        self.clock = clock
        self.media = media
        self.default_locale = default_locale
        self.duty = duty
        self.sla = sla
        self.internal_affairs = internal_affairs
        self.on_committed = on_committed
        self.faq = FaqCache()  # refreshed from the database inside the writer's transactions
        self._lanes = [_Lane(number) for number in range(writer.lanes)]

    async def handle(self, inbound: Inbound, upload: Upload | None = None) -> Handled:
        """Process one event exactly once (a redelivery is not processed again).

        Returns after the transaction that recorded it committed. An `upload`
        (a file that came with the event) is checked and stored first; raises
        `RejectedFile` when it is unacceptable, and nothing is recorded then.
        """
        stored = await asyncio.to_thread(self.media.store, upload) if upload else None
        job = _Job(inbound, stored, asyncio.get_running_loop().create_future())
        lane = self._lanes[hash((inbound.channel, inbound.sender_id)) % len(self._lanes)]
        lane.queue.append(job)
        lane.ready.set()
        if lane.task is None or lane.task.done():
            lane.task = asyncio.create_task(self._write_forever(lane), name="pintu-writer")
        return await job.done

    async def close(self) -> None:
        tasks = [lane.task for lane in self._lanes if lane.task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for lane in self._lanes:
            for job in lane.queue:
                job.done.cancel()
        await self.writer.close()

    async def _write_forever(self, lane: _Lane) -> None:
        while True:
            await lane.ready.wait()
            batch, lane.queue = lane.queue[:MAX_BATCH], lane.queue[MAX_BATCH:]
            if not lane.queue:
                lane.ready.clear()
            try:
                await self._commit(batch, lane.number)
            except Exception as error:  # the writer lives on, and nobody is left waiting
                log.error("inbound batch failed: %s", type(error).__name__)
                for job in batch:
                    if not job.done.done():
                        job.done.set_exception(error)

    async def _commit(self, batch: list[_Job], lane: int) -> None:
        ordered = sorted(batch, key=lambda job: (job.inbound.channel, job.inbound.sender_id))
        now = self.clock.now()

        def process(tx: Tx) -> tuple[list[Handled | IdentityUnsettled], set[str]]:
            return self._process_all(tx, ordered, now), tx.queued

        try:
            async with self.gate:
                results, queued = await self.writer.run(process, lane)
        except Exception as error:
            if is_unavailable(error):  # the database is away: every event waits for it
                for job in batch:
                    if not job.done.done():
                        job.done.set_exception(error)
                return
            if len(batch) > 1:
                for job in batch:  # isolate the event that failed
                    await self._commit([job], lane)
            elif not batch[0].done.done():
                log.error("inbound event could not be processed: %s", described(error))
                batch[0].done.set_exception(error)
            return
        for job, result in zip(ordered, results, strict=True):
            if job.done.done():
                continue
            if isinstance(result, IdentityUnsettled):
                job.done.set_exception(result)
            else:
                job.done.set_result(result)
        if queued:  # only those channels: a claim on each channel after every batch was a
            self.on_committed(queued)  # tenth of the CPU under load, mostly finding nothing

    def _process_all(
        self, tx: Tx, jobs: list[_Job], now: datetime
    ) -> list[Handled | IdentityUnsettled]:
        if self.faq.due(now):
            self.faq.update(faqs_from_rows(tx.rows(SELECT_FAQS, {})), now)
        setting = Setting(
            engine=self.engine,
            faq=self.faq.snapshot,
            now=now,
            default_locale=self.default_locale,
            duty=self.duty,
            sla=self.sla,
            internal_affairs=self.internal_affairs,
        )
        return process_batch(tx, [Arrival(job.inbound, job.stored) for job in jobs], setting)

    async def record_only(self, channel: str, event_id: str) -> bool:
        """Note an event that needs no answer (an edit, a channel post); False if seen before."""
        async with self.db.begin() as conn:
            return await insert_ignoring_duplicates(
                conn,
                inbound_events,
                {"channel": channel, "external_id": event_id, "received_at": self.clock.now()},
            )

    async def set_reachable(
        self, channel: str, event_id: str, external_id: str, *, reachable: bool
    ) -> None:
        """Record that a citizen blocked (or unblocked) pintu on their platform."""
        async with self.db.begin() as conn:
            fresh = await insert_ignoring_duplicates(
                conn,
                inbound_events,
                {"channel": channel, "external_id": event_id, "received_at": self.clock.now()},
            )
            if fresh:
                await conn.execute(
                    update(contacts)
                    .where(contacts.c.channel == channel, contacts.c.external_id == external_id)
                    .values(reachable=reachable)
                )

    async def expire_idle(self, idle_seconds: float) -> int:
        """End every flow idle for longer than `idle_seconds`, telling each citizen.

        Each conversation is claimed with a conditional update on its
        `updated_at`, so a citizen who writes meanwhile keeps their form.
        """
        now = self.clock.now()
        cutoff = now - timedelta(seconds=idle_seconds)
        expired = 0
        queued: set[str] = set()
        async with self.db.begin() as conn:
            rows = await conn.execute(
                select(
                    conversations.c.contact_id,
                    conversations.c.state,
                    conversations.c.updated_at,
                    contacts.c.locale,
                    contacts.c.channel,
                )
                .join(contacts, contacts.c.id == conversations.c.contact_id)
                .where(
                    conversations.c.active_flow.is_not(None),
                    conversations.c.updated_at < cutoff,
                )
                .limit(500)
            )
            for row in rows.all():
                turn = Turn(
                    now=now,
                    locale=row.locale,
                    first_contact=False,
                    open_cases=(),
                    new_reference=new_reference,
                    faq=self.faq.snapshot,
                    lookup=_no_lookups,
                )
                reply = self.engine.expire(state_from_json(row.state), turn)
                claimed = await conn.execute(
                    update(conversations)
                    .where(
                        conversations.c.contact_id == row.contact_id,
                        conversations.c.updated_at == row.updated_at,
                    )
                    .values(state=state_to_json(reply.state), active_flow=None, updated_at=now)
                )
                if not claimed.rowcount:
                    continue
                if reply.messages:
                    queued.add(row.channel)
                for message in reply.messages:
                    await enqueue(
                        conn,
                        contact_id=row.contact_id,
                        channel=row.channel,
                        message=message,
                        now=now,
                    )
                expired += 1
        if queued:
            self.on_committed(queued)
        return expired


def _no_lookups(kind: ApplicationKind, number: str, born: date) -> LookupResult:
    raise RuntimeError("an idle conversation's expiry looks nothing up")
