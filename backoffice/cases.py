"""Cases as officers see and work them: the services behind `/api/v1/cases`.

Each function runs in the caller's session and writes its audit entry
there; the route commits. Which cases an officer may see is decided by the
caller-supplied `scope` (see `backoffice.api.deps.case_scope`), so every
query here honours the same rule.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Subquery, exists, func, or_, sql, union_all
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backoffice import audit, media
from backoffice.officers import SignedInOfficer
from backoffice.schemas.cases import (
    CaseDetailPublic,
    CaseKind,
    CaseListItemPublic,
    CaseMessagePublic,
    CasePublic,
    CasesPublic,
    Direction,
    DuplicatePublic,
    LocationPublic,
    OccurredPublic,
    ReporterPublic,
    StatusChangePublic,
)
from bot.domain.i18n import Translator
from bot.services import casework
from bot.services.casework import CaseStatus
from bot.storage.models import Case, CaseLink, CaseMessage, CaseStatusChange, Contact, Media


async def find_case(
    session: AsyncSession, *, ref: str, scope: ColumnElement[bool], for_update: bool = False
) -> Case | None:
    """The case with this reference, if the scope lets the officer see it.

    `for_update` locks the row (PostgreSQL) so that two officers acting on
    one case take turns; SQLite transactions are serialized anyway.
    """
    statement = select(Case).where(Case.ref == ref.strip().upper(), scope)
    if for_update:
        statement = statement.with_for_update()
    return (await session.exec(statement)).one_or_none()


async def list_cases(
    session: AsyncSession,
    *,
    officer: SignedInOfficer,
    scope: ColumnElement[bool],
    status: CaseStatus | None,
    kind: CaseKind | None,
    q: str | None,
    page: int,
    per_page: int,
    now: datetime,
) -> CasesPublic:
    """One page of cases, newest first, with the number of all that match."""
    conditions = [scope]
    if status is not None:
        conditions.append(col(Case.status) == status)
    if kind is not None:
        conditions.append(col(Case.kind) == kind)
    search = (q or "").strip()
    if search:
        conditions.append(_mentions(search))
    total = (await session.exec(select(func.count()).select_from(Case).where(*conditions))).one()
    rows = await session.exec(
        select(Case, Contact.display_name)
        .join(Contact, col(Contact.id) == col(Case.contact_id))
        .where(*conditions)
        .order_by(col(Case.created_at).desc(), col(Case.id).desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    found = rows.all()
    counts = await _duplicate_counts(session, [_id(case) for case, _ in found], scope)
    items = [
        CaseListItemPublic(
            **_public(case, display_name).model_dump(), duplicate_count=counts.get(_id(case), 0)
        )
        for case, display_name in found
    ]
    await audit.record(
        session,
        actor=officer.username,
        officer_id=officer.id,
        action=audit.AuditAction.CASES_LIST,
        target=None,
        # Whether a search ran, never its words: officers search for names.
        detail={
            "status": status,
            "kind": kind,
            "searched": bool(search),
            "page": page,
            "per_page": per_page,
            "total": total,
            # how many named reporters' names the page showed (their refs: `case.view`)
            "named_shown": sum(1 for item in items if item.reporter is not None),
        },
        now=now,
    )
    return CasesPublic(items=items, total=total)


async def view_case(
    session: AsyncSession,
    *,
    officer: SignedInOfficer,
    scope: ColumnElement[bool],
    case: Case,
    now: datetime,
) -> CaseDetailPublic:
    """The case with its timeline, status history, attachments and possible duplicates."""
    case_id = _id(case)
    messages = await session.exec(
        select(CaseMessage)
        .where(CaseMessage.case_id == case_id)
        .order_by(col(CaseMessage.created_at), col(CaseMessage.id))
    )
    changes = await session.exec(
        select(CaseStatusChange)
        .where(CaseStatusChange.case_id == case_id)
        .order_by(col(CaseStatusChange.created_at), col(CaseStatusChange.id))
    )
    files = await session.exec(
        select(Media).where(Media.case_id == case_id).order_by(col(Media.created_at), col(Media.id))
    )
    detail = CaseDetailPublic(
        **_public(case, await _display_name(session, case)).model_dump(),
        messages=[_message(message) for message in messages],
        status_history=[
            StatusChangePublic(
                from_status=change.from_status,
                to_status=change.to_status,
                actor=change.actor,
                at=change.created_at,
            )
            for change in changes
        ],
        attachments=[media.attachment(file, case) for file in files],
        possible_duplicates=await _possible_duplicates(session, case_id=case_id, scope=scope),
    )
    # A named reporter's name and words: a view of personal data, on the record.
    personal: dict[str, audit.AuditValue] = {"personal_data": not case.anonymous}
    await _record(session, officer, audit.AuditAction.CASE_VIEW, case, personal, now)
    return detail


async def reply_to_case(
    session: AsyncSession,
    *,
    officer: SignedInOfficer,
    case: Case,
    text: str,
    translator: Translator,
    now: datetime,
) -> CaseMessagePublic:
    """Store the reply and queue it to the citizen; raises `casework.CaseClosedError`."""
    conn = await session.connection()
    message_id = await casework.reply(
        conn, case_id=_id(case), officer=officer, text=text, translator=translator, now=now
    )
    message = await session.get_one(CaseMessage, message_id)
    await _record(
        session, officer, audit.AuditAction.CASE_REPLY, case, {"message_id": message_id}, now
    )
    return _message(message)


async def close_case(
    session: AsyncSession,
    *,
    officer: SignedInOfficer,
    case: Case,
    resolution: str,
    translator: Translator,
    now: datetime,
    survey_delay: timedelta,
) -> CasePublic:
    """Close the case and queue the citizen's notice; raises `casework.CaseClosedError`
    for a case already closed (the domain service would quietly do nothing)."""
    if case.status == CaseStatus.CLOSED:
        raise casework.CaseClosedError(case.ref)
    previous = case.status
    conn = await session.connection()
    await casework.close(
        conn,
        case_id=_id(case),
        officer=officer,
        resolution=resolution,
        translator=translator,
        now=now,
        survey_delay=survey_delay,
    )
    await session.refresh(case)
    await _record(
        session, officer, audit.AuditAction.CASE_CLOSE, case, {"from_status": previous}, now
    )
    return _public(case, await _display_name(session, case))


def _mentions(search: str) -> ColumnElement[bool]:
    """Case-insensitive substring match on the reference, the description or
    any message; `%` and `_` typed by the officer match themselves."""
    in_messages = exists().where(
        col(CaseMessage.case_id) == col(Case.id),
        col(CaseMessage.text).icontains(search, autoescape=True),
    )
    return or_(
        col(Case.ref).icontains(search, autoescape=True),
        col(Case.description).icontains(search, autoescape=True),
        in_messages,
    )


async def _display_name(session: AsyncSession, case: Case) -> str | None:
    if case.anonymous:
        return None
    return (
        await session.exec(select(Contact.display_name).where(Contact.id == case.contact_id))
    ).one()


def _links() -> Subquery:
    """Every duplicate link seen from each of its two cases: (case_id, other_id, score)."""
    case_id, other_id = col(CaseLink.case_id), col(CaseLink.other_case_id)
    score = col(CaseLink.score)
    return union_all(
        sql.select(case_id.label("case_id"), other_id.label("other_id"), score.label("score")),
        sql.select(other_id, case_id, score),
    ).subquery("links")


async def _possible_duplicates(
    session: AsyncSession, *, case_id: int, scope: ColumnElement[bool]
) -> list[DuplicatePublic]:
    links = _links()
    rows = await session.exec(
        select(Case.ref, links.c.score, Case.created_at, Case.status)
        .join(links, links.c.other_id == col(Case.id))
        .where(links.c.case_id == case_id, scope)
        .order_by(links.c.score.desc(), col(Case.created_at), col(Case.id))
    )
    return [
        DuplicatePublic(ref=ref, score=score, created_at=created_at, status=CaseStatus(status))
        for ref, score, created_at, status in rows
    ]


async def _duplicate_counts(
    session: AsyncSession, case_ids: list[int], scope: ColumnElement[bool]
) -> dict[int, int]:
    """How many possible duplicates each case has, for a whole page in one query."""
    if not case_ids:
        return {}
    links = _links()
    rows = await session.exec(
        select(links.c.case_id, func.count())
        .join(Case, col(Case.id) == links.c.other_id)
        .where(links.c.case_id.in_(case_ids), scope)
        .group_by(links.c.case_id)
    )
    return {case_id: count for case_id, count in rows}


def _public(case: Case, display_name: str | None) -> CasePublic:
    has_place = case.latitude is not None or case.longitude is not None or case.address
    return CasePublic(
        ref=case.ref,
        kind=CaseKind(case.kind),
        status=CaseStatus(case.status),
        category=case.category,
        description=case.description,
        channel=case.channel,
        anonymous=case.anonymous,
        priority=case.priority,
        sla_due_at=case.sla_due_at,
        location=LocationPublic(
            latitude=case.latitude, longitude=case.longitude, address=case.address
        )
        if has_place
        else None,
        occurred=OccurredPublic(at=case.occurred_at, words=case.occurred_text)
        if case.kind == CaseKind.INCIDENT
        else None,
        reporter=None if case.anonymous else ReporterPublic(display_name=display_name),
        resolution=case.resolution,
        created_at=case.created_at,
        updated_at=case.updated_at,
        closed_at=case.closed_at,
    )


def _message(message: CaseMessage) -> CaseMessagePublic:
    return CaseMessagePublic(
        id=_id(message),
        direction=Direction(message.direction),
        text=message.text,
        author=message.author,
        attachment_id=message.media_id,
        delivery_status=message.delivery_status,
        created_at=message.created_at,
    )


async def _record(
    session: AsyncSession,
    officer: SignedInOfficer,
    action: audit.AuditAction,
    case: Case,
    detail: dict[str, audit.AuditValue],
    now: datetime,
) -> None:
    await audit.record(
        session,
        actor=officer.username,
        officer_id=officer.id,
        action=action,
        target=case.ref,
        detail=detail,
        now=now,
    )


def _id(row: Case | CaseMessage | Media) -> int:
    assert row.id is not None, "a stored row has an id"
    return row.id
