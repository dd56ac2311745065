"""Statistics for supervisors and admins (`backoffice.statistics`, the API's own
reading): per month or week, optionally per kind, category, unit or status, with
the CSV to download."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from backoffice import statistics
from backoffice.api.deps import RuntimeDep, SessionDep
from backoffice.api.params import day_or_none
from backoffice.officers import SignedInOfficer
from backoffice.schemas.statistics import Grouping, PeriodLength, StatisticsPublic
from backoffice.web.pages import render
from backoffice.web.routes.queue import choice
from backoffice.web.scope import WebScope
from backoffice.web.session import SupervisorOfficer
from bot.domain.i18n import N_

router = APIRouter()

Text = Annotated[str, Query(max_length=16)]
INVALID = N_("inbox.statistics.invalid")
PERIOD_LABELS = {
    "month": N_("inbox.statistics.month"),
    "week": N_("inbox.statistics.week"),
    "all": N_("inbox.statistics.all"),
}
GROUP_LABELS = {
    "kind": N_("inbox.queue.kind"),
    "category": N_("inbox.case.category"),
    "unit": N_("inbox.case.unit"),
    "status": N_("inbox.queue.status"),
}


async def figures(
    session: SessionDep,
    runtime: RuntimeDep,
    officer: SignedInOfficer,
    scope: WebScope,
    query: dict[str, str],
    output: str,
) -> StatisticsPublic:
    group = choice(Grouping, query["group"])
    found = await statistics.read_statistics(
        session,
        officer=officer,
        scope=scope,
        surveys=runtime.surveys,
        zone=runtime.translator.zone,
        first=day_or_none(query["from"]),
        last=day_or_none(query["to"]),
        period=choice(PeriodLength, query["period"]) or PeriodLength.MONTH,
        group_by=[group] if group else [],
        output=output,
        now=runtime.clock.now(),
    )
    await session.commit()
    return found


@router.get("/statistics")
async def statistics_page(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    officer: SupervisorOfficer,
    scope: WebScope,
    first: Annotated[str, Query(alias="from", max_length=10)] = "",
    last: Annotated[str, Query(alias="to", max_length=10)] = "",
    period: Text = "month",
    group: Text = "",
) -> Response:
    query = {"from": first, "to": last, "period": period, "group": group}
    context: dict[str, Any] = {}
    try:
        context["figures"] = await figures(session, runtime, officer, scope, query, "html")
    except statistics.InvalidPeriodError as invalid:
        context.update(error=INVALID, reason=str(invalid), figures=None)
    return render(
        request,
        "statistics.html",
        officer=officer,
        query=query,
        period_labels=PERIOD_LABELS,
        group_labels=GROUP_LABELS,
        status_code=422 if context.get("error") else 200,
        **context,
    )


@router.get("/statistics.csv")
async def statistics_csv(
    session: SessionDep,
    runtime: RuntimeDep,
    officer: SupervisorOfficer,
    scope: WebScope,
    first: Annotated[str, Query(alias="from", max_length=10)] = "",
    last: Annotated[str, Query(alias="to", max_length=10)] = "",
    period: Text = "month",
    group: Text = "",
) -> Response:
    query = {"from": first, "to": last, "period": period, "group": group}
    try:
        found = await figures(session, runtime, officer, scope, query, "csv")
    except statistics.InvalidPeriodError as invalid:
        return Response(str(invalid), status_code=422, media_type="text/plain")
    return Response(
        statistics.to_csv(found.rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="statistik.csv"'},
    )
