"""A unit's area, where its incidents happen: a polygon, or a centre and a radius.

Stored as JSON on the unit (`units.area`): ``{"polygon": [[lat, lon], ...]}``
or ``{"centre": [lat, lon], "radius_km": r}``. An incident whose place falls
in an area goes to that unit, the deepest one when areas nest (DESIGN §6).
Pure: no I/O; the hot path and the back-office both read areas through here.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

EARTH_RADIUS_KM = 6371.0088
MAX_POLYGON_POINTS = 1000
MAX_RADIUS_KM = 2000.0

Point = tuple[float, float]  # (latitude, longitude)


class AreaError(ValueError):
    """An area that cannot be used, with the reason."""


@dataclass(frozen=True, slots=True)
class Polygon:
    points: tuple[Point, ...]

    def contains(self, latitude: float, longitude: float) -> bool:
        """Ray casting on latitude/longitude as a plane: exact enough at a regency's scale."""
        inside = False
        points = self.points
        previous = points[-1]
        for current in points:
            (lat1, lon1), (lat2, lon2) = previous, current
            if (lat1 > latitude) != (lat2 > latitude):
                crossing = lon1 + (latitude - lat1) * (lon2 - lon1) / (lat2 - lat1)
                if longitude < crossing:
                    inside = not inside
            previous = current
        return inside

    def to_json(self) -> dict[str, Any]:
        return {"polygon": [list(point) for point in self.points]}


@dataclass(frozen=True, slots=True)
class Circle:
    centre: Point
    radius_km: float

    def contains(self, latitude: float, longitude: float) -> bool:
        return distance_km(self.centre, (latitude, longitude)) <= self.radius_km

    def to_json(self) -> dict[str, Any]:
        return {"centre": list(self.centre), "radius_km": self.radius_km}


Area = Polygon | Circle


def distance_km(a: Point, b: Point) -> float:
    """Great-circle distance (haversine)."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def parse_area(value: Mapping[str, Any]) -> Area:
    """An area from its JSON shape; raises `AreaError` with the reason."""
    if "polygon" in value and ("centre" in value or "radius_km" in value):
        raise AreaError("an area is either a polygon or a centre and a radius, not both")
    if "polygon" in value:
        raw = value["polygon"]
        if not isinstance(raw, list) or not 3 <= len(raw) <= MAX_POLYGON_POINTS:
            raise AreaError(f"a polygon has 3 to {MAX_POLYGON_POINTS} [latitude, longitude] points")
        return Polygon(tuple(_point(point) for point in raw))
    if "centre" in value:
        radius = value.get("radius_km")
        if (
            isinstance(radius, bool)
            or not isinstance(radius, int | float)
            or not math.isfinite(radius)
            or not 0 < radius <= MAX_RADIUS_KM
        ):
            raise AreaError(f"radius_km is a number above 0 and at most {MAX_RADIUS_KM:g}")
        return Circle(_point(value["centre"]), float(radius))
    raise AreaError(
        'an area is {"polygon": [[lat, lon], ...]} or {"centre": [lat, lon], "radius_km": r}'
    )


def area_from_json(text: str | None) -> Area | None:
    """A stored area (None when the unit has none, or what is stored is unusable)."""
    if not text:
        return None
    try:
        value = json.loads(text)
        return parse_area(value) if isinstance(value, dict) else None
    except (ValueError, TypeError):
        return None


def _point(value: Any) -> Point:
    if not isinstance(value, Sequence) or isinstance(value, str) or len(value) != 2:
        raise AreaError("a point is [latitude, longitude]")
    latitude, longitude = value
    for number in (latitude, longitude):
        if isinstance(number, bool) or not isinstance(number, int | float):
            raise AreaError("a point is [latitude, longitude], two numbers")
        if not math.isfinite(number):
            raise AreaError("coordinates are finite numbers")
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise AreaError("latitude is within -90..90 and longitude within -180..180")
    return (float(latitude), float(longitude))


@dataclass(frozen=True, slots=True)
class UnitArea:
    """One unit with an area, and how deep it sits in the tree (the root is 0)."""

    unit_id: int
    depth: int
    area: Area


def unit_at(areas: Sequence[UnitArea], latitude: float, longitude: float) -> int | None:
    """The deepest unit whose area holds the point (ties: the lowest id), if any."""
    holding = [unit for unit in areas if unit.area.contains(latitude, longitude)]
    if not holding:
        return None
    return min(holding, key=lambda unit: (-unit.depth, unit.unit_id)).unit_id
