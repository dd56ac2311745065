"""The visibility rule for pages: the API's own `case_scope`, fed the session's officer."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from sqlalchemy import ColumnElement

from backoffice import cases
from backoffice.api.deps import SessionDep, case_scope
from backoffice.web.session import PageNotFoundError, WebOfficer
from bot.storage.models import Case


async def web_case_scope(officer: WebOfficer, session: SessionDep) -> ColumnElement[bool]:
    return await case_scope(officer, session)


WebScope = Annotated[ColumnElement[bool], Depends(web_case_scope)]


async def visible_case(ref: str, session: SessionDep, scope: WebScope) -> Case:
    """The case, locked for the request's transaction; a case out of view is not found."""
    found = await cases.find_case(session, ref=ref[:32], scope=scope, for_update=True)
    if found is None:
        raise PageNotFoundError
    return found


WebCase = Annotated[Case, Depends(visible_case)]
