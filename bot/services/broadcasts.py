"""Sending broadcasts: the scheduler's job that turns a due broadcast into outbox rows.

A due broadcast (status scheduled or sending, `next_run_at` passed) is first
claimed with a conditional UPDATE that takes a lease, so no other scheduler
can run it at the same time. Its audience is then streamed in batches by
contact id (`cursor` holds the last one enqueued), one transaction a batch:
each recipient gets a `broadcast_recipients` row — unique per broadcast, run
and contact, inserted with ON CONFLICT DO NOTHING — and, only when that row
is new, its outbox row, in the same transaction as the cursor's advance. A
batch first re-checks that the broadcast is still this scheduler's, still
sending and still at the cursor it read (a pause, a cancel or another
scheduler makes that UPDATE change nothing, and the batch rolls back). So a
restart, or a second scheduler, goes on from `cursor` and nobody gets one
run twice; memory holds one batch, whatever the audience.

Copies go to the outbox at a low priority: a citizen's own conversation and
urgent messages always pass first. A WhatsApp citizen outside the 24-hour
window gets the approved broadcast template with the announcement as its
parameter, or is skipped (recipient status `skipped`) when none is
configured. When every copy is enqueued, a cron broadcast is scheduled for
its next fire time as run + 1; a one-off one is `done` once no copy is
left to send.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from bot.domain.clock import Clock
from bot.domain.i18n import Translator
from bot.domain.messages import Outbound
from bot.domain.surveys import invitation_message
from bot.outbox import delivery
from bot.outbox.queue import INSERT_ROW, outbox_rows
from bot.services import broadcast_audience, broadcast_control
from bot.services.broadcast_audience import Audience, Member
from bot.storage.direct import Tx, Writer, stored_time

log = logging.getLogger(__name__)

BROADCAST_PRIORITY = -10  # below a conversation's 0 and an emergency's 10
LEASE = timedelta(minutes=5)
TEMPLATE_PARAMETER_CHARS = 900  # Meta: a template body is at most 1024 characters

DUE = """SELECT id FROM broadcasts WHERE status IN ('scheduled', 'sending')
AND next_run_at <= :now ORDER BY next_run_at, id"""
CLAIM = """UPDATE broadcasts SET status = 'sending', claimed_until = :until, updated_at = :now,
run_started_at = COALESCE(run_started_at, :now)
WHERE id = :id AND status IN ('scheduled', 'sending') AND next_run_at <= :now
AND (claimed_until IS NULL OR claimed_until < :now)"""
CLAIMED = """SELECT message, survey_code, audience, cron, run, cursor, run_started_at
FROM broadcasts WHERE id = :id"""
# Still ours, still sending, still where we left it: the batch may go on.
HOLD = """UPDATE broadcasts SET claimed_until = :until
WHERE id = :id AND run = :run AND cursor = :cursor AND status = 'sending'"""
ADVANCE = "UPDATE broadcasts SET cursor = :cursor, updated_at = :now WHERE id = :id"
RELEASE = "UPDATE broadcasts SET claimed_until = NULL WHERE id = :id AND run = :run"
NEXT_RUN = """UPDATE broadcasts SET status = 'scheduled', run = run + 1, cursor = 0,
next_run_at = :next_run_at, run_started_at = NULL, claimed_until = NULL, updated_at = :now
WHERE id = :id AND run = :run AND status = 'sending'"""
DONE = """UPDATE broadcasts SET status = 'done', claimed_until = NULL, updated_at = :now
WHERE id = :id AND run = :run AND status = 'sending'"""
RECIPIENT = """INSERT INTO broadcast_recipients (broadcast_id, run, contact_id, status, created_at)
VALUES (:broadcast_id, :run, :contact_id, :status, :now)
ON CONFLICT (broadcast_id, run, contact_id) DO NOTHING RETURNING id"""
LINK = "UPDATE broadcast_recipients SET outbox_id = :outbox_id, status = :status WHERE id = :id"
INVITATION = """INSERT INTO survey_invitations (contact_id, survey_code, service, reason,
broadcast_id, status, due_at, sent_at, created_at)
VALUES (:contact_id, :survey_code, 'general', 'broadcast', :broadcast_id, 'sent', :now, :now, :now)
RETURNING id"""


class LostClaim(Exception):
    """The broadcast was paused, cancelled or taken over: this batch must not count."""


@dataclass(frozen=True, slots=True)
class _Run:
    """One claimed run of a broadcast, as its batches need it."""

    broadcast_id: int
    messages: dict[str, str]  # locale -> text
    survey_code: str | None
    audience: Audience
    cron: str | None
    run: int
    started: datetime


@dataclass(frozen=True, slots=True)
class _Batch:
    """What one batch did: copies enqueued, for the contacts from `first` to `last` (ids)."""

    enqueued: int
    first: int
    last: int


class BroadcastSender:
    def __init__(
        self,
        *,
        writer: Writer,
        clock: Clock,
        translator: Translator,
        channels: Collection[str],
        batch_size: int,
        whatsapp_template: str | None,
        timezone: str,
        on_committed: Callable[[], None],
        concurrent_writers: bool = False,
    ) -> None:
        self.writer = writer
        self.clock = clock
        self.translator = translator
        self.channels = tuple(channels)
        self.batch_size = batch_size
        self.whatsapp_template = whatsapp_template
        self.timezone = timezone
        self.on_committed = on_committed
        # PostgreSQL: other transactions commit while a batch runs (see `_recheck`).
        self.concurrent_writers = concurrent_writers

    async def run_due(self, *, max_batches: int | None = None) -> int:
        """Enqueue every due broadcast (at most `max_batches` batches each); recipients enqueued."""
        now = self.clock.now()
        due = await self.writer.run(
            lambda tx: [row[0] for row in tx.rows(DUE, {"now": tx.time(now)})]
        )
        total = 0
        for broadcast_id in due:
            total += await self._send(broadcast_id, max_batches)
        return total

    async def _send(self, broadcast_id: int, max_batches: int | None) -> int:
        claimed = await self.writer.run(partial(self._claim, broadcast_id=broadcast_id))
        if claimed is None:
            return 0
        run, cursor = claimed
        enqueued = batches = 0
        while max_batches is None or batches < max_batches:
            try:
                batch = await self.writer.run(partial(self._batch, run=run, cursor=cursor))
            except LostClaim:
                log.info("broadcast %s: paused, cancelled or taken over", broadcast_id)
                return enqueued
            if batch is None:  # the audience is exhausted
                await self.writer.run(partial(self._finish, run=run))
                return enqueued
            batches += 1
            enqueued += batch.enqueued
            if batch.enqueued and self.concurrent_writers:
                await self.writer.run(partial(self._recheck, run=run, batch=batch))
            if batch.enqueued:
                self.on_committed()
            cursor = batch.last
        await self.writer.run(partial(_release, run=run))  # stopped early: free to go on
        return enqueued

    def _claim(self, tx: Tx, *, broadcast_id: int) -> tuple[_Run, int] | None:
        now = self.clock.now()
        values = {"id": broadcast_id, "now": tx.time(now), "until": tx.time(now + LEASE)}
        if not tx.execute(CLAIM, values):
            return None
        message, survey_code, audience, cron, run, cursor, started = tx.rows(
            CLAIMED, {"id": broadcast_id}
        )[0]
        claimed = _Run(
            broadcast_id=broadcast_id,
            messages=json.loads(message),
            survey_code=survey_code,
            audience=Audience.from_json(audience),
            cron=cron,
            run=run,
            started=stored_time(started),
        )
        return claimed, cursor

    def _batch(self, tx: Tx, *, run: _Run, cursor: int) -> _Batch | None:
        now = self.clock.now()
        held = {"id": run.broadcast_id, "run": run.run, "cursor": cursor}
        if not tx.execute(HOLD, held | {"until": tx.time(now + LEASE)}):
            raise LostClaim
        members = broadcast_audience.batch(
            tx,
            run.audience,
            channels=self.channels,
            now=now,
            started=run.started,
            after=cursor,
            size=self.batch_size,
        )
        if not members:
            return None
        enqueued = sum(self._enqueue(tx, run, member, now) for member in members)
        last = members[-1].contact_id
        tx.execute(ADVANCE, {"id": run.broadcast_id, "cursor": last, "now": tx.time(now)})
        return _Batch(enqueued, members[0].contact_id, last)

    @staticmethod
    def _recheck(tx: Tx, *, run: _Run, batch: _Batch) -> None:
        """Withdraw the copies of who opted out while the batch was being written.

        Their opt-out could not see the batch's rows, nor the batch their
        opt-out; this later transaction sees both (before the copies are woken).
        """
        broadcast_control.withdraw_range(
            tx, run.broadcast_id, run.run, first=batch.first, last=batch.last
        )

    def _enqueue(self, tx: Tx, run: _Run, member: Member, now: datetime) -> bool:
        """One recipient's copy; False when they have it already, opted out, or are skipped."""
        outside = delivery.outside_window(
            member.channel,
            stored_time(member.last_inbound_at) if member.last_inbound_at else None,
            now,
        )
        if not member.opted_in:
            status = "opted_out"
        elif outside and not self.whatsapp_template:
            status = "skipped"
        else:
            status = "queued"
        values = {
            "broadcast_id": run.broadcast_id,
            "run": run.run,
            "contact_id": member.contact_id,
            "status": status,
            "now": tx.time(now),
        }
        created = tx.rows(RECIPIENT, values)
        if not created or status != "queued":
            return False
        message = self._message(tx, run, member, outside, now)
        rows = outbox_rows(
            contact_id=member.contact_id, channel=member.channel, message=message, now=now
        )
        outbox_id = 0
        for row in rows:
            row |= {"priority": BROADCAST_PRIORITY, "next_attempt_at": tx.time(now)}
            row["created_at"] = tx.time(now)
            outbox_id = tx.rows(INSERT_ROW + " RETURNING id", row)[0][0]
        tx.queued.add(member.channel)
        tx.execute(LINK, {"id": created[0][0], "outbox_id": outbox_id, "status": status})
        return True

    def _message(self, tx: Tx, run: _Run, member: Member, outside: bool, now: datetime) -> Outbound:
        """The copy in the recipient's language (else the other one written)."""
        locale = self.translator.supported(member.locale)
        text = run.messages.get(locale) or next(
            (each for each in run.messages.values() if each), ""
        )
        if outside:
            return template_notice(text)
        if run.survey_code is None:
            return Outbound(text=text)
        values = {
            "contact_id": member.contact_id,
            "survey_code": run.survey_code,
            "broadcast_id": run.broadcast_id,
            "now": tx.time(now),
        }
        invitation_id = tx.rows(INVITATION, values)[0][0]
        return invitation_message(
            self.translator, locale, run.survey_code, invitation_id, preface=text
        )

    def _finish(self, tx: Tx, *, run: _Run) -> None:
        """Every copy of the run is enqueued: the cron's next run, or done once all are out."""
        now = self.clock.now()
        values = {"id": run.broadcast_id, "run": run.run, "now": tx.time(now)}
        upcoming = broadcast_control.next_run(run.cron, self.timezone, now) if run.cron else None
        if upcoming is not None:
            tx.execute(NEXT_RUN, values | {"next_run_at": tx.time(upcoming)})
        elif broadcast_control.still_queued(tx, run.broadcast_id, run.run):
            _release(tx, run=run)
        else:
            tx.execute(DONE, values)


def _release(tx: Tx, *, run: _Run) -> None:
    tx.execute(RELEASE, {"id": run.broadcast_id, "run": run.run})


def template_notice(text: str) -> Outbound:
    """A copy for a citizen outside WhatsApp's window: the broadcast template, carrying
    the announcement as its parameter (one line: Meta refuses line breaks there)."""
    parameter = " ".join(text.split())[:TEMPLATE_PARAMETER_CHARS]
    return Outbound(
        text=text,
        meta={
            delivery.NOTICE: delivery.Notice.BROADCAST.value,
            delivery.REFERENCE: parameter,
            delivery.TEMPLATE: "1",
        },
    )
