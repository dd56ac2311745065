"""The duty desks (SPKT) an urgent report can be put before (`bot.domain.desks`),
read from a data file.

The file is JSON: ``{"sample": bool, "note": str, "desks": [desk, ...]}``,
each desk ``{"id", "name", "phone", "default"?, "area": {"description",
"latitude", "longitude", "radius_km"}}``. Exactly one desk is the default:
it takes every report whose place is unknown or outside all areas. The file
shipped in ``bot/data/duty_desks.json`` is SAMPLE data; a deployment points
``PINTU_DUTY_DESKS_FILE`` at its own.

`load_desks` refuses a file that is missing, not JSON or not of that shape,
with a `DeskFileError` naming the file and what is wrong in it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from bot.domain.desks import Area, DutyDesk, DutyDesks

SAMPLE_FILE = Path(__file__).resolve().parent.parent / "data" / "duty_desks.json"

DeskId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9 ()-]{3,32}$")]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]


class DeskFileError(ValueError):
    """The duty-desk file cannot be used; the message says which file and why."""


class AreaEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    description: Name
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    radius_km: float = Field(gt=0, le=2000)


class DeskEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: DeskId
    name: Name
    phone: Phone
    area: AreaEntry
    default: bool = False

    def desk(self) -> DutyDesk:
        return DutyDesk(
            self.id, self.name, self.phone, Area(**self.area.model_dump()), self.default
        )


class DeskFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sample: bool = False
    note: str = ""
    desks: list[DeskEntry] = Field(min_length=1)


def load_desks(path: Path | None = None) -> DutyDesks:
    """The desks in `path` (None: the shipped SAMPLE file); raises `DeskFileError`."""
    path = path or SAMPLE_FILE
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise DeskFileError(f"duty-desk file {path}: cannot be read ({error.strerror})") from None
    except ValueError as error:
        raise DeskFileError(f"duty-desk file {path}: not valid JSON ({error})") from None
    try:
        parsed = DeskFile.model_validate(raw)
        return DutyDesks((entry.desk() for entry in parsed.desks), sample=parsed.sample)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in item['loc']) or 'file'}: {item['msg']}"
            for item in error.errors()
        )
        raise DeskFileError(f"duty-desk file {path}: {problems}") from None
    except ValueError as error:
        raise DeskFileError(f"duty-desk file {path}: {error}") from None
