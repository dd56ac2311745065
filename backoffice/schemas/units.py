"""The unit tree as the officer API shows it, and what admins send to add a unit."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints

UnitCode = Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]{1,40}$")]


class UnitCreate(BaseModel):
    code: UnitCode = Field(description="lowercase letters, digits and '-', e.g. `polres-oki`")
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    parent: UnitCode = Field(description="code of the unit it belongs under")
    area: dict[str, Any] | None = Field(
        default=None,
        description='where its incidents happen: {"polygon": [[lat, lon], ...]} or '
        '{"centre": [lat, lon], "radius_km": r}',
    )


class UnitPublic(BaseModel):
    code: str
    name: str
    parent: str | None
    area: dict[str, Any] | None
    children: list[UnitPublic]


class UnitsPublic(BaseModel):
    items: list[UnitPublic] = Field(description="the root unit, with every unit below it")
