"""The FAQ: bilingual questions and answers that admins edit.

FAQ answers are data, not catalog keys (DESIGN §6): they live in the
`faq_entries` table, seeded by migration 0003 from the SAMPLE file
`bot/data/faq.json`, and admins replace them through the back-office API.

For the conversation engine the entries become a `FaqSnapshot`: the entries
plus an `IntentClassifier` built from their phrasings and the built-in
intents. A `FaqCache` keeps one snapshot per process and refreshes it from
the database at most every few seconds, so an edit made through one worker
reaches every worker without a restart, and the classifier is rebuilt only
when the entries changed.

Storage functions work on the caller's connection (an `AsyncConnection`, or
`await session.connection()` in the back-office) and never commit.

Exceptions::

    FaqDataError    the shipped file or a stored row is not a valid entry
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.i18n import LOCALES
from bot.language.intents import Classification, IntentClassifier, Tuning, build_classifier
from bot.storage.database import insert_ignoring_duplicates
from bot.storage.tables import faq_entries

SHIPPED = Path(__file__).resolve().parent.parent / "data" / "faq.json"
# An intent is "faq:" + id, and a button carries it with its prompt token in
# Telegram's 64 bytes of callback data.
MAX_ID_CHARS = 40
ID_PATTERN = re.compile(rf"[a-z0-9][a-z0-9_-]{{0,{MAX_ID_CHARS - 1}}}")
DEFAULT_TTL_SECONDS = 5.0


class FaqDataError(ValueError):
    """An FAQ entry is malformed (a missing locale, an empty text, a bad id)."""


@dataclass(frozen=True, slots=True)
class Faq:
    """One entry: per locale a short title, several question phrasings and an answer."""

    id: str
    title: dict[str, str]
    questions: dict[str, tuple[str, ...]]
    answer: dict[str, str]
    sample: bool = False
    updated_at: datetime | None = field(default=None, compare=False)

    def phrases(self) -> tuple[str, ...]:
        """Everything a citizen's question may resemble, in every locale."""
        titles = tuple(self.title.values())
        return titles + tuple(q for questions in self.questions.values() for q in questions)

    def answer_in(self, locale: str) -> str:
        return _localized(self.answer, locale)

    def title_in(self, locale: str) -> str:
        return _localized(self.title, locale)


def _localized(texts: Mapping[str, str], locale: str) -> str:
    return texts.get(locale) or texts.get(LOCALES[0]) or next(iter(texts.values()))


def make_faq(
    faq_id: str,
    *,
    title: Mapping[str, str],
    questions: Mapping[str, Iterable[str]],
    answer: Mapping[str, str],
    sample: bool = False,
    updated_at: datetime | None = None,
) -> Faq:
    """A validated entry: an id like ``skck_fee`` and, for every locale, non-empty texts."""
    if ID_PATTERN.fullmatch(faq_id) is None:
        raise FaqDataError(
            f"{faq_id!r} is not an FAQ id (a-z, 0-9, '_' or '-', at most {MAX_ID_CHARS})"
        )
    cleaned = {
        locale: tuple(q.strip() for q in found if q.strip()) for locale, found in questions.items()
    }
    for locale in LOCALES:
        if not str(title.get(locale, "")).strip() or not str(answer.get(locale, "")).strip():
            raise FaqDataError(f"FAQ {faq_id!r} has no title or answer in {locale!r}")
        if not cleaned.get(locale):
            raise FaqDataError(f"FAQ {faq_id!r} has no question in {locale!r}")
    return Faq(
        id=faq_id,
        title={locale: title[locale].strip() for locale in LOCALES},
        questions={locale: cleaned[locale] for locale in LOCALES},
        answer={locale: answer[locale].strip() for locale in LOCALES},
        sample=sample,
        updated_at=updated_at,
    )


def load_shipped(path: Path = SHIPPED) -> tuple[Faq, ...]:
    """The sample entries shipped with pintu (or another file of the same shape)."""
    try:
        raw: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return tuple(
            make_faq(
                entry["id"],
                title=entry["title"],
                questions=entry["questions"],
                answer=entry["answer"],
                sample=bool(entry.get("sample", raw.get("sample", False))),
            )
            for entry in raw["entries"]
        )
    except (KeyError, TypeError, AttributeError, json.JSONDecodeError) as error:
        raise FaqDataError(f"{path} is not an FAQ file: {error!r}") from error


# -- what the engine uses --------------------------------------------------


@dataclass(frozen=True, slots=True)
class FaqSnapshot:
    """The entries of one moment and the classifier built for them; immutable, shareable."""

    entries: tuple[Faq, ...]
    classifier: IntentClassifier

    def classify(self, text: str) -> Classification:
        return self.classifier.classify(text)

    def get(self, faq_id: str) -> Faq | None:
        return next((entry for entry in self.entries if entry.id == faq_id), None)


def snapshot(entries: Iterable[Faq], tuning: Tuning | None = None) -> FaqSnapshot:
    """Precompute the classifier for `entries` (milliseconds; do it once per change)."""
    kept = tuple(entries)
    classifier = build_classifier({entry.id: entry.phrases() for entry in kept}, tuning)
    return FaqSnapshot(entries=kept, classifier=classifier)


class FaqCache:
    """One process's current `FaqSnapshot`, refreshed from the database when it may be stale.

    `snapshot` is always there and never waits: it starts from `initial`
    (nothing, or the shipped sample) until the first refresh. A refresh
    reads the table (a handful of rows) at most once per `ttl_seconds` and
    rebuilds the classifier only when the entries differ. `refresh` does it
    on an `AsyncConnection`; any other caller (the hot path's synchronous
    SQL) asks `due`, runs `SELECT_FAQS` and hands the rows to `update`.
    """

    def __init__(
        self, *, ttl_seconds: float = DEFAULT_TTL_SECONDS, initial: Iterable[Faq] = ()
    ) -> None:
        self.ttl = timedelta(seconds=ttl_seconds)
        self.snapshot = snapshot(initial)
        self._checked_at: datetime | None = None

    def due(self, now: datetime) -> bool:
        checked = self._checked_at
        return checked is None or not timedelta(0) <= now - checked < self.ttl

    def update(self, entries: Iterable[Faq], now: datetime) -> FaqSnapshot:
        kept = tuple(entries)
        if kept != self.snapshot.entries:
            self.snapshot = snapshot(kept)
        self._checked_at = now
        return self.snapshot

    async def refresh(self, conn: AsyncConnection, now: datetime) -> FaqSnapshot:
        if self.due(now):
            self.update(await list_faqs(conn), now)
        return self.snapshot


# -- storage ---------------------------------------------------------------

COLUMNS = ("id", "title", "questions", "answer", "sample", "updated_at")
SELECT_FAQS = f"SELECT {', '.join(COLUMNS)} FROM faq_entries ORDER BY id"  # noqa: S608 - constants


def faqs_from_rows(rows: Iterable[Sequence[Any]]) -> list[Faq]:
    """Entries from rows of `COLUMNS`, as any driver returns them."""
    return [_from_row(row) for row in rows]


def _from_row(row: Sequence[Any]) -> Faq:
    faq_id, title, questions, answer, sample, updated_at = row
    if isinstance(updated_at, str):  # plain sqlite3 returns the stored text
        updated_at = datetime.fromisoformat(updated_at).replace(tzinfo=UTC)
    try:
        return make_faq(
            faq_id,
            title=json.loads(title),
            questions=json.loads(questions),
            answer=json.loads(answer),
            sample=bool(sample),
            updated_at=updated_at,
        )
    except (TypeError, AttributeError, json.JSONDecodeError) as error:
        raise FaqDataError(f"stored FAQ {faq_id!r} is malformed: {error!r}") from error


def _to_row(entry: Faq, now: datetime) -> dict[str, object]:
    questions = {locale: list(found) for locale, found in entry.questions.items()}
    return {
        "title": json.dumps(entry.title, ensure_ascii=False),
        "questions": json.dumps(questions, ensure_ascii=False),
        "answer": json.dumps(entry.answer, ensure_ascii=False),
        "sample": entry.sample,
        "updated_at": now,
    }


async def list_faqs(conn: AsyncConnection) -> list[Faq]:
    """Every stored entry, by id."""
    columns = [faq_entries.c[name] for name in COLUMNS]
    return faqs_from_rows(await conn.execute(select(*columns).order_by(faq_entries.c.id)))


async def get_faq(conn: AsyncConnection, faq_id: str) -> Faq | None:
    columns = [faq_entries.c[name] for name in COLUMNS]
    found = await conn.execute(select(*columns).where(faq_entries.c.id == faq_id))
    return next(iter(faqs_from_rows(found)), None)


async def put_faq(conn: AsyncConnection, entry: Faq, *, now: datetime) -> bool:
    """Store `entry`, replacing an entry with its id; True when it was created."""
    values = _to_row(entry, now)
    if await insert_ignoring_duplicates(conn, faq_entries, {"id": entry.id, **values}):
        return True
    await conn.execute(update(faq_entries).where(faq_entries.c.id == entry.id).values(**values))
    return False


async def delete_faq(conn: AsyncConnection, faq_id: str) -> bool:
    """Remove an entry; False when there was none with this id."""
    result = await conn.execute(delete(faq_entries).where(faq_entries.c.id == faq_id))
    return bool(result.rowcount)
