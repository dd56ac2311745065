"""Dead letters for admins: the list, one letter with its payload, and replaying it.

A payload may hold a citizen's personal data (it is what the platform sent,
or a message to a citizen), so every look at one is in the audit log.

Replaying runs the payload through the way in it came from: a webhook's
payload through that channel's intake, as if the platform had just sent it
(redelivery rules apply, so what was handled before is not handled twice);
an outbox row's message is queued to be sent again from scratch. A letter
is replayed once: `replayed_at` is set then, and a second replay is refused
(`AlreadyReplayedError`, 409) with the letter unchanged. A replay that fails
again leaves a new dead letter, as the first failure did.

Exceptions::

    DeadLetterError
    ├── UnknownDeadLetterError   no letter with this id (404)
    ├── AlreadyReplayedError     replayed before (409)
    └── NotReplayableError       its source has no way in now: the channel is off,
                                 or the source is not a platform's (409)
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backoffice import audit
from backoffice.officers import SignedInOfficer
from bot.outbox.deadletters import requeue
from bot.runtime import Runtime
from bot.storage.models import DeadLetter
from bot.storage.tables import dead_letters

OUTBOX_SOURCE = "outbox:"  # `outbox:<channel>:<row id>`, see bot.outbox.sender


class DeadLetterError(Exception):
    pass


class UnknownDeadLetterError(DeadLetterError):
    def __init__(self, letter_id: int) -> None:
        super().__init__(f"no dead letter {letter_id}")


class AlreadyReplayedError(DeadLetterError):
    def __init__(self, letter: DeadLetter) -> None:
        super().__init__(f"dead letter {letter.id} was replayed at {letter.replayed_at}")


class NotReplayableError(DeadLetterError):
    def __init__(self, letter: DeadLetter) -> None:
        super().__init__(
            f"dead letter {letter.id} from {letter.source!r} cannot be replayed: "
            "its channel is off, or it did not come from a platform"
        )


async def list_dead_letters(
    session: AsyncSession,
    *,
    officer: SignedInOfficer,
    replayed: bool | None,
    page: int,
    per_page: int,
    now: datetime,
) -> tuple[list[tuple[DeadLetter, int]], int]:
    """Letters newest first (each with its payload's length), and how many match."""
    query = select(DeadLetter, func.length(DeadLetter.payload))
    if replayed is not None:
        replayed_at = col(DeadLetter.replayed_at)
        query = query.where(replayed_at.is_not(None) if replayed else replayed_at.is_(None))
    total = (await session.exec(select(func.count()).select_from(query.subquery()))).one()
    rows = await session.exec(
        query.order_by(col(DeadLetter.id).desc()).offset((page - 1) * per_page).limit(per_page)
    )
    found = [(letter, int(length or 0)) for letter, length in rows]
    await audit.record_by(
        session, officer, audit.AuditAction.DEAD_LETTERS_LIST, None, {"total": total}, now
    )
    return found, total


async def view_dead_letter(
    session: AsyncSession, *, officer: SignedInOfficer, letter_id: int, now: datetime
) -> DeadLetter:
    """One letter with its payload, the look recorded in the audit log."""
    letter = await _letter(session, letter_id)
    await audit.record_by(
        session,
        officer,
        audit.AuditAction.DEAD_LETTER_VIEW,
        str(letter_id),
        {"source": letter.source, "personal_data": True},
        now,
    )
    return letter


async def replay_dead_letter(
    session: AsyncSession, *, officer: SignedInOfficer, runtime: Runtime, letter_id: int
) -> DeadLetter:
    """Replay a letter (see the module's docstring); the caller commits."""
    letter = await _letter(session, letter_id)
    if letter.replayed_at is not None:
        raise AlreadyReplayedError(letter)
    now = runtime.clock.now()
    source, payload = letter.source, letter.payload
    replay = runtime.replays.get(source)
    row_id = _outbox_row(source)
    if replay is None and row_id is None:
        raise NotReplayableError(letter)
    # The replay commits in transactions of its own: this one, which only
    # read, must not hold a lock meanwhile (on SQLite, the write lock).
    await session.rollback()
    if replay is not None:
        await replay(payload.encode())
    elif row_id is not None and await requeue(runtime.db, row_id=row_id, now=now):
        runtime.sender.wake()
    marked = await session.exec(
        update(dead_letters)
        .where(dead_letters.c.id == letter_id, dead_letters.c.replayed_at.is_(None))
        .values(replayed_at=now)
        .returning(dead_letters.c.id)
    )
    first = marked.first() is not None
    await session.refresh(letter)
    if not first:  # another admin's replay of the same letter won
        raise AlreadyReplayedError(letter)
    await audit.record_by(
        session,
        officer,
        audit.AuditAction.DEAD_LETTER_REPLAY,
        str(letter_id),
        {"source": source},
        now,
    )
    return letter


def _outbox_row(source: str) -> int | None:
    if not source.startswith(OUTBOX_SOURCE):
        return None
    row = source.rsplit(":", 1)[-1]
    return int(row) if row.isdigit() else None


async def _letter(session: AsyncSession, letter_id: int) -> DeadLetter:
    letter = await session.get(DeadLetter, letter_id)
    if letter is None:
        raise UnknownDeadLetterError(letter_id)
    return letter
