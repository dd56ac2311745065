"""The duty group's turns: alerts raised in a burst reach it grouped.

Anyone can open web-chat sessions and say "tolong ada perampokan"; every
such case is opened and its citizen answered at once, but the duty group
must not be flooded. So alert messages to the group are paced:

- the first alert after a quiet moment goes at once, alone;
- alerts raised within `Pace.window` after a message to the group wait, and
  go together in the next message, one line and one button per reference
  plus "acknowledge all" (`bot.duty.texts.grouped_message`);
- at most `Pace.per_minute` alert messages go in any minute;
- re-sends of unacknowledged alerts (escalations) take turns the same way:
  all due at one turn go in one message.

The state is in the database (`duty_dispatches`: one row per message, with
the alerts it listed; `duty_alerts.announced_at`), and every turn is taken
under a row lock on the group's contact row, so several workers keep one
pace. Whoever finds the group's turn due sends what waits: the hot path
when it raises an alert, the scheduler's duty sweep otherwise.

Everything here runs on a `Tx` inside the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.domain.desks import DutyDesks
from bot.domain.i18n import Translator
from bot.domain.messages import Outbound
from bot.duty import texts as duty_texts
from bot.duty.group import DutyGroup
from bot.duty.texts import AlertFacts, Place
from bot.storage.direct import Tx, stored_time

GROUPED_MAX = 30  # references in one message (Telegram: 4,096 characters, 100 buttons)
MINUTE = timedelta(minutes=1)

# both select the columns `waiting` reads
WAITING = """SELECT a.id, c.ref, c.category, a.desk, a.raised_at, c.latitude, c.longitude,
c.address, a.location_sent_at, a.escalation_level FROM duty_alerts a
JOIN cases c ON c.id = a.case_id
WHERE a.announced_at IS NULL AND a.acknowledged_at IS NULL ORDER BY a.id LIMIT :limit"""
DUE = """SELECT a.id, c.ref, c.category, a.desk, a.raised_at, c.latitude, c.longitude,
c.address, a.location_sent_at, a.escalation_level FROM duty_alerts a
JOIN cases c ON c.id = a.case_id
WHERE a.announced_at IS NOT NULL AND a.acknowledged_at IS NULL AND a.next_send_at IS NOT NULL
AND a.next_send_at <= :now ORDER BY a.next_send_at, a.id LIMIT :limit"""
ANNOUNCED = """UPDATE duty_alerts SET announced_at = :now, sends = sends + 1,
next_send_at = :next_send_at WHERE id = :id AND announced_at IS NULL"""
ESCALATED = """UPDATE duty_alerts SET escalation_level = :level, sends = sends + :sent,
next_send_at = :next_send_at WHERE id = :id AND escalation_level = :was
AND acknowledged_at IS NULL"""
RECENT = "SELECT sent_at FROM duty_dispatches WHERE sent_at > :since ORDER BY sent_at DESC"
NEW_DISPATCH = """INSERT INTO duty_dispatches (sent_at, level, alert_ids)
VALUES (:now, :level, :alert_ids) RETURNING id"""
TURN_LOCK = "UPDATE contacts SET reachable = reachable WHERE id = :id"
AUDIT = """INSERT INTO audit_log (officer_id, actor, action, target, detail, created_at)
VALUES (NULL, :actor, :action, :target, :detail, :now)"""


@dataclass(frozen=True, slots=True)
class Pace:
    """How often the duty group is told of alerts."""

    window: timedelta  # after a message, alerts wait this long and go together
    per_minute: int  # alert messages in any minute, at most


@dataclass(frozen=True, slots=True)
class Waiting:
    """An alert as read for a message to the group."""

    facts: AlertFacts
    level: int
    desk_id: str


Escalate = Callable[[Tx, Waiting, int], bool]


class Dispatcher:
    """Sends what waits for the duty group when it is the group's turn."""

    def __init__(
        self,
        *,
        group: DutyGroup,
        pace: Pace,
        desks: DutyDesks,
        translator: Translator,
        ack_after: timedelta,
        max_escalations: int,
    ) -> None:
        self.group = group
        self.pace = pace
        self.desks = desks
        self.translator = translator
        self.ack_after = ack_after
        self.max_escalations = max_escalations

    def announce(self, tx: Tx, now: datetime) -> int:
        """Tell the group of the alerts not told yet, if it is its turn; how many were told."""
        if not self._take_turn(tx, now):
            return 0
        waiting = self._read(tx, WAITING, {"limit": GROUPED_MAX})
        if not waiting:
            return 0
        next_send = now + self.ack_after if self.max_escalations > 0 else None
        tx.execute_many(
            ANNOUNCED,
            [
                {
                    "now": tx.time(now),
                    "next_send_at": tx.time(next_send) if next_send else None,
                    "id": alert.facts.alert_id,
                }
                for alert in waiting
            ],
        )
        self._send(tx, [alert.facts for alert in waiting], None, now)
        return len(waiting)

    def remind(self, tx: Tx, now: datetime, escalate: Escalate) -> int:
        """Re-send, one level up, the alerts due again, if it is the group's turn.

        `escalate(tx, alert, level)` claims one alert (False: claimed by
        someone else meanwhile); the claimed ones go in one message.
        """
        if not self._take_turn(tx, now):
            return 0
        claimed: list[Waiting] = []
        for alert in self._read(tx, DUE, {"now": tx.time(now), "limit": GROUPED_MAX}):
            if escalate(tx, alert, alert.level + 1):
                claimed.append(Waiting(alert.facts, alert.level + 1, alert.desk_id))
        if claimed:
            self._send(tx, [alert.facts for alert in claimed], [a.level for a in claimed], now)
        return len(claimed)

    def _take_turn(self, tx: Tx, now: datetime) -> bool:
        """Whether the group may get a message now; holds the group's row lock till commit."""
        contact_id = self.group.contact(tx, tx.time(now))
        tx.execute(TURN_LOCK, {"id": contact_id})
        recent = [stored_time(row[0]) for row in tx.rows(RECENT, {"since": tx.time(now - MINUTE)})]
        if len(recent) >= self.pace.per_minute:
            return False
        return not recent or recent[0] + self.pace.window <= now

    def _send(
        self, tx: Tx, alerts: Sequence[AlertFacts], levels: list[int] | None, now: datetime
    ) -> None:
        level = max(levels) if levels else 0
        ids = ",".join(str(facts.alert_id) for facts in alerts)
        [(dispatch_id,)] = tx.rows(
            NEW_DISPATCH, {"now": tx.time(now), "level": level, "alert_ids": ids}
        )
        message: Outbound
        if len(alerts) == 1:
            message = duty_texts.alert_message(self.translator, alerts[0], level=level, now=now)
        else:
            message = duty_texts.grouped_message(
                self.translator, list(alerts), dispatch_id=int(dispatch_id), levels=levels, now=now
            )
        self.group.queue(tx, message, now)

    def _read(self, tx: Tx, sql: str, params: dict[str, Any]) -> list[Waiting]:
        return read_alerts(tx, sql, params, self.desks)


def read_alerts(tx: Tx, sql: str, params: dict[str, Any], desks: DutyDesks) -> list[Waiting]:
    """The alerts a query over `WAITING`/`DUE` finds."""
    return [waiting(row, desks) for row in tx.rows(sql, params)]


def waiting(row: Sequence[Any], desks: DutyDesks) -> Waiting:
    """An alert row (`WAITING`/`DUE`) as told to the group."""
    alert_id, ref, category, desk_id, raised_at, latitude, longitude, address, sent, level = row
    desk = desks.get(desk_id) or desks.default
    facts = AlertFacts(
        alert_id=int(alert_id),
        ref=str(ref),
        category=category,
        desk_name=desk.name,
        raised_at=stored_time(raised_at),
        place=Place(latitude, longitude, address),
        location_sent_at=stored_time(sent) if sent is not None else None,
    )
    return Waiting(facts, int(level), str(desk_id))


def audit_on(tx: Tx, *, actor: str, action: str, target: str, detail: str, now: datetime) -> None:
    """An audit entry written by the bot in `tx` (`detail`: flat JSON, nothing personal)."""
    tx.execute(
        AUDIT,
        {
            "actor": actor[:64],
            "action": action,
            "target": target,
            "detail": detail,
            "now": tx.time(now),
        },
    )
