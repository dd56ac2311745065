"""Text readers for steps (`bot.engine.flow.Step.reader`): typed times, dates, numbers.

Each turns what a citizen typed into a step's answer, or None when the text
cannot be one (the step then says its hint and asks again).
"""

from __future__ import annotations

from bot.domain.applications import normalize_number, parse_birth_date
from bot.engine.answers import DateAnswer, TextAnswer, TimeAnswer
from bot.engine.flow import Reading
from bot.language.timeparse import parse_when


def typed_time(text: str, reading: Reading) -> TimeAnswer | None:
    """A time the citizen typed ("tadi malam", "kemarin jam 9"), if understood."""
    answer = any_time(text, reading)
    return answer if answer.start else None


def any_time(text: str, reading: Reading) -> TimeAnswer:
    """A typed time, understood or not: the citizen's words are kept either way,
    and only what was really understood is given as a time."""
    when = parse_when(text, reading.now, reading.zone)
    return TimeAnswer(when.start, when.end, when.precision.value, text, when.matched)


def application_number(text: str, reading: Reading) -> TextAnswer | None:
    number = normalize_number(text)
    return TextAnswer(number) if number else None


def birth_date(text: str, reading: Reading) -> DateAnswer | None:
    born = parse_birth_date(text, today=reading.now.astimezone(reading.zone).date())
    return DateAnswer(born) if born else None
