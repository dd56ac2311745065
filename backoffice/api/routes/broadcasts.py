"""Broadcasts: admins schedule announcements and survey invitations to the citizens
who opted in; one to many citizens waits for a second admin's approval."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, status

from backoffice import broadcasts
from backoffice.api.deps import ADMINS, RuntimeDep, SessionDep, role_check
from backoffice.api.params import RowId
from backoffice.officers import SignedInOfficer
from backoffice.schemas.broadcasts import (
    BroadcastCreated,
    BroadcastIn,
    BroadcastPublic,
    BroadcastsPublic,
)

router = APIRouter(
    prefix="/broadcasts",
    tags=["broadcasts"],
    responses={
        401: {"description": "Missing, invalid or expired token"},
        403: {"description": "Not an admin"},
    },
)
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No broadcast with this id"}}
CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"description": "The change makes no sense in the broadcast's state"}
}


AdminOfficer = Annotated[
    SignedInOfficer, Depends(role_check(ADMINS, "only admins handle broadcasts"))
]


@router.post("", status_code=status.HTTP_201_CREATED, responses={422: {"description": "Invalid"}})
async def create_broadcast(
    body: BroadcastIn, session: SessionDep, runtime: RuntimeDep, officer: AdminOfficer
) -> BroadcastCreated:
    """Schedule a broadcast; `status` is `awaiting_approval` when its audience is
    PINTU_BROADCAST_APPROVAL_MIN citizens or more, else `scheduled`."""
    try:
        created = await broadcasts.create_broadcast(
            session,
            officer=officer,
            body=body,
            policy=broadcasts.policy_of(runtime),
            now=runtime.clock.now(),
        )
    except broadcasts.BroadcastInvalid as invalid:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=str(invalid)) from None
    await session.commit()
    return created


@router.get("")
async def list_broadcasts(
    session: SessionDep,
    _officer: AdminOfficer,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = 50,
) -> BroadcastsPublic:
    """Newest first, each with its progress."""
    return await broadcasts.list_broadcasts(session, page=page, per_page=per_page)


@router.get("/{broadcast_id}", responses=NOT_FOUND)
async def read_broadcast(
    broadcast_id: RowId, session: SessionDep, _officer: AdminOfficer
) -> BroadcastPublic:
    """The broadcast and its progress: queued, sent, delivered, read, failed, opted out."""
    try:
        return await broadcasts.read_broadcast(session, broadcast_id=broadcast_id)
    except broadcasts.BroadcastNotFound as missing:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=str(missing)) from None


@router.post("/{broadcast_id}/approve", responses=NOT_FOUND | CONFLICT)
async def approve_broadcast(
    broadcast_id: RowId, session: SessionDep, runtime: RuntimeDep, officer: AdminOfficer
) -> BroadcastPublic:
    """Another admin than the author lets it go out (403 for the author)."""
    try:
        approved = await broadcasts.approve_broadcast(
            session, officer=officer, broadcast_id=broadcast_id, now=runtime.clock.now()
        )
    except broadcasts.BroadcastForbidden as refused:
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail=str(refused)) from None
    except broadcasts.BroadcastNotFound as missing:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=str(missing)) from None
    except broadcasts.BroadcastConflict as conflict:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(conflict)) from None
    await session.commit()
    return approved


async def _control(
    action: broadcasts.Control,
    broadcast_id: RowId,
    session: SessionDep,
    runtime: RuntimeDep,
    officer: SignedInOfficer,
) -> BroadcastPublic:
    try:
        changed = await broadcasts.control_broadcast(
            session,
            officer=officer,
            broadcast_id=broadcast_id,
            action=action,
            now=runtime.clock.now(),
        )
    except broadcasts.BroadcastNotFound as missing:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=str(missing)) from None
    except broadcasts.BroadcastConflict as conflict:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(conflict)) from None
    await session.commit()
    runtime.sender.wake()
    return changed


@router.post("/{broadcast_id}/pause", responses=NOT_FOUND | CONFLICT)
async def pause_broadcast(
    broadcast_id: RowId, session: SessionDep, runtime: RuntimeDep, officer: AdminOfficer
) -> BroadcastPublic:
    """Stop enqueueing and hold the copies not sent yet."""
    return await _control(broadcasts.Control.PAUSE, broadcast_id, session, runtime, officer)


@router.post("/{broadcast_id}/resume", responses=NOT_FOUND | CONFLICT)
async def resume_broadcast(
    broadcast_id: RowId, session: SessionDep, runtime: RuntimeDep, officer: AdminOfficer
) -> BroadcastPublic:
    """Go on where the pause stopped."""
    return await _control(broadcasts.Control.RESUME, broadcast_id, session, runtime, officer)


@router.post("/{broadcast_id}/cancel", responses=NOT_FOUND | CONFLICT)
async def cancel_broadcast(
    broadcast_id: RowId, session: SessionDep, runtime: RuntimeDep, officer: AdminOfficer
) -> BroadcastPublic:
    """Stop for good and drop the copies not sent yet."""
    return await _control(broadcasts.Control.CANCEL, broadcast_id, session, runtime, officer)
