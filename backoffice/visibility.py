"""Who sees a case (DESIGN §6), as one rule with two faces: a SQL condition
for every case query, and a check on one case's would-be state (can the
officer a supervisor assigns see it?).

An officer sees their unit's cases, a supervisor their unit's and every
unit's below, an admin all. A confidential case is seen only by the
supervisors whose view holds its unit, its assignee and admins. A case with
no unit is the root's; an officer with no unit is in the root.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, false, func, or_, true
from sqlmodel import col

from backoffice.officers import Role, SignedInOfficer
from backoffice.units import UnitTree
from bot.storage.models import Case


@dataclass(frozen=True, slots=True)
class View:
    officer_id: int
    everything: bool
    units: frozenset[int]
    root_id: int | None
    confidential: bool  # also the confidential cases of those units

    def condition(self) -> ColumnElement[bool]:
        """The cases in view, as a condition on `cases` that is never NULL (so its
        negation is exactly the cases out of view)."""
        if self.everything:
            return true()
        unit = func.coalesce(col(Case.unit_id), self.root_id if self.root_id is not None else 0)
        in_view: ColumnElement[bool] = unit.in_(sorted(self.units)) if self.units else false()
        if not self.confidential:
            in_view = and_(in_view, col(Case.confidential).is_(False))
        return or_(in_view, func.coalesce(col(Case.assignee_id), 0) == self.officer_id)

    def sees_unit(self, unit_id: int | None, *, confidential: bool) -> bool:
        """Whether a case of this unit is in view by the unit rule (assignment aside)."""
        if self.everything:
            return True
        if unit_id is None:
            unit_id = self.root_id
        return unit_id in self.units and (self.confidential or not confidential)


def view_of(officer: SignedInOfficer, tree: UnitTree) -> View:
    root = tree.root
    root_id = root.id if root is not None else None
    if officer.role is Role.ADMIN:
        return View(officer.id, True, frozenset(), root_id, True)
    supervisor = officer.role is Role.SUPERVISOR
    if supervisor:
        units = frozenset(tree.subtree(officer.unit_id))
    else:
        own = tree.by_id(officer.unit_id)
        units = frozenset({own.id}) if own is not None else frozenset()
    return View(officer.id, False, units, root_id, supervisor)
