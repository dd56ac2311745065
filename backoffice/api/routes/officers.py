"""Officer accounts, for admins: the list, a new officer, and changes to one.

Disabling an officer (`active: false`) or setting a new password refuses
every token they hold at once. No change may leave the service without an
active admin (409).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, status

from backoffice import accounts
from backoffice.api.deps import ADMINS, RuntimeDep, SessionDep, role_check
from backoffice.officers import (
    InvalidOfficerError,
    LastAdminError,
    OfficerExistsError,
    SignedInOfficer,
    UnknownOfficerError,
)
from backoffice.schemas.officers import (
    OfficerCreate,
    OfficerPublic,
    OfficersPublic,
    OfficerUpdate,
)

router = APIRouter(
    prefix="/officers",
    tags=["officers"],
    responses={
        401: {"description": "Missing, invalid or expired token"},
        403: {"description": "Only admins manage officers"},
    },
)
INVALID: dict[int | str, dict[str, Any]] = {
    422: {"description": "A bad username, role or unit, or a weak password"}
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No officer with this username"}}
LAST_ADMIN: dict[int | str, dict[str, Any]] = {
    409: {"description": "The change would leave no active admin"}
}

UsernamePath = Annotated[str, Path(min_length=1, max_length=64)]


AdminDep = Annotated[SignedInOfficer, Depends(role_check(ADMINS, "only admins manage officers"))]


def _actor(admin: SignedInOfficer) -> accounts.Actor:
    return accounts.Actor(username=admin.username, officer_id=admin.id)


@router.get("")
async def read_officers(
    session: SessionDep, runtime: RuntimeDep, admin: AdminDep
) -> OfficersPublic:
    """Every officer, by username."""
    found = await accounts.list_officers(session, actor=_actor(admin), now=runtime.clock.now())
    await session.commit()
    items = [OfficerPublic.model_validate(view, from_attributes=True) for view in found]
    return OfficersPublic(items=items, total=len(items))


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses=INVALID | {409: {"description": "The username is taken"}},
)
async def create_officer(
    body: OfficerCreate, session: SessionDep, runtime: RuntimeDep, admin: AdminDep
) -> OfficerPublic:
    """A new active officer in a unit (the root when `unit` is omitted)."""
    try:
        view = await accounts.create_officer(
            session,
            actor=_actor(admin),
            username=body.username,
            password=body.password,
            role=body.role,
            unit=body.unit,
            full_name=body.full_name,
            now=runtime.clock.now(),
        )
    except InvalidOfficerError as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=str(error)) from None
    except OfficerExistsError as error:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(error)) from None
    await session.commit()
    return OfficerPublic.model_validate(view, from_attributes=True)


@router.patch("/{username}", responses=INVALID | NOT_FOUND | LAST_ADMIN)
async def update_officer(
    username: UsernamePath,
    body: OfficerUpdate,
    session: SessionDep,
    runtime: RuntimeDep,
    admin: AdminDep,
) -> OfficerPublic:
    """Change any of role, unit, active and password."""
    change = accounts.OfficerChange(
        role=body.role, unit=body.unit, active=body.active, password=body.password
    )
    try:
        view = await accounts.change_officer(
            session, actor=_actor(admin), username=username, change=change, now=runtime.clock.now()
        )
    except UnknownOfficerError as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=str(error)) from None
    except InvalidOfficerError as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=str(error)) from None
    except LastAdminError as error:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(error)) from None
    await session.commit()
    return OfficerPublic.model_validate(view, from_attributes=True)
