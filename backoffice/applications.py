"""Application statuses as the front office publishes them: the services behind
`/api/v1/applications`.

Each function runs in the caller's session; it adds its audit entry there
and the route commits. Audit details hold flags and counts only: never the
applicant's name, date of birth or the status wording. The domain itself
(upsert, telling subscribers, citizens' lookups) is `bot.services.applications`'.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backoffice import audit
from backoffice.officers import SignedInOfficer
from backoffice.schemas.applications import (
    ApplicationHistoryPublic,
    ApplicationListItem,
    ApplicationPublic,
    ApplicationPut,
    ApplicationsPublic,
    ApplicationStatusChangePublic,
)
from bot.domain.applications import ApplicationKind
from bot.domain.i18n import Translator
from bot.services import applications, survey_invitations
from bot.services.applications import ApplicationRecord, PutResult
from bot.storage.tables import application_changes
from bot.storage.tables import applications as applications_table


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
    source: str = "api",
) -> tuple[ApplicationPublic, PutResult]:
    """Create or replace the application; what is stored and what the write did.
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
        actor=officer.username,
        source=source,
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
    return _public(stored, subscribers), result


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


async def list_applications(
    session: AsyncSession,
    *,
    officer: SignedInOfficer,
    kind: ApplicationKind | None,
    status: str | None,
    q: str | None,
    page: int,
    per_page: int,
    now: datetime,
) -> ApplicationsPublic:
    """One page of applications, the latest status change first. `status` matches
    words of the status, `q` words of the number or the applicant's name."""
    conditions: list[ColumnElement[bool]] = []
    if kind is not None:
        conditions.append(applications_table.c.kind == kind.value)
    wanted_status = (status or "").strip()
    if wanted_status:
        conditions.append(applications_table.c.status.icontains(wanted_status, autoescape=True))
    search = (q or "").strip()
    if search:
        conditions.append(
            or_(
                applications_table.c.number.icontains(search, autoescape=True),
                applications_table.c.applicant_name.icontains(search, autoescape=True),
            )
        )
    conn = await session.connection()
    total = await conn.scalar(
        select(func.count()).select_from(applications_table).where(*conditions)
    )
    rows = await conn.execute(
        select(applications_table)
        .where(*conditions)
        .order_by(applications_table.c.status_changed_at.desc(), applications_table.c.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    items = [
        ApplicationListItem(
            kind=ApplicationKind(row.kind),
            number=row.number,
            status=row.status,
            note=row.note,
            status_changed_at=row.status_changed_at,
            updated_at=row.updated_at,
        )
        for row in rows
    ]
    await audit.record(
        session,
        actor=officer.username,
        officer_id=officer.id,
        action=audit.AuditAction.APPLICATIONS_LIST,
        target=None,
        # Whether a search ran, never its words: officers search for names.
        detail={"kind": kind, "searched": bool(search or wanted_status), "total": int(total or 0)},
        now=now,
    )
    return ApplicationsPublic(items=items, total=int(total or 0))


async def application_history(
    session: AsyncSession,
    *,
    officer: SignedInOfficer,
    kind: ApplicationKind,
    number: str,
    now: datetime,
) -> ApplicationHistoryPublic | None:
    """Every status the application went through, oldest first; None: no such application."""
    conn = await session.connection()
    stored = await applications.get_application(conn, kind=kind, number=number)
    if stored is None:
        return None
    rows = await conn.execute(
        select(application_changes)
        .where(application_changes.c.application_id == stored.id)
        .order_by(application_changes.c.created_at, application_changes.c.id)
    )
    history = [
        ApplicationStatusChangePublic(
            from_status=row.from_status,
            to_status=row.to_status,
            note=row.note,
            source=row.source,
            actor=row.actor,
            at=row.created_at,
        )
        for row in rows
    ]
    await audit.record(
        session,
        actor=officer.username,
        officer_id=officer.id,
        action=audit.AuditAction.APPLICATION_HISTORY,
        target=_target(stored),
        detail={"changes": len(history)},
        now=now,
    )
    return ApplicationHistoryPublic(kind=stored.kind, number=stored.number, history=history)
