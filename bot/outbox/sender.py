"""The outbox sender: claims due rows, sends them through their channel, records the outcome.

Rows are claimed atomically (PostgreSQL ``FOR UPDATE SKIP LOCKED``; on SQLite
one process owns each channel), so no two workers send the same row. A
contact's messages leave in order: a row waits while an older row to the same
contact is unsent. A row whose send outcome is unknown (the process died
while sending) is sent again after its lease; a send the platform
acknowledged or refused is never repeated. A failure the platform reports
later (a status webhook) is recorded here too, as if the send had raised it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Exists, Row, Select, and_, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot import delivery
from bot.clock import Clock
from bot.deadletters import bury
from bot.handlers.base import (
    ChannelHandler,
    ContactUnreachable,
    OutsideWindow,
    PermanentFailure,
    Recipient,
    SendError,
    SendReceipt,
    Skipped,
    TemporaryFailure,
    Throttled,
)
from bot.messages import Outbound
from bot.outbox.queue import outbox
from bot.storage.database import WriteGate, is_postgresql, reading
from bot.storage.models import Contact

log = logging.getLogger(__name__)

contacts = Contact.__table__  # type: ignore[attr-defined]

LEASE = timedelta(minutes=2)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int
    backoff_base: float
    backoff_max: float

    def backoff(self, attempt: int) -> float:
        """Seconds before attempt `attempt + 1`: exponential, capped, with jitter."""
        delay: float = min(self.backoff_max, self.backoff_base * 2 ** max(0, attempt - 1))
        return delay * random.uniform(0.8, 1.2)


@dataclass(frozen=True, slots=True)
class _Claimed:
    row_id: int
    case_message_id: int | None
    attempts: int
    payload: str
    recipient: Recipient


Outcome = SendReceipt | SendError


class OutboxSender:
    def __init__(
        self,
        *,
        db: AsyncEngine,
        handlers: Mapping[str, ChannelHandler],
        clock: Clock,
        policy: RetryPolicy,
        poll_seconds: float,
        gate: WriteGate,
        batch_size: int = 50,
    ) -> None:
        self.db = db
        self.handlers = handlers
        self.clock = clock
        self.policy = policy
        self.poll_seconds = poll_seconds
        self.gate = gate
        self.batch_size = batch_size
        self.sent_listeners: list[Callable[[set[int]], None]] = []
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Ask for a pass now (called right after a transaction that enqueued)."""
        self._wake.set()

    async def run_forever(self) -> None:
        while True:
            try:
                done = await self.send_due()
            except Exception:
                log.exception("outbox pass failed; retrying after the poll interval")
                done = 0
            if done:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.poll_seconds)
            self._wake.clear()

    async def send_due(self) -> int:
        """Claim and send one batch of due rows; the number of rows claimed.

        Each contact's rows go out one after the other, in order; different
        contacts are served concurrently. When a send does not succeed, the
        contact's later rows are put back untouched, to keep their order.
        """
        if not self.handlers:
            return 0
        claimed = await self._claim()
        if not claimed:
            return 0
        per_contact: dict[int, list[_Claimed]] = {}
        for item in claimed:
            per_contact.setdefault(item.recipient.contact_id, []).append(item)
        groups = await asyncio.gather(*(self._send_in_order(rows) for rows in per_contact.values()))
        results = [result for group in groups for result in group]
        await self._record(results)
        sent_to = {item.recipient.contact_id for item, o in results if isinstance(o, SendReceipt)}
        for listener in self.sent_listeners:
            listener(sent_to)
        return len(claimed)

    async def _send_in_order(self, rows: list[_Claimed]) -> list[tuple[_Claimed, Outcome | None]]:
        results: list[tuple[_Claimed, Outcome | None]] = []
        for item in rows:
            outcome = await self._send(item)
            results.append((item, outcome))
            if not isinstance(outcome, SendReceipt):
                results.extend((later, None) for later in rows[len(results) :])
                break
        return results

    async def _send(self, item: _Claimed) -> Outcome:
        handler = self.handlers[item.recipient.channel]
        try:
            return await handler.send(item.recipient, Outbound.from_json(item.payload))
        except SendError as error:
            return error
        except Exception as error:  # a handler bug must not stop the queue
            log.exception("outbox row %s: unexpected send error", item.row_id)
            return TemporaryFailure(f"unexpected {type(error).__name__}")

    async def _claim(self) -> list[_Claimed]:
        now = self.clock.now()
        async with self.gate, self.db.begin() as conn:
            await conn.execute(
                update(outbox)
                .where(outbox.c.status == "sending", outbox.c.claimed_until < now)
                .values(status="pending")
            )
            ids = await self._due_ids(conn, now)
            if not ids:
                return []
            await conn.execute(
                update(outbox)
                .where(outbox.c.id.in_(ids))
                .values(status="sending", claimed_until=now + LEASE, attempts=outbox.c.attempts + 1)
            )
            rows = await conn.execute(
                _rows_to_send()
                .where(outbox.c.id.in_(ids))
                .order_by(outbox.c.priority.desc(), outbox.c.id)
            )
            return [_claimed(row) for row in rows]

    async def record_late_failure(
        self,
        conn: AsyncConnection,
        *,
        channel: str,
        external_message_id: str,
        failure: Callable[[Recipient], SendError],
    ) -> bool:
        """A message the platform accepted has failed after all (a status webhook said so).

        The row it was sent as is treated as if its send had raised
        ``failure(recipient)``: retried, held, or buried. False when no sent
        row has that platform id (then nothing changes).
        """
        found = (
            await conn.execute(
                _rows_to_send()
                .where(
                    outbox.c.channel == channel,
                    outbox.c.external_message_id == external_message_id,
                    outbox.c.status == "sent",
                )
                .limit(1)
            )
        ).one_or_none()
        if found is None:
            return False
        item = _claimed(found)
        await self._record_one(conn, item, failure(item.recipient), self.clock.now())
        return True

    async def backlog(self) -> int:
        """Rows that could be sent now or are being sent (for monitoring, and for tests).

        One statement, so one snapshot: a row waiting behind one being sent counts
        (it is due the moment that send ends), else a send that ended between two
        reads would hide it.
        """
        now = self.clock.now()
        sendable = or_(
            outbox.c.status == "sending",
            and_(
                outbox.c.status == "pending",
                outbox.c.next_attempt_at <= now,
                outbox.c.channel.in_(list(self.handlers)),
                ~self._behind(now, in_flight=False),
            ),
        )
        async with reading(self.db) as conn:
            count = await conn.scalar(select(func.count()).select_from(outbox).where(sendable))
        return int(count or 0)

    async def _due_ids(self, conn: AsyncConnection, now: datetime) -> list[int]:
        query = self._due(now).limit(self.batch_size)
        if is_postgresql(conn):
            query = query.with_for_update(skip_locked=True, of=outbox)
        return list((await conn.execute(query)).scalars())

    def _due(self, now: datetime) -> Select[int]:
        """Pending rows whose time has come and that wait behind no earlier row."""
        return (
            select(outbox.c.id)
            .where(
                outbox.c.status == "pending",
                outbox.c.next_attempt_at <= now,
                outbox.c.channel.in_(list(self.handlers)),
                ~self._behind(now, in_flight=True),
            )
            .order_by(outbox.c.priority.desc(), outbox.c.id)
        )

    @staticmethod
    def _behind(now: datetime, *, in_flight: bool) -> Exists:
        """Whether an earlier row to the same contact holds this one back: one not
        yet due, or (with `in_flight`) one being sent."""
        earlier = outbox.alias("earlier")
        holding = and_(earlier.c.status == "pending", earlier.c.next_attempt_at > now)
        if in_flight:
            holding = or_(earlier.c.status == "sending", holding)
        return exists().where(
            and_(
                earlier.c.contact_id == outbox.c.contact_id,
                earlier.c.id < outbox.c.id,
                holding,
            )
        )

    async def _record(self, results: list[tuple[_Claimed, Outcome | None]]) -> None:
        now = self.clock.now()
        async with self.gate, self.db.begin() as conn:
            for item, outcome in results:
                await self._record_one(conn, item, outcome, now)

    async def _record_one(
        self, conn: AsyncConnection, item: _Claimed, outcome: Outcome | None, now: datetime
    ) -> None:
        """Turn one send's outcome into the row's next state (None: not attempted)."""
        row = outbox.c.id == item.row_id
        if outcome is None:
            await conn.execute(
                update(outbox).where(row).values(status="pending", attempts=item.attempts - 1)
            )
            return
        if isinstance(outcome, SendReceipt):
            await conn.execute(
                update(outbox)
                .where(row)
                .values(status="sent", sent_at=now, external_message_id=outcome.external_id)
            )
            await self._set_delivery(conn, item, "sent")
            return
        log.info("outbox row %s: %s", item.row_id, type(outcome).__name__)
        if isinstance(outcome, OutsideWindow):
            await conn.execute(
                update(outbox)
                .where(row)
                .values(attempts=item.attempts - 1, last_error=outcome.reason)
            )
            await delivery.hold(conn, row_id=item.row_id, now=now)
        elif isinstance(outcome, Skipped):
            await conn.execute(
                update(outbox).where(row).values(status="skipped", last_error=outcome.reason)
            )
        elif isinstance(outcome, Throttled):
            retry_at = now + timedelta(seconds=outcome.retry_after)
            values: dict[str, Any] = {
                "status": "pending",
                "next_attempt_at": retry_at,
                "attempts": item.attempts - 1,  # waiting as told is no failed attempt
                "last_error": outcome.reason,
            }
            await conn.execute(update(outbox).where(row).values(**values))
        elif isinstance(outcome, TemporaryFailure) and item.attempts < self.policy.max_attempts:
            retry_at = now + timedelta(seconds=self.policy.backoff(item.attempts))
            await conn.execute(
                update(outbox)
                .where(row)
                .values(status="pending", next_attempt_at=retry_at, last_error=outcome.reason)
            )
        elif isinstance(outcome, ContactUnreachable):
            await conn.execute(
                update(outbox).where(row).values(status="failed", last_error=outcome.reason)
            )
            await conn.execute(
                update(contacts)
                .where(contacts.c.id == item.recipient.contact_id)
                .values(reachable=False)
            )
            await self._set_delivery(conn, item, "undeliverable")
        else:
            await self._bury(conn, item, outcome, now)

    async def _bury(
        self, conn: AsyncConnection, item: _Claimed, outcome: SendError, now: datetime
    ) -> None:
        """Give up on a row: permanent refusal, or retries exhausted."""
        reason = outcome.reason
        if not isinstance(outcome, PermanentFailure):
            reason = f"gave up after {item.attempts} attempts: {reason}"
        await conn.execute(
            update(outbox)
            .where(outbox.c.id == item.row_id)
            .values(status="dead", last_error=reason)
        )
        await bury(
            conn,
            source=f"outbox:{item.recipient.channel}:{item.row_id}",
            reason=reason,
            payload=item.payload,
            now=now,
        )
        await self._set_delivery(conn, item, "failed")

    async def _set_delivery(self, conn: AsyncConnection, item: _Claimed, status: str) -> None:
        if item.case_message_id is not None:
            notice = delivery.is_notice(Outbound.from_json(item.payload))
            await delivery.advance(conn, item.case_message_id, status, notice=notice)


def _rows_to_send() -> Select[Any]:
    """Outbox rows with what sending them needs to know about the recipient."""
    return select(
        outbox.c.id,
        outbox.c.case_message_id,
        outbox.c.attempts,
        outbox.c.payload,
        outbox.c.channel,
        contacts.c.id.label("contact_id"),
        contacts.c.external_id,
        contacts.c.phone,
        contacts.c.locale,
    ).join(contacts, contacts.c.id == outbox.c.contact_id)


def _claimed(row: Row[Any]) -> _Claimed:
    return _Claimed(
        row_id=row.id,
        case_message_id=row.case_message_id,
        attempts=row.attempts,
        payload=row.payload,
        recipient=Recipient(
            contact_id=row.contact_id,
            channel=row.channel,
            external_id=row.external_id,
            phone=row.phone,
            locale=row.locale,
        ),
    )
