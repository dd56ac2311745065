"""Units: the tree every signed-in officer may read, and admins grow."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, status

from backoffice import units
from backoffice.api.deps import AdminOfficer, CurrentOfficer, RuntimeDep, SessionDep
from backoffice.schemas.units import UnitCreate, UnitPublic, UnitsPublic

router = APIRouter(
    prefix="/units",
    tags=["units"],
    responses={401: {"description": "Missing, invalid or expired token"}},
)
CREATE_RESPONSES: dict[int | str, dict[str, Any]] = {
    403: {"description": "Only admins add units"},
    409: {"description": "A unit with this code exists"},
    422: {"description": "A bad code, an unknown parent or an unusable area"},
}


@router.get("")
async def read_units(session: SessionDep, _officer: CurrentOfficer) -> UnitsPublic:
    """The unit tree, from the root down."""
    return units.public_tree(await units.load_tree(await session.connection()))


@router.post("", status_code=status.HTTP_201_CREATED, responses=CREATE_RESPONSES)
async def create_unit(
    body: UnitCreate, session: SessionDep, runtime: RuntimeDep, admin: AdminOfficer
) -> UnitPublic:
    """Add a unit (a Polres under the root, a Polsek under a Polres), optionally with its area."""
    try:
        created = await units.create_unit(
            session, officer=admin, body=body, now=runtime.clock.now()
        )
    except units.UnitExistsError as error:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(error)) from None
    except units.InvalidUnitError as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=str(error)) from None
    await session.commit()
    return created
