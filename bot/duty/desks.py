"""The duty desks (SPKT) an urgent report can be put before, from a data file.

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
import math
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

SAMPLE_FILE = Path(__file__).resolve().parent.parent / "data" / "duty_desks.json"
EARTH_RADIUS_KM = 6371.0088

DeskId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9 ()-]{3,32}$")]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]


class DeskFileError(ValueError):
    """The duty-desk file cannot be used; the message says which file and why."""


class Area(BaseModel):
    """A circle around a centre, and how people would name the place."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    description: Name
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    radius_km: float = Field(gt=0, le=2000)

    def distance_km(self, latitude: float, longitude: float) -> float:
        """Great-circle distance from the centre (haversine)."""
        lat1, lat2 = math.radians(self.latitude), math.radians(latitude)
        d_lat = lat2 - lat1
        d_lon = math.radians(longitude - self.longitude)
        h = math.sin(d_lat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(d_lon / 2) ** 2
        return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))

    def covers(self, latitude: float, longitude: float) -> bool:
        return self.distance_km(latitude, longitude) <= self.radius_km


class DutyDesk(BaseModel):
    """One duty desk: citizens are shown its `phone`, the duty group its `name`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: DeskId
    name: Name
    phone: Phone
    area: Area
    default: bool = False


class DeskFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sample: bool = False
    note: str = ""
    desks: list[DutyDesk] = Field(min_length=1)


class DutyDesks:
    """The desks of one file: the default one, and the one for a place."""

    def __init__(self, desks: list[DutyDesk], *, sample: bool = False) -> None:
        ids = [desk.id for desk in desks]
        repeated = sorted({desk_id for desk_id in ids if ids.count(desk_id) > 1})
        if repeated:
            raise ValueError(f"desk ids must be unique; repeated: {', '.join(repeated)}")
        defaults = [desk for desk in desks if desk.default]
        if len(defaults) != 1:
            named = ", ".join(desk.id for desk in defaults) or "none"
            raise ValueError(f'exactly one desk must have "default": true (found: {named})')
        self.all = tuple(desks)
        self.default = defaults[0]
        self.sample = sample
        self._by_id = {desk.id: desk for desk in desks}

    def get(self, desk_id: str) -> DutyDesk | None:
        return self._by_id.get(desk_id)

    def nearest(self, latitude: float, longitude: float) -> DutyDesk:
        """The most local desk whose area covers the place (smallest area first,
        then the closest centre); the default desk when none does."""
        covering = [desk for desk in self.all if desk.area.covers(latitude, longitude)]
        if not covering:
            return self.default
        return min(
            covering,
            key=lambda desk: (desk.area.radius_km, desk.area.distance_km(latitude, longitude)),
        )


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
        return DutyDesks(parsed.desks, sample=parsed.sample)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in item['loc']) or 'file'}: {item['msg']}"
            for item in error.errors()
        )
        raise DeskFileError(f"duty-desk file {path}: {problems}") from None
    except ValueError as error:
        raise DeskFileError(f"duty-desk file {path}: {error}") from None
