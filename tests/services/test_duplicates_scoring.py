"""Whether two incident reports are possibly the same event: the pure scorer, table-driven.

Every report is placed relative to one accident at the Jakabaring junction
in Palembang, reported at `T0`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.services.duplicates import (
    KM_PER_DEGREE_LATITUDE,
    SAME_KIND_TEXT,
    TEXT_MIN,
    Report,
    address_similarity,
    haversine_km,
    same_event,
    text_similarity,
)

T0 = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)
JAKABARING = (-3.0125, 104.7760)
ACCIDENT = "tabrakan motor sama truk di simpang jakabaring"


def report(
    description: str = ACCIDENT,
    *,
    minutes: float = 0,
    km_north: float | None = 0.0,
    address: str | None = None,
    category: str = "traffic_accident",
    occurred_minutes: float | None = None,
) -> Report:
    """A report `minutes` after `T0`, `km_north` of the junction (None: no shared location)."""
    point = (
        None
        if km_north is None
        else (JAKABARING[0] + km_north / KM_PER_DEGREE_LATITUDE, JAKABARING[1])
    )
    return Report(
        description=description,
        category=category,
        created_at=T0 + timedelta(minutes=minutes),
        occurred_at=None if occurred_minutes is None else T0 + timedelta(minutes=occurred_minutes),
        latitude=None if point is None else point[0],
        longitude=None if point is None else point[1],
        address=address,
    )


EARLIER = report()
SAME_EVENT: list[tuple[str, Report, Report]] = [
    ("the same words", report(minutes=10), EARLIER),
    (
        "other words for the same accident",
        report("ada kecelakaan motor vs truk di simpang jakabaring", minutes=20),
        EARLIER,
    ),
    ("a short report inside a long one", report("ada yg kecelakaan", minutes=5), EARLIER),
    ("slang and another verb", report("motor ditabrak truk", minutes=30), EARLIER),
    (
        "laka lantas",
        report("laka lantas di jakabaring, pemotor jatuh ketabrak truk", minutes=40),
        EARLIER,
    ),
    ("reported from across the junction", report(minutes=15, km_north=0.4), EARLIER),
    ("the last report within the window", report(minutes=170), EARLIER),
    (
        "a late report of when it happened",
        report(minutes=300, occurred_minutes=-10),
        EARLIER,
    ),
    (
        "another category chosen",
        report("ada kecelakaan motor vs truk di simpang jakabaring", category="other"),
        EARLIER,
    ),
    (
        "typed addresses alike",
        report(minutes=25, km_north=None, address="simpang jakabaring"),
        report(km_north=None, address="jakabaring dekat lampu merah"),
    ),
    (
        "an address against a shared location's words",
        report("kecelakaan motor", minutes=25, km_north=None, address="Simp. Jakabaring"),
        EARLIER,
    ),
    (
        "abbreviated street names",
        report("pohon tumbang menutup jalan", km_north=None, address="jl kapt rivai"),
        report(
            "ada pohon tumbang di jalan",
            minutes=-30,
            km_north=None,
            address="jalan kapten a rivai",
        ),
    ),
    (
        "the same kind of event in words that differ",
        report("tawuran pelajar", category="violence"),
        report("ada tawuran anak sekolah", category="public_disorder"),
    ),
    (
        "less alike words, same category",
        report("orang pingsan di trotoar", category="other"),
        report("ada bapak2 pingsan dekat halte", category="other"),
    ),
]
NOT_SAME_EVENT: list[tuple[str, Report, Report]] = [
    ("the same words 5 km away", report(minutes=10, km_north=5.0), EARLIER),
    ("the same words 1.2 km away", report(minutes=10, km_north=1.2), EARLIER),
    ("the same words two days later", report(minutes=2 * 24 * 60), EARLIER),
    ("the same words four hours later", report(minutes=240), EARLIER),
    (
        "happened the day before, reported now",
        report(minutes=30, occurred_minutes=-24 * 60),
        report(occurred_minutes=-5),
    ),
    (
        "a snatch theft at the same corner",
        report("jambret hp di simpang jakabaring", minutes=20, category="theft"),
        EARLIER,
    ),
    (
        "a theft at the same corner, filed as an accident",
        report("hp sy diambil org di simpang jakabaring", minutes=20),
        EARLIER,
    ),
    (
        "a fire at the same corner",
        report("kebakaran ruko di simpang jakabaring", minutes=20, category="other"),
        EARLIER,
    ),
    (
        "different events without event words",
        report("lampu lalu lintas mati total", minutes=20, category="other"),
        report("ada orang pingsan di pinggir", category="other"),
    ),
    ("no place at all", report(minutes=5, km_north=None), report(km_north=None)),
    (
        "different streets",
        report(minutes=5, km_north=None, address="jl sudirman"),
        report(km_north=None, address="jalan merdeka"),
    ),
    (
        "different numbers on one street",
        report(minutes=5, km_north=None, address="pasar 16 ilir"),
        report(km_north=None, address="pasar 26 ilir"),
    ),
    (
        "a shared location and an address elsewhere",
        report(minutes=5, km_north=None, address="simpang polda"),
        EARLIER,
    ),
    (
        "less alike words, other categories",
        report("orang pingsan di trotoar", category="other"),
        report("ada bapak2 pingsan dekat halte", category="public_disorder"),
    ),
]


@pytest.mark.parametrize(
    ("new", "earlier"), [row[1:] for row in SAME_EVENT], ids=[row[0] for row in SAME_EVENT]
)
def test_reports_of_one_event_match(new: Report, earlier: Report) -> None:
    match = same_event(new, earlier)

    assert match is not None
    assert 0 < match.score <= 100
    assert same_event(earlier, new) == match, "the comparison is symmetric"


@pytest.mark.parametrize(
    ("new", "earlier"),
    [row[1:] for row in NOT_SAME_EVENT],
    ids=[row[0] for row in NOT_SAME_EVENT],
)
def test_reports_of_different_events_do_not_match(new: Report, earlier: Report) -> None:
    assert same_event(new, earlier) is None


def test_a_closer_report_scores_higher() -> None:
    near = same_event(report(minutes=5), EARLIER)
    far = same_event(report(minutes=150, km_north=0.8), EARLIER)

    assert near is not None
    assert far is not None
    assert near.score > far.score


def test_the_same_category_adds_to_the_score() -> None:
    text = "ada kecelakaan motor vs truk di simpang jakabaring"
    same = same_event(report(text), EARLIER)
    other = same_event(report(text, category="other"), EARLIER)

    assert same is not None
    assert other is not None
    assert same.score > other.score


@pytest.mark.parametrize(
    ("a", "b", "at_least", "below"),
    [
        (ACCIDENT, "ada kecelakaan motor vs truk di simpang jakabaring", 99.9, 100.1),
        ("TABRAKAN Motor!!", "tabrakan motor", 99.9, 100.1),
        ("jambret hp di simpang jakabaring", ACCIDENT, 0.0, 0.1),
        ("ada yg kecelakaan di jakabaring", "motor ditabrak truk", SAME_KIND_TEXT, 100.0),
        ("lampu lalu lintas mati total", "ada orang pingsan di pinggir", 0.0, TEXT_MIN),
        ("", ACCIDENT, 0.0, 0.1),
    ],
)
def test_text_similarity(a: str, b: str, at_least: float, below: float) -> None:
    assert at_least <= text_similarity(a, b) < below


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("simpang jakabaring", "Jakabaring, dekat lampu merah", 100.0),
        ("simpang polda", "simpang jakabaring", None),
        ("jl. sudirman no 5", "jalan sudirman no 12", 0.0),
        ("jalan", "jalan", 0.0),  # nothing specific to compare
    ],
)
def test_address_similarity(a: str, b: str, expected: float | None) -> None:
    similarity = address_similarity(a, b)

    if expected is None:
        assert similarity < 50
    else:
        assert similarity == expected


def test_haversine_distance() -> None:
    # One degree of latitude is about 111 km anywhere; Palembang to Jakarta about 430 km.
    assert haversine_km((0.0, 0.0), (1.0, 0.0)) == pytest.approx(111.2, abs=0.1)
    assert haversine_km((-2.9761, 104.7754), (-6.2088, 106.8456)) == pytest.approx(426, abs=5)
    assert haversine_km(JAKABARING, JAKABARING) == 0.0
