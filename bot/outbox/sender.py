"""The outbox sender: claims due rows, sends them through their channel, records the outcome.

Rows are claimed atomically (PostgreSQL ``FOR UPDATE SKIP LOCKED``; on SQLite
one process owns the database), so no two workers send the same row; and one
worker at a time sends each platform channel (`bot.outbox.ownership`), so the
deployment keeps the platform's rate. A
contact's messages leave in order: a row waits while an older row to the same
contact is unsent. A row whose send outcome is unknown (the process died
while sending) is sent again after its lease; a send the platform
acknowledged or refused is never repeated. A failure the platform reports
later (a status webhook) is recorded here too, as if the send had raised it.

Each channel is served by a loop of its own, so one platform's pace never
holds back another's sends; and within a channel one recipient never holds
back another's: each contact's rows go out in a task of their own, and the
loop claims more as soon as any send ends (no batch waits for its slowest
send). A platform that is down for everyone costs no row its attempts
(`bot.outbox.retries.Outage`).

Claims and outcomes are short transactions of plain SQL on the hot path's
`Writer` (`bot.storage.direct`): on SQLite they take turns with the webhook
batches in the writer's thread instead of competing for the write lock, and
cost microseconds a statement instead of SQLAlchemy's async machinery.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import heapq
import logging
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.domain.channel import (
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
from bot.domain.clock import Clock
from bot.domain.messages import Outbound
from bot.logs import correlated
from bot.outbox import delivery
from bot.outbox.deadletters import bury
from bot.outbox.ownership import SendingRights, SoleSender
from bot.outbox.retries import Outage, Outcome, RetryPolicy
from bot.storage.database import WriteGate, is_postgresql, reading
from bot.storage.direct import Params, Row, Tx, Writer, run_on

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)
# Rows whose lease ran out (a worker died mid-send) are taken back at a claim at most
# this often: a claim runs at every commit that enqueued, and leases last minutes.
RECOVER_EVERY = timedelta(seconds=1)
CANDIDATES = 4  # due rows read per row claimed, to share a batch fairly among contacts

RECOVER = """UPDATE outbox SET status = 'pending'
WHERE status = 'sending' AND claimed_until < :now"""
TAKE_BACK = "UPDATE outbox SET status = 'pending' WHERE status = 'sending' AND channel = :channel"
SHORTEN_LEASES = """UPDATE outbox SET claimed_until = :soon
WHERE status = 'sending' AND channel = :channel AND claimed_until > :soon"""
# Whether an earlier row to the same contact holds this one back: one not yet
# due, or (when claiming: {sending}) one being sent.
# Only unsent rows are read, through `ix_outbox_unsent_by_contact` (its condition is
# repeated here so that SQLite takes it too), never the contact's whole history. On
# PostgreSQL the subquery is fenced ({fence}: OFFSET 0), so it stays a lookup by contact
# for each row: a plan made before the table was first analysed read every unsent row.
_BEHIND = """EXISTS (SELECT 1 FROM outbox earlier
WHERE earlier.contact_id = outbox.contact_id AND earlier.id < outbox.id
AND earlier.status IN ('pending', 'sending')
AND ({sending}earlier.status = 'pending' AND earlier.next_attempt_at > :now){fence})"""
_DUE = """outbox.status = 'pending' AND outbox.next_attempt_at <= :now
AND outbox.channel {channels} AND NOT """
# One channel at a time, in the order of `ix_outbox_queue`: a short index walk
# that stops at the limit, where several channels at once sort the whole backlog.
DUE = """SELECT outbox.id, outbox.contact_id FROM outbox WHERE {due}
ORDER BY outbox.priority DESC, outbox.id LIMIT :limit"""
BACKLOG = "SELECT count(*) FROM outbox WHERE outbox.status = 'sending' OR ({due})"
CLAIM = """UPDATE outbox SET status = 'sending', claimed_until = :until, attempts = attempts + 1
WHERE id IN ({ids})"""
ROWS = """SELECT outbox.id, outbox.case_message_id, outbox.attempts, outbox.payload,
outbox.channel, contacts.id, contacts.external_id, contacts.phone, contacts.locale
FROM outbox {contacts} WHERE """
# Each row's contact, looked up by its id; on PostgreSQL fenced like `_BEHIND`: as a plain
# join, a plan made before the tables were first analysed hashed every contact.
JOINED = "JOIN contacts ON contacts.id = outbox.contact_id"
LOOKED_UP = """CROSS JOIN LATERAL (SELECT c.id, c.external_id, c.phone, c.locale FROM contacts c
WHERE c.id = outbox.contact_id OFFSET 0) contacts"""
CLAIMED = "outbox.id IN ({ids}) ORDER BY outbox.priority DESC, outbox.id"
SENT_AS = """outbox.channel = :channel AND outbox.external_message_id = :external_message_id
AND outbox.status = 'sent' LIMIT 1"""
SENT = """UPDATE outbox SET status = 'sent', sent_at = :now,
external_message_id = :external_id WHERE id = :row_id"""
PUT_BACK = "UPDATE outbox SET status = 'pending', attempts = :attempts WHERE id = :row_id"
NOTED = "UPDATE outbox SET attempts = :attempts, last_error = :error WHERE id = :row_id"
RETRY = """UPDATE outbox SET status = 'pending', next_attempt_at = :at, attempts = :attempts,
last_error = :error WHERE id = :row_id"""
ENDED = "UPDATE outbox SET status = :status, last_error = :error WHERE id = :row_id"
UNREACHABLE = "UPDATE contacts SET reachable = :no WHERE id = :contact_id"


@dataclass(frozen=True, slots=True)
class _Claimed:
    row_id: int
    case_message_id: int | None
    attempts: int
    payload: str
    recipient: Recipient


# A claimed row with how its send ended (None: not attempted) and when it ended.
Result = tuple[_Claimed, Outcome | None, datetime]


class OutboxSender:
    def __init__(
        self,
        *,
        db: AsyncEngine,
        writer: Writer,
        handlers: Mapping[str, ChannelHandler],
        clock: Clock,
        policy: RetryPolicy,
        poll_seconds: float,
        gate: WriteGate,
        batch_size: int = 50,
        rights: SendingRights | None = None,
    ) -> None:
        self.db = db
        self.writer = writer
        self.handlers = handlers
        self.clock = clock
        self.policy = policy
        self.poll_seconds = poll_seconds
        self.gate = gate
        self.batch_size = batch_size
        self.sent_listeners: list[Callable[[set[int]], None]] = []
        self.rights = rights or SoleSender()
        self._wakes = {name: asyncio.Event() for name in handlers}
        self._in_flight = dict.fromkeys(handlers, 0)  # rows claimed by `_run`, not yet recorded
        self._unrecorded: dict[str, list[Result]] = {name: [] for name in handlers}
        self._recording = {name: asyncio.Lock() for name in handlers}
        self._outages = {name: Outage() for name in handlers}
        # until when (event loop time, as the pacers count) `_run` claims nothing
        self._paused_until = dict.fromkeys(handlers, 0.0)
        # when rows put back for a retry fall due, per channel (heaps)
        self._retries: dict[str, list[datetime]] = {name: [] for name in handlers}
        self._recovered_at: datetime | None = None
        self._channels = {f"channel{n}": name for n, name in enumerate(handlers)}
        postgresql = is_postgresql(db)
        fence = " OFFSET 0" if postgresql else ""  # SQLite has no OFFSET without a LIMIT
        in_flight = _BEHIND.format(sending="earlier.status = 'sending' OR ", fence=fence)
        self._due_sql = DUE.format(due=_DUE.format(channels="= :channel") + in_flight)
        if postgresql:
            self._due_sql += " FOR UPDATE OF outbox SKIP LOCKED"
        listed = ", ".join(f":{key}" for key in self._channels) or "NULL"
        due = _DUE.format(channels=f"IN ({listed})") + _BEHIND.format(sending="", fence=fence)
        self._backlog_sql = BACKLOG.format(due=due)
        rows = ROWS.format(contacts=LOOKED_UP if postgresql else JOINED)
        self._claimed_sql, self._sent_as_sql = rows + CLAIMED, rows + SENT_AS

    def wake(self, channels: Collection[str] | None = None) -> None:
        """Ask for a pass on `channels` (None: all) now, called right after a transaction
        that enqueued; and in the workers that hold the channels this one does not."""
        for channel, event in self._wakes.items():
            if channels is None or channel in channels:
                event.set()
        self.rights.wake_others()

    def next_retry(self) -> datetime | None:
        """When the earliest row this sender put back for a retry falls due, if any."""
        return min((heap[0] for heap in self._retries.values() if heap), default=None)

    def _idle_seconds(self, channel: str) -> float:
        """How long to wait for a wake-up: the poll interval, or less when a retry falls due.

        A throttled row is sent when its retry-after has passed, not at the
        next poll after that.
        """
        paused = self._paused_until[channel] - _monotonic()
        if paused > 0:
            return paused
        heap = self._retries[channel]
        if not heap:
            return self.poll_seconds
        due = (heap[0] - self.clock.now()).total_seconds()
        return max(0.0, min(self.poll_seconds, due))

    async def run_forever(self) -> None:
        """One loop per channel, each while this process holds the channel's sending
        (`bot.outbox.ownership`): one platform's pace never holds back another's sends."""
        if not self.handlers:
            await asyncio.Event().wait()  # nothing to send, ever: wait to be cancelled
        await asyncio.gather(
            *(
                self.rights.serve(
                    channel, functools.partial(self._run, channel), self._wakes[channel].set
                )
                for channel in self.handlers
            )
        )

    async def _run(self, channel: str) -> None:
        """Keep up to `batch_size` of `channel`'s rows in flight, claiming more as sends end.

        Each contact's claimed rows go out in a task of their own, and each
        task records its outcomes when it ends: a send that hangs (a slow
        platform answer for one chat) or waits for the channel's pace holds
        its own contact back, never the rows claimed after it for others.
        """
        wake = self._wakes[channel]
        await self._take_back_leases(channel)
        flights: set[asyncio.Task[None]] = set()
        try:
            while True:
                wake.clear()
                room = self.batch_size - self._in_flight[channel]
                paused = self._paused_until[channel] > _monotonic()
                claimed = await self._claim_safely(channel, room) if room > 0 and not paused else []
                for rows in _per_contact(claimed):
                    self._in_flight[channel] += len(rows)
                    flight = asyncio.create_task(self._deliver(channel, rows))
                    flights.add(flight)
                    flight.add_done_callback(flights.discard)
                if claimed:
                    continue
                # `asyncio.timeout`, not `wait_for`: on Python 3.11 `wait_for` swallows a
                # cancellation that arrives as the event is set, and the sender would never stop.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self._idle_seconds(channel)):
                        await wake.wait()
        finally:
            for flight in flights:
                flight.cancel()
            await asyncio.gather(*flights, return_exceptions=True)
            self._in_flight[channel] = 0

    async def _claim_safely(self, channel: str, room: int) -> list[_Claimed]:
        try:
            return await self._claim_due(channel, room)
        except Exception as error:  # the database away, say: the loop must live on
            log.error(
                "outbox claim failed (%s); retrying after the poll interval", type(error).__name__
            )
            await asyncio.sleep(self.poll_seconds)  # not at once: a retry due now would spin
            return []

    async def _take_back_leases(self, channel: str) -> None:
        """Rows leased before this process sends `channel` were leased by one that is
        gone (killed mid-send, say): due again now where this process is the only
        sender (SQLite), or after the handover's grace (`SendingRights.lease_grace`),
        not when their two-minute lease runs out.
        """
        grace = self.rights.lease_grace(channel)
        if grace is None:
            return
        now = self.clock.now()

        def take_back(tx: Tx) -> None:
            if grace:
                values = {"channel": channel, "soon": tx.time(now + grace)}
                tx.execute(SHORTEN_LEASES, values)
            else:
                tx.execute(TAKE_BACK, {"channel": channel})

        try:
            async with self.gate:
                await self.writer.run(take_back)
        except Exception as error:  # the database away: the lease takes them back later
            log.error("outbox leases not taken back (%s)", type(error).__name__)

    async def _deliver(self, channel: str, rows: list[_Claimed]) -> None:
        """Send one contact's claimed rows in order, then record how they ended.

        A send refused under the channel's own limit pauses the claiming until
        the limit allows again: claiming more meanwhile would only see them
        refused too, as fast as the loop can turn.
        """
        try:
            results = await self._send_in_order(rows)
            for _, outcome, _ in results:
                if isinstance(outcome, Throttled) and outcome.channel_wide:
                    until = _monotonic() + outcome.retry_after
                    self._paused_until[channel] = max(self._paused_until[channel], until)
            await self._settle(channel, results)
        finally:
            self._in_flight[channel] -= len(rows)
            self._wakes[channel].set()  # room for more, and this contact's next rows

    async def _settle(self, channel: str, results: list[Result]) -> None:
        """Record `results` with whatever else ended meanwhile, in one transaction.

        While one recording runs, outcomes that end pile up and the next
        recording takes them all (group commit). A failed recording keeps them
        for the next try: an acknowledged send must not be sent again when its
        lease runs out.
        """
        self._unrecorded[channel].extend(results)
        while self._unrecorded[channel]:
            async with self._recording[channel]:
                batch, self._unrecorded[channel] = self._unrecorded[channel], []
                if not batch:
                    return
                try:
                    await self._store(channel, batch)
                except Exception:
                    log.exception("outbox outcomes not recorded; trying again")
                    self._unrecorded[channel][:0] = batch
                    await asyncio.sleep(self.poll_seconds)

    async def send_due(self) -> int:
        """One pass on every channel at once; the number of rows claimed."""
        return sum(await asyncio.gather(*(self.send_due_on(name) for name in self.handlers)))

    async def send_due_on(self, channel: str) -> int:
        """Claim and send one batch of `channel`'s due rows; the number of rows claimed.

        Each contact's rows go out one after the other, in order; different
        contacts are served concurrently. When a send does not succeed, the
        contact's later rows are put back untouched, to keep their order.
        (One pass that ends when its batch has: the background loop, `_run`,
        does not wait for a batch.)
        """
        claimed = await self._claim_due(channel, self.batch_size)
        if not claimed:
            return 0
        groups = await asyncio.gather(
            *(self._send_in_order(rows) for rows in _per_contact(claimed))
        )
        await self._store(channel, [result for group in groups for result in group])
        return len(claimed)

    async def _claim_due(self, channel: str, limit: int) -> list[_Claimed]:
        now = self.clock.now()
        heap = self._retries[channel]
        while heap and heap[0] <= now:  # due now: this claim takes them
            heapq.heappop(heap)
        recover = self._recovered_at is None or now - self._recovered_at >= RECOVER_EVERY
        if recover:
            self._recovered_at = now
        async with self.gate:
            return await self.writer.run(
                lambda tx: self._claim(tx, now, channel, limit, recover=recover)
            )

    async def _store(self, channel: str, results: list[Result]) -> None:
        """Record outcomes, remember when retries fall due, tell the listeners who got mail."""
        async with self.gate:
            retries = await self.writer.run(lambda tx: self._record(tx, results))
        for retry_at in retries:  # here, not in the writer's thread: the heap is the loop's
            heapq.heappush(self._retries[channel], retry_at)
        sent_to = {
            item.recipient.contact_id
            for item, outcome, _ in results
            if isinstance(outcome, SendReceipt)
        }
        for listener in self.sent_listeners:
            listener(sent_to)

    async def _send_in_order(self, rows: list[_Claimed]) -> list[Result]:
        """One contact's rows in order, each with the time its outcome came.

        A retry is counted from that time, not from the end of the batch:
        another contact's slow send must not lengthen this one's retry-after.
        """
        results: list[Result] = []
        for item in rows:
            outcome = await self._send(item)
            ended = self.clock.now()
            results.append((item, outcome, ended))
            if not isinstance(outcome, SendReceipt):
                results.extend((later, None, ended) for later in rows[len(results) :])
                break
        return results

    async def _send(self, item: _Claimed) -> Outcome:
        with correlated(f"outbox-{item.row_id}"):  # the send's log lines, found together
            outcome = await self._attempt(item)
        return self._outages[item.recipient.channel].judge(item.row_id, outcome, self.policy)

    async def _attempt(self, item: _Claimed) -> Outcome:
        handler = self.handlers[item.recipient.channel]
        try:
            return await handler.send(item.recipient, Outbound.from_json(item.payload))
        except SendError as error:
            return error
        except Exception as error:  # a handler bug must not stop the queue
            log.exception("outbox row %s: unexpected send error", item.row_id)
            return TemporaryFailure(f"unexpected {type(error).__name__}")

    def _claim(
        self, tx: Tx, now: datetime, channel: str, limit: int, *, recover: bool
    ) -> list[_Claimed]:
        """Take back rows whose lease ran out (when `recover`), then lease up to `limit`
        due rows."""
        at = tx.time(now)
        if recover:
            tx.execute(RECOVER, {"now": at})
        values = {"now": at, "limit": limit * CANDIDATES, "channel": channel}
        chosen = fair_share(tx.rows(self._due_sql, values), limit)
        ids = {f"id{n}": row_id for n, row_id in enumerate(chosen)}
        if not ids:
            return []
        placeholders = ", ".join(f":{key}" for key in ids)
        tx.execute(CLAIM.format(ids=placeholders), {"until": tx.time(now + LEASE)} | ids)
        claimed = self._claimed_sql.format(ids=placeholders)
        return [_claimed(row) for row in tx.rows(claimed, ids)]

    def record_late_failure(
        self,
        tx: Tx,
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
        values = {"channel": channel, "external_message_id": external_message_id}
        found = tx.rows(self._sent_as_sql, values)
        if not found:
            return False
        item = _claimed(found[0])
        self._record_one(tx, item, failure(item.recipient), self.clock.now())
        return True

    async def backlog(self) -> int:
        """Rows that could be sent now or are being sent (for monitoring, and for tests).

        One statement, so one snapshot: a row waiting behind one being sent counts
        (it is due the moment that send ends), else a send that ended between two
        reads would hide it.
        """
        now = self.clock.now()

        def count(tx: Tx) -> int:
            return int(tx.rows(self._backlog_sql, {"now": tx.time(now)} | self._channels)[0][0])

        async with reading(self.db) as conn:
            return await run_on(conn, count)

    def _record(self, tx: Tx, results: list[Result]) -> list[datetime]:
        """Record the outcomes; when the rows put back for a retry fall due."""
        retries = (self._record_one(tx, item, outcome, ended) for item, outcome, ended in results)
        return [retry_at for retry_at in retries if retry_at is not None]

    def _record_one(
        self, tx: Tx, item: _Claimed, outcome: Outcome | None, now: datetime
    ) -> datetime | None:
        """Turn one send's outcome into the row's next state (None: not attempted).

        Returns when the row is due again if it was put back for a retry.
        """
        row: Params = {"row_id": item.row_id}
        if outcome is None:
            tx.execute(PUT_BACK, row | {"attempts": item.attempts - 1})
            return None
        if isinstance(outcome, SendReceipt):
            tx.execute(SENT, row | {"now": tx.time(now), "external_id": outcome.external_id})
            self._set_delivery(tx, item, "sent")
            return None
        log.info("outbox row %s: %s", item.row_id, type(outcome).__name__)
        failed = row | {"error": outcome.reason}
        if isinstance(outcome, OutsideWindow):
            tx.execute(NOTED, failed | {"attempts": item.attempts - 1})
            delivery.hold(tx, row_id=item.row_id, now=now)
        elif isinstance(outcome, Skipped):
            tx.execute(ENDED, failed | {"status": "skipped"})
        elif isinstance(outcome, Throttled):
            retry_at = now + timedelta(seconds=outcome.retry_after)
            # waiting as told is no failed attempt
            values = {"at": tx.time(retry_at), "attempts": item.attempts - 1}
            tx.execute(RETRY, failed | values)
            return retry_at
        elif isinstance(outcome, TemporaryFailure) and item.attempts < self.policy.max_attempts:
            retry_at = now + timedelta(seconds=self.policy.backoff(item.attempts))
            tx.execute(RETRY, failed | {"at": tx.time(retry_at), "attempts": item.attempts})
            return retry_at
        elif isinstance(outcome, ContactUnreachable):
            tx.execute(ENDED, failed | {"status": "failed"})
            tx.execute(UNREACHABLE, {"no": False, "contact_id": item.recipient.contact_id})
            self._set_delivery(tx, item, "undeliverable")
        else:
            self._bury(tx, item, outcome, now)
        return None

    def _bury(self, tx: Tx, item: _Claimed, outcome: SendError, now: datetime) -> None:
        """Give up on a row: permanent refusal, or retries exhausted."""
        reason = outcome.reason
        if not isinstance(outcome, PermanentFailure):
            reason = f"gave up after {item.attempts} attempts: {reason}"
        tx.execute(ENDED, {"row_id": item.row_id, "status": "dead", "error": reason})
        bury(
            tx,
            source=f"outbox:{item.recipient.channel}:{item.row_id}",
            reason=reason,
            payload=item.payload,
            now=now,
        )
        self._set_delivery(tx, item, "failed")

    @staticmethod
    def _set_delivery(tx: Tx, item: _Claimed, status: str) -> None:
        if item.case_message_id is not None:
            notice = delivery.is_notice(Outbound.from_json(item.payload))
            delivery.advance(tx, item.case_message_id, status, notice=notice)


def fair_share(due: Sequence[Row], size: int) -> list[int]:
    """At most `size` of the `due` rows (id, contact id; in queue order): every
    contact's first row, then every contact's second, and so on.

    Under a channel-wide rate limit, citizens' first answers then go out
    before anyone's fourth message; with fewer rows than `size` all are taken.
    """
    ranks: dict[int, int] = {}
    ranked = []
    for position, (row_id, contact_id) in enumerate(due):
        rank = ranks.get(contact_id, 0)
        ranks[contact_id] = rank + 1
        ranked.append((rank, position, row_id))
    return [row_id for _, _, row_id in sorted(ranked)[:size]]


def _monotonic() -> float:
    return asyncio.get_running_loop().time()


def _per_contact(claimed: list[_Claimed]) -> list[list[_Claimed]]:
    """The claimed rows grouped by contact, each group in queue order."""
    groups: dict[int, list[_Claimed]] = {}
    for item in claimed:
        groups.setdefault(item.recipient.contact_id, []).append(item)
    return list(groups.values())


def _claimed(row: Row) -> _Claimed:
    row_id, case_message_id, attempts, payload, channel, contact_id, external_id, phone, locale = (
        row
    )
    recipient = Recipient(
        contact_id=contact_id, channel=channel, external_id=external_id, phone=phone, locale=locale
    )
    return _Claimed(row_id, case_message_id, attempts, payload, recipient)
