"""Case statistics for supervisors and admins, and the public transparency figures.

A case counts in the period it was **received** (its `created_at`, in the
unit's time zone), and everything about it — whether and how fast it was
answered and resolved, whether its SLA clocks were met, the IKM of the
surveys about it — counts there too (a cohort, so a month's figures settle
as its cases are worked).

- Times are hours from receipt to the first officer reply (`first_response_at`)
  and to the resolution (`resolved_at`); median, and 90th percentile by the
  nearest-rank method (the smallest time with at least 90 % of times at or
  below it), over the cases that reached the event.
- SLA met share: cases whose clocks were all met, over those met plus those
  breached (`bot.domain.sla.state`); cases still on time or paused are
  undecided and not counted.
- IKM: PermenPANRB 14/2017 (`bot.domain.ikm`) over the completed surveys
  about the cases.

Only cases within the caller's scope (`case_scope`) are read; the public
page passes a scope admitting all, and shows aggregates only.
"""

from __future__ import annotations

import csv
import io
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from statistics import median
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel.ext.asyncio.session import AsyncSession

from backoffice import audit
from backoffice.officers import SignedInOfficer
from backoffice.schemas.statistics import (
    DurationStats,
    Grouping,
    PeriodLength,
    StatisticsPublic,
    StatisticsRow,
)
from backoffice.surveys import Period
from bot.domain import ikm
from bot.domain.sla import SlaState, state
from bot.domain.survey_forms import Survey
from bot.storage.tables import (
    cases,
    survey_answers,
    survey_invitations,
    survey_responses,
    units,
)

ROOT_UNIT = "polda"  # a case with no unit belongs to the root (DESIGN §5)
HOURS = Decimal("0.01")
SHARE = Decimal("0.0001")
IKM_SURVEY = "ikm"
MAX_DAYS = 3660
DEFAULT_MONTHS = 12


@dataclass(frozen=True, slots=True)
class CaseFacts:
    """What statistics need of one case: no text, no person."""

    case_id: int
    kind: str
    category: str
    unit: str
    status: str
    created_at: datetime
    first_response_at: datetime | None
    resolved_at: datetime | None
    sla: SlaState


async def case_facts(
    conn: AsyncConnection,
    *,
    scope: ColumnElement[bool],
    period: Period,
    zone: ZoneInfo,
    now: datetime,
) -> list[CaseFacts]:
    """The cases in `scope` received within `period`."""
    rows = await conn.execute(
        select(
            cases.c.id,
            cases.c.kind,
            cases.c.category,
            units.c.code,
            cases.c.status,
            cases.c.created_at,
            cases.c.first_response_at,
            cases.c.resolved_at,
            cases.c.sla_next_due_at,
            cases.c.sla_soon_at,
            cases.c.sla_missed,
        )
        .select_from(cases.outerjoin(units, units.c.id == cases.c.unit_id))
        .where(*_received(scope, period, zone))
        .order_by(cases.c.id)
    )
    return [
        CaseFacts(
            case_id=row.id,
            kind=row.kind,
            category=row.category,
            unit=row.code or ROOT_UNIT,
            status=row.status,
            created_at=row.created_at,
            first_response_at=row.first_response_at,
            resolved_at=row.resolved_at,
            sla=state(
                status=row.status,
                due=row.sla_next_due_at,
                soon=row.sla_soon_at,
                missed=bool(row.sla_missed),
                now=now,
            ),
        )
        for row in rows
    ]


async def survey_marks(
    conn: AsyncConnection, *, scope: ColumnElement[bool], period: Period, zone: ZoneInfo
) -> dict[int, dict[str, ikm.Tally]]:
    """The IKM marks of the completed surveys about each case in scope and period."""
    conditions = [
        *_received(scope, period, zone),
        survey_responses.c.survey_code == IKM_SURVEY,
        survey_responses.c.completed_at.is_not(None),
        survey_answers.c.mark.is_not(None),
    ]
    rows = await conn.execute(
        select(survey_invitations.c.case_id, survey_answers.c.question, survey_answers.c.mark)
        .select_from(
            survey_answers.join(
                survey_responses, survey_responses.c.id == survey_answers.c.response_id
            )
            .join(survey_invitations, survey_invitations.c.id == survey_responses.c.invitation_id)
            .join(cases, cases.c.id == survey_invitations.c.case_id)
        )
        .where(*conditions)
    )
    marks: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for case_id, question, mark in rows:
        marks[case_id][question].append(int(mark))
    return {
        case_id: {question: ikm.tally(given) for question, given in by_question.items()}
        for case_id, by_question in marks.items()
    }


async def survey_counts(
    conn: AsyncConnection, *, scope: ColumnElement[bool], period: Period, zone: ZoneInfo
) -> dict[int, int]:
    """How many completed IKM surveys there are about each case in scope and period."""
    conditions = [
        *_received(scope, period, zone),
        survey_responses.c.survey_code == IKM_SURVEY,
        survey_responses.c.completed_at.is_not(None),
    ]
    rows = await conn.execute(
        select(survey_invitations.c.case_id)
        .select_from(
            survey_responses.join(
                survey_invitations, survey_invitations.c.id == survey_responses.c.invitation_id
            ).join(cases, cases.c.id == survey_invitations.c.case_id)
        )
        .where(*conditions)
    )
    counts: dict[int, int] = defaultdict(int)
    for (case_id,) in rows:
        counts[case_id] += 1
    return dict(counts)


def _received(
    scope: ColumnElement[bool], period: Period, zone: ZoneInfo
) -> list[ColumnElement[bool]]:
    """Cases in `scope` received within `period`."""
    start, end = period.bounds(zone)
    conditions = [scope]
    if start is not None:
        conditions.append(cases.c.created_at >= start)
    if end is not None:
        conditions.append(cases.c.created_at < end)
    return conditions


def months_back(day: date, months: int) -> date:
    """The first day of the month `months` before `day`'s."""
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def period_key(moment: datetime, length: PeriodLength, zone: ZoneInfo) -> str | None:
    local = moment.astimezone(zone)
    if length is PeriodLength.MONTH:
        return f"{local.year:04d}-{local.month:02d}"
    if length is PeriodLength.WEEK:
        year, week, _ = local.isocalendar()
        return f"{year:04d}-W{week:02d}"
    return None


def nearest_rank(values: Sequence[float], share: float) -> float:
    """The smallest value with at least `share` of the values at or below it."""
    ordered = sorted(values)
    return ordered[max(math.ceil(share * len(ordered)), 1) - 1]


@dataclass
class _Bucket:
    received: int = 0
    resolved: int = 0
    first_response: list[float] = field(default_factory=list)
    resolution: list[float] = field(default_factory=list)
    met: int = 0
    breached: int = 0
    tallies: dict[str, list[ikm.Tally]] = field(default_factory=lambda: defaultdict(list))
    responses: int = 0

    def add(self, case: CaseFacts, marks: dict[str, ikm.Tally], responses: int) -> None:
        self.received += 1
        if case.first_response_at is not None:
            self.first_response.append(_hours(case.first_response_at - case.created_at))
        if case.resolved_at is not None:
            self.resolved += 1
            self.resolution.append(_hours(case.resolved_at - case.created_at))
        self.met += case.sla is SlaState.MET
        self.breached += case.sla is SlaState.BREACHED
        for question, tally in marks.items():
            self.tallies[question].append(tally)
        self.responses += responses


def summarize(
    facts: Iterable[CaseFacts],
    *,
    marks: dict[int, dict[str, ikm.Tally]],
    responses: dict[int, int],
    group_by: Sequence[Grouping],
    length: PeriodLength,
    zone: ZoneInfo,
    elements: Sequence[str],
) -> tuple[list[StatisticsRow], StatisticsRow]:
    """One row per period and group (in order), and the total over all."""
    buckets: dict[tuple[str | None, ...], _Bucket] = defaultdict(_Bucket)
    total = _Bucket()
    for case in facts:
        dims = (_dimension(case, grouping) for grouping in group_by)
        key = (period_key(case.created_at, length, zone), *dims)
        case_marks = marks.get(case.case_id, {})
        case_responses = responses.get(case.case_id, 0)
        buckets[key].add(case, case_marks, case_responses)
        total.add(case, case_marks, case_responses)
    rows = [
        _row(bucket, key[0], dict(zip(group_by, key[1:], strict=True)), elements)
        for key, bucket in sorted(buckets.items(), key=lambda item: [k or "" for k in item[0]])
    ]
    return rows, _row(total, None, {}, elements)


def _dimension(case: CaseFacts, grouping: Grouping) -> str:
    getters: dict[Grouping, Callable[[CaseFacts], str]] = {
        Grouping.KIND: lambda c: c.kind,
        Grouping.CATEGORY: lambda c: c.category,
        Grouping.UNIT: lambda c: c.unit,
        Grouping.STATUS: lambda c: c.status,
    }
    return getters[grouping](case)


def _row(
    bucket: _Bucket, period: str | None, dims: dict[Grouping, str | None], elements: Sequence[str]
) -> StatisticsRow:
    tallies = {
        question: ikm.Tally(sum(t.total for t in given), sum(t.answers for t in given))
        for question, given in bucket.tallies.items()
    }
    index = ikm.compute(tallies, elements)
    decided = bucket.met + bucket.breached
    return StatisticsRow(
        period=period,
        **{grouping.value: value for grouping, value in dims.items()},
        received=bucket.received,
        resolved=bucket.resolved,
        first_response=_durations(bucket.first_response),
        resolution=_durations(bucket.resolution),
        sla_met=bucket.met,
        sla_breached=bucket.breached,
        sla_met_share=_round(bucket.met / decided, SHARE) if decided else None,
        ikm=float(index.ikm) if index.ikm is not None else None,
        ikm_grade=index.grade,
        ikm_responses=bucket.responses,
    )


def _durations(hours: list[float]) -> DurationStats:
    if not hours:
        return DurationStats(count=0, median_hours=None, p90_hours=None)
    return DurationStats(
        count=len(hours),
        median_hours=_round(median(hours), HOURS),
        p90_hours=_round(nearest_rank(hours, 0.9), HOURS),
    )


def _hours(span: timedelta) -> float:
    return span.total_seconds() / 3600


def _round(value: float, places: Decimal) -> float:
    return float(Decimal(repr(value)).quantize(places, rounding=ROUND_HALF_UP))


CSV_COLUMNS = (
    "period",
    "kind",
    "category",
    "unit",
    "status",
    "received",
    "resolved",
    "first_response_count",
    "first_response_median_hours",
    "first_response_p90_hours",
    "resolution_count",
    "resolution_median_hours",
    "resolution_p90_hours",
    "sla_met",
    "sla_breached",
    "sla_met_share",
    "ikm",
    "ikm_grade",
    "ikm_responses",
)


def to_csv(rows: Iterable[StatisticsRow]) -> str:
    """The rows as CSV, one column per figure (empty for none)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        flat = row.model_dump(exclude={"first_response", "resolution"})
        for name, stats in (("first_response", row.first_response), ("resolution", row.resolution)):
            flat[f"{name}_count"] = stats.count
            flat[f"{name}_median_hours"] = stats.median_hours
            flat[f"{name}_p90_hours"] = stats.p90_hours
        writer.writerow(["" if flat[c] is None else flat[c] for c in CSV_COLUMNS])
    return out.getvalue()


class InvalidPeriodError(ValueError):
    """A period that cannot be read: backwards, or too long."""


async def read_statistics(
    session: AsyncSession,
    *,
    officer: SignedInOfficer,
    scope: ColumnElement[bool],
    surveys: Mapping[str, Survey],
    zone: ZoneInfo,
    first: date | None,
    last: date | None,
    period: PeriodLength,
    group_by: Sequence[Grouping],
    output: str,
    now: datetime,
) -> StatisticsPublic:
    """The figures of the cases in `scope` received from `first` to `last` (default: the
    last 12 months to today), in the officer's audit trail. Raises `InvalidPeriodError`."""
    last = last or now.astimezone(zone).date()
    first = first or months_back(last, DEFAULT_MONTHS - 1)
    if first > last:
        raise InvalidPeriodError("'from' is after 'to'")
    if (last - first).days > MAX_DAYS:
        raise InvalidPeriodError(f"at most {MAX_DAYS} days at once")
    grouping = list(dict.fromkeys(group_by))  # each once, in the order asked
    days = Period(first, last)
    conn = await session.connection()
    facts = await case_facts(conn, scope=scope, period=days, zone=zone, now=now)
    marks = await survey_marks(conn, scope=scope, period=days, zone=zone)
    responses = await survey_counts(conn, scope=scope, period=days, zone=zone)
    survey = surveys.get(IKM_SURVEY)
    rows, total = summarize(
        facts,
        marks=marks,
        responses=responses,
        group_by=grouping,
        length=period,
        zone=zone,
        elements=[q.code for q in survey.elements] if survey else [],
    )
    await audit.record(
        session,
        actor=officer.username,
        officer_id=officer.id,
        action=audit.AuditAction.STATISTICS_VIEW,
        target=None,
        detail={
            "from": first.isoformat(),
            "to": last.isoformat(),
            "period": period.value,
            "group_by": ",".join(g.value for g in grouping),
            "format": output,
        },
        now=now,
    )
    return StatisticsPublic(
        from_date=first, to_date=last, period=period, group_by=grouping, rows=rows, total=total
    )
