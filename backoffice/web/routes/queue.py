"""The queue: the cases the officer may see, refreshed in place, and the duty alerts."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from backoffice import alerts, cases, inbox
from backoffice.api.deps import RuntimeDep, SessionDep
from backoffice.schemas.cases import CaseKind, Priority
from backoffice.web.pages import render
from backoffice.web.scope import WebScope
from backoffice.web.session import CsrfChecked, PageNotFoundError, WebOfficer
from bot.domain.sla import SlaState
from bot.services.casework import CaseStatus

router = APIRouter()

PER_PAGE = 100
E = TypeVar("E", bound=StrEnum)
Text = Annotated[str, Query(max_length=200)]


def choice(kind: type[E], value: str) -> E | None:
    """A filter's value, or None for "any" (empty, or nothing the form offers)."""
    try:
        return kind(value) if value else None
    except ValueError:
        return None


async def queue_context(
    session: SessionDep,
    runtime: RuntimeDep,
    officer: WebOfficer,
    scope: WebScope,
    status: str,
    kind: str,
    q: str,
    sla: str,
    priority: str,
) -> dict[str, Any]:
    marker = await inbox.queue_marker(session, scope=scope)
    filters = cases.CaseFilters(
        status=choice(CaseStatus, status),
        kind=choice(CaseKind, kind),
        priority=choice(Priority, priority),
        q=q.strip() or None,
        sla=choice(SlaState, sla),
    )  # sorted as the API sorts by default: urgent first, then overdue, then newest
    found = await cases.list_cases(
        session,
        officer=officer,
        scope=scope,
        filters=filters,
        page=1,
        per_page=PER_PAGE,
        now=runtime.clock.now(),
    )
    open_alerts = await alerts.list_alerts(
        session,
        desks=runtime.duty.desks,
        open_only=True,
        since_hours=24,
        page=1,
        per_page=50,
        now=runtime.clock.now(),
    )
    waiting = await inbox.unanswered(session, refs=[case.ref for case in found.items], scope=scope)
    await session.commit()
    return {
        "cases": found,
        "unanswered": waiting,
        "alerts": open_alerts.items,
        "marker": marker,
        "query": {"status": status, "kind": kind, "q": q, "sla": sla, "priority": priority},
    }


@router.get("/")
async def queue(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    officer: WebOfficer,
    scope: WebScope,
    status: Text = "",
    kind: Text = "",
    q: Text = "",
    sla: Text = "",
    priority: Text = "",
) -> Response:
    context = await queue_context(session, runtime, officer, scope, status, kind, q, sla, priority)
    return render(request, "queue.html", officer=officer, **context)


@router.get("/queue/rows")
async def queue_rows(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    officer: WebOfficer,
    scope: WebScope,
    status: Text = "",
    kind: Text = "",
    q: Text = "",
    sla: Text = "",
    priority: Text = "",
    since: Text = "",
) -> Response:
    """The queue's live part; 204 (htmx leaves the page as it is) while nothing changed."""
    if since and since == await inbox.queue_marker(session, scope=scope):
        return Response(status_code=204)
    context = await queue_context(session, runtime, officer, scope, status, kind, q, sla, priority)
    return render(request, "_queue_live.html", officer=officer, **context)


@router.post("/alerts/{alert_id}/ack", dependencies=[CsrfChecked])
async def acknowledge(
    alert_id: int, session: SessionDep, runtime: RuntimeDep, officer: WebOfficer
) -> Response:
    """Acknowledge a duty alert in the officer's name (someone first: nothing to do)."""
    if not 0 < alert_id < 2**63:
        raise PageNotFoundError
    try:
        acknowledged = await alerts.acknowledge_alert(
            session, officer=officer, duty=runtime.duty, alert_id=alert_id, now=runtime.clock.now()
        )
    except alerts.AlertAcknowledgedError:  # a colleague was first: the queue shows it
        return RedirectResponse("/backoffice/", status_code=303)
    if acknowledged is None:
        raise PageNotFoundError
    await session.commit()
    runtime.sender.wake()
    return RedirectResponse("/backoffice/", status_code=303)
