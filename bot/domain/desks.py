"""The duty desks (SPKT) an urgent report can be put before, as values: each
desk's area, and which desk takes a place. `bot.duty.desks` reads them from a
data file."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

EARTH_RADIUS_KM = 6371.0088


@dataclass(frozen=True, slots=True)
class Area:
    """A circle around a centre, and how people would name the place."""

    description: str
    latitude: float
    longitude: float
    radius_km: float

    def distance_km(self, latitude: float, longitude: float) -> float:
        """Great-circle distance from the centre (haversine)."""
        lat1, lat2 = math.radians(self.latitude), math.radians(latitude)
        d_lat = lat2 - lat1
        d_lon = math.radians(longitude - self.longitude)
        h = math.sin(d_lat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(d_lon / 2) ** 2
        return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))

    def covers(self, latitude: float, longitude: float) -> bool:
        return self.distance_km(latitude, longitude) <= self.radius_km


@dataclass(frozen=True, slots=True)
class DutyDesk:
    """One duty desk: citizens are shown its `phone`, the duty group its `name`."""

    id: str
    name: str
    phone: str
    area: Area
    default: bool = False


class DutyDesks:
    """The desks of one file: the default one, and the one for a place."""

    def __init__(self, desks: Iterable[DutyDesk], *, sample: bool = False) -> None:
        desks = tuple(desks)
        ids = [desk.id for desk in desks]
        repeated = sorted({desk_id for desk_id in ids if ids.count(desk_id) > 1})
        if repeated:
            raise ValueError(f"desk ids must be unique; repeated: {', '.join(repeated)}")
        defaults = [desk for desk in desks if desk.default]
        if len(defaults) != 1:
            named = ", ".join(desk.id for desk in defaults) or "none"
            raise ValueError(f'exactly one desk must have "default": true (found: {named})')
        self.all = desks
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
