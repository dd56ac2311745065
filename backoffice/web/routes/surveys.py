"""Survey results for supervisors and admins: the IKM per service and period, a bar
per element, and the suggestions (`backoffice.surveys`, as the API reads them)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from backoffice import surveys
from backoffice.api.deps import RuntimeDep, SessionDep
from backoffice.api.params import day_or_none
from backoffice.web.pages import render
from backoffice.web.session import PageNotFoundError, SupervisorOfficer
from bot.domain.i18n import N_
from bot.domain.survey_forms import SERVICE_NAMES, Service

router = APIRouter(prefix="/surveys")

Text = Annotated[str, Query(max_length=32)]
SUGGESTIONS_SHOWN = 50
BAR_WIDTH = 240  # SVG units for the full scale, 4.00
SCALE_MAX = 4
BAD_PERIOD = N_("inbox.surveys.bad_period")


@router.get("")
async def survey_results(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    officer: SupervisorOfficer,
    survey: Text = "ikm",
    service: Text = "",
    first: Annotated[str, Query(alias="from", max_length=10)] = "",
    last: Annotated[str, Query(alias="to", max_length=10)] = "",
) -> Response:
    chosen = runtime.surveys.get(survey)
    if chosen is None:
        raise PageNotFoundError
    services = [s.value for s in Service]
    period = surveys.Period(day_or_none(first), day_or_none(last))
    error = None
    if period.first and period.last and period.first > period.last:
        error, period = BAD_PERIOD, surveys.Period(None, None)
    selection = surveys.Selection(chosen, service if service in services else None, period)
    now = runtime.clock.now()
    results = await surveys.results(
        session, officer=officer, selection=selection, translator=runtime.translator, now=now
    )
    suggestions = await surveys.suggestions(
        session,
        officer=officer,
        selection=selection,
        page=1,
        per_page=SUGGESTIONS_SHOWN,
        translator=runtime.translator,
        now=now,
    )
    await session.commit()
    bars = [
        (element, round(BAR_WIDTH * (element.average or 0) / SCALE_MAX))
        for element in results.elements
    ]
    return render(
        request,
        "surveys.html",
        officer=officer,
        surveys=list(runtime.surveys),
        survey=survey,
        services=services,
        service_names=SERVICE_NAMES,
        results=results,
        bars=bars,
        bar_width=BAR_WIDTH,
        suggestions=suggestions,
        query={"service": selection.service or "", "from": first, "to": last},
        error=error,
        status_code=422 if error else 200,
    )
