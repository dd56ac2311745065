"""The public transparency page: `GET /transparansi` (HTML) and `/transparansi.json`.

What the unit promises the public (DESIGN §5): per month of the last twelve,
complaints and incident reports received and resolved, the median time to a
first answer, the SLA met share, and the IKM with its grade — aggregates over
all cases (`backoffice.statistics`), with no personal data and no free text.
No sign-in. The page is Indonesian (English with `?lang=en`), server-rendered
with Jinja2 (autoescaped), readable on a 360-pixel phone, and served under a
strict Content-Security-Policy: nothing but its own inline style, allowed by
hash.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

from babel.dates import format_date
from babel.numbers import format_decimal, format_percent
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import BaseModel
from sqlalchemy import select, true

from backoffice.schemas.statistics import Grouping, PeriodLength, StatisticsRow
from backoffice.statistics import (
    IKM_SURVEY,
    ROOT_UNIT,
    case_facts,
    months_back,
    summarize,
    survey_counts,
    survey_marks,
)
from backoffice.surveys import Period
from bot.domain.i18n import N_, Translator
from bot.runtime import Runtime
from bot.storage.tables import units

MONTHS = 12
DEFAULT_UNIT_NAME = "Polda"
KINDS = (("complaint", "complaints"), ("incident", "incidents"))
STYLE = (
    "body{margin:0;font-family:system-ui,sans-serif;line-height:1.45;color:#1b1f24;"
    "background:#f4f6f8}main{max-width:44rem;margin:0 auto;padding:1rem}"
    "h1{font-size:1.4rem;margin:.2rem 0 .6rem}h2{font-size:1.1rem;margin:0 0 .4rem}"
    "section{background:#fff;border-radius:.5rem;padding:.8rem;margin:.8rem 0;"
    "box-shadow:0 1px 2px rgba(0,0,0,.1)}dl{margin:0}dt{font-weight:600;margin-top:.5rem}"
    "dd{margin:0 0 0 .8rem;overflow-wrap:anywhere}.lead{font-size:1rem}"
    ".small{font-size:.85rem;color:#4a5560}a{color:#0b5cad}"
)
CSP = (
    "default-src 'none'; style-src 'sha256-{digest}'; img-src 'none'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
).replace("{digest}", base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode())
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "public, max-age=300",
}
TEXTS = {
    "title": N_("transparency.title"),
    "intro": N_("transparency.intro"),
    "notes": N_("transparency.notes"),
    "json_link": N_("transparency.json_link"),
    "ikm_title": N_("transparency.ikm_title"),
}
KIND_TITLES = {
    "complaints": N_("transparency.complaints"),
    "incidents": N_("transparency.incidents"),
}

_templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


class KindFigures(BaseModel):
    received: int
    resolved: int
    median_first_response_hours: float | None
    sla_met_share: float | None


class MonthFigures(BaseModel):
    month: str  # YYYY-MM
    complaints: KindFigures
    incidents: KindFigures
    ikm: float | None
    grade: str | None
    survey_responses: int


class TransparencyPublic(BaseModel):
    unit: str
    from_month: str
    to_month: str
    generated_at: datetime
    months: list[MonthFigures]


async def figures(runtime: Runtime, now: datetime) -> TransparencyPublic:
    """The last twelve months (this one included), over every case."""
    zone = runtime.translator.zone
    today = now.astimezone(zone).date()
    first = months_back(today, MONTHS - 1)
    period = Period(first, today)
    everything = true()  # public aggregates: every case counts, none is shown
    async with runtime.db.connect() as conn:
        unit = await conn.scalar(select(units.c.name).where(units.c.code == ROOT_UNIT))
        facts = await case_facts(conn, scope=everything, period=period, zone=zone, now=now)
        marks = await survey_marks(conn, scope=everything, period=period, zone=zone)
        responses = await survey_counts(conn, scope=everything, period=period, zone=zone)
    survey = runtime.surveys.get(IKM_SURVEY)
    elements = [q.code for q in survey.elements] if survey else []

    def rows(group_by: list[Grouping]) -> list[StatisticsRow]:
        found, _total = summarize(
            facts,
            marks=marks,
            responses=responses,
            group_by=group_by,
            length=PeriodLength.MONTH,
            zone=zone,
            elements=elements,
        )
        return found

    by_kind = {(row.period, row.kind): row for row in rows([Grouping.KIND])}
    by_month = {row.period: row for row in rows([])}
    months = []
    for offset in range(MONTHS - 1, -1, -1):
        key = months_back(today, offset).strftime("%Y-%m")
        overall = by_month.get(key)
        kinds = {name: _kind(by_kind.get((key, kind))) for kind, name in KINDS}
        months.append(
            MonthFigures(
                month=key,
                complaints=kinds["complaints"],
                incidents=kinds["incidents"],
                ikm=overall.ikm if overall else None,
                grade=overall.ikm_grade if overall else None,
                survey_responses=overall.ikm_responses if overall else 0,
            )
        )
    return TransparencyPublic(
        unit=unit or DEFAULT_UNIT_NAME,
        from_month=first.strftime("%Y-%m"),
        to_month=today.strftime("%Y-%m"),
        generated_at=now,
        months=months,
    )


def _kind(row: StatisticsRow | None) -> KindFigures:
    if row is None:
        return KindFigures(
            received=0, resolved=0, median_first_response_hours=None, sla_met_share=None
        )
    return KindFigures(
        received=row.received,
        resolved=row.resolved,
        median_first_response_hours=row.first_response.median_hours,
        sla_met_share=row.sla_met_share,
    )


def render(data: TransparencyPublic, translator: Translator, locale: str) -> str:
    """The page in `locale`; every text from the catalogs, every figure formatted for it."""

    def t(key: str, **params: object) -> str:
        return translator.text(locale, key, **params)

    texts = {name: t(key) for name, key in TEXTS.items()}
    texts["period"] = t(
        N_("transparency.period"),
        first=_month_label(data.from_month, locale),
        last=_month_label(data.to_month, locale),
    )
    months = []
    for month in reversed(data.months):  # the latest first
        kinds = []
        for name, figures_of in (("complaints", month.complaints), ("incidents", month.incidents)):
            kinds.append(
                {
                    "title": t(KIND_TITLES[name]),
                    "received": t(N_("transparency.received"), count=figures_of.received),
                    "resolved": t(N_("transparency.resolved"), count=figures_of.resolved),
                    "first_response": t(
                        N_("transparency.first_response"),
                        time=_duration(figures_of.median_first_response_hours, translator, locale),
                    ),
                    "sla": t(
                        N_("transparency.sla_met"),
                        share=_share(figures_of.sla_met_share, translator, locale),
                    ),
                }
            )
        ikm = (
            t(
                N_("transparency.ikm"),
                ikm=format_decimal(month.ikm, format="#,##0.00", locale=locale),
                grade=month.grade,
                responses=month.survey_responses,
            )
            if month.ikm is not None
            else t(N_("transparency.no_ikm"))
        )
        months.append({"label": _month_label(month.month, locale), "kinds": kinds, "ikm": ikm})
    template = _templates.get_template("transparansi.html")
    return template.render(lang=locale, t=texts, unit=data.unit, months=months, style=STYLE)


def _month_label(key: str, locale: str) -> str:
    year, month = (int(part) for part in key.split("-"))
    return format_date(date(year, month, 1), "MMMM y", locale=locale)


def _duration(hours: float | None, translator: Translator, locale: str) -> str:
    if hours is None:
        return translator.text(locale, N_("transparency.none_yet"))
    if hours < 1:
        return translator.text(locale, N_("transparency.minutes"), minutes=round(hours * 60))
    shown = format_decimal(round(hours, 1), format="#,##0.#", locale=locale)
    return translator.text(locale, N_("transparency.hours"), hours=shown)


def _share(share: float | None, translator: Translator, locale: str) -> str:
    if share is None:
        return translator.text(locale, N_("transparency.none_yet"))
    return format_percent(share, format="#,##0.#%", locale=locale)


def build_router() -> APIRouter:
    router = APIRouter(tags=["transparency"])

    @router.get("/transparansi", response_class=HTMLResponse)
    async def transparency_page(
        request: Request,
        lang: Annotated[str | None, Query(pattern="^(id|en)$", description="id or en")] = None,
    ) -> HTMLResponse:
        """The public transparency page (no sign-in)."""
        runtime: Runtime = request.app.state.runtime
        locale = runtime.translator.supported(lang or "id")
        data = await figures(runtime, runtime.clock.now())
        return HTMLResponse(render(data, runtime.translator, locale), headers=HEADERS)

    @router.get("/transparansi.json")
    async def transparency_json(request: Request) -> JSONResponse:
        """The same figures as JSON (no sign-in)."""
        runtime: Runtime = request.app.state.runtime
        data = await figures(runtime, runtime.clock.now())
        body: Any = data.model_dump(mode="json")
        return JSONResponse(body, headers=HEADERS)

    return router
