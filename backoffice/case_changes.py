"""Working a case: `PATCH /api/v1/cases/{ref}` — status, priority, unit, assignee,
confidentiality (DESIGN §5, §6).

Officers may take a case (assign it to themselves), change its status and
priority and make it confidential; moving it to another unit, assigning
someone else and lifting confidentiality is for supervisors and admins.
Status changes are in `case_status_changes` and the citizen is told of them
(`bot.services.casework.change_status`); every change is in the audit log.

Exceptions::

    CaseChangeError
    ├── ChangeForbiddenError   the officer's role may not make it (403)
    └── InvalidChangeError     an unknown unit or assignee, or an assignee
                               who could not see the case (422)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backoffice import audit, units
from backoffice.officers import Role, SignedInOfficer, normalize_username, signed_in
from backoffice.schemas.cases import CaseUpdate
from backoffice.visibility import view_of
from bot.domain.i18n import Translator
from bot.domain.sla import SlaPolicy
from bot.services import casework
from bot.services.casework import CaseStatus
from bot.storage.models import Case, Officer
from bot.storage.tables import cases

PRIVILEGED = frozenset({Role.SUPERVISOR, Role.ADMIN})


class CaseChangeError(Exception):
    """A change to a case that cannot be made as asked."""


class ChangeForbiddenError(CaseChangeError):
    pass


class InvalidChangeError(CaseChangeError):
    pass


@dataclass
class _Plan:
    """The case's fields as they will be, and what changed (for the audit log)."""

    unit_id: int | None
    confidential: bool
    assignee_id: int | None
    values: dict[str, object] = field(default_factory=dict)
    detail: dict[str, audit.AuditValue] = field(default_factory=dict)


async def update_case(
    session: AsyncSession,
    *,
    officer: SignedInOfficer,
    case: Case,
    changes: CaseUpdate,
    translator: Translator,
    now: datetime,
    sla: SlaPolicy,
) -> bool:
    """Apply `changes` to `case` (locked by the caller); whether anything changed."""
    conn = await session.connection()
    tree = await units.load_tree(conn)
    privileged = officer.role in PRIVILEGED
    given = changes.model_fields_set
    plan = _Plan(case.unit_id, case.confidential, case.assignee_id)
    if changes.unit is not None:
        _move(plan, tree, case, changes.unit, privileged)
    if changes.confidential is not None and changes.confidential != case.confidential:
        if not changes.confidential and not privileged:
            raise ChangeForbiddenError("lifting confidentiality is for supervisors and admins")
        plan.confidential = plan.values["confidential"] = changes.confidential
        plan.detail["confidential"] = changes.confidential
    if "assignee" in given:
        await _assign(session, plan, tree, case, officer, changes.assignee, privileged)
    elif plan.assignee_id is not None and "unit" in plan.detail:
        await _drop_blind_assignee(session, plan, tree)
    if changes.priority is not None and changes.priority != case.priority:
        plan.values["priority"] = plan.detail["priority"] = changes.priority.value
    if plan.values:
        await conn.execute(
            update(cases).where(cases.c.id == case.id).values(**plan.values, updated_at=now)
        )
    if changes.status is not None:
        assert case.id is not None, "a stored case has an id"
        moved = await casework.change_status(
            conn,
            case_id=case.id,
            officer=officer,
            status=CaseStatus(changes.status.value),
            translator=translator,
            now=now,
            sla=sla,
        )
        if moved:
            plan.detail["from_status"] = case.status
            plan.detail["status"] = changes.status.value
    if not plan.detail:
        return False
    await audit.record(
        session,
        actor=officer.username,
        officer_id=officer.id,
        action=audit.AuditAction.CASE_UPDATE,
        target=case.ref,
        detail=plan.detail,
        now=now,
    )
    await session.refresh(case)
    return True


def _move(plan: _Plan, tree: units.UnitTree, case: Case, code: str, privileged: bool) -> None:
    target = tree.by_code(code)
    if target is None:
        raise InvalidChangeError(f"no unit with code {code!r}")
    if target.code == tree.code_of(case.unit_id):
        return
    if not privileged:
        raise ChangeForbiddenError("moving a case to another unit is for supervisors and admins")
    plan.unit_id = plan.values["unit_id"] = target.id
    plan.detail["unit"] = target.code


async def _assign(
    session: AsyncSession,
    plan: _Plan,
    tree: units.UnitTree,
    case: Case,
    officer: SignedInOfficer,
    username: str | None,
    privileged: bool,
) -> None:
    assignee = None if username is None else await _officer(session, username)
    if username is not None and assignee is None:
        raise InvalidChangeError(f"no active officer named {username!r}")
    new_id = None if assignee is None else assignee.id
    if new_id == case.assignee_id:
        return
    taking_or_leaving = new_id == officer.id or (new_id is None and case.assignee_id == officer.id)
    if not privileged and not taking_or_leaving:
        raise ChangeForbiddenError("assigning a case to someone else is for supervisors and admins")
    if assignee is not None and not _can_see(assignee, tree, plan):
        raise InvalidChangeError(
            f"{assignee.username} could not see this case (its unit is not in their view)"
        )
    plan.assignee_id = plan.values["assignee_id"] = new_id
    plan.detail["assignee"] = None if assignee is None else assignee.username


async def _drop_blind_assignee(session: AsyncSession, plan: _Plan, tree: units.UnitTree) -> None:
    """A case moved out of its assignee's view is theirs no more."""
    current = await session.get(Officer, plan.assignee_id)
    if current is None or not _can_see(current, tree, plan):
        plan.assignee_id = plan.values["assignee_id"] = None
        plan.detail["assignee"] = None


def _can_see(assignee: Officer, tree: units.UnitTree, plan: _Plan) -> bool:
    """Whether the case is in the officer's units: a confidential case is then
    theirs to see by being assigned it."""
    return view_of(signed_in(assignee), tree).sees_unit(plan.unit_id, confidential=False)


async def _officer(session: AsyncSession, username: str) -> Officer | None:
    return (
        await session.exec(
            select(Officer).where(
                Officer.username == normalize_username(username), col(Officer.active).is_(True)
            )
        )
    ).one_or_none()
