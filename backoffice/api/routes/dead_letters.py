"""Dead letters, for admins (DESIGN §3): list, inspect and replay.

Replaying a letter twice is refused with 409 and leaves it as it was
(`replayed_at` unchanged), so a double click cannot hand a message in twice.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, status

from backoffice import dead_letters
from backoffice.api.deps import ADMINS, RuntimeDep, SessionDep, role_check
from backoffice.api.params import RowId
from backoffice.officers import SignedInOfficer
from backoffice.schemas.dead_letters import (
    DeadLetterDetailPublic,
    DeadLetterPublic,
    DeadLettersPublic,
)
from bot.storage.models import DeadLetter

router = APIRouter(
    prefix="/dead-letters",
    tags=["dead letters"],
    responses={
        401: {"description": "Missing, invalid or expired token"},
        403: {"description": "Only admins handle dead letters"},
    },
)
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No dead letter with this id"}}


AdminDep = Annotated[
    SignedInOfficer, Depends(role_check(ADMINS, "only admins handle dead letters"))
]


@router.get("")
async def read_dead_letters(
    session: SessionDep,
    runtime: RuntimeDep,
    admin: AdminDep,
    replayed: Annotated[bool | None, Query(description="only replayed ones, or only not")] = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = 50,
) -> DeadLettersPublic:
    """Newest first, without payloads."""
    found, total = await dead_letters.list_dead_letters(
        session,
        officer=admin,
        replayed=replayed,
        page=page,
        per_page=per_page,
        now=runtime.clock.now(),
    )
    await session.commit()
    return DeadLettersPublic(items=[_public(letter, chars) for letter, chars in found], total=total)


@router.get("/{letter_id}", responses=NOT_FOUND)
async def read_dead_letter(
    letter_id: RowId, session: SessionDep, runtime: RuntimeDep, admin: AdminDep
) -> DeadLetterDetailPublic:
    """One letter with its payload (which may hold personal data: the look is audited)."""
    try:
        letter = await dead_letters.view_dead_letter(
            session, officer=admin, letter_id=letter_id, now=runtime.clock.now()
        )
    except dead_letters.UnknownDeadLetterError as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=str(error)) from None
    await session.commit()
    return DeadLetterDetailPublic(
        **_public(letter, len(letter.payload)).model_dump(), payload=letter.payload
    )


@router.post(
    "/{letter_id}/replay",
    responses=NOT_FOUND
    | {409: {"description": "Replayed before, or its channel is off: nothing was done"}},
)
async def replay_dead_letter(
    letter_id: RowId, session: SessionDep, runtime: RuntimeDep, admin: AdminDep
) -> DeadLetterPublic:
    """Run the payload through the way in it came from; `replayed_at` is set."""
    try:
        letter = await dead_letters.replay_dead_letter(
            session, officer=admin, runtime=runtime, letter_id=letter_id
        )
    except dead_letters.UnknownDeadLetterError as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=str(error)) from None
    except (dead_letters.AlreadyReplayedError, dead_letters.NotReplayableError) as error:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(error)) from None
    await session.commit()
    return _public(letter, len(letter.payload))


def _public(letter: DeadLetter, payload_chars: int) -> DeadLetterPublic:
    assert letter.id is not None, "a stored letter has an id"
    return DeadLetterPublic(
        id=letter.id,
        source=letter.source,
        reason=letter.reason,
        created_at=letter.created_at,
        replayed_at=letter.replayed_at,
        payload_chars=payload_chars,
    )
