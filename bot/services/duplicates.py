"""Possible duplicate incident reports: ten citizens, one accident.

When a citizen confirms an incident, `link_duplicates` compares it with the
recent incidents and records a `case_links` row (newer → earlier, with a
score) for each one that looks like the same event, so officers see the
reports together. A link is a hint for an officer, never a merge: nothing
else about either case changes.

Two reports are possibly the same event (`same_event`) when all three hold:

- **time**: their best estimates of when it happened (`occurred_at` when the
  citizen said, else the moment of reporting) are within `TIME_WINDOW`;
- **place**: shared locations within `MAX_DISTANCE_KM`; otherwise typed
  addresses alike (rapidfuzz), a report without an address offering its
  description instead, since citizens name the place in it; no place at
  all, no link;
- **words**: the descriptions alike (rapidfuzz `token_set_ratio`) once
  normalised: slang spelt out, filler and generic place words dropped, and
  the words for one kind of event ("tabrakan", "ditabrak", "laka") read as
  one ("kecelakaan"). Naming the same kind of event is enough; naming
  different kinds ("jambret" and "kecelakaan" at the same corner) means
  different events.

The same category lowers the bar for the words a little; it is never
required, because citizens pick categories loosely.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from rapidfuzz import fuzz

from bot.language.intents import content_words, stems
from bot.language.wordlists import sections, variant_table
from bot.storage.direct import Row, Tx

# An accident, a fight or a fire is reported over the next hour or two; three
# hours keeps the late reports and still parts two events of one busy day.
TIME_WINDOW = timedelta(hours=3)
# A shared location is where the phone was, not where the event was: people
# report from across the junction, or after riding on a few hundred metres.
MAX_DISTANCE_KM = 1.0
# Typed addresses of one place share their specific words ("simpang
# jakabaring" and "jakabaring dekat lampu merah" score 100 once the generic
# words are gone, "jl kapt rivai" and "jalan kapten a rivai" 91); two
# different streets or corners score under 40 ("simpang polda" and "simpang
# jakabaring" 13). Different numbers ("pasar 16 ilir", "pasar 26 ilir") are
# different places whatever the score.
ADDRESS_MIN = 80.0
# Normalised descriptions of one event score 75-100: a short report's words
# are mostly inside a longer one's ("demo mahasiswa blokir jalan" and "ada
# demo mahasiswa di bundaran", 100; "pohon tumbang menutup jalan" and "ada
# pohon tumbang di jalan sudirman", 77). Two events at one corner share little
# more than the place name (about 40-60).
TEXT_MIN = 75.0
# The same category makes words a little less alike enough ("orang pingsan
# di trotoar" and "ada bapak2 pingsan dekat halte", 70): a hint, never a
# requirement.
SAME_CATEGORY_RELIEF = 10.0
# Naming the same kind of event is enough for the words, since place and
# time already agree: "motor ditabrak truk" and "ada yg kecelakaan di
# jakabaring" share no other word (65) but are the same accident.
SAME_KIND_TEXT = 85.0
# The score (0..100) ranks links for officers: mostly the words, then place,
# time and the category; the weights add up to 1.
TEXT_WEIGHT, PLACE_WEIGHT, TIME_WEIGHT, CATEGORY_WEIGHT = 0.55, 0.2, 0.15, 0.1

# Only reports made this recently are candidates, whatever a new report says
# about when: it bounds the query, which runs in the hot path's transaction.
MAX_LOOKBACK = timedelta(hours=48)
MAX_CANDIDATES = 200
EARTH_RADIUS_KM = 6371.0088
KM_PER_DEGREE_LATITUDE = 111.32


@dataclass(frozen=True, slots=True)
class Report:
    """What the comparison needs of an incident report; times are aware."""

    description: str
    category: str
    created_at: datetime
    occurred_at: datetime | None = None
    latitude: float | None = None
    longitude: float | None = None
    address: str | None = None

    @property
    def when(self) -> datetime:
        """The best estimate of when the event happened."""
        return self.occurred_at or self.created_at

    @property
    def point(self) -> tuple[float, float] | None:
        if self.latitude is None or self.longitude is None:
            return None
        return self.latitude, self.longitude


@dataclass(frozen=True, slots=True)
class Match:
    """Why two reports look like one event; every part is 0..100."""

    score: float
    text: float
    place: float
    time: float


def same_event(new: Report, earlier: Report) -> Match | None:
    """A `Match` when the reports are possibly the same event, else None (symmetric).

    The cheap tests (time, then place) run first, so most candidates never
    reach the text comparison.
    """
    time = _time_closeness(new, earlier)
    if time is None:
        return None
    place = _place_closeness(new, earlier)
    if place is None:
        return None
    same_category = bool(new.category) and new.category == earlier.category
    text = text_similarity(new.description, earlier.description)
    if text < TEXT_MIN - (SAME_CATEGORY_RELIEF if same_category else 0.0):
        return None
    score = (
        TEXT_WEIGHT * text
        + PLACE_WEIGHT * place
        + TIME_WEIGHT * time
        + CATEGORY_WEIGHT * (100.0 if same_category else 0.0)
    )
    return Match(score=round(score, 1), text=text, place=place, time=time)


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance between two (latitude, longitude) points."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(h, 1.0)))


def text_similarity(a: str, b: str) -> float:
    """How alike two descriptions are, 0..100: 0 when they name different kinds
    of event, at least `SAME_KIND_TEXT` when they name the same kind."""
    words_a, events_a = _event_words(a)
    words_b, events_b = _event_words(b)
    similarity = fuzz.token_set_ratio(words_a, words_b)
    if events_a and events_b:
        return max(similarity, SAME_KIND_TEXT) if events_a & events_b else 0.0
    return similarity


def address_similarity(a: str, b: str) -> float:
    """How alike two typed places are, 0..100, on their specific words only;
    0 when both carry numbers and share none (house, km, "16 ilir")."""
    words_a, numbers_a = _place_words(a)
    words_b, numbers_b = _place_words(b)
    if numbers_a and numbers_b and not numbers_a & numbers_b:
        return 0.0
    return fuzz.token_set_ratio(words_a, words_b)


def _time_closeness(a: Report, b: Report) -> float | None:
    apart = abs(a.when - b.when)
    if apart > TIME_WINDOW:
        return None
    return 100.0 * (1 - apart / TIME_WINDOW)


def _place_closeness(a: Report, b: Report) -> float | None:
    point_a, point_b = a.point, b.point
    if point_a is not None and point_b is not None:
        km = haversine_km(point_a, point_b)
        return 100.0 * (1 - km / MAX_DISTANCE_KM) if km <= MAX_DISTANCE_KM else None
    if not (a.address or b.address):
        return None
    # One side may have only a shared location: its description names the place.
    similarity = address_similarity(a.address or a.description, b.address or b.description)
    return similarity if similarity >= ADDRESS_MIN else None


# Kinds of event, words that say where and fillers: data/duplicates.txt of `bot.language`.
_DATA = sections("duplicates")
EVENTS = variant_table(_DATA["events"])
PLACE_WORDS = frozenset(_DATA["place_words"].split())
FILLERS = frozenset(_DATA["fillers"].split())


@lru_cache(maxsize=4096)
def _event_words(text: str) -> tuple[str, frozenset[str]]:
    """The description's telling words, kinds of event read as one, and those kinds."""
    words: dict[str, None] = {}
    events: set[str] = set()
    for word in content_words(text):
        if word in PLACE_WORDS or word in FILLERS:
            continue
        event = next((EVENTS[stem] for stem in stems(word) if stem in EVENTS), None)
        if event is not None:
            events.add(event)
        words.setdefault(event or word, None)
    return " ".join(words), frozenset(events)


@lru_cache(maxsize=4096)
def _place_words(text: str) -> tuple[str, frozenset[int]]:
    """The place's specific words, and the numbers among them."""
    words = [w for w in content_words(text) if w not in PLACE_WORDS and w not in FILLERS]
    return " ".join(words), frozenset(int(word) for word in words if word.isdigit())


# -- storage ------------------------------------------------------------------------

NEW_REPORT = """SELECT id, category, description, latitude, longitude, address, occurred_at,
created_at FROM cases WHERE id = :case_id AND kind = 'incident'"""
# `kind || ''` keeps SQLite, which has no statistics, off the two-valued kind
# index: the recent rows come from the created_at index instead of a scan of
# every incident ever reported.
CANDIDATES = """SELECT id, category, description, latitude, longitude, address, occurred_at,
created_at FROM cases
WHERE kind || '' = 'incident' AND id <> :case_id AND created_at >= :since
AND (latitude IS NOT NULL OR address IS NOT NULL)
ORDER BY created_at DESC, id DESC LIMIT :limit"""
# A report with a location is compared with those in a box around it, and with
# those that have only an address.
CANDIDATES_NEAR = """SELECT id, category, description, latitude, longitude, address, occurred_at,
created_at FROM cases
WHERE kind || '' = 'incident' AND id <> :case_id AND created_at >= :since
AND ((latitude BETWEEN :south AND :north AND longitude BETWEEN :west AND :east)
     OR (latitude IS NULL AND address IS NOT NULL))
ORDER BY created_at DESC, id DESC LIMIT :limit"""
NEW_LINK = """INSERT INTO case_links (case_id, other_case_id, score, created_at)
VALUES (:case_id, :other_case_id, :score, :now) ON CONFLICT (case_id, other_case_id) DO NOTHING"""


def link_duplicates(tx: Tx, *, case_id: int, now: datetime) -> int:
    """Link the incident `case_id` to the other incidents that look like the same event.

    Runs inside the caller's transaction, once the case row holds the
    report (inserted, or an urgent draft completed); compares it with at
    most `MAX_CANDIDATES` recent incidents, closed ones included: a closed
    duplicate tells the officer the event was dealt with. A link always
    goes from the later case (higher id) to the earlier one, so a draft
    completed after other reports is linked to them too, and no pair is
    linked twice. Returns the number of links made; calling it again adds none.
    """
    found = tx.rows(NEW_REPORT, {"case_id": case_id})
    if not found:
        return 0
    new = _report(found[0])
    if new.point is None and not new.address:
        return 0
    since = max(new.when - TIME_WINDOW, now - MAX_LOOKBACK)
    params: dict[str, Any] = {
        "case_id": case_id,
        "since": tx.time(since),
        "limit": MAX_CANDIDATES,
    }
    statement = CANDIDATES
    if new.point is not None:
        statement = CANDIDATES_NEAR
        params |= _bounding_box(new.point, MAX_DISTANCE_KM)
    made = 0
    for row in tx.rows(statement, params):
        match = same_event(new, _report(row))
        if match is not None:
            made += tx.execute(
                NEW_LINK,
                {
                    "case_id": max(case_id, row[0]),
                    "other_case_id": min(case_id, row[0]),
                    "score": match.score,
                    "now": tx.time(now),
                },
            )
    return made


def _bounding_box(point: tuple[float, float], km: float) -> dict[str, float]:
    """A box around `point` holding every point within `km` of it (a cheap SQL prefilter)."""
    latitude, longitude = point
    dlat = km / KM_PER_DEGREE_LATITUDE
    dlon = km / (KM_PER_DEGREE_LATITUDE * max(math.cos(math.radians(latitude)), 0.01))
    return {
        "south": latitude - dlat,
        "north": latitude + dlat,
        "west": longitude - dlon,
        "east": longitude + dlon,
    }


def _report(row: Row) -> Report:
    return Report(
        category=row[1] or "",
        description=row[2] or "",
        latitude=row[3],
        longitude=row[4],
        address=row[5],
        occurred_at=_moment(row[6]) if row[6] is not None else None,
        created_at=_moment(row[7]),
    )


def _moment(value: datetime | str) -> datetime:
    """A stored time as an aware UTC datetime: sqlite3 returns the text `Tx.time` wrote."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
