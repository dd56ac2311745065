"""Applications (SKCK, crowd permits, SP2HP) as values: their kinds, what a
status lookup answers, how a citizen types a number and a date of birth, and
how a status reads. No storage: `bot.services.applications` keeps the rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from bot.domain.i18n import N_, Translator

MAX_NUMBER_CHARS = 40
# Segments of letters, digits, '.', '_' or '-' between single slashes.
NUMBER_PATTERN = r"^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$"

_NUMBER = re.compile(NUMBER_PATTERN)
_SPACED_SEPARATOR = re.compile(r"\s*([/._-])\s*")
_ROMAN = re.compile(r"x?(i{1,3}|iv|vi{0,3}|ix)|x", re.IGNORECASE)  # a month, I to XII


class ApplicationKind(StrEnum):
    SKCK = "skck"
    IZIN_KERAMAIAN = "izin_keramaian"
    SP2HP = "sp2hp"


KIND_LABELS = {
    ApplicationKind.SKCK: N_("application.kind.skck"),
    ApplicationKind.IZIN_KERAMAIAN: N_("application.kind.izin_keramaian"),
    ApplicationKind.SP2HP: N_("application.kind.sp2hp"),
}


@dataclass(frozen=True, slots=True)
class Found:
    """What a citizen who gave the right combination sees."""

    application_id: int
    kind: ApplicationKind
    number: str
    status: str  # the front office's wording: show it verbatim, translate nothing
    note: str | None  # the next step, if any
    status_changed_at: datetime


@dataclass(frozen=True, slots=True)
class NotFound:
    """Wrong date of birth, unknown number, or a paused number: never which."""


@dataclass(frozen=True, slots=True)
class Paused:
    """This contact failed too often; lookups answer again from `until` on."""

    until: datetime


NOT_FOUND = NotFound()
LookupResult = Found | NotFound | Paused


def normalize_number(text: str) -> str | None:
    """An application number as stored (upper case, no spaces around '/', '.', '_'
    or '-', a space between segments read as '/'), or None when `text` cannot be
    one: 1 to 40 letters, digits, '.', '_', '-' and inner '/', with at most one
    segment that is a word (a Roman month is none)."""
    joined = _SPACED_SEPARATOR.sub(r"\1", text.strip())
    words = [word for word in joined.split() if word.isalpha() and not _ROMAN.fullmatch(word)]
    if len(words) > 1:
        return None  # "nomor saya 123" is a sentence, not a number
    number = "/".join(joined.split()).upper()  # "skck 123 xi 2026": spaces part it too
    if len(number) > MAX_NUMBER_CHARS or _NUMBER.fullmatch(number) is None:
        return None
    return number


# Indonesian and English month names and their usual abbreviations.
_MONTH_NAMES = (
    ("januari", "january", "jan"),
    ("februari", "pebruari", "february", "feb", "peb"),
    ("maret", "march", "mar"),
    ("april", "apr"),
    ("mei", "may"),
    ("juni", "june", "jun"),
    ("juli", "july", "jul"),
    ("agustus", "august", "agu", "agus", "agt", "agst", "ags", "aug"),
    ("september", "sep", "sept"),
    ("oktober", "october", "okt", "oct"),
    ("november", "nopember", "nov", "nop"),
    ("desember", "december", "des", "dec"),
)
_MONTHS = {name: month for month, names in enumerate(_MONTH_NAMES, 1) for name in names}
_YEAR = r"(\d{4}|\d{2})"  # "90" is 1990, "05" 2005 (`_full_year`)
_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.]" + _YEAR)
_YEAR_MONTH_DAY = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
_DAY_NAME_YEAR = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?[\s.,/-]*([a-z]+)[\s.,/-]*" + _YEAR)
_NAME_DAY_YEAR = re.compile(r"([a-z]+)[\s.]*(\d{1,2})(?:st|nd|rd|th)?[\s,]+" + _YEAR)
EARLIEST_BIRTH_YEAR = 1900


def _full_year(year: str, today: date | None) -> int:
    """A typed year in full: "90" is 1990 and "05" 2005 (seen from 2026)."""
    if len(year) != 2:
        return int(year)
    this_year = (today or date.today()).year
    century = this_year - this_year % 100
    full = century + int(year)
    return full if full <= this_year else full - 100


def parse_birth_date(text: str, *, today: date | None = None) -> date | None:
    """A date of birth as citizens type it, or None: "17-08-1990", "17/08/1990",
    "17.08.1990", "1990-08-17", "17 Agustus 1990", "17 Aug 1990", "August 17, 1990".
    "17-08-90", "17 agustus 90". Day before month in numbers (as Indonesians write);
    a two-digit year is the latest such year not after `today`; with `today`, a
    date after it is None too."""
    cleaned = re.sub(r"\s*([-/.,])\s*", r"\1", " ".join(text.lower().split())).rstrip(".")
    parts: tuple[str, str, str] | None = None
    if found := _DAY_MONTH_YEAR.fullmatch(cleaned):
        parts = (found[3], found[2], found[1])
    elif found := _YEAR_MONTH_DAY.fullmatch(cleaned):
        parts = (found[1], found[2], found[3])
    elif (found := _DAY_NAME_YEAR.fullmatch(cleaned)) and found[2] in _MONTHS:
        parts = (found[3], str(_MONTHS[found[2]]), found[1])
    elif (found := _NAME_DAY_YEAR.fullmatch(cleaned)) and found[1] in _MONTHS:
        parts = (found[3], str(_MONTHS[found[1]]), found[2])
    if parts is None:
        return None
    try:
        born = date(_full_year(parts[0], today), int(parts[1]), int(parts[2]))
    except ValueError:
        return None
    if born.year < EARLIEST_BIRTH_YEAR or (today is not None and born > today):
        return None
    return born


def kind_label(translator: Translator, locale: str, kind: ApplicationKind) -> str:
    return translator.text(locale, KIND_LABELS[kind])


def describe(translator: Translator, locale: str, found: Found) -> str:
    """The status as a citizen reads it: kind, number, the status verbatim, when it
    changed (in the unit's time zone) and the next step if there is one."""
    text = translator.text(
        locale,
        N_("application.status"),
        kind=kind_label(translator, locale, found.kind),
        number=found.number,
        status=found.status,
        changed_at=translator.datetime(locale, found.status_changed_at),
    )
    if found.note:
        text += "\n" + translator.text(locale, N_("application.next_step"), note=found.note)
    return text


def status_changed_text(translator: Translator, locale: str, found: Found) -> str:
    """What a subscribed citizen is sent when the status changes."""
    intro = translator.text(locale, N_("application.status_changed"))
    return f"{intro}\n\n{describe(translator, locale, found)}"
