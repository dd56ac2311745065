"""Cases as officers see and work them: the services behind `/api/v1/cases`.

Each function runs in the caller's session and writes its audit entry
there; the route commits. Which cases an officer may see is decided by the
caller-supplied `scope` (see `backoffice.api.deps.case_scope`), so every
query here honours the same rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Subquery, exists, func, or_, sql, union_all
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backoffice import audit, media, units
from backoffice.officers import SignedInOfficer, normalize_username
from backoffice.schemas.cases import (
    CaseDetailPublic,
    CaseKind,
    CaseListItemPublic,
    CaseMessagePublic,
    CasePublic,
    CaseSort,
    CasesPublic,
    Direction,
    DuplicatePublic,
    LocationPublic,
    OccurredPublic,
    Priority,
    ReporterPublic,
    StatusChangePublic,
)
from backoffice.sla import overdue_condition, sla_of, sla_state_condition
from bot.domain.i18n import Translator
from bot.domain.sla import SlaPolicy, SlaState
from bot.services import casework
from bot.services.casework import CaseStatus
from bot.storage.models import (
    Case,
    CaseLink,
    CaseMessage,
    CaseStatusChange,
    Contact,
    Media,
    Officer,
)


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


class InvalidFilterError(ValueError):
    """A filter naming a unit or an officer that does not exist."""


@dataclass(frozen=True, slots=True)
class CaseFilters:
    """What the queue is narrowed to; None is "any"."""

    status: CaseStatus | None = None
    kind: CaseKind | None = None
    category: str | None = None
    unit: str | None = None
    assignee: str | None = None
    priority: Priority | None = None
    anonymous: bool | None = None
    confidential: bool | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    q: str | None = None
    sla: SlaState | None = None
    sort: CaseSort = CaseSort.URGENT


async def list_cases(
    session: AsyncSession,
    *,
    officer: SignedInOfficer,
    scope: ColumnElement[bool],
    filters: CaseFilters,
    page: int,
    per_page: int,
    now: datetime,
) -> CasesPublic:
    """One page of cases in the filters' order (by default urgent first, then
    overdue, then newest), with the number of all that match.

    Raises `InvalidFilterError` for an unknown unit or assignee.
    """
    tree = await units.load_tree(await session.connection())
    conditions = [scope, *await _conditions(session, tree, filters)]
    search = (filters.q or "").strip()
    if search:
        conditions.append(_mentions(search))
    if filters.sla is not None:
        conditions.append(sla_state_condition(filters.sla, now))
    total = (await session.exec(select(func.count()).select_from(Case).where(*conditions))).one()
    rows = await session.exec(
        select(Case, Contact.display_name)
        .join(Contact, col(Contact.id) == col(Case.contact_id))
        .where(*conditions)
        .order_by(*_order(filters.sort, now))
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    found = rows.all()
    counts = await _duplicate_counts(session, [_id(case) for case, _ in found], scope)
    labels = await _labels(session, tree, [case for case, _ in found])
    items = [
        CaseListItemPublic(
            **_public(case, display_name, labels, now).model_dump(),
            duplicate_count=counts.get(_id(case), 0),
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
            "status": filters.status,
            "kind": filters.kind,
            "unit": filters.unit,
            "sort": filters.sort,
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
    evidence_key: bytes,
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
    labels = await _labels(session, await units.load_tree(await session.connection()), [case])
    detail = CaseDetailPublic(
        **_public(case, await _display_name(session, case), labels, now).model_dump(),
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
        attachments=[media.attachment(file, case, evidence_key) for file in files],
        possible_duplicates=await _possible_duplicates(session, case_id=case_id, scope=scope),
    )
    # A named reporter's name and words: a view of personal data, on the record.
    personal: dict[str, audit.AuditValue] = {"personal_data": not case.anonymous}
    await audit.record_by(session, officer, audit.AuditAction.CASE_VIEW, case.ref, personal, now)
    return detail


async def reply_to_case(
    session: AsyncSession,
    *,
    officer: SignedInOfficer,
    case: Case,
    text: str,
    translator: Translator,
    now: datetime,
    sla: SlaPolicy,
) -> CaseMessagePublic:
    """Store the reply and queue it to the citizen; raises `casework.CaseClosedError`."""
    conn = await session.connection()
    message_id = await casework.reply(
        conn,
        case_id=_id(case),
        officer=officer,
        text=text,
        translator=translator,
        now=now,
        sla=sla,
    )
    message = await session.get_one(CaseMessage, message_id)
    await audit.record_by(
        session, officer, audit.AuditAction.CASE_REPLY, case.ref, {"message_id": message_id}, now
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
    sla: SlaPolicy,
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
        sla=sla,
    )
    await session.refresh(case)
    await audit.record_by(
        session, officer, audit.AuditAction.CASE_CLOSE, case.ref, {"from_status": previous}, now
    )
    return await public_case(session, case, now)


async def add_note(
    session: AsyncSession, *, officer: SignedInOfficer, case: Case, text: str, now: datetime
) -> CaseMessagePublic:
    """An internal note in the case's timeline; the citizen never gets it."""
    conn = await session.connection()
    message_id = await casework.add_note(
        conn, case_id=_id(case), officer=officer, text=text, now=now
    )
    message = await session.get_one(CaseMessage, message_id)
    await audit.record_by(
        session, officer, audit.AuditAction.CASE_NOTE, case.ref, {"message_id": message_id}, now
    )
    return _message(message)


async def public_case(session: AsyncSession, case: Case, now: datetime) -> CasePublic:
    labels = await _labels(session, await units.load_tree(await session.connection()), [case])
    return _public(case, await _display_name(session, case), labels, now)


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


@dataclass(frozen=True, slots=True)
class _Labels:
    """How a page of cases names units and assignees."""

    tree: units.UnitTree
    usernames: dict[int, str]


async def _labels(session: AsyncSession, tree: units.UnitTree, found: list[Case]) -> _Labels:
    ids = {case.assignee_id for case in found if case.assignee_id is not None}
    names: dict[int, str] = {}
    if ids:
        rows = await session.exec(
            select(Officer.id, Officer.username).where(col(Officer.id).in_(sorted(ids)))
        )
        names = {officer_id: username for officer_id, username in rows if officer_id is not None}
    return _Labels(tree, names)


async def _conditions(
    session: AsyncSession, tree: units.UnitTree, filters: CaseFilters
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    exact = {
        col(Case.status): filters.status,
        col(Case.kind): filters.kind,
        col(Case.category): filters.category,
        col(Case.priority): filters.priority,
        col(Case.anonymous): filters.anonymous,
        col(Case.confidential): filters.confidential,
    }
    conditions.extend(column == value for column, value in exact.items() if value is not None)
    if filters.created_from is not None:
        conditions.append(col(Case.created_at) >= filters.created_from)
    if filters.created_to is not None:
        conditions.append(col(Case.created_at) < filters.created_to)
    if filters.unit is not None:
        unit = tree.by_code(filters.unit)
        if unit is None:
            raise InvalidFilterError(f"no unit with code {filters.unit!r}")
        conditions.append(in_unit(tree, unit.id))
    if filters.assignee is not None:
        found = (
            await session.exec(
                select(Officer.id).where(Officer.username == normalize_username(filters.assignee))
            )
        ).one_or_none()
        if found is None:
            raise InvalidFilterError(f"no officer named {filters.assignee!r}")
        conditions.append(col(Case.assignee_id) == found)
    return conditions


def in_unit(tree: units.UnitTree, unit_id: int) -> ColumnElement[bool]:
    """The cases of this unit (the root's include those with no unit)."""
    root = tree.root
    if root is not None and root.id == unit_id:
        return or_(col(Case.unit_id).is_(None), col(Case.unit_id) == unit_id)
    return col(Case.unit_id) == unit_id


def _order(sort: CaseSort, now: datetime) -> list[Any]:
    newest = [col(Case.created_at).desc(), col(Case.id).desc()]
    if sort is CaseSort.NEWEST:
        return newest
    if sort is CaseSort.OLDEST:
        return [col(Case.created_at), col(Case.id)]
    if sort is CaseSort.DUE:  # the running clock's next due time
        due = col(Case.sla_next_due_at)
        return [sql.case((due.is_(None), 1), else_=0), due, *newest]
    urgent = sql.case((col(Case.priority) == Priority.URGENT.value, 0), else_=1)
    overdue = sql.case((overdue_condition(now), 0), else_=1)
    return [urgent, overdue, *newest]


def _public(case: Case, display_name: str | None, labels: _Labels, now: datetime) -> CasePublic:
    sla = sla_of(case, now)
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
        sla_state=sla.state,
        sla=sla,
        unit=labels.tree.code_of(case.unit_id),
        assignee=labels.usernames.get(case.assignee_id) if case.assignee_id is not None else None,
        confidential=case.confidential,
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


def _id(row: Case | CaseMessage | Media) -> int:
    assert row.id is not None, "a stored row has an id"
    return row.id
