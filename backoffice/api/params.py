"""Bounds shared by the API's parameters: nothing a client sends reaches the
database as a number it cannot hold (an id beyond the column is a 422, not a 500),
nor date arithmetic as a day it cannot handle (the month before year 1, the day
after 9999-12-31)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Path
from pydantic import Field

from bot.storage.models import MAX_ROW_ID

RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]

EARLIEST_DAY = date(2000, 1, 1)
LATEST_DAY = date(2099, 12, 31)
Day = Annotated[date, Field(ge=EARLIEST_DAY, le=LATEST_DAY)]
"""A day a period may start or end on (a 422 outside these years)."""


def day_or_none(value: str) -> date | None:
    """A typed day (YYYY-MM-DD) within `Day`'s years, or None: the form pages' reading."""
    try:
        found = date.fromisoformat(value) if value else None
    except ValueError:
        return None
    return found if found is not None and EARLIEST_DAY <= found <= LATEST_DAY else None
