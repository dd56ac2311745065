"""The surveys and their results, for supervisors and admins (DESIGN §5).

`GET /surveys` lists the definitions; `GET /surveys/{code}/results` gives the
index of PermenPANRB 14/2017 per service and period (`backoffice.surveys`);
`GET /surveys/{code}/suggestions` the suggestions citizens left, without
anything that names them.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, status

from backoffice import surveys
from backoffice.api.deps import CurrentOfficer, RuntimeDep, SessionDep
from backoffice.api.params import Day
from backoffice.officers import Role, SignedInOfficer
from backoffice.schemas.surveys import SuggestionsPublic, SurveyResults, SurveysPublic
from bot.domain.survey_forms import Service

READER_ROLES = frozenset({Role.SUPERVISOR, Role.ADMIN})
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such survey"}}

router = APIRouter(
    prefix="/surveys",
    tags=["surveys"],
    responses={
        401: {"description": "Missing, invalid or expired token"},
        403: {"description": "Only supervisors and admins read survey results"},
    },
)


def require_reader(officer: CurrentOfficer) -> SignedInOfficer:
    if officer.role not in READER_ROLES:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, detail="only supervisors and admins read survey results"
        )
    return officer


Reader = Annotated[SignedInOfficer, Depends(require_reader)]
ServiceQuery = Annotated[Service | None, Query(description="only this service")]
FromQuery = Annotated[Day | None, Query(alias="from", description="first day (YYYY-MM-DD)")]
ToQuery = Annotated[Day | None, Query(alias="to", description="last day, included")]


def selection(
    code: str,
    runtime: RuntimeDep,
    service: ServiceQuery = None,
    first: FromQuery = None,
    last: ToQuery = None,
) -> surveys.Selection:
    """The survey `code` (404 if none), the service and the period asked for."""
    survey = runtime.surveys.get(code)
    if survey is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no survey with code {code!r}")
    if first is not None and last is not None and first > last:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail="'from' is after 'to'")
    return surveys.Selection(
        survey, service.value if service else None, surveys.Period(first, last)
    )


Selected = Annotated[surveys.Selection, Depends(selection)]


@router.get("")
async def list_surveys(runtime: RuntimeDep, _reader: Reader) -> SurveysPublic:
    """Every survey: its code, title, the services it measures and its questions."""
    items = [surveys.public(s, runtime.translator) for s in runtime.surveys.values()]
    return SurveysPublic(items=items)


@router.get("/{code}/results", responses=NOT_FOUND)
async def survey_results(
    selected: Selected, session: SessionDep, runtime: RuntimeDep, reader: Reader
) -> SurveyResults:
    """The index (IKM, 25-100) and grade, each element's average, and the response counts."""
    found = await surveys.results(
        session,
        officer=reader,
        selection=selected,
        translator=runtime.translator,
        now=runtime.clock.now(),
    )
    await session.commit()
    return found


@router.get("/{code}/suggestions", responses=NOT_FOUND)
async def survey_suggestions(
    selected: Selected,
    session: SessionDep,
    runtime: RuntimeDep,
    reader: Reader,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = 50,
) -> SuggestionsPublic:
    """The suggestions of completed responses, newest first; for officers, never published."""
    found = await surveys.suggestions(
        session,
        officer=reader,
        selection=selected,
        page=page,
        per_page=per_page,
        translator=runtime.translator,
        now=runtime.clock.now(),
    )
    await session.commit()
    return found
