"""Bounds shared by the API's parameters: nothing a client sends reaches the
database as a number it cannot hold (above 2^63 - 1 an id is a 422, not a 500)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

MAX_ROW_ID = 2**63 - 1  # the largest id the database can hold

RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]
