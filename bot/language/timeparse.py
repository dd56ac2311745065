"""Loose reading of when an incident happened, from the citizen's own words (issue #5).

`parse_when(text, now, zone)` returns a `When`: the interval the words most
likely mean, how precisely they pin it down, and the words themselves.

- Times are local to `zone` (Asia/Jakarta in production) and aware.
- A point ("2 jam lalu", "jam 21.30") has ``start == end``; a period
  ("kemarin", "tadi pagi", "minggu lalu") runs from `start` up to `end`,
  exclusive, and is cut off at `now`: an incident is never in the future.
  A time that can only be in the future ("besok", "hari ini jam 23" said at
  20:00, a date not yet reached) is not understood; next to "besok" or "nanti"
  only a past day or span counts ("nanti saya kirim foto, kejadiannya kemarin").
- An hour without a part of the day ("jam 9") is the most recent past one:
  at 20:15 that is 09:00 today; "kemarin jam 9" is 21:00 yesterday, the later
  of the two on that day.
- "tadi malam" and "semalam" are last night, 18:00 yesterday until 04:00
  today, as "last night" is in English; "malam ini" is tonight.
- Anything not understood gives ``Precision.UNKNOWN`` with no times — never a
  guess presented as a fact. `words` always keeps the citizen's text, and
  `matched` says which part of it was understood.

Understood (Indonesian with chat spellings, and English): now words
("sekarang", "barusan", "baru saja", "just now"); "N menit/jam/hari/minggu/
bulan/tahun (yang) lalu", "N minutes/hours/… ago", "sejam", "setengah jam";
"tadi", "hari ini", "kemarin", "kemarin lusa", "yesterday", "today"; parts of
the day ("tadi pagi", "kemarin sore", "this morning", "last night",
"malam minggu" = Saturday night); weekdays ("senin kemarin", "last monday",
"hari jumat"); "minggu/bulan/tahun lalu", "last week"; dates ("tanggal 12",
"12/11", "12-11-2026", "12 November", "Nov 12th", "2026-11-12"); clock times
("jam 9 pagi", "jam 21.30", "pukul 14:00", "jam setengah 9" = 08:30,
"jam 9 lewat 15", "jam 9 kurang 15", "9pm", "at 9:30 am").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.language.letters import without_accents
from bot.language.wordlists import pairs, patterns, sections, variant_table, word_lists

JUST_NOW = timedelta(minutes=30)  # "barusan", "just now": within the last half hour
MAX_YEARS_AGO = 100  # "999 tahun lalu" is not a time an incident report can mean


class Precision(StrEnum):
    MINUTE = "minute"
    HOUR = "hour"
    PART_OF_DAY = "part_of_day"
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    YEAR = "year"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class When:
    start: datetime | None  # aware, in the zone asked for; None when not understood
    end: datetime | None  # == start for a point; exclusive end of a period, at most now
    precision: Precision
    words: str  # the citizen's own words, always kept
    matched: str = ""  # the part understood, normalised ("kemarin jam 9"); "" if unknown

    @property
    def known(self) -> bool:
        return self.precision is not Precision.UNKNOWN


# -- word lists (data/timeparse.txt) ---------------------------------------

_DATA = sections("timeparse")
SLANG = variant_table(_DATA["slang"])
NUMBERS = variant_table(_DATA["numbers"])
PHRASE_SLANG = pairs(_DATA["phrase_slang"])
SE_UNITS = variant_table(_DATA["se_units"])
UNIT_YEARS = {"minute": 1 / 525_960, "hour": 1 / 8766, "day": 1 / 365.25, "week": 7 / 365.25}
UNIT_YEARS |= {"month": 1 / 12, "year": 1}
UNITS = variant_table(_DATA["units"])
WEEKDAYS = variant_table(_DATA["weekdays"])
MONTHS = variant_table(_DATA["months"])
# Parts of the day as hours from midnight of their day; the night runs into the next.
PARTS = {
    name: (int(first), int(last)) for name, (first, last) in word_lists(_DATA["parts"]).items()
}
PART_SYNONYMS = pairs(_DATA["part_synonyms"])


# -- reading ---------------------------------------------------------------

_TOKEN = re.compile(r"\d+(?:[:.,/-]\d+){0,2}(?:st|nd|rd|th)?|[a-z]+")
_REPEATS = re.compile(r"([a-z])\1{2,}")


def _alternatives(words: Iterable[str]) -> str:
    return "(?:" + "|".join(sorted(words, key=len, reverse=True)) + ")"


PIECES = {
    "part": _alternatives(PARTS),
    "weekday": _alternatives(WEEKDAYS),
    "month": _alternatives(MONTHS),
    "unit": _alternatives(UNITS),
} | dict(patterns(_DATA["pieces"], {}))
# Where two phrases could start at one word, the first listed wins.
PATTERNS = patterns(_DATA["patterns"], PIECES)
_GROUP = re.compile(r"\(\?P<(\w+)>")


def _unique_groups(pattern: str, n: int) -> str:
    """Name every group of alternative `n` apart: Python wants group names unique."""
    return _GROUP.sub(lambda m: f"(?P<{m[1]}_{n}>", pattern)


_PATTERN = re.compile(
    r"(?<![\w:./-])(?:"
    + "|".join(
        rf"(?P<k{n}>{_unique_groups(pattern, n)})" for n, (_, pattern) in enumerate(PATTERNS)
    )
    + r")(?![\w:/-])"
)


def normalize(text: str) -> str:
    """Lower case, accents and punctuation gone, chat spellings and number words spelt out."""
    plain = without_accents(text).casefold()
    plain = plain.replace("'", "").replace("’", "")
    for variants, meaning in PHRASE_SLANG.items():
        plain = re.sub(rf"\b(?:{variants})\b", meaning, plain)
    words: list[str] = []
    for token in _TOKEN.findall(plain):
        word = _REPEATS.sub(r"\1", token)
        if word in SE_UNITS:
            words += ["1", SE_UNITS[word]]
        else:
            words.append(NUMBERS.get(word, SLANG.get(word, word)))
    joined = " ".join(_numbers(words))
    for variant, canonical in PART_SYNONYMS.items():
        joined = re.sub(rf"\b{variant}\b", canonical, joined)
    return joined


def _numbers(words: list[str]) -> list[str]:
    """ "dua puluh lima" → "25", "lima belas" → "15" (number words up to 99)."""
    found: list[str] = []
    for word in words:
        if word == "belas" and found and found[-1].isdigit() and int(found[-1]) < 10:
            found[-1] = str(int(found[-1]) + 10)
        elif word == "puluh" and found and found[-1].isdigit() and int(found[-1]) < 10:
            found[-1] = str(int(found[-1]) * 10)
        elif word.isdigit() and found and found[-1].endswith("0") and _tens(found[-1], word):
            found[-1] = str(int(found[-1]) + int(word))
        else:
            found.append(word)
    return found


def _tens(previous: str, word: str) -> bool:
    return previous.isdigit() and 20 <= int(previous) <= 90 and len(word) == 1


@dataclass(slots=True)
class _Reading:
    """What the words say, before it is placed in time."""

    matched: list[str] = field(default_factory=list)
    future: bool = False
    ago: tuple[float, str] | None = None
    just: bool = False
    now: bool = False
    day: date | None = None
    period: tuple[date, date, Precision] | None = None
    part: str | None = None
    night_of: date | None = None  # "tadi malam", "malam minggu": the night that starts that day
    clock: tuple[int, int | None, str | None] | None = None  # hour, minute, am/pm
    today: bool = False
    invalid: bool = False  # a date or time that does not exist ("31/2", "jam 27")


def _read(text: str, today: date) -> _Reading:
    reading = _Reading()
    for match in _PATTERN.finditer(text):
        kind_group = str(match.lastgroup)
        n = int(kind_group[1:])
        kind = PATTERNS[n][0]
        groups = {
            name.rsplit("_", 1)[0]: value
            for name, value in match.groupdict().items()
            if value is not None and name.endswith(f"_{n}")
        }
        _take(reading, kind, groups, today)
        reading.matched.append(match[0])
    return reading


def _take(reading: _Reading, kind: str, groups: dict[str, str], today: date) -> None:
    """Adds one matched phrase to `reading`; the first of each kind wins."""
    if kind == "future":
        reading.future = True
    elif kind == "invalid":
        reading.invalid = True
    elif kind == "ago" and reading.ago is None:
        amount = groups["n"].replace(",", ".")
        number = -1.0 if not amount[0].isdigit() else float(amount)  # -1: "a few"
        unit = UNITS[groups["unit"]]
        reading.ago = (number, unit)
        reading.invalid |= number * UNIT_YEARS[unit] > MAX_YEARS_AGO
    elif kind == "just":
        reading.just = True
    elif kind == "now":
        reading.now = True
    elif kind in ("iso", "dmy", "dmonth", "monthd", "dayofmonth"):
        _take_date(reading, kind, groups, today)
    elif kind == "daybefore":
        reading.day = reading.day or today - timedelta(days=2)
    elif kind == "nightof":
        weekday = _weekday(int(WEEKDAYS[groups["wd"]]), today, strictly_before=False)
        reading.night_of = reading.night_of or weekday - timedelta(days=1)
    elif kind == "weekday":
        _take_weekday(reading, groups, today)
    elif kind == "lastnight":
        reading.night_of = reading.night_of or today - timedelta(days=1)
    elif kind == "yesterday":
        reading.day = reading.day or today - timedelta(days=1)
    elif kind in ("lastperiod", "thisperiod"):
        period = groups["period"]
        reading.period = reading.period or _period(UNITS[period], today, kind == "lastperiod")
    elif kind == "today_part":
        reading.today = True
        reading.part = reading.part or groups.get("part", "malam")  # "tonight"
    elif kind == "today":
        reading.today = True
    elif kind == "clock" and reading.clock is None:
        reading.clock = _clock(groups)
        reading.invalid |= reading.clock is None
    elif kind == "part":
        reading.part = reading.part or groups["part"]


def _take_date(reading: _Reading, kind: str, groups: dict[str, str], today: date) -> None:
    month = int(MONTHS[groups["month"]]) if "month" in groups else None
    month = int(groups["mo"]) if "mo" in groups else month
    year = int(groups["y"]) if "y" in groups else None
    if year is not None and len(groups["y"]) == 2:  # "12/11/26" is 2026, "12/11/99" 1999
        year += 1900 if year >= 50 else 2000
    if kind == "dayofmonth" and groups.get("rel") in ("lalu", "kemarin"):
        month = 12 if today.month == 1 else today.month - 1
    found = _past_date(int(groups["d"]), month, year, today)
    if found is None:
        reading.invalid = True
    reading.day = reading.day or found


def _past_date(day: int, month: int | None, year: int | None, today: date) -> date | None:
    """The date with these parts that is today or before it, the most recent one."""
    if year is not None and month is not None:
        return _date(year, month, day) if today.year - MAX_YEARS_AGO <= year <= today.year else None
    if month is not None:
        for candidate_year in (today.year, today.year - 1):
            found = _date(candidate_year, month, day)
            if found is not None and found <= today:
                return found
        return None
    for back in range(13):  # the most recent month that has this day
        month_index = today.year * 12 + today.month - 1 - back
        found = _date(month_index // 12, month_index % 12 + 1, day)
        if found is not None and found <= today:
            return found
    return None


def _date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _weekday(weekday: int, today: date, *, strictly_before: bool) -> date:
    back = (today.weekday() - weekday) % 7
    return today - timedelta(days=7 if strictly_before and back == 0 else back)


def _take_weekday(reading: _Reading, groups: dict[str, str], today: date) -> None:
    weekday = int(WEEKDAYS[groups["wd"]])
    relation = groups.get("rel", "")
    if "minggu" in relation or "week" in relation:  # "senin minggu lalu": that week's Monday
        monday = today - timedelta(days=today.weekday() + 7)
        found = monday + timedelta(days=weekday)
    else:
        before = bool(relation) or groups.get("last") == "last"
        found = _weekday(weekday, today, strictly_before=before)
    reading.day = reading.day or found


def _period(unit: str, today: date, last: bool) -> tuple[date, date, Precision]:
    if unit == "week":
        monday = today - timedelta(days=today.weekday())
        start = monday - timedelta(days=7) if last else monday
        return start, start + timedelta(days=7), Precision.WEEK
    if unit == "month":
        first = today.replace(day=1)
        start = (first - timedelta(days=1)).replace(day=1) if last else first
        return start, (start + timedelta(days=32)).replace(day=1), Precision.MONTH
    start = date(today.year - 1 if last else today.year, 1, 1)
    return start, date(start.year + 1, 1, 1), Precision.YEAR


def _clock(groups: dict[str, str]) -> tuple[int, int | None, str | None] | None:
    """(hour, minute or None, "am"/"pm"/None) as typed, or None when it is no time of day."""
    minute: int | None
    if "half" in groups:  # "jam setengah 9" is half past eight
        hour, minute = int(groups["half"]) - 1, 30
    else:
        hour = int(groups["h"])
        minute = int(groups["m"]) if "m" in groups else None
    if "shift" in groups:
        shift = {"seperempat": 15, "setengah": 30}.get(groups["sm"]) or int(groups["sm"])
        total = hour * 60 + (minute or 0) + (-shift if groups["shift"] == "kurang" else shift)
        hour, minute = divmod(total % (24 * 60), 60)
    if hour > 24 or (minute is not None and minute > 59):
        return None
    return hour % 24, minute, groups.get("ampm")


# -- placing it in time ----------------------------------------------------


def parse_when(text: str, now: datetime, zone: ZoneInfo) -> When:
    """When `text` says something happened, relative to `now`, in `zone` (module docstring)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    local = now.astimezone(zone)
    reading = _read(normalize(text), local.date())
    if reading.future:
        _forget_what_may_be_future(reading)
    placed = None if reading.invalid else _place(reading, local, zone)
    if placed is None or placed[0] > local:
        return When(None, None, Precision.UNKNOWN, text)
    start, end, precision = placed
    return When(start, min(end, local), precision, text, " ".join(reading.matched))


_Placed = tuple[datetime, datetime, Precision]


def _forget_what_may_be_future(reading: _Reading) -> None:
    """With "besok" or "nanti" about, an hour or a part of the day may be the future one
    ("besok jam 9", "nanti malam"): only a past day or span still counts ("… kemarin")."""
    reading.clock = reading.part = None
    reading.now = reading.just = False


def _place(reading: _Reading, now: datetime, zone: ZoneInfo) -> _Placed | None:
    """The interval the reading means, by how much its words pin down, most first."""
    if reading.ago is not None:
        return _ago(*reading.ago, now=now, zone=zone)
    if reading.clock is not None:
        return _at_clock(reading, reading.clock, now, zone)
    if reading.part is not None or reading.night_of is not None:
        return _part_of_day(reading, now, zone)
    if reading.day is not None:
        start = _at(reading.day, 0, zone)
        return start, _at(reading.day + timedelta(days=1), 0, zone), Precision.DAY
    if reading.period is not None:
        first, last, precision = reading.period
        return _at(first, 0, zone), _at(last, 0, zone), precision
    if reading.just:
        return now - JUST_NOW, now, Precision.MINUTE
    if reading.now:
        return now, now, Precision.MINUTE
    if reading.today:
        return _at(now.date(), 0, zone), now, Precision.DAY
    return None


def _at(day: date, hours: float, zone: ZoneInfo) -> datetime:
    """Wall-clock time `hours` after the midnight that starts `day` (past 24 is the next day)."""
    wall = datetime.combine(day, time()) + timedelta(hours=hours)
    return wall.replace(tzinfo=zone)


FEW = (2.0, 6.0)  # "beberapa jam lalu", "a few days ago": two to six


def _ago(amount: float, unit: str, *, now: datetime, zone: ZoneInfo) -> _Placed:
    nearest, farthest = FEW if amount < 0 else (amount, amount)
    if unit == "day":
        start = _at(now.date() - timedelta(days=int(farthest)), 0, zone)
        return start, _at(now.date() - timedelta(days=int(nearest) - 1), 0, zone), Precision.DAY
    if unit in ("month", "year"):
        months = 12 if unit == "year" else 1
        start = _months_back(now, int(farthest * months))
        precision = Precision.YEAR if unit == "year" else Precision.MONTH
        return start, _months_back(now, int(nearest * months)), precision
    step = {"minute": timedelta(minutes=1), "hour": timedelta(hours=1)}.get(unit)
    step = step or timedelta(weeks=1)
    precision = {"minute": Precision.MINUTE, "hour": Precision.HOUR}.get(unit, Precision.WEEK)
    if unit == "hour" and farthest < 1:
        precision = Precision.MINUTE
    return now - farthest * step, now - nearest * step, precision


def _months_back(moment: datetime, months: int) -> datetime:
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    for day in range(moment.day, 0, -1):  # 31 March, a month back, is 28/29 February
        if (found := _date(year, month + 1, day)) is not None:
            return moment.replace(year=found.year, month=found.month, day=found.day)
    raise AssertionError("every month has a first day")


def _hours(hour: int, hint: str | None) -> list[int]:
    """The hours after its day's midnight that "jam `hour`" may mean, given am/pm or a part."""
    if hint == "am":
        return [hour % 12]
    if hint == "pm":
        return [hour % 12 + 12]
    if hint is None or hour >= 13 or hint in ("pagi", "subuh", "dini hari", "morning"):
        if hint is not None or hour >= 13 or hour == 0:
            return [hour if hour >= 13 else hour % 12]
        return [hour % 12, hour % 12 + 12]
    if hint == "siang":
        return [hour if hour >= 11 else hour + 12]
    if hint in ("sore", "afternoon", "evening"):
        return [hour % 12 + 12]
    return [hour + 12 if 6 <= hour <= 11 else 24 + hour % 12]  # the night runs into the next day


def _at_clock(
    reading: _Reading, clock: tuple[int, int | None, str | None], now: datetime, zone: ZoneInfo
) -> _Placed | None:
    """The most recent past moment that fits the hour and whatever day or part was said."""
    hour, minute, ampm = clock
    hint = ampm or reading.part or ("malam" if reading.night_of else None)
    days = _days_meant(reading, now.date())
    offset = (minute or 0) / 60
    candidates = [
        moment
        for day in days
        for hours in _hours(hour, hint)
        if (moment := _at(day, hours + offset, zone)) <= now
    ]
    if not candidates:
        return None
    moment = max(candidates)
    return moment, moment, Precision.HOUR if minute is None else Precision.MINUTE


def _days_meant(reading: _Reading, today: date) -> list[date]:
    """The day said (or the night's), today if said, else today or yesterday."""
    if reading.night_of is not None:
        return [reading.night_of]
    if reading.day is not None:
        return [reading.day]
    if reading.today:
        return [today]
    return [today, today - timedelta(days=1)]


def _part_of_day(reading: _Reading, now: datetime, zone: ZoneInfo) -> _Placed | None:
    """The most recent such part of the said day (or of today or yesterday), begun by now."""
    part = "malam" if reading.night_of is not None else str(reading.part)
    first, last = PARTS[part]
    days = _days_meant(reading, now.date())
    periods = [(_at(day, first, zone), _at(day, last, zone)) for day in days]
    begun = [period for period in periods if period[0] <= now]
    if not begun:
        return None
    start, end = max(begun)
    return start, end, Precision.PART_OF_DAY
