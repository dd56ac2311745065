"""Signing in (an OAuth2 password form in, an opaque bearer token out) and out.

After 5 wrong passwords for a username within `PINTU_LOGIN_LOCKOUT_SECONDS`
that username gets 429 with `Retry-After` for that long, the right password
included. Password checks run a few at a time (`security.PasswordChecks`):
in a flood of sign-ins the ones that would wait too long get 503 with
`Retry-After` at once instead of queueing.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from fastapi.security import OAuth2PasswordRequestForm

from backoffice import officers, security
from backoffice.api.deps import BEARER, CurrentOfficer, RuntimeDep, SessionDep, TokenDep
from backoffice.schemas.cases import Token

BUSY_RETRY_SECONDS = 1

router = APIRouter(prefix="/auth", tags=["auth"])


def get_password_checks(request: Request) -> security.PasswordChecks:
    checks: security.PasswordChecks = request.app.state.password_checks
    return checks


@router.post(
    "/token",
    responses={
        401: {"description": "Incorrect username or password"},
        429: {"description": "Locked out after too many wrong passwords; see Retry-After"},
        503: {"description": "Too many sign-ins at once; see Retry-After"},
    },
)
async def login(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: SessionDep,
    runtime: RuntimeDep,
    checks: Annotated[security.PasswordChecks, Depends(get_password_checks)],
) -> Token:
    try:
        issued = await officers.sign_in(
            session,
            checks=checks,
            username=form.username,
            password=form.password,
            ttl_seconds=runtime.settings.token_ttl_seconds,
            lockout_seconds=runtime.settings.login_lockout_seconds,
            now=runtime.clock.now(),
        )
    except officers.LockedOutError as error:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            detail=str(error),
            headers={"Retry-After": str(error.retry_after)},
        ) from None
    except security.ChecksBusy:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            detail="too many sign-ins at once; try again shortly",
            headers={"Retry-After": str(BUSY_RETRY_SECONDS)},
        ) from None
    await session.commit()  # the audit entry and the count of a failed attempt too
    if issued is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, detail="incorrect username or password", headers=BEARER
        )
    return Token(access_token=issued.token, expires_at=issued.expires_at)


@router.post(
    "/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={401: {"description": "Missing, invalid or expired token"}},
)
async def logout(
    session: SessionDep, runtime: RuntimeDep, officer: CurrentOfficer, token: TokenDep
) -> Response:
    """This token is refused from now on; the officer's other tokens still work."""
    await officers.sign_out(session, officer=officer, token=token, now=runtime.clock.now())
    await session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
