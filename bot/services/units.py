"""Which unit a new case is filed to (DESIGN §6 "Who sees a case"), on the hot path's `Tx`.

A complaint about officers' conduct goes to the internal-affairs unit, so
the unit it is about never sees it (recusal). An incident whose place lies
in a unit's area goes to that unit, the deepest one when areas nest.
Everything else stays with the root (`unit_id` NULL) until a supervisor
moves it. The unit tree is read in the filing transaction itself: it is
small, cases are opened far less often than messages arrive, and every
worker sees a unit the moment an admin adds it.
"""

from __future__ import annotations

from bot.domain.areas import UnitArea, area_from_json, unit_at
from bot.storage.direct import Tx

ROOT_CODE = "polda"  # DESIGN §5: the root unit's fixed code
RECUSED_CATEGORIES = frozenset({"officer_conduct"})

UNIT_BY_CODE = "SELECT id FROM units WHERE code = :code"
UNIT_TREE = "SELECT id, parent_id, area FROM units"
ROUTE_CASE = "UPDATE cases SET unit_id = :unit_id WHERE id = :case_id AND unit_id IS NULL"


def filing_unit(tx: Tx, *, kind: str, category: str, internal_affairs: str) -> int | None:
    """The unit a new case starts in by its category; None is the root."""
    if kind != "complaint" or category not in RECUSED_CATEGORIES:
        return None
    found = tx.rows(UNIT_BY_CODE, {"code": internal_affairs})
    return int(found[0][0]) if found else None


def route_by_place(tx: Tx, *, case_id: int, latitude: float, longitude: float) -> None:
    """File the case to the unit whose area holds the place, unless it already
    has a unit (recused, or moved by a supervisor)."""
    unit_id = unit_at(unit_areas(tx), latitude, longitude)
    if unit_id is not None:
        tx.execute(ROUTE_CASE, {"unit_id": unit_id, "case_id": case_id})


def unit_areas(tx: Tx) -> list[UnitArea]:
    """Every unit that has an area, with its depth in the tree."""
    rows = tx.rows(UNIT_TREE, {})
    parents = {int(unit_id): parent for unit_id, parent, _ in rows}
    found = []
    for unit_id, _, text in rows:
        area = area_from_json(text)
        if area is not None:
            found.append(UnitArea(int(unit_id), _depth(int(unit_id), parents), area))
    return found


def _depth(unit_id: int, parents: dict[int, int | None]) -> int:
    depth, seen = 0, {unit_id}
    parent = parents.get(unit_id)
    while parent is not None and parent not in seen:  # a cycle cannot be made, but never loop
        seen.add(parent)
        depth += 1
        parent = parents.get(parent)
    return depth
