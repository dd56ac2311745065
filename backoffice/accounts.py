"""Managing officer accounts: the list, a new officer in a unit, and changes to
role, unit, active and password (admins through the API, operators through the CLI).

Disabling an officer or giving them a new password revokes every token they
hold at once, in the same transaction. No change may leave the service
without an active admin (`LastAdminError`): the last one cannot disable or
demote themselves. Functions work in the caller's session, write their audit
entry, and leave committing to the caller; errors are those of
`backoffice.officers`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backoffice import audit, security
from backoffice.officers import (
    InvalidOfficerError,
    LastAdminError,
    Role,
    UnknownOfficerError,
    add_officer,
    check_password,
    normalize_username,
    revoke_all_tokens,
)
from bot.storage.models import Officer, Unit

ROOT_UNIT_CODE = "polda"  # an officer without a unit belongs to the root (DESIGN §5)


@dataclass(frozen=True, slots=True)
class Actor:
    """Who changes accounts: an admin (with an id) or the command line (without)."""

    username: str
    officer_id: int | None = None


@dataclass(frozen=True, slots=True)
class OfficerChange:
    """What to change; None leaves a field as it is."""

    role: Role | None = None
    unit: str | None = None
    active: bool | None = None
    password: str | None = None


@dataclass(frozen=True, slots=True)
class OfficerView:
    username: str
    full_name: str
    role: Role
    unit: str
    active: bool
    created_at: datetime


async def list_officers(session: AsyncSession, *, actor: Actor, now: datetime) -> list[OfficerView]:
    """Every officer, by username."""
    rows = await session.exec(
        select(Officer, Unit.code)
        .join(Unit, col(Unit.id) == col(Officer.unit_id), isouter=True)
        .order_by(col(Officer.username))
    )
    found = [_view(officer, code) for officer, code in rows]
    await _record(session, actor, audit.AuditAction.OFFICERS_LIST, None, {"total": len(found)}, now)
    return found


async def create_officer(
    session: AsyncSession,
    *,
    actor: Actor,
    username: str,
    password: str,
    role: Role,
    unit: str | None,
    full_name: str,
    now: datetime,
) -> OfficerView:
    """A new active officer in `unit` (a code; None: the root)."""
    unit_id = None if unit is None else await unit_id_of(session, unit)
    officer = await add_officer(
        session,
        username=username,
        password=password,
        role=role,
        full_name=full_name,
        now=now,
        unit_id=unit_id,
    )
    code = unit or ROOT_UNIT_CODE
    await _record(
        session,
        actor,
        audit.AuditAction.OFFICER_ADD,
        officer.username,
        {"role": role, "unit": code},
        now,
    )
    return _view(officer, code)


async def change_officer(
    session: AsyncSession, *, actor: Actor, username: str, change: OfficerChange, now: datetime
) -> OfficerView:
    """Apply `change`; raises `UnknownOfficerError`, `InvalidOfficerError` (a weak
    password, an unknown unit) or `LastAdminError`."""
    if change.role is not None or change.active is not None:
        await _lock_admins(session)  # two admins disabling each other: one waits, then sees it
    officer = await _officer(session, username)
    assert officer.id is not None, "a stored officer has an id"
    detail: dict[str, audit.AuditValue] = {}
    if change.password is not None:
        check_password(change.password, username=officer.username)
        officer.password_hash = await security.hash_password(change.password)
        detail["password_changed"] = True
    if change.role is not None and change.role != officer.role:
        detail["role"] = officer.role = change.role
    if change.unit is not None:
        officer.unit_id = await unit_id_of(session, change.unit)
        detail["unit"] = change.unit
    if change.active is not None and change.active != officer.active:
        detail["active"] = officer.active = change.active
    session.add(officer)
    await session.flush()
    if await _active_admins(session) == 0:
        raise LastAdminError
    if change.password is not None or change.active is False:
        await revoke_all_tokens(session, officer_id=officer.id)
        detail["tokens_revoked"] = True
    await _record(session, actor, audit.AuditAction.OFFICER_UPDATE, officer.username, detail, now)
    return _view(officer, await _unit_code(session, officer.unit_id))


async def unit_id_of(session: AsyncSession, code: str) -> int | None:
    """The id of the unit with this code (None: the root, when it has no row);
    raises `InvalidOfficerError` for no such unit."""
    found = (await session.exec(select(Unit.id).where(Unit.code == code))).one_or_none()
    if found is None and code != ROOT_UNIT_CODE:
        raise InvalidOfficerError(f"no unit with code {code!r}")
    return found


async def _unit_code(session: AsyncSession, unit_id: int | None) -> str:
    if unit_id is None:
        return ROOT_UNIT_CODE
    return (await session.exec(select(Unit.code).where(Unit.id == unit_id))).one()


async def _officer(session: AsyncSession, username: str) -> Officer:
    found = (
        await session.exec(
            select(Officer)
            .where(Officer.username == normalize_username(username))
            .with_for_update()
        )
    ).one_or_none()
    if found is None:
        raise UnknownOfficerError(normalize_username(username))
    return found


async def _lock_admins(session: AsyncSession) -> None:
    query = select(Officer.id).where(col(Officer.role) == Role.ADMIN.value)
    await session.exec(query.order_by(col(Officer.id)).with_for_update())


async def _active_admins(session: AsyncSession) -> int:
    query = select(func.count()).where(
        col(Officer.role) == Role.ADMIN.value, col(Officer.active).is_(True)
    )
    return (await session.exec(query)).one()


def _view(officer: Officer, unit_code: str | None) -> OfficerView:
    return OfficerView(
        username=officer.username,
        full_name=officer.full_name,
        role=Role(officer.role),
        unit=unit_code or ROOT_UNIT_CODE,
        active=officer.active,
        created_at=officer.created_at,
    )


async def _record(
    session: AsyncSession,
    actor: Actor,
    action: audit.AuditAction,
    target: str | None,
    detail: dict[str, audit.AuditValue],
    now: datetime,
) -> None:
    await audit.record(
        session,
        actor=actor.username,
        officer_id=actor.officer_id,
        action=action,
        target=target,
        detail=detail,
        now=now,
    )
