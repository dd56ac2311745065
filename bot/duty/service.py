"""The duty desk: an urgent report is put before the duty officers at once, and
again, escalated, until one of them acknowledges it.

`DutyService` is built once per process (``runtime.duty``). Its two hot-path
methods run synchronously inside the caller's transaction (a `Tx`, see
`bot.storage.direct`), so the alert commits with the case that caused it:

- `raise_alert` records the ``duty_alerts`` row (one per case: a second call
  does nothing) and, when a duty group is configured, queues the alert to it
  as an urgent outbox row with an acknowledge button.
- `share_location` sends the place, once the citizen gave it, and moves the
  alert to the desk covering it.

The rest is asynchronous: `acknowledge_press` (a duty officer pressed the
button in the group, deduplicated by the update's id), `acknowledge_on` (an
officer acknowledged in the back-office, in the route's session) and
`escalate_due` (the scheduler job). Each alert is claimed with a conditional
UPDATE, so several workers never escalate or acknowledge it twice.

Without ``PINTU_DUTY_TELEGRAM_CHAT_ID`` (or without the Telegram channel)
alerts live in the back-office only: they are recorded and escalated there,
nothing is sent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.domain.clock import Clock
from bot.domain.desks import DutyDesk, DutyDesks
from bot.domain.i18n import Translator
from bot.duty import texts as duty_texts
from bot.duty.group import DutyGroup, audit
from bot.duty.texts import AlertFacts, Place
from bot.storage.database import WriteGate, insert_ignoring_duplicates, is_postgresql
from bot.storage.direct import Tx
from bot.storage.tables import alerts, cases, inbound_events

log = logging.getLogger(__name__)


SYSTEM_ACTOR = "pintu"
# = backoffice.audit.AuditAction values (bot does not import backoffice)
ESCALATED_ACTION = "alert.escalated"
ACK_ACTION = "alert.ack"
ESCALATION_BATCH = 100

NEW_ALERT = """INSERT INTO duty_alerts (case_id, desk, raised_at, sends, escalation_level,
next_send_at) VALUES (:case_id, :desk, :now, :sends, 0, :next_send_at)
ON CONFLICT DO NOTHING RETURNING id"""
CASE_ALERT = """SELECT a.id, c.ref FROM duty_alerts a JOIN cases c ON c.id = a.case_id
WHERE a.case_id = :case_id"""
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
        values = {
            "case_id": case_id,
            "desk": desk.id,
            "now": at,
            "sends": 1 if self.group is not None else 0,
            "next_send_at": tx.time(first_reminder) if first_reminder else None,
        }
        created = tx.rows(NEW_ALERT, values)
        if not created:
            return  # raised before: one alert per case
        alert_id = int(created[0][0])
        log.warning("duty alert %s raised for desk %s", alert_id, desk.id)
        if self.group is not None:
            facts = AlertFacts(alert_id, ref, category, desk.name, now)
            self.group.queue(tx, duty_texts.alert_message(self.translator, facts), now)

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
        alert_id, ref = int(found[0][0]), str(found[0][1])
        desk = self.desks.default
        if place.latitude is not None and place.longitude is not None:
            desk = self.desks.nearest(place.latitude, place.longitude)
            tx.execute(PLACE_SHARED, {"desk": desk.id, "alert_id": alert_id})
        if self.group is None:
            return
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
        """Send every alert due again, one level up; how many were escalated (the job)."""
        now = self.clock.now()
        escalated = 0
        async with self.gate, self.db.begin() as conn:
            for row in await self._due(conn, now):
                escalated += await self._escalate(conn, row, now)
        if escalated and self.group is not None:
            self.on_committed()
        return escalated

    async def _due(self, conn: AsyncConnection, now: datetime) -> list[Row[Any]]:
        statement = (
            select(
                alerts.c.id,
                alerts.c.desk,
                alerts.c.raised_at,
                alerts.c.escalation_level,
                alerts.c.location_sent_at,
                cases.c.ref,
                cases.c.category,
                cases.c.latitude,
                cases.c.longitude,
                cases.c.address,
            )
            .join(cases, cases.c.id == alerts.c.case_id)
            .where(
                alerts.c.acknowledged_at.is_(None),
                alerts.c.next_send_at.is_not(None),
                alerts.c.next_send_at <= now,
            )
            .order_by(alerts.c.next_send_at)
            .limit(ESCALATION_BATCH)
        )
        if is_postgresql(conn):
            statement = statement.with_for_update(of=alerts, skip_locked=True)
        return list((await conn.execute(statement)).all())  # type: ignore[arg-type]

    async def _escalate(self, conn: AsyncConnection, row: Row[Any], now: datetime) -> int:
        level = row.escalation_level + 1
        last = level >= self.max_escalations
        sent = 1 if self.group is not None else 0
        claimed = await conn.execute(
            update(alerts)
            .where(
                alerts.c.id == row.id,
                alerts.c.escalation_level == row.escalation_level,
                alerts.c.acknowledged_at.is_(None),
            )
            .values(
                escalation_level=level,
                sends=alerts.c.sends + sent,
                next_send_at=None if last else now + self.ack_after,
            )
        )
        if not claimed.rowcount:
            return 0  # acknowledged or escalated by another worker meanwhile
        minutes = int((now - row.raised_at).total_seconds() // 60)
        detail = {"alert_id": row.id, "level": level, "minutes_open": minutes, "desk": row.desk}
        await audit(
            conn,
            actor=SYSTEM_ACTOR,
            action=ESCALATED_ACTION,
            target=row.ref,
            detail=detail,
            now=now,
        )
        log.warning(
            "duty alert %s unacknowledged after %d min: escalation level %d%s",
            row.id,
            minutes,
            level,
            " (the last re-send)" if last else "",
        )
        if self.group is not None:
            desk = self.desks.get(row.desk) or self.desks.default
            facts = AlertFacts(
                alert_id=row.id,
                ref=row.ref,
                category=row.category,
                desk_name=desk.name,
                raised_at=row.raised_at,
                place=Place(row.latitude, row.longitude, row.address),
                location_sent_at=row.location_sent_at,
            )
            reminder = duty_texts.alert_message(self.translator, facts, level=level, now=now)
            await self.group.queue_async(conn, reminder, now)
        return 1
