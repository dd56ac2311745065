"""The unit tree (Polda → Polres → Polsek): the services behind `/api/v1/units`.

The root (`polda`) and the internal-affairs unit exist from the start
(`ensure_units`); admins add the rest. Officers and cases with no unit
(`unit_id` NULL) belong to the root. `UnitTree` answers which units an
officer's view spans (DESIGN §6 "Who sees a case").

Exceptions::

    UnitError
    ├── InvalidUnitError   a code, parent or area that cannot be used
    └── UnitExistsError    the code is taken
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel.ext.asyncio.session import AsyncSession

from backoffice import audit
from backoffice.officers import SignedInOfficer
from backoffice.schemas.units import UnitCreate, UnitPublic, UnitsPublic
from bot.domain.areas import AreaError, area_from_json, parse_area
from bot.services.units import ROOT_CODE
from bot.storage.tables import units


class UnitError(Exception):
    """A unit cannot be created as asked."""


class InvalidUnitError(UnitError):
    pass


class UnitExistsError(UnitError):
    def __init__(self, code: str) -> None:
        super().__init__(f"a unit with code {code!r} already exists")


@dataclass(frozen=True, slots=True)
class UnitRow:
    id: int
    code: str
    name: str
    parent_id: int | None
    area: str | None


@dataclass(frozen=True, slots=True)
class UnitTree:
    """Every unit, loaded at once: a police region has tens to a few hundred."""

    rows: tuple[UnitRow, ...]

    @property
    def root(self) -> UnitRow | None:
        return next((row for row in self.rows if row.code == ROOT_CODE), None)

    def by_code(self, code: str) -> UnitRow | None:
        return next((row for row in self.rows if row.code == code), None)

    def by_id(self, unit_id: int | None) -> UnitRow | None:
        """The unit with this id; None (no unit) is the root."""
        if unit_id is None:
            return self.root
        return next((row for row in self.rows if row.id == unit_id), None)

    def code_of(self, unit_id: int | None) -> str:
        found = self.by_id(unit_id)
        return found.code if found is not None else ROOT_CODE

    def subtree(self, unit_id: int | None) -> set[int]:
        """The unit and every unit below it (ids)."""
        start = self.by_id(unit_id)
        if start is None:
            return set()
        found, frontier = {start.id}, [start.id]
        while frontier:
            below = [row.id for row in self.rows if row.parent_id in frontier]
            frontier = [unit for unit in below if unit not in found]
            found.update(frontier)
        return found


async def load_tree(conn: AsyncConnection) -> UnitTree:
    found = await conn.execute(
        select(units.c.id, units.c.code, units.c.name, units.c.parent_id, units.c.area).order_by(
            units.c.id
        )
    )
    return UnitTree(tuple(UnitRow(*row) for row in found))


async def ensure_units(
    conn: AsyncConnection, *, root_name: str, internal_affairs: str, now: datetime
) -> None:
    """The root and the internal-affairs unit under it, if missing.

    Workers starting together are safe: each insert gives way to one that
    another worker made a moment before (`ON CONFLICT DO NOTHING` on the code).
    """
    await _insert_if_missing(conn, code=ROOT_CODE, name=root_name, parent_id=None, now=now)
    root = await conn.scalar(select(units.c.id).where(units.c.code == ROOT_CODE))
    if internal_affairs != ROOT_CODE:
        name = "Propam" if internal_affairs == "propam" else internal_affairs
        await _insert_if_missing(conn, code=internal_affairs, name=name, parent_id=root, now=now)


async def _insert_if_missing(
    conn: AsyncConnection, *, code: str, name: str, parent_id: int | None, now: datetime
) -> None:
    values = {"code": code, "name": name, "parent_id": parent_id, "created_at": now}
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    await conn.execute(
        dialect.insert(units).values(**values).on_conflict_do_nothing(index_elements=["code"])
    )


def public_tree(tree: UnitTree) -> UnitsPublic:
    """The units as a nested tree under the root (and any orphan beside it)."""
    children: dict[int | None, list[UnitRow]] = {}
    for row in tree.rows:
        children.setdefault(row.parent_id, []).append(row)

    def node(row: UnitRow, seen: frozenset[int]) -> UnitPublic:
        below = [child for child in children.get(row.id, []) if child.id not in seen]
        return UnitPublic(
            code=row.code,
            name=row.name,
            parent=tree.code_of(row.parent_id) if row.parent_id is not None else None,
            area=_area_json(row.area),
            children=[node(child, seen | {child.id}) for child in below],
        )

    return UnitsPublic(items=[node(row, frozenset({row.id})) for row in children.get(None, [])])


async def create_unit(
    session: AsyncSession, *, officer: SignedInOfficer, body: UnitCreate, now: datetime
) -> UnitPublic:
    """Add a unit under an existing one; raises `InvalidUnitError`, `UnitExistsError`."""
    conn = await session.connection()
    tree = await load_tree(conn)
    parent = tree.by_code(body.parent)
    if parent is None:
        raise InvalidUnitError(f"no unit with code {body.parent!r} to put it under")
    area = None
    if body.area is not None:
        try:
            area = json.dumps(parse_area(body.area).to_json())
        except AreaError as error:
            raise InvalidUnitError(str(error)) from None
    if tree.by_code(body.code) is not None:
        raise UnitExistsError(body.code)
    try:
        async with session.begin_nested():
            await conn.execute(
                insert(units).values(
                    code=body.code, name=body.name, parent_id=parent.id, area=area, created_at=now
                )
            )
    except IntegrityError:
        raise UnitExistsError(body.code) from None
    await audit.record(
        session,
        actor=officer.username,
        officer_id=officer.id,
        action=audit.AuditAction.UNIT_ADD,
        target=body.code,
        detail={"parent": parent.code, "area": area is not None},
        now=now,
    )
    return UnitPublic(
        code=body.code, name=body.name, parent=parent.code, area=_area_json(area), children=[]
    )


def _area_json(text: str | None) -> dict[str, Any] | None:
    area = area_from_json(text)
    return None if area is None else area.to_json()
