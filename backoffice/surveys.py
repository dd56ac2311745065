"""Survey results for supervisors and admins: the services behind `/api/v1/surveys`.

What counts (PermenPANRB 14/2017, `bot.domain.ikm`): the completed responses
of the survey, for one service or all, completed within the period (`from`
and `to` are days in the unit's time zone, both included). A response left
half-way counts only once it is completed, since it may still be resumed.

- `responses`: completed responses; `respondents`: the unique citizens among
  them (one citizen may rate several cases);
- `invited`: the unique citizens sent an invitation to this survey in the
  period; `response_rate`: the share of them (0-1, four decimals) who
  completed a response to such an invitation;
- `suggestions_count`: completed responses with a suggestion; the texts are
  read through `suggestions` (for officers only, never published).

Each read is written to the audit log, like every other read of citizens' input.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Table, and_, distinct, func, select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel.ext.asyncio.session import AsyncSession

from backoffice import audit
from backoffice.officers import SignedInOfficer
from backoffice.schemas.surveys import (
    ElementResult,
    SuggestionPublic,
    SuggestionsPublic,
    SurveyOptionPublic,
    SurveyPublic,
    SurveyQuestionPublic,
    SurveyResults,
)
from bot.domain import ikm
from bot.domain.i18n import Translator
from bot.domain.survey_forms import QuestionKind, Survey
from bot.storage.tables import survey_answers, survey_invitations, survey_responses

RATE_PLACES = Decimal("0.0001")
SENT = "sent"


@dataclass(frozen=True, slots=True)
class Period:
    """Days in the unit's time zone, both included; None: open on that side."""

    first: date | None
    last: date | None

    def bounds(self, zone: ZoneInfo) -> tuple[datetime | None, datetime | None]:
        """The first moment of the period and the first moment after it."""
        start = datetime.combine(self.first, time(), zone) if self.first else None
        end = datetime.combine(self.last + timedelta(days=1), time(), zone) if self.last else None
        return start, end


@dataclass(frozen=True, slots=True)
class Selection:
    """Which responses a read is about: one survey, one service or all, one period."""

    survey: Survey
    service: str | None
    period: Period


def public(survey: Survey, translator: Translator) -> SurveyPublic:
    locale = translator.default_locale
    questions = [
        SurveyQuestionPublic(
            code=q.code,
            kind=q.kind.value,
            prompt=translator.text(locale, q.prompt),
            element=translator.text(locale, q.element) if q.element else None,
            optional=q.optional,
            options=[
                SurveyOptionPublic(id=o.id, label=translator.text(locale, o.label))
                for o in q.options
            ],
        )
        for q in survey.questions
    ]
    return SurveyPublic(
        code=survey.code,
        title=translator.text(locale, survey.title),
        services=[service.value for service in survey.services],
        questions=questions,
    )


async def results(
    session: AsyncSession,
    *,
    officer: SignedInOfficer,
    selection: Selection,
    translator: Translator,
    now: datetime,
) -> SurveyResults:
    survey, service, period = selection.survey, selection.service, selection.period
    conn = await session.connection()
    completed = _completed(selection, translator.zone)
    tallies = await _tallies(conn, completed)
    index = ikm.compute(tallies, [q.code for q in survey.elements])
    counted = await conn.execute(
        select(
            func.count(survey_responses.c.id), func.count(distinct(survey_responses.c.contact_id))
        )
        .select_from(survey_responses)
        .where(completed)
    )
    responses, respondents = counted.one()
    invited, answered = await _invited(conn, selection, translator.zone)
    labels = {
        q.code: translator.text(translator.default_locale, q.element or q.prompt)
        for q in survey.elements
    }
    await _record_read(session, officer, audit.AuditAction.SURVEY_RESULTS, selection, now)
    return SurveyResults(
        survey=survey.code,
        service=service,
        from_date=period.first,
        to_date=period.last,
        responses=int(responses),
        respondents=int(respondents),
        invited=invited,
        response_rate=_share(answered, invited),
        suggestions_count=await _suggestion_count(conn, survey, completed),
        elements=[
            ElementResult(
                code=score.code,
                label=labels[score.code],
                average=float(score.average) if score.average is not None else None,
                answers=score.answers,
            )
            for score in index.elements
        ],
        ikm=float(index.ikm) if index.ikm is not None else None,
        grade=index.grade,
    )


async def suggestions(
    session: AsyncSession,
    *,
    officer: SignedInOfficer,
    selection: Selection,
    page: int,
    per_page: int,
    translator: Translator,
    now: datetime,
) -> SuggestionsPublic:
    """The suggestions of completed responses, newest first: the text, the service, when."""
    survey = selection.survey
    conn = await session.connection()
    completed = _completed(selection, translator.zone)
    texts = and_(
        completed,
        survey_answers.c.question.in_(_text_questions(survey)),
        survey_answers.c.text.is_not(None),
    )
    joined = survey_answers.join(
        survey_responses, survey_responses.c.id == survey_answers.c.response_id
    )
    total = await conn.scalar(select(func.count()).select_from(joined).where(texts))
    rows = await conn.execute(
        select(survey_responses.c.service, survey_answers.c.text, survey_answers.c.answered_at)
        .select_from(joined)
        .where(texts)
        .order_by(survey_answers.c.answered_at.desc(), survey_answers.c.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    await _record_read(session, officer, audit.AuditAction.SURVEY_SUGGESTIONS, selection, now)
    items = [
        SuggestionPublic(service=row.service, text=row.text, answered_at=row.answered_at)
        for row in rows
    ]
    return SuggestionsPublic(items=items, total=int(total or 0))


async def _record_read(
    session: AsyncSession,
    officer: SignedInOfficer,
    action: audit.AuditAction,
    selection: Selection,
    now: datetime,
) -> None:
    """Who read which responses, in the audit log (no citizen's data in it)."""
    period = selection.period
    await audit.record(
        session,
        actor=officer.username,
        officer_id=officer.id,
        action=action,
        target=selection.survey.code,
        detail={
            "service": selection.service,
            "from": _iso(period.first),
            "to": _iso(period.last),
        },
        now=now,
    )


def _selected(table: Table, moment: str, selection: Selection, zone: ZoneInfo) -> list[Any]:
    """The rows of `table` (responses or invitations) of the selection, `moment` in its period."""
    start, end = selection.period.bounds(zone)
    at = table.c[moment]
    conditions: list[Any] = [table.c.survey_code == selection.survey.code]
    if selection.service is not None:
        conditions.append(table.c.service == selection.service)
    if start is not None:
        conditions.append(at >= start)
    if end is not None:
        conditions.append(at < end)
    return conditions


def _completed(selection: Selection, zone: ZoneInfo) -> ColumnElement[bool]:
    completed_at = survey_responses.c.completed_at
    return and_(
        *_selected(survey_responses, "completed_at", selection, zone), completed_at.is_not(None)
    )


async def _tallies(conn: AsyncConnection, completed: ColumnElement[bool]) -> dict[str, ikm.Tally]:
    rows = await conn.execute(
        select(
            survey_answers.c.question,
            func.sum(survey_answers.c.mark),
            func.count(survey_answers.c.mark),
        )
        .join(survey_responses, survey_responses.c.id == survey_answers.c.response_id)
        .where(completed, survey_answers.c.mark.is_not(None))
        .group_by(survey_answers.c.question)
    )
    return {question: ikm.Tally(int(total), int(count)) for question, total, count in rows}


async def _invited(conn: AsyncConnection, selection: Selection, zone: ZoneInfo) -> tuple[int, int]:
    """Unique citizens sent an invitation in the period, and how many of them answered one."""
    sent = and_(
        *_selected(survey_invitations, "sent_at", selection, zone),
        survey_invitations.c.status == SENT,
    )
    invited = await conn.scalar(
        select(func.count(distinct(survey_invitations.c.contact_id))).where(sent)
    )
    answered = await conn.scalar(
        select(func.count(distinct(survey_responses.c.contact_id)))
        .join(survey_invitations, survey_invitations.c.id == survey_responses.c.invitation_id)
        .where(sent, survey_responses.c.completed_at.is_not(None))
    )
    return int(invited or 0), int(answered or 0)


async def _suggestion_count(
    conn: AsyncConnection, survey: Survey, completed: ColumnElement[bool]
) -> int:
    count = await conn.scalar(
        select(func.count(distinct(survey_answers.c.response_id)))
        .join(survey_responses, survey_responses.c.id == survey_answers.c.response_id)
        .where(
            completed,
            survey_answers.c.question.in_(_text_questions(survey)),
            survey_answers.c.text.is_not(None),
        )
    )
    return int(count or 0)


def _text_questions(survey: Survey) -> Sequence[str]:
    return [q.code for q in survey.questions if q.kind is QuestionKind.TEXT]


def _share(part: int, whole: int) -> float | None:
    if not whole:
        return None
    return float((Decimal(part) / Decimal(whole)).quantize(RATE_PLACES, rounding=ROUND_HALF_UP))


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None
