"""The duty desk: an urgent report is put before the duty officers at once, and
again, escalated, until one of them acknowledges it.

`DutyService` is built once per process (``runtime.duty``). Its two hot-path
methods run synchronously inside the caller's transaction (a `Tx`, see
`bot.storage.direct`), so the alert commits with the case that caused it:

- `raise_alert` records the ``duty_alerts`` row (one per case: a second call
  does nothing) and, when a duty group is configured, queues the alert to it
  as an urgent outbox row with an acknowledge button — at once when it is the
  group's turn, else grouped with the others raised meanwhile
  (`bot.duty.dispatch`: a burst of alerts is a few messages, not one each).
- `share_location` sends the place, once the citizen gave it, and moves the
  alert to the desk covering it.

The rest is asynchronous: `acknowledge_press` (a duty officer pressed the
button in the group, deduplicated by the update's id), `acknowledge_on` (an
officer acknowledged in the back-office, in the route's session) and
`escalate_due` (the scheduler job: it also sends the alerts still waiting
for the group's turn, and groups the re-sends due together). Each alert is
claimed with a conditional UPDATE, so several workers never escalate or
acknowledge it twice.

Without ``PINTU_DUTY_TELEGRAM_CHAT_ID`` (or without the Telegram channel)
alerts live in the back-office only: they are recorded and escalated there,
nothing is sent.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.domain.clock import Clock
from bot.domain.desks import DutyDesk, DutyDesks
from bot.domain.i18n import Translator
from bot.duty import texts as duty_texts
from bot.duty.dispatch import DUE, ESCALATED, Dispatcher, Pace, Waiting, audit_on, read_alerts
from bot.duty.group import DutyGroup, audit
from bot.duty.texts import Place
from bot.storage.database import WriteGate, insert_ignoring_duplicates
from bot.storage.direct import Tx, run_on
from bot.storage.tables import alerts, cases, dispatches, inbound_events

log = logging.getLogger(__name__)


SYSTEM_ACTOR = "pintu"
# = backoffice.audit.AuditAction values (bot does not import backoffice)
ESCALATED_ACTION = "alert.escalated"
ACK_ACTION = "alert.ack"
ESCALATION_BATCH = 100

NEW_ALERT = """INSERT INTO duty_alerts (case_id, desk, raised_at, sends, escalation_level,
next_send_at, announced_at) VALUES (:case_id, :desk, :now, 0, 0, :next_send_at, :announced_at)
ON CONFLICT DO NOTHING RETURNING id"""
CASE_ALERT = """SELECT a.id, c.ref, a.announced_at FROM duty_alerts a
JOIN cases c ON c.id = a.case_id WHERE a.case_id = :case_id"""
PLACE_SHARED = "UPDATE duty_alerts SET desk = :desk WHERE id = :alert_id"
LOCATION_SENT = "UPDATE duty_alerts SET location_sent_at = :now WHERE id = :alert_id"


@dataclass(frozen=True, slots=True)
class AckResult:
    """An alert after an acknowledgement: by whom and when, and whether this one did it."""

    alert_id: int
    ref: str
    acknowledged_by: str
    acknowledged_at: datetime
    fresh: bool  # False: someone had acknowledged it before


@dataclass(frozen=True, slots=True)
class AckAllResult:
    """The alerts of a grouped message after "acknowledge all"."""

    refs: tuple[str, ...]
    fresh: int  # acknowledged by this press (the others were before)
    acknowledged_by: str
    acknowledged_at: datetime


class DutyService:
    def __init__(
        self,
        *,
        desks: DutyDesks,
        db: AsyncEngine,
        gate: WriteGate,
        translator: Translator,
        clock: Clock,
        group_chat_id: str | None,
        ack_seconds: int,
        max_escalations: int,
        pace: Pace,
        on_committed: Callable[[], None],
    ) -> None:
        self.desks = desks
        self.db = db
        self.gate = gate
        self.translator = translator
        self.clock = clock
        self.group = (
            None if group_chat_id is None else DutyGroup(group_chat_id, translator.default_locale)
        )
        self.ack_after = timedelta(seconds=ack_seconds)
        self.max_escalations = max_escalations
        self.on_committed = on_committed
        self.dispatcher = (
            None
            if self.group is None
            else Dispatcher(
                group=self.group,
                pace=pace,
                desks=desks,
                translator=translator,
                ack_after=self.ack_after,
                max_escalations=max_escalations,
            )
        )

    @property
    def group_chat_id(self) -> str | None:
        """The duty group's Telegram chat id; None: alerts live in the back-office only."""
        return None if self.group is None else self.group.chat_id

    def is_group(self, chat_id: int | str | None) -> bool:
        """True for the duty group's chat: nothing from it is a citizen's."""
        return self.group is not None and str(chat_id) == self.group.chat_id

    # -- the hot path: synchronous, in the caller's transaction ------------------------

    def raise_alert(
        self,
        tx: Tx,
        *,
        case_id: int,
        ref: str,
        category: str | None,
        now: datetime,
        desk: DutyDesk | None = None,
    ) -> None:
        """Put the case before the duty desk (`desk`, else the default one); once per case."""
        desk = desk or self.desks.default
        at = tx.time(now)
        first_reminder = now + self.ack_after if self.max_escalations > 0 else None
        told = self.dispatcher is None  # without a group the back-office shows it at once
        values = {
            "case_id": case_id,
            "desk": desk.id,
            "now": at,
            "next_send_at": tx.time(first_reminder) if first_reminder and told else None,
            "announced_at": at if told else None,
        }
        created = tx.rows(NEW_ALERT, values)
        if not created:
            return  # raised before: one alert per case
        log.warning("duty alert %s raised for desk %s", created[0][0], desk.id)
        if self.dispatcher is not None:
            self.dispatcher.announce(tx, now)

    def share_location(
        self,
        tx: Tx,
        *,
        case_id: int,
        latitude: float | None,
        longitude: float | None,
        address: str | None,
        now: datetime,
    ) -> None:
        """Tell the duty group where it happens; nothing when the case has no alert."""
        place = Place(latitude, longitude, (address or "").strip() or None)
        found = tx.rows(CASE_ALERT, {"case_id": case_id})
        if not found or not place.known:
            return
        alert_id, ref, announced = int(found[0][0]), str(found[0][1]), found[0][2]
        desk = self.desks.default
        if place.latitude is not None and place.longitude is not None:
            desk = self.desks.nearest(place.latitude, place.longitude)
            tx.execute(PLACE_SHARED, {"desk": desk.id, "alert_id": alert_id})
        if self.group is None or announced is None:
            return  # not told yet: its alert, when its turn comes, says where
        message = duty_texts.location_message(self.translator, ref=ref, desk=desk, place=place)
        self.group.queue(tx, message, now)
        tx.execute(LOCATION_SENT, {"now": tx.time(now), "alert_id": alert_id})

    # -- acknowledging ---------------------------------------------------------------

    async def acknowledge_press(self, *, event_id: str, alert_id: int, by: str) -> AckResult | None:
        """A duty officer pressed the button in the group (update `event_id`, once).

        None when no such alert exists. A redelivered press changes nothing
        and reports the alert as it stands.
        """
        now = self.clock.now()
        async with self.gate, self.db.begin() as conn:
            seen = {"channel": "telegram", "external_id": event_id, "received_at": now}
            if not await insert_ignoring_duplicates(conn, inbound_events, seen):
                return await self._ack_state(conn, alert_id, fresh=False)
            result = await self.acknowledge_on(conn, alert_id=alert_id, by=by, now=now)
            if result is not None and result.fresh:
                detail: dict[str, str | int] = {"alert_id": alert_id, "via": "telegram"}
                actor = f"telegram:{by}"
                await audit(
                    conn, actor=actor, action=ACK_ACTION, target=result.ref, detail=detail, now=now
                )
        return result

    async def acknowledge_all_press(
        self, *, event_id: str, dispatch_id: int, by: str
    ) -> AckAllResult | None:
        """A duty officer pressed "acknowledge all" on a grouped message (update `event_id`,
        once): every alert it lists. None when no such message exists."""
        now = self.clock.now()
        async with self.gate, self.db.begin() as conn:
            listed = await conn.scalar(
                select(dispatches.c.alert_ids).where(dispatches.c.id == dispatch_id)
            )
            if listed is None:
                return None
            seen = {"channel": "telegram", "external_id": event_id, "received_at": now}
            press_is_new = await insert_ignoring_duplicates(conn, inbound_events, seen)
            results = []
            for alert_id in (int(part) for part in listed.split(",") if part):
                if press_is_new:
                    result = await self.acknowledge_on(conn, alert_id=alert_id, by=by, now=now)
                else:
                    result = await self._ack_state(conn, alert_id, fresh=False)
                if result is None:
                    continue
                results.append(result)
                if result.fresh:
                    detail: dict[str, str | int] = {"alert_id": alert_id, "via": "telegram"}
                    await audit(
                        conn,
                        actor=f"telegram:{by}",
                        action=ACK_ACTION,
                        target=result.ref,
                        detail=detail,
                        now=now,
                    )
        fresh = [result for result in results if result.fresh]
        last = fresh[-1] if fresh else max(results, key=lambda r: r.acknowledged_at, default=None)
        return AckAllResult(
            refs=tuple(result.ref for result in results),
            fresh=len(fresh),
            acknowledged_by=by if fresh or last is None else last.acknowledged_by,
            acknowledged_at=now if fresh or last is None else last.acknowledged_at,
        )

    async def acknowledge_on(
        self,
        conn: AsyncConnection,
        *,
        alert_id: int,
        by: str,
        now: datetime,
        tell_group: bool = False,
    ) -> AckResult | None:
        """Acknowledge in the caller's transaction (unless done before); None: no such alert.

        `tell_group` queues a note to the duty group (an acknowledgement made
        elsewhere than in the group); wake the sender after committing.
        """
        done = await conn.execute(
            update(alerts)
            .where(alerts.c.id == alert_id, alerts.c.acknowledged_at.is_(None))
            .values(acknowledged_at=now, acknowledged_by=by[:200], next_send_at=None)
        )
        fresh = bool(done.rowcount)
        result = await self._ack_state(conn, alert_id, fresh=fresh)
        if result is None:
            return None
        if fresh:
            log.info("duty alert %s acknowledged", alert_id)
        if fresh and tell_group and self.group is not None:
            note = duty_texts.acknowledged_elsewhere(self.translator, result.ref, by, now)
            await self.group.queue_async(conn, note, now)
        return result

    async def _ack_state(
        self, conn: AsyncConnection, alert_id: int, *, fresh: bool
    ) -> AckResult | None:
        row = (
            await conn.execute(
                select(alerts.c.acknowledged_by, alerts.c.acknowledged_at, cases.c.ref)
                .join(cases, cases.c.id == alerts.c.case_id)
                .where(alerts.c.id == alert_id)
            )
        ).one_or_none()
        if row is None or row.acknowledged_at is None:
            return None
        return AckResult(alert_id, row.ref, row.acknowledged_by or "", row.acknowledged_at, fresh)

    # -- re-sending and escalating ----------------------------------------------------

    async def escalate_due(self) -> int:
        """The duty sweep (the scheduler job): tell the group of the alerts that waited for
        its turn, and send every alert due again, one level up, grouped; how many were
        escalated."""
        now = self.clock.now()
        async with self.gate, self.db.begin() as conn:
            told, escalated = await run_on(conn, lambda tx: self._sweep(tx, now))
        if (told or escalated) and self.group is not None:
            self.on_committed()
        return escalated

    def _sweep(self, tx: Tx, now: datetime) -> tuple[int, int]:
        if self.dispatcher is None:
            due = read_alerts(tx, DUE, {"now": tx.time(now), "limit": ESCALATION_BATCH}, self.desks)
            return 0, sum(self._escalate(tx, alert, alert.level + 1, now) for alert in due)
        told = self.dispatcher.announce(tx, now)
        escalated = self.dispatcher.remind(
            tx, now, lambda tx, alert, level: self._escalate(tx, alert, level, now)
        )
        return told, escalated

    def _escalate(self, tx: Tx, alert: Waiting, level: int, now: datetime) -> bool:
        """Claim `alert` for escalation `level` (False: acknowledged or claimed meanwhile)."""
        last = level >= self.max_escalations
        claimed = tx.execute(
            ESCALATED,
            {
                "level": level,
                "sent": 0 if self.group is None else 1,
                "next_send_at": None if last else tx.time(now + self.ack_after),
                "id": alert.facts.alert_id,
                "was": alert.level,
            },
        )
        if not claimed:
            return False
        facts = alert.facts
        minutes = int((now - facts.raised_at).total_seconds() // 60)
        detail = {
            "alert_id": facts.alert_id,
            "level": level,
            "minutes_open": minutes,
            "desk": alert.desk_id,
        }
        audit_on(
            tx,
            actor=SYSTEM_ACTOR,
            action=ESCALATED_ACTION,
            target=facts.ref,
            detail=json.dumps(detail, sort_keys=True),
            now=now,
        )
        log.warning(
            "duty alert %s unacknowledged after %d min: escalation level %d%s",
            facts.alert_id,
            minutes,
            level,
            " (the last re-send)" if last else "",
        )
        return True
