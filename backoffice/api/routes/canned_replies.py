"""Canned replies: every officer lists them; admins add, edit and delete them.

Send one with `POST /api/v1/cases/{ref}/replies {"canned_id": n}`.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, status

from backoffice import canned_replies
from backoffice.api.deps import AdminOfficer, CurrentOfficer, RuntimeDep, SessionDep
from backoffice.api.params import RowId
from backoffice.schemas.canned_replies import (
    CannedRepliesPublic,
    CannedReplyCreate,
    CannedReplyPublic,
    CannedReplyUpdate,
)

router = APIRouter(
    prefix="/canned-replies",
    tags=["canned replies"],
    responses={401: {"description": "Missing, invalid or expired token"}},
)
ADMINS_ONLY: dict[int | str, dict[str, Any]] = {403: {"description": "Admins only"}}
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such canned reply"}}
TAKEN: dict[int | str, dict[str, Any]] = {409: {"description": "The title is taken"}}


@router.get("")
async def read_canned_replies(session: SessionDep, _officer: CurrentOfficer) -> CannedRepliesPublic:
    """Every canned reply, by title."""
    return await canned_replies.list_replies(session)


@router.post("", status_code=status.HTTP_201_CREATED, responses=ADMINS_ONLY | TAKEN)
async def create_canned_reply(
    body: CannedReplyCreate, session: SessionDep, runtime: RuntimeDep, admin: AdminOfficer
) -> CannedReplyPublic:
    """Texts in Indonesian and English; `{ref}` and `{officer}` are filled in when sent."""
    try:
        created = await canned_replies.add_reply(
            session, officer=admin, body=body, now=runtime.clock.now()
        )
    except canned_replies.CannedReplyExistsError as error:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(error)) from None
    await session.commit()
    return created


@router.patch("/{reply_id}", responses=ADMINS_ONLY | NOT_FOUND | TAKEN)
async def update_canned_reply(
    reply_id: RowId,
    body: CannedReplyUpdate,
    session: SessionDep,
    runtime: RuntimeDep,
    admin: AdminOfficer,
) -> CannedReplyPublic:
    try:
        updated = await canned_replies.edit_reply(
            session, officer=admin, reply_id=reply_id, body=body, now=runtime.clock.now()
        )
    except canned_replies.CannedReplyNotFoundError as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=str(error)) from None
    except canned_replies.CannedReplyExistsError as error:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(error)) from None
    await session.commit()
    return updated


@router.delete(
    "/{reply_id}", status_code=status.HTTP_204_NO_CONTENT, responses=ADMINS_ONLY | NOT_FOUND
)
async def delete_canned_reply(
    reply_id: RowId, session: SessionDep, runtime: RuntimeDep, admin: AdminOfficer
) -> None:
    try:
        await canned_replies.delete_reply(
            session, officer=admin, reply_id=reply_id, now=runtime.clock.now()
        )
    except canned_replies.CannedReplyNotFoundError as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=str(error)) from None
    await session.commit()
