"""Text readers for steps (`bot.engine.flow.Step.reader`): typed times, dates, numbers.

Each turns what a citizen typed into a step's answer, or None when the text
cannot be one (the step then says its hint and asks again).
"""

from __future__ import annotations

from bot.engine.flow import Reading
from bot.engine.state import Answer
from bot.language.timeparse import parse_when
from bot.services.applications import normalize_number, parse_birth_date


def typed_time(text: str, reading: Reading) -> Answer | None:
    """A time the citizen typed ("tadi malam", "kemarin jam 9"), if understood."""
    answer = any_time(text, reading)
    return answer if answer["value"] else None


def any_time(text: str, reading: Reading) -> Answer:
    """A typed time, understood or not: the citizen's words are kept either way,
    and only what was really understood is given as a time."""
    when = parse_when(text, reading.now, reading.zone)
    return {
        "kind": "time",
        "value": when.start.isoformat() if when.start else None,
        "end": when.end.isoformat() if when.end else None,
        "precision": when.precision.value,
        "words": text,
        "matched": when.matched,
    }


def application_number(text: str, reading: Reading) -> Answer | None:
    number = normalize_number(text)
    return {"kind": "text", "value": number} if number else None


def birth_date(text: str, reading: Reading) -> Answer | None:
    born = parse_birth_date(text, today=reading.now.astimezone(reading.zone).date())
    return {"kind": "date", "value": born.isoformat()} if born else None
