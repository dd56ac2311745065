"""Signing in: an OAuth2 password form in, an opaque bearer token out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status
from fastapi.security import OAuth2PasswordRequestForm

from backoffice import officers
from backoffice.api.deps import BEARER, RuntimeDep, SessionDep
from backoffice.schemas.cases import Token

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/token", responses={401: {"description": "Incorrect username or password"}})
async def login(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: SessionDep,
    runtime: RuntimeDep,
) -> Token:
    issued = await officers.sign_in(
        session,
        username=form.username,
        password=form.password,
        ttl_seconds=runtime.settings.token_ttl_seconds,
        now=runtime.clock.now(),
    )
    await session.commit()  # the audit entry of a failed attempt too
    if issued is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, detail="incorrect username or password", headers=BEARER
        )
    return Token(access_token=issued.token, expires_at=issued.expires_at)
