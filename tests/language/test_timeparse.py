"""Loose "when" parsing for incident reports (issue #5), table-driven at a fixed moment.

`NOW` is Friday 27 November 2026, 20:15 in Jakarta. Each case gives the
interval expected: a point has start == end, a period ends (exclusive) at
its natural end or at `NOW`, whichever comes first.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.language.timeparse import Precision, When, parse_when

JAKARTA = ZoneInfo("Asia/Jakarta")
NOW = datetime(2026, 11, 27, 20, 15, tzinfo=JAKARTA)


def at(day: int, hour: int = 0, minute: int = 0, month: int = 11, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=JAKARTA)


M, H, P, D = Precision.MINUTE, Precision.HOUR, Precision.PART_OF_DAY, Precision.DAY
CASES: list[tuple[str, datetime, datetime, Precision]] = [
    # now
    ("sekarang", NOW, NOW, M),
    ("now", NOW, NOW, M),
    ("right now", NOW, NOW, M),
    ("barusan", at(27, 19, 45), NOW, M),
    ("baru saja", at(27, 19, 45), NOW, M),
    ("baru aja", at(27, 19, 45), NOW, M),
    ("just now", at(27, 19, 45), NOW, M),
    # earlier today and parts of the day
    ("tadi", at(27), NOW, D),
    ("tadi pagi", at(27, 4), at(27, 11), P),
    ("td pg", at(27, 4), at(27, 11), P),
    ("tadi siang", at(27, 11), at(27, 15), P),
    ("tadi sore", at(27, 15), at(27, 18), P),
    ("this morning", at(27, 4), at(27, 12), P),
    ("this afternoon", at(27, 12), at(27, 18), P),
    ("malam ini", at(27, 18), NOW, P),
    ("tonight", at(27, 18), NOW, P),
    ("hari ini", at(27), NOW, D),
    ("earlier today", at(27), NOW, D),
    # last night
    ("tadi malam", at(26, 18), at(27, 4), P),
    ("semalam", at(26, 18), at(27, 4), P),
    ("kemarin malam", at(26, 18), at(27, 4), P),
    ("last night", at(26, 18), at(27, 4), P),
    ("kmrn mlm", at(26, 18), at(27, 4), P),
    # yesterday
    ("kemarin", at(26), at(27), D),
    ("kemaren", at(26), at(27), D),
    ("yesterday", at(26), at(27), D),
    ("kemarin sore", at(26, 15), at(26, 18), P),
    ("yesterday morning", at(26, 4), at(26, 12), P),
    ("kemarin lusa", at(25), at(26), D),
    ("day before yesterday", at(25), at(26), D),
    # clock times: the most recent past one that fits
    ("jam 9", at(27, 9), at(27, 9), H),
    ("jam 9 pagi", at(27, 9), at(27, 9), H),
    ("jam 9 malam", at(26, 21), at(26, 21), H),
    ("jam sembilan malam", at(26, 21), at(26, 21), H),
    ("kemarin jam 9", at(26, 21), at(26, 21), H),
    ("kemarin jam 8 pagi", at(26, 8), at(26, 8), H),
    ("kemarin sore jam 5", at(26, 17), at(26, 17), H),
    ("tadi jam 3", at(27, 15), at(27, 15), H),
    ("tadi malam jam 2", at(27, 2), at(27, 2), H),
    ("tadi malam jam 11", at(26, 23), at(26, 23), H),
    ("jam 21.30", at(26, 21, 30), at(26, 21, 30), M),
    ("jam 7.15", at(27, 19, 15), at(27, 19, 15), M),
    ("jam 9,30", at(27, 9, 30), at(27, 9, 30), M),
    ("pukul 14:00", at(27, 14), at(27, 14), M),
    ("kemarin pukul 14.00", at(26, 14), at(26, 14), M),
    ("jam 19.00 WIB", at(27, 19), at(27, 19), M),
    ("21:30", at(26, 21, 30), at(26, 21, 30), M),
    ("jam 23", at(26, 23), at(26, 23), H),
    ("jam 12 siang", at(27, 12), at(27, 12), H),
    ("jam 1 siang", at(27, 13), at(27, 13), H),
    ("jam 12 malam", at(27), at(27), H),
    ("jam setengah 9", at(27, 8, 30), at(27, 8, 30), M),
    ("jam 9 lewat 15", at(27, 9, 15), at(27, 9, 15), M),
    ("jam 9 kurang seperempat", at(27, 8, 45), at(27, 8, 45), M),
    ("sekitar jam 8 malam", at(27, 20), at(27, 20), H),
    ("yesterday at 9pm", at(26, 21), at(26, 21), H),
    ("9 pm", at(26, 21), at(26, 21), H),
    ("at 9:30 am", at(27, 9, 30), at(27, 9, 30), M),
    ("i was robbed at 9 this morning", at(27, 9), at(27, 9), H),
    # so long ago
    ("2 jam lalu", at(27, 18, 15), at(27, 18, 15), H),
    ("dua jam yg lalu", at(27, 18, 15), at(27, 18, 15), H),
    ("sejam lalu", at(27, 19, 15), at(27, 19, 15), H),
    ("2 hours ago", at(27, 18, 15), at(27, 18, 15), H),
    ("an hour ago", at(27, 19, 15), at(27, 19, 15), H),
    ("30 menit yang lalu", at(27, 19, 45), at(27, 19, 45), M),
    ("setengah jam lalu", at(27, 19, 45), at(27, 19, 45), M),
    ("2,5 jam lalu", at(27, 17, 45), at(27, 17, 45), H),
    ("half an hour ago", at(27, 19, 45), at(27, 19, 45), M),
    ("dua puluh menit lalu", at(27, 19, 55), at(27, 19, 55), M),
    ("5 mnt lalu", at(27, 20, 10), at(27, 20, 10), M),
    ("beberapa jam lalu", at(27, 14, 15), at(27, 18, 15), H),
    ("3 hari lalu", at(24), at(25), D),
    ("a few days ago", at(21), at(26), D),
    ("seminggu lalu", at(20, 20, 15), at(20, 20, 15), Precision.WEEK),
    ("sebulan lalu", at(27, 20, 15, month=10), at(27, 20, 15, month=10), Precision.MONTH),
    # weeks, months, years
    ("minggu lalu", at(16), at(23), Precision.WEEK),
    ("last week", at(16), at(23), Precision.WEEK),
    ("bulan lalu", at(1, month=10), at(1), Precision.MONTH),
    ("tahun lalu", at(1, month=1, year=2025), at(1, month=1), Precision.YEAR),
    # weekdays (27 November 2026 is a Friday)
    ("senin kemarin", at(23), at(24), D),
    ("senin lalu", at(23), at(24), D),
    ("hari rabu", at(25), at(26), D),
    ("last friday", at(20), at(21), D),
    ("jumat", at(27), NOW, D),
    ("senin minggu lalu", at(16), at(17), D),
    ("hari minggu kemarin", at(22), at(23), D),
    ("minggu malam", at(22, 18), at(23, 4), P),
    ("malam minggu kemarin", at(21, 18), at(22, 4), P),
    # dates: the most recent past one
    ("tanggal 12", at(12), at(13), D),
    ("tgl 5", at(5), at(6), D),
    ("tanggal 30", at(30, month=10), at(31, month=10), D),
    ("tanggal 12 bulan lalu", at(12, month=10), at(13, month=10), D),
    ("12/11", at(12), at(13), D),
    ("12/11/2026", at(12), at(13), D),
    ("12/11/26", at(12), at(13), D),
    ("12/11/99", at(12, year=1999), at(13, year=1999), D),
    ("12.11.2026", at(12), at(13), D),
    ("2026-11-12", at(12), at(13), D),
    ("12 November", at(12), at(13), D),
    ("12 nopember", at(12), at(13), D),
    ("Nov 12th", at(12), at(13), D),
    ("Selasa, 24 November 2026", at(24), at(25), D),
    ("28/11", at(28, year=2025), at(29, year=2025), D),
    ("tanggal 12 jam 9 malam", at(12, 21), at(12, 21), H),
    # in a sentence
    ("motor saya dicuri kemarin jam 9 di pasar", at(26, 21), at(26, 21), H),
    ("kejadiannya kemarin, sekarang saya baru lapor", at(26), at(27), D),
    ("nanti saya kirim fotonya, kejadiannya kemarin", at(26), at(27), D),
    ("besok saya ke polres, motornya hilang 3 hari lalu", at(24), at(25), D),
]


@pytest.mark.parametrize(("text", "start", "end", "precision"), CASES, ids=[c[0] for c in CASES])
def test_parse_when(text: str, start: datetime, end: datetime, precision: Precision) -> None:
    when = parse_when(text, NOW, JAKARTA)
    assert (when.start, when.end, when.precision) == (start, end, precision), when.matched
    assert when.known
    assert when.words == text
    assert when.matched


UNKNOWN = [
    "",
    "   ",
    "asdf",
    "🚨🚨",
    "tidak tahu",
    "pokoknya udah lama",
    "besok",
    "besok jam 9",
    "nanti malam",
    "lusa",
    "tomorrow at 9",
    "minggu depan",
    "next week",
    "hari ini jam 21",
    "jam 25",
    "jam 9:75",
    "31/2",
    "12/13",
    "tanggal 12 november 2027",
    "12/11/27",
    "9999-12-31",
    "0000-01-01",
    "99999999999 tahun lalu",
    "999 tahun lalu",
]


@pytest.mark.parametrize("text", UNKNOWN)
def test_what_is_not_understood_is_unknown_with_the_words_kept(text: str) -> None:
    when = parse_when(text, NOW, JAKARTA)
    assert when == When(None, None, Precision.UNKNOWN, text)
    assert not when.known


@pytest.mark.parametrize("text", [case[0] for case in CASES] + UNKNOWN)
def test_never_in_the_future_and_never_backwards(text: str) -> None:
    when = parse_when(text, NOW, JAKARTA)
    if when.start is not None and when.end is not None:
        assert when.start <= when.end <= NOW
        assert when.start.tzinfo is JAKARTA


def test_a_utc_now_gives_the_same_local_answer() -> None:
    utc = NOW.astimezone(UTC)
    assert parse_when("kemarin jam 9", utc, JAKARTA) == parse_when("kemarin jam 9", NOW, JAKARTA)


def test_a_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        parse_when("kemarin", NOW.replace(tzinfo=None), JAKARTA)


EARLY = datetime(2026, 11, 27, 2, 30, tzinfo=JAKARTA)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("tadi malam", at(26, 18), EARLY),  # we are still in it
        ("jam 9", at(26, 21), at(26, 21)),
        ("jam 1", at(27, 1), at(27, 1)),
        ("malam", at(26, 18), EARLY),
        ("kemarin", at(26), at(27)),
    ],
)
def test_in_the_small_hours(text: str, start: datetime, end: datetime) -> None:
    when = parse_when(text, EARLY, JAKARTA)
    assert (when.start, when.end) == (start, end)


@pytest.mark.parametrize("text", ["tadi pagi", "tadi sore", "this morning"])
def test_a_part_of_today_not_yet_begun_is_unknown(text: str) -> None:
    assert not parse_when(text, EARLY, JAKARTA).known


NEW_YEAR = datetime(2027, 1, 3, 10, 0, tzinfo=JAKARTA)


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("28/12", at(28, month=12)),
        ("tanggal 30", at(30, month=12)),
        ("kemarin lusa", at(1, month=1, year=2027)),
        ("bulan lalu", at(1, month=12)),
    ],
)
def test_around_new_year(text: str, day: datetime) -> None:
    assert parse_when(text, NEW_YEAR, JAKARTA).start == day


def test_a_point_ago_is_exact_to_the_minute() -> None:
    when = parse_when("10 menit lalu", NOW, JAKARTA)
    assert when.start == when.end == NOW - timedelta(minutes=10)
