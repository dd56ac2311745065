"""Bounds shared by the API's parameters: nothing a client sends reaches the
database as a number it cannot hold (an id beyond the column is a 422, not a 500)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

from bot.storage.models import MAX_ROW_ID

RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]
