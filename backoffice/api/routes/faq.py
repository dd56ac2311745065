"""The FAQ: every officer reads it; only admins create, replace and delete entries."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Response, status

from backoffice import faq
from backoffice.api.deps import ADMINS, CurrentOfficer, RuntimeDep, SessionDep, role_check
from backoffice.officers import SignedInOfficer
from backoffice.schemas.faq import FAQ_ID_PATTERN, FaqBase, FaqPublic, FaqsPublic

router = APIRouter(
    prefix="/faq",
    tags=["faq"],
    responses={401: {"description": "Missing, invalid or expired token"}},
)
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No FAQ entry with this id"}}
ADMINS_ONLY: dict[int | str, dict[str, Any]] = {403: {"description": "Only admins edit the FAQ"}}
CREATED: dict[int | str, dict[str, Any]] = {201: {"description": "Created", "model": FaqPublic}}

FaqId = Annotated[
    str, Path(pattern=FAQ_ID_PATTERN, description="a-z, 0-9, '_' or '-'; e.g. `skck_fee`")
]


AdminOfficer = Annotated[
    SignedInOfficer, Depends(role_check(ADMINS, "only an admin may change the FAQ"))
]


@router.get("")
async def read_faqs(session: SessionDep, _officer: CurrentOfficer) -> FaqsPublic:
    """Every entry, by id; `sample: true` marks entries still holding shipped sample facts."""
    return await faq.list_faqs(session)


@router.get("/{faq_id}", responses=NOT_FOUND)
async def read_faq(faq_id: FaqId, session: SessionDep, _officer: CurrentOfficer) -> FaqPublic:
    found = await faq.read_faq(session, faq_id=faq_id)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no FAQ entry {faq_id!r}")
    return found


@router.put("/{faq_id}", responses=CREATED | ADMINS_ONLY)
async def put_faq(
    faq_id: FaqId,
    body: FaqBase,
    response: Response,
    session: SessionDep,
    runtime: RuntimeDep,
    officer: AdminOfficer,
) -> FaqPublic:
    """Create the entry (201) or replace it whole (200). Every worker's bot picks the
    change up within seconds."""
    stored, created = await faq.put_faq(
        session, officer=officer, faq_id=faq_id, body=body, now=runtime.clock.now()
    )
    await session.commit()
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return stored


@router.delete(
    "/{faq_id}", status_code=status.HTTP_204_NO_CONTENT, responses=NOT_FOUND | ADMINS_ONLY
)
async def delete_faq(
    faq_id: FaqId, session: SessionDep, runtime: RuntimeDep, officer: AdminOfficer
) -> None:
    deleted = await faq.delete_faq(session, officer=officer, faq_id=faq_id, now=runtime.clock.now())
    if not deleted:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no FAQ entry {faq_id!r}")
    await session.commit()
