"""What routes of the officer API depend on, as `Annotated` aliases."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Collection
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy import ColumnElement
from sqlmodel.ext.asyncio.session import AsyncSession

from backoffice import cases, units
from backoffice.officers import Role, SignedInOfficer, officer_for_token
from backoffice.visibility import view_of
from bot.runtime import Runtime
from bot.storage.models import Case

LOGIN_PATH = "/api/v1/auth/token"
BEARER = {"WWW-Authenticate": "Bearer"}

oauth2_scheme = OAuth2PasswordBearer(tokenUrl=LOGIN_PATH)


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def get_session(runtime: RuntimeDep) -> AsyncIterator[AsyncSession]:
    """One session per request; routes commit, anything uncommitted rolls back."""
    async with AsyncSession(runtime.db, expire_on_commit=False) as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]
TokenDep = Annotated[str, Depends(oauth2_scheme)]


async def get_current_officer(
    session: SessionDep, runtime: RuntimeDep, token: TokenDep
) -> SignedInOfficer:
    officer = await officer_for_token(session, token=token, now=runtime.clock.now())
    if officer is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, detail="invalid or expired token", headers=BEARER
        )
    return officer


CurrentOfficer = Annotated[SignedInOfficer, Depends(get_current_officer)]


async def case_scope(officer: CurrentOfficer, session: SessionDep) -> ColumnElement[bool]:
    """The cases `officer` may see and act on, as a condition on `cases`; every
    case query goes through it (the rule: `backoffice.visibility`)."""
    tree = await units.load_tree(await session.connection())
    return view_of(officer, tree).condition()


CaseScope = Annotated[ColumnElement[bool], Depends(case_scope)]


async def get_case(ref: str, session: SessionDep, scope: CaseScope) -> Case:
    return _found(ref, await cases.find_case(session, ref=ref, scope=scope))


async def get_case_for_update(ref: str, session: SessionDep, scope: CaseScope) -> Case:
    """The case, locked until the request's transaction ends."""
    return _found(ref, await cases.find_case(session, ref=ref, scope=scope, for_update=True))


def _found(ref: str, case: Case | None) -> Case:
    if case is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no case with reference {ref!r}")
    return case


CaseDep = Annotated[Case, Depends(get_case)]
CaseForUpdateDep = Annotated[Case, Depends(get_case_for_update)]


def role_check(
    roles: Collection[Role], reason: str
) -> Callable[[SignedInOfficer], SignedInOfficer]:
    """A dependency admitting only officers of `roles`; others get 403 with `reason`."""

    def check(officer: CurrentOfficer) -> SignedInOfficer:
        if officer.role not in roles:
            raise HTTPException(status.HTTP_403_FORBIDDEN, detail=reason)
        return officer

    return check


ADMINS = frozenset({Role.ADMIN})
AdminOfficer = Annotated[SignedInOfficer, Depends(role_check(ADMINS, "only admins may do this"))]
