"""What `/api/v1/officers` accepts and returns. Passwords go in, never out."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from backoffice.officers import Role

MAX_PASSWORD_CHARS = 200  # Argon2 takes any length; a bound keeps a request cheap
UNIT_CODE_PATTERN = r"^[a-z0-9-]+$"

Username = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Password = Annotated[str, StringConstraints(min_length=1, max_length=MAX_PASSWORD_CHARS)]
UnitCode = Annotated[str, StringConstraints(max_length=40, pattern=UNIT_CODE_PATTERN)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt field is an error, not ignored


class OfficerCreate(_Strict):
    username: Username = Field(description="letters, digits, '.', '_', '@' or '-'")
    password: Password = Field(description="at least 8 characters, not a common password")
    role: Role
    unit: UnitCode | None = Field(default=None, description="a unit's code; omitted: the root")
    full_name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""


class OfficerUpdate(_Strict):
    role: Role | None = None
    unit: UnitCode | None = None
    active: bool | None = Field(
        default=None, description="false: disabled, and every token refused at once"
    )
    password: Password | None = Field(
        default=None, description="a new password; every token is refused at once"
    )


class OfficerPublic(BaseModel):
    username: str
    full_name: str
    role: Role
    unit: str = Field(description="the unit's code")
    active: bool
    created_at: datetime


class OfficersPublic(BaseModel):
    items: list[OfficerPublic]
    total: int
