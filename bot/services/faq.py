"""The FAQ: bilingual questions and answers that admins edit.

FAQ answers are data, not catalog keys (DESIGN §6): they live in the
`faq_entries` table, seeded by migration 0003 from the SAMPLE file
`bot/data/faq.json`, and admins replace them through the back-office API.

The entries are values (`bot.domain.faq`). For the conversation engine they
become a `bot.engine.faq.FaqSnapshot`: the entries plus an `IntentClassifier`
built from their phrasings and the built-in intents. A `FaqCache` keeps one
snapshot per process and refreshes it from the database at most every few
seconds, so an edit made through one worker reaches every worker without a
restart, and the classifier is rebuilt only when the entries changed.

Storage functions work on the caller's connection (an `AsyncConnection`, or
`await session.connection()` in the back-office) and never commit.

Exceptions::

    FaqDataError    the shipped file or a stored row is not a valid entry
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.faq import Faq, FaqDataError, make_faq
from bot.engine.faq import FaqSnapshot, snapshot
from bot.storage.database import insert_ignoring_duplicates
from bot.storage.tables import faq_entries

SHIPPED = Path(__file__).resolve().parent.parent / "data" / "faq.json"
DEFAULT_TTL_SECONDS = 5.0


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
