"""Application statuses as the front office publishes them: the services behind
`/api/v1/applications`.

Each function runs in the caller's session; it adds its audit entry there
and the route commits. Audit details hold flags and counts only: never the
applicant's name, date of birth or the status wording. The domain itself
(upsert, telling subscribers, citizens' lookups) is `bot.services.applications`'.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from backoffice import audit
from backoffice.officers import SignedInOfficer
from backoffice.schemas.applications import ApplicationPublic, ApplicationPut
from bot.domain.applications import ApplicationKind
from bot.domain.i18n import Translator
from bot.services import applications, survey_invitations
from bot.services.applications import ApplicationRecord


async def put_application(
    session: AsyncSession,
    *,
    officer: SignedInOfficer,
    kind: ApplicationKind,
    number: str,
    body: ApplicationPut,
    translator: Translator,
    now: datetime,
    survey_delay: timedelta,
) -> tuple[ApplicationPublic, bool]:
    """Create or replace the application; what is stored and whether it is new.
    A changed status queues a message to every subscribed citizen (wake the
    sender after committing); with `completed`, it also schedules their invitations
    to rate the service, `survey_delay` later."""
    conn = await session.connection()
    result = await applications.put_application(
        conn,
        kind=kind,
        number=number,
        status=body.status,
        applicant_name=body.applicant_name,
        birth_date=body.birth_date,
        note=body.note,
        translator=translator,
        now=now,
    )
    stored = result.application
    detail: dict[str, audit.AuditValue] = {
        "created": result.created,
        "status_changed": result.status_changed,
        "notified": result.notified,
    }
    if body.completed and result.status_changed:  # the service is over: rate it
        detail["survey_invitations"] = await survey_invitations.schedule_after_application(
            conn, application_id=stored.id, now=now, delay=survey_delay
        )
    await audit.record(
        session,
        actor=officer.username,
        officer_id=officer.id,
        action=audit.AuditAction.APPLICATION_PUT,
        target=_target(stored),
        detail=detail,
        now=now,
    )
    subscribers = await applications.subscriber_count(conn, application_id=stored.id)
    return _public(stored, subscribers), result.created


async def read_application(
    session: AsyncSession,
    *,
    officer: SignedInOfficer,
    kind: ApplicationKind,
    number: str,
    now: datetime,
) -> ApplicationPublic | None:
    """The application, or None; a view is audited (it shows a name and a date of birth)."""
    conn = await session.connection()
    stored = await applications.get_application(conn, kind=kind, number=number)
    if stored is None:
        return None
    await audit.record(
        session,
        actor=officer.username,
        officer_id=officer.id,
        action=audit.AuditAction.APPLICATION_VIEW,
        target=_target(stored),
        detail={},
        now=now,
    )
    subscribers = await applications.subscriber_count(conn, application_id=stored.id)
    return _public(stored, subscribers)


def _target(stored: ApplicationRecord) -> str:
    return f"{stored.kind.value}:{stored.number}"


def _public(stored: ApplicationRecord, subscribers: int) -> ApplicationPublic:
    return ApplicationPublic(
        kind=stored.kind,
        number=stored.number,
        status=stored.status,
        applicant_name=stored.applicant_name,
        birth_date=stored.birth_date,
        note=stored.note,
        status_changed_at=stored.status_changed_at,
        created_at=stored.created_at,
        updated_at=stored.updated_at,
        subscribers=subscribers,
    )
