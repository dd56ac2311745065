"""Survey invitations: scheduled when a service ends, sent by the scheduler when due.

Scheduling runs in the caller's transaction (the officer closing a case, the
front office publishing an application's completion), so the invitation
exists exactly when the change does. It waits in `survey_invitations`, due
`PINTU_SURVEY_DELAY_SECONDS` later, so it survives restarts and any worker's
scheduler may send it. A case is rated at most once (`case_id` is unique);
an application once per subscribed citizen.

Sending (`send_due`) claims each due row with a conditional update
(``WHERE status = 'scheduled'``) that also records the outcome, in the
transaction that queues the message: two schedulers can never both send
one. A due invitation is not sent, and says why (`skip_reason`), when:

- ``opted_out``: the citizen said *berhenti* (the privacy text promises no
  more surveys then), after-close surveys included;
- ``unreachable``: the citizen blocked us on their platform;
- ``min_interval``: they were sent another invitation within
  `PINTU_SURVEY_MIN_INTERVAL_DAYS` (a case's own after-close survey is
  exempt, DESIGN §5, but it counts against the others);
- ``outside_window``: a WhatsApp citizen outside the 24-hour window, and no
  survey template is configured. With one, the invitation is kept for the
  citizen's next message and the template announces it
  (`bot.outbox.delivery`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, exists, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.i18n import N_, Translator
from bot.domain.survey_forms import Service
from bot.domain.surveys import DEFAULT_SURVEY, invitation_message
from bot.outbox import delivery
from bot.storage.database import insert_ignoring_duplicates
from bot.storage.direct import run_on
from bot.storage.tables import (
    applications,
    cases,
    contacts,
    subscriptions,
    survey_invitations,
)

SCHEDULED, SENT, SKIPPED = "scheduled", "sent", "skipped"
CASE_SERVICES = {"complaint": Service.COMPLAINTS, "incident": Service.INCIDENTS}
APPLICATION_SERVICES = {
    "skck": Service.SKCK,
    "izin_keramaian": Service.CROWD_PERMITS,
    "sp2hp": Service.SP2HP,
}
BATCH = 200


class Reason(StrEnum):
    CASE_CLOSED = "case_closed"
    APPLICATION = "application"


class Skip(StrEnum):
    OPTED_OUT = "opted_out"
    UNREACHABLE = "unreachable"
    MIN_INTERVAL = "min_interval"
    OUTSIDE_WINDOW = "outside_window"


@dataclass(frozen=True, slots=True)
class SendingRules:
    min_interval: timedelta  # between two invitations to one citizen
    whatsapp_template: bool  # a survey template is configured for outside the window


async def schedule_after_close(
    conn: AsyncConnection, *, case_id: int, now: datetime, delay: timedelta
) -> bool:
    """Invite the case's citizen to rate its service after `delay`; False if already done."""
    row = (
        await conn.execute(select(cases.c.contact_id, cases.c.kind).where(cases.c.id == case_id))
    ).one()
    values = {
        "contact_id": row.contact_id,
        "survey_code": DEFAULT_SURVEY,
        "service": CASE_SERVICES.get(row.kind, Service.GENERAL).value,
        "reason": Reason.CASE_CLOSED.value,
        "case_id": case_id,
        "status": SCHEDULED,
        "due_at": now + delay,
        "created_at": now,
    }
    return await insert_ignoring_duplicates(conn, survey_invitations, values)


async def schedule_after_application(
    conn: AsyncConnection, *, application_id: int, now: datetime, delay: timedelta
) -> int:
    """Invite every citizen subscribed to a completed application, once each; the count."""
    kind = await conn.scalar(select(applications.c.kind).where(applications.c.id == application_id))
    invited = exists().where(
        survey_invitations.c.contact_id == subscriptions.c.contact_id,
        survey_invitations.c.application_id == application_id,
    )
    subscribers = await conn.scalars(
        select(subscriptions.c.contact_id).where(
            subscriptions.c.application_id == application_id, ~invited
        )
    )
    service = APPLICATION_SERVICES.get(str(kind), Service.GENERAL).value
    rows = [
        {
            "contact_id": contact_id,
            "survey_code": DEFAULT_SURVEY,
            "service": service,
            "reason": Reason.APPLICATION.value,
            "application_id": application_id,
            "status": SCHEDULED,
            "due_at": now + delay,
            "created_at": now,
        }
        for contact_id in subscribers.all()
    ]
    if rows:
        await conn.execute(survey_invitations.insert(), rows)
    return len(rows)


async def send_due(
    conn: AsyncConnection, *, now: datetime, translator: Translator, rules: SendingRules
) -> int:
    """Send (or skip) the invitations due by `now`, in the caller's transaction; the
    number sent. Commit, then wake the outbox sender."""
    due = (
        await conn.execute(
            select(
                survey_invitations.c.id,
                survey_invitations.c.contact_id,
                survey_invitations.c.survey_code,
                survey_invitations.c.reason,
                survey_invitations.c.case_id,
                survey_invitations.c.application_id,
                contacts.c.channel,
                contacts.c.locale,
                contacts.c.reachable,
                contacts.c.broadcast_opted_out_at,
                contacts.c.last_inbound_at,
            )
            .join(contacts, contacts.c.id == survey_invitations.c.contact_id)
            .where(survey_invitations.c.status == SCHEDULED, survey_invitations.c.due_at <= now)
            .order_by(survey_invitations.c.due_at, survey_invitations.c.id)
            .limit(BATCH)
        )
    ).all()
    sent = 0
    for row in due:
        skip = await _skip_reason(conn, row, now, rules)
        if not await _claim(conn, row.id, now, skip):
            continue  # another scheduler took it
        if skip is None:
            await _queue(conn, row, now, translator)
            sent += 1
    return sent


async def _skip_reason(
    conn: AsyncConnection, row: Any, now: datetime, rules: SendingRules
) -> Skip | None:
    if row.broadcast_opted_out_at is not None:
        return Skip.OPTED_OUT
    if not row.reachable:
        return Skip.UNREACHABLE
    if row.reason != Reason.CASE_CLOSED and await _invited_lately(conn, row, now, rules):
        return Skip.MIN_INTERVAL
    outside = delivery.outside_window(row.channel, row.last_inbound_at, now)
    if outside and not rules.whatsapp_template:
        return Skip.OUTSIDE_WINDOW
    return None


async def _invited_lately(
    conn: AsyncConnection, row: Any, now: datetime, rules: SendingRules
) -> bool:
    found = await conn.scalar(
        select(survey_invitations.c.id)
        .where(
            and_(
                survey_invitations.c.contact_id == row.contact_id,
                survey_invitations.c.status == SENT,
                survey_invitations.c.sent_at > now - rules.min_interval,
                survey_invitations.c.id != row.id,
            )
        )
        .limit(1)
    )
    return found is not None


async def _claim(
    conn: AsyncConnection, invitation_id: int, now: datetime, skip: Skip | None
) -> bool:
    """Record the outcome, only if the row is still scheduled: the claim itself."""
    values: dict[str, Any] = (
        {"status": SENT, "sent_at": now}
        if skip is None
        else {"status": SKIPPED, "skip_reason": skip.value}
    )
    result = await conn.execute(
        update(survey_invitations)
        .where(survey_invitations.c.id == invitation_id, survey_invitations.c.status == SCHEDULED)
        .values(values)
    )
    return bool(result.rowcount)


async def _queue(conn: AsyncConnection, row: Any, now: datetime, translator: Translator) -> None:
    preface, reference = await _about(conn, row, translator)
    message = delivery.with_notice(
        invitation_message(translator, row.locale, row.survey_code, row.id, preface=preface),
        delivery.Notice.SURVEY,
        reference,
    )
    held = delivery.outside_window(row.channel, row.last_inbound_at, now)
    await run_on(
        conn,
        lambda tx: delivery.queue_or_hold(
            tx,
            contact_id=row.contact_id,
            channel=row.channel,
            message=message,
            held=held,
            now=now,
        ),
    )


async def _about(conn: AsyncConnection, row: Any, translator: Translator) -> tuple[str | None, str]:
    """What the invitation is about, said before it, and the template's reference."""
    if row.case_id is not None:
        ref = await conn.scalar(select(cases.c.ref).where(cases.c.id == row.case_id))
        return translator.text(row.locale, N_("survey.about_case"), ref=ref), str(ref)
    if row.application_id is not None:
        number = await conn.scalar(
            select(applications.c.number).where(applications.c.id == row.application_id)
        )
        text = translator.text(row.locale, N_("survey.about_application"), number=number)
        return text, str(number)
    return None, row.survey_code
