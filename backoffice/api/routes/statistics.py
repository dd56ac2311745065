"""Case statistics for supervisors and admins, as JSON or CSV (`backoffice.statistics`).

Only the cases the officer may see are counted (`case_scope`): a supervisor's
figures are those of their unit and the units below it.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Response, status

from backoffice import statistics
from backoffice.api.deps import CaseScope, CurrentOfficer, RuntimeDep, SessionDep
from backoffice.api.params import Day
from backoffice.officers import Role, SignedInOfficer
from backoffice.schemas.statistics import Grouping, PeriodLength, StatisticsPublic
from bot.runtime import Runtime

READER_ROLES = frozenset({Role.SUPERVISOR, Role.ADMIN})
CSV_TYPE = "text/csv; charset=utf-8"

router = APIRouter(
    tags=["statistics"],
    responses={
        401: {"description": "Missing, invalid or expired token"},
        403: {"description": "Only supervisors and admins read statistics"},
    },
)


def require_reader(officer: CurrentOfficer) -> SignedInOfficer:
    if officer.role not in READER_ROLES:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, detail="only supervisors and admins read statistics"
        )
    return officer


Reader = Annotated[SignedInOfficer, Depends(require_reader)]
FromQuery = Annotated[
    Day | None,
    Query(alias="from", description="first day cases were received (default: 12 months back)"),
]
ToQuery = Annotated[Day | None, Query(alias="to", description="last day, included (today)")]
PeriodQuery = Annotated[PeriodLength, Query(description="one row per month, ISO week, or all")]
GroupQuery = Annotated[
    list[Grouping] | None,
    Query(max_length=4, description="also one row per kind, category, unit and/or status"),
]
FormatQuery = Annotated[str, Query(alias="format", pattern="^(json|csv)$")]


@router.get(
    "/statistics",
    response_model=StatisticsPublic,
    responses={200: {"content": {"text/csv": {}}, "description": "JSON, or CSV with format=csv"}},
)
async def read_statistics(
    session: SessionDep,
    runtime: RuntimeDep,
    officer: Reader,
    scope: CaseScope,
    first: FromQuery = None,
    last: ToQuery = None,
    period: PeriodQuery = PeriodLength.MONTH,
    group_by: GroupQuery = None,
    output: FormatQuery = "json",
) -> StatisticsPublic | Response:
    """Cases received per period (and group): how many were resolved, how fast they were
    answered and resolved (median, 90th percentile), the SLA met share and the IKM."""
    found = await _statistics(
        session, runtime, officer, scope, first, last, period, group_by or [], output
    )
    if output == "csv":
        return Response(statistics.to_csv(found.rows), media_type=CSV_TYPE)
    return found


@router.get(
    "/statistics.csv", response_class=Response, responses={200: {"content": {"text/csv": {}}}}
)
async def read_statistics_csv(
    session: SessionDep,
    runtime: RuntimeDep,
    officer: Reader,
    scope: CaseScope,
    first: FromQuery = None,
    last: ToQuery = None,
    period: PeriodQuery = PeriodLength.MONTH,
    group_by: GroupQuery = None,
) -> Response:
    """The same figures as CSV (as `GET /statistics?format=csv`)."""
    found = await _statistics(
        session, runtime, officer, scope, first, last, period, group_by or [], "csv"
    )
    return Response(statistics.to_csv(found.rows), media_type=CSV_TYPE)


async def _statistics(
    session: SessionDep,
    runtime: Runtime,
    officer: SignedInOfficer,
    scope: CaseScope,
    first: date | None,
    last: date | None,
    period: PeriodLength,
    group_by: list[Grouping],
    output: str,
) -> StatisticsPublic:
    try:
        found = await statistics.read_statistics(
            session,
            officer=officer,
            scope=scope,
            surveys=runtime.surveys,
            zone=runtime.translator.zone,
            first=first,
            last=last,
            period=period,
            group_by=group_by,
            output=output,
            now=runtime.clock.now(),
        )
    except statistics.InvalidPeriodError as invalid:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=str(invalid)) from None
    await session.commit()
    return found
