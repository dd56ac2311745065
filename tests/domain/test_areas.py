"""Units' areas: which holds a place, and which unit wins when areas nest."""

from __future__ import annotations

import math

import pytest

from bot.domain.areas import (
    AreaError,
    Circle,
    Polygon,
    UnitArea,
    area_from_json,
    distance_km,
    parse_area,
    unit_at,
)

SQUARE = Polygon(((-2.9, 104.65), (-2.9, 104.85), (-3.1, 104.85), (-3.1, 104.65)))
# An L shape: the notch at the top right is outside.
ELL = Polygon(((0, 0), (0, 2), (1, 2), (1, 1), (2, 1), (2, 0)))


def test_a_polygon_holds_what_is_inside_it() -> None:
    assert SQUARE.contains(-3.0, 104.75)
    assert not SQUARE.contains(-3.2, 104.75)
    assert not SQUARE.contains(-3.0, 104.9)
    assert ELL.contains(0.5, 1.5)
    assert ELL.contains(1.5, 0.5)
    assert not ELL.contains(1.5, 1.5)


def test_distance_is_the_great_circle() -> None:
    # One degree of latitude is about 111.2 km anywhere.
    assert distance_km((0.0, 0.0), (1.0, 0.0)) == pytest.approx(111.19, abs=0.05)
    # Palembang to Jakarta, about 425 km.
    assert distance_km((-2.976, 104.775), (-6.2, 106.817)) == pytest.approx(425, abs=10)


def test_a_circle_holds_what_is_within_its_radius() -> None:
    circle = Circle((-2.98, 104.74), 3.0)
    assert circle.contains(-2.985, 104.745)
    assert not circle.contains(-3.05, 104.80)


def test_the_deepest_unit_wins() -> None:
    areas = [
        UnitArea(unit_id=2, depth=1, area=SQUARE),
        UnitArea(unit_id=3, depth=2, area=Circle((-2.98, 104.74), 3.0)),
    ]
    assert unit_at(areas, -2.985, 104.745) == 3
    assert unit_at(areas, -3.05, 104.80) == 2
    assert unit_at(areas, -3.8, 103.5) is None


@pytest.mark.parametrize(
    "value",
    [
        {},
        {"polygon": [[0, 0], [0, 1]]},
        {"polygon": "0,0 1,1 2,2"},
        {"polygon": [[0, 0], [0, 1], [1, "x"]]},
        {"polygon": [[0, 0], [0, 1], [1, math.nan]]},
        {"polygon": [[0, 0], [0, 1], [1, True]]},
        {"polygon": [[0, 0], [0, 1], [91, 1]]},
        {"centre": [0, 0]},
        {"centre": [0, 0], "radius_km": 0},
        {"centre": [0, 0], "radius_km": math.inf},
        {"centre": [0, 200], "radius_km": 1},
        {"centre": [0, 0], "radius_km": 1, "polygon": [[0, 0], [0, 1], [1, 1]]},
    ],
)
def test_an_unusable_area_says_why(value: dict[str, object]) -> None:
    with pytest.raises(AreaError):
        parse_area(value)


def test_areas_round_trip_through_their_stored_form() -> None:
    assert area_from_json('{"centre": [1, 2], "radius_km": 3}') == Circle((1.0, 2.0), 3.0)
    assert parse_area(SQUARE.to_json()) == SQUARE
    assert area_from_json(None) is None
    assert area_from_json("not json") is None
