"""The login lockout: five wrong passwords for one username within the lockout
time lock that username out for that time (DESIGN §5, `PINTU_LOGIN_LOCKOUT_SECONDS`).

Failures are rows in `login_failures`, so every worker counts the same ones.
Usernames nobody has are counted like real ones: a lockout must not tell
an attacker which accounts exist. The failure that makes the fifth carries
`locked_until`; while a lockout holds, attempts are refused before any
password is checked, so they neither count nor cost a verification.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import delete, func, insert, or_, update
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.storage.tables import login_failures

MAX_FAILURES = 5
USERNAME_MAX_CHARS = 64


def lockout_key(username: str) -> str:
    """The username as the lockout counts it: as sign-in normalizes it, cut to the column."""
    return username.strip().lower()[:USERNAME_MAX_CHARS]


async def seconds_locked(session: AsyncSession, *, username: str, now: datetime) -> int | None:
    """Whole seconds until `username`'s lockout ends, or None when it is not locked out."""
    until = (
        await session.exec(
            select(func.max(login_failures.c.locked_until)).where(
                login_failures.c.username == lockout_key(username)
            )
        )
    ).one()
    if until is None or until <= now:
        return None
    seconds: int = math.ceil((until - now).total_seconds())
    return max(1, seconds)


async def record_failure(
    session: AsyncSession, *, username: str, now: datetime, lockout: timedelta
) -> bool:
    """Count a wrong password; True when it starts a lockout."""
    key = lockout_key(username)
    await _forget_stale(session, now=now, lockout=lockout)
    inserted = await session.exec(
        insert(login_failures).values(username=key, failed_at=now).returning(login_failures.c.id)
    )
    failure_id = inserted.scalar_one()
    recent = (
        await session.exec(
            select(func.count()).where(
                login_failures.c.username == key, login_failures.c.failed_at > now - lockout
            )
        )
    ).one()
    if recent < MAX_FAILURES:
        return False
    await session.exec(
        update(login_failures)
        .where(login_failures.c.id == failure_id)
        .values(locked_until=now + lockout)
    )
    return True


async def clear_failures(session: AsyncSession, *, username: str) -> None:
    """A right password: the wrong ones before it count no more."""
    await session.exec(
        delete(login_failures).where(login_failures.c.username == lockout_key(username))
    )


async def _forget_stale(session: AsyncSession, *, now: datetime, lockout: timedelta) -> None:
    """Failures outside every window and lockouts that ended, of every username."""
    await session.exec(
        delete(login_failures).where(
            login_failures.c.failed_at <= now - lockout,
            or_(login_failures.c.locked_until.is_(None), login_failures.c.locked_until <= now),
        )
    )
