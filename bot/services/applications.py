"""Application statuses (SKCK, crowd permits, SP2HP): the domain services the
status flow and the back-office share.

Every function works inside the caller's transaction (an `AsyncConnection`)
and never commits, so a status change and the messages that tell subscribed
citizens commit together. Looking up and subscribing happen in a citizen's
conversation, so they run on the hot path's transaction: `bot.services.application_lookup`.

Looking up (DESIGN §6): a citizen gives a kind, a number and their date of
birth, and gets one of three answers::

    Found(...)      the combination is right: the status, verbatim
    NOT_FOUND       wrong date of birth, unknown number, or the number is paused
    Paused(until)   this contact failed too often; even a right answer waits

A wrong combination answers exactly the same whether the number exists or
not, after the same queries. Throttling works over a sliding window
(`WINDOW`, one hour) on the attempts recorded in `application_lookups`,
which are keyed by the number typed, so unknown numbers are throttled like
known ones:

- `CONTACT_FAILURES` (5) failures of one contact pause that contact until
  the oldest of them leaves the window. Attempts while paused are recorded
  but count for nothing.
- `NUMBER_FAILURES` (10) failures on one kind+number, from any contacts,
  pause the number the same way. It then answers `NOT_FOUND` as a wrong
  combination would (so a guesser cannot tell which guesses were weighed);
  those answers count against the contact, not again against the number,
  so the pause ends an hour after the failures that caused it, however
  long someone keeps trying. Reaching the limit writes the audit entry
  `application.lookup_paused` (kind and number, no personal data) and logs
  a line, so officers can look into it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.applications import (
    NOT_FOUND,
    ApplicationKind,
    Found,
    LookupResult,
    Paused,
    normalize_number,
    status_changed_text,
)
from bot.domain.i18n import Translator
from bot.domain.messages import Outbound
from bot.outbox import delivery
from bot.storage.database import insert_ignoring_duplicates
from bot.storage.direct import Tx, run_on
from bot.storage.tables import application_changes, applications, contacts, lookups, subscriptions

logger = logging.getLogger(__name__)


WINDOW = timedelta(hours=1)
CONTACT_FAILURES = 5
NUMBER_FAILURES = 10
MAX_STATUS_CHARS = 500
MAX_NOTE_CHARS = 2000
MAX_NAME_CHARS = 200
LOOKUP_PAUSED_ACTION = "application.lookup_paused"  # = backoffice.audit.AuditAction
SYSTEM_ACTOR = "pintu"


class Outcome(StrEnum):
    """What an attempt recorded; which ones count against whom."""

    FOUND = "found"
    WRONG = "wrong"  # against the contact and the number
    NUMBER_PAUSED = "number_paused"  # against the contact only
    CONTACT_PAUSED = "contact_paused"  # against nobody


CONTACT_COUNTED = (Outcome.WRONG, Outcome.NUMBER_PAUSED)
NUMBER_COUNTED = (Outcome.WRONG,)


@dataclass(frozen=True, slots=True)
class ApplicationRecord:
    """An application as officers see it."""

    id: int
    kind: ApplicationKind
    number: str
    applicant_name: str
    birth_date: date
    status: str
    note: str | None
    status_changed_at: datetime
    created_at: datetime
    updated_at: datetime

    def found(self) -> Found:
        return Found(
            self.id, self.kind, self.number, self.status, self.note, self.status_changed_at
        )


@dataclass(frozen=True, slots=True)
class PutResult:
    application: ApplicationRecord
    created: bool
    status_changed: bool
    notified: int  # subscribed citizens a message was queued for
    changed: bool = True  # anything differs from what was stored (always, when created)


def _valid_number(text: str) -> str:
    number = normalize_number(text)
    if number is None:
        raise ValueError(f"not an application number: {text!r}")
    return number


async def get_application(
    conn: AsyncConnection, *, kind: ApplicationKind, number: str
) -> ApplicationRecord | None:
    row = await _application_row(conn, kind, _valid_number(number))
    return None if row is None else _record(row)


async def put_application(
    conn: AsyncConnection,
    *,
    kind: ApplicationKind,
    number: str,
    status: str,
    applicant_name: str,
    birth_date: date,
    note: str | None,
    translator: Translator,
    now: datetime,
    actor: str = SYSTEM_ACTOR,
    source: str = "api",
) -> PutResult:
    """Create or replace an application. A changed status (not a changed note or
    name) is queued to every subscribed citizen, in their language; wake the
    outbox sender after committing. A new status is added to the application's
    history (`application_status_changes`) under `actor`, from `source` (api, import)."""
    number = _valid_number(number)
    values: dict[str, Any] = {
        "applicant_name": applicant_name,
        "birth_date": birth_date,
        "status": status,
        "note": note,
        "updated_at": now,
    }
    new = {"kind": kind.value, "number": number, "status_changed_at": now, "created_at": now}
    if await insert_ignoring_duplicates(conn, applications, values | new):
        row = await _application_row(conn, kind, number)
        assert row is not None, "the row was just inserted"
        created = _record(row)
        await _record_history(conn, created, None, actor=actor, source=source, now=now)
        return PutResult(created, created=True, status_changed=False, notified=0)
    row = await _application_row(conn, kind, number, for_update=True)
    assert row is not None, "the insert collided with this row"
    before = _record(row)
    changed = before.status != status
    if changed:
        values["status_changed_at"] = now
    await conn.execute(update(applications).where(applications.c.id == before.id).values(values))
    after = replace(before, **values)
    notified = 0
    if changed:
        await _record_history(conn, after, before.status, actor=actor, source=source, now=now)
        notified = await _notify_subscribers(conn, after, translator, now)
    different = any(
        getattr(before, name) != getattr(after, name)
        for name in ("applicant_name", "birth_date", "status", "note")
    )
    return PutResult(
        after, created=False, status_changed=changed, notified=notified, changed=different
    )


async def _record_history(
    conn: AsyncConnection,
    application: ApplicationRecord,
    before: str | None,
    *,
    actor: str,
    source: str,
    now: datetime,
) -> None:
    await conn.execute(
        application_changes.insert().values(
            application_id=application.id,
            from_status=before,
            to_status=application.status,
            note=application.note,
            source=source,
            actor=actor[:64],
            created_at=now,
        )
    )


async def subscriber_count(conn: AsyncConnection, *, application_id: int) -> int:
    count = await conn.scalar(
        select(func.count())
        .select_from(subscriptions)
        .where(subscriptions.c.application_id == application_id)
    )
    return int(count or 0)


def weigh(
    by_contact: list[datetime], by_number: list[datetime], right: Found | None
) -> tuple[Outcome, LookupResult]:
    """The answer to an attempt, from the recent failures (newest first) of its
    contact and of its number, and the application if the combination is right.
    Pure, so any other storage path can answer exactly alike."""
    if len(by_contact) >= CONTACT_FAILURES:
        return Outcome.CONTACT_PAUSED, Paused(until=by_contact[-1] + WINDOW)
    if len(by_number) >= NUMBER_FAILURES:
        return Outcome.NUMBER_PAUSED, NOT_FOUND
    if right is not None:
        return Outcome.FOUND, right
    return Outcome.WRONG, NOT_FOUND


async def forget_lookups(conn: AsyncConnection, *, now: datetime) -> int:
    """Delete attempts too old to throttle anything (they hold typed numbers); the count."""
    result = await conn.execute(delete(lookups).where(lookups.c.created_at < now - WINDOW))
    return int(result.rowcount)


async def unsubscribe(conn: AsyncConnection, *, contact_id: int, application_id: int) -> bool:
    """Stop telling this contact; False when they were not subscribed."""
    result = await conn.execute(
        delete(subscriptions).where(
            subscriptions.c.contact_id == contact_id,
            subscriptions.c.application_id == application_id,
        )
    )
    return bool(result.rowcount)


async def _application_row(
    conn: AsyncConnection, kind: ApplicationKind, number: str, *, for_update: bool = False
) -> Any:
    query = select(applications).where(
        applications.c.kind == kind.value, applications.c.number == number
    )
    if for_update:
        query = query.with_for_update()
    return (await conn.execute(query)).one_or_none()


def _record(row: Any) -> ApplicationRecord:
    return ApplicationRecord(
        id=row.id,
        kind=ApplicationKind(row.kind),
        number=row.number,
        applicant_name=row.applicant_name,
        birth_date=row.birth_date,
        status=row.status,
        note=row.note,
        status_changed_at=row.status_changed_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


async def _notify_subscribers(
    conn: AsyncConnection, application: ApplicationRecord, translator: Translator, now: datetime
) -> int:
    rows = (
        await conn.execute(
            select(contacts.c.id, contacts.c.channel, contacts.c.locale, contacts.c.last_inbound_at)
            .join(subscriptions, subscriptions.c.contact_id == contacts.c.id)
            .where(subscriptions.c.application_id == application.id)
            .order_by(contacts.c.id)
        )
    ).all()
    found = application.found()

    def notify(tx: Tx) -> None:
        for row in rows:
            delivery.queue_or_hold(
                tx,
                contact_id=row.id,
                channel=row.channel,
                # Outside WhatsApp's window: announced with the update template, the
                # application number as its reference, and sent when the citizen answers.
                message=delivery.with_notice(
                    Outbound(text=status_changed_text(translator, row.locale, found)),
                    delivery.Notice.UPDATE,
                    found.number,
                ),
                held=delivery.outside_window(row.channel, row.last_inbound_at, now),
                now=now,
            )

    await run_on(conn, notify)
    return len(rows)
