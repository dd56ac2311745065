"""What `/api/v1/statistics` returns: counts, times and shares, never a case's content."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import BaseModel, Field


class Grouping(StrEnum):
    KIND = "kind"
    CATEGORY = "category"
    UNIT = "unit"
    STATUS = "status"


class PeriodLength(StrEnum):
    MONTH = "month"
    WEEK = "week"
    ALL = "all"


class DurationStats(BaseModel):
    """Hours from a case's receipt to an event, over the cases that reached it."""

    count: int
    median_hours: float | None
    p90_hours: float | None = Field(description="90th percentile (nearest rank)")


class StatisticsRow(BaseModel):
    period: str | None = Field(description="`2026-11` (month), `2026-W48` (ISO week), or null")
    kind: str | None = None
    category: str | None = None
    unit: str | None = None
    status: str | None = None
    received: int = Field(description="cases received in the period")
    resolved: int = Field(description="of those, resolved or closed since")
    first_response: DurationStats
    resolution: DurationStats
    sla_met: int = Field(description="cases whose SLA clocks were all met")
    sla_breached: int
    sla_met_share: float | None = Field(
        description="met / (met + breached); open cases on time are not counted"
    )
    ikm: float | None = Field(description="the IKM (25-100) of the surveys about these cases")
    ikm_grade: str | None
    ikm_responses: int


class StatisticsPublic(BaseModel):
    from_date: date = Field(alias="from")
    to_date: date = Field(alias="to")
    period: PeriodLength
    group_by: list[Grouping]
    rows: list[StatisticsRow]
    total: StatisticsRow = Field(description="every selected case together")

    model_config = {"populate_by_name": True}
