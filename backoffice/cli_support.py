"""What `pintu officer …` runs; the argument parsing lives in `bot.cli`.

Each command brings the configured database up to date first, then works
through `backoffice.accounts` as the actor `cli`, so the audit log tells
terminal changes from an admin's.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

from sqlmodel.ext.asyncio.session import AsyncSession

from backoffice import accounts, security
from backoffice.officers import parse_role
from bot.domain.clock import SystemClock
from bot.settings import Settings
from bot.storage.database import create_engine
from bot.storage.migrate import upgrade_database

CLI_ACTOR = accounts.Actor(username="cli")

T = TypeVar("T")


@asynccontextmanager
async def _session(settings: Settings) -> AsyncIterator[AsyncSession]:
    security.use_password_cost(security.PasswordCost(settings.password_cost))
    db = create_engine(settings.database_url)
    try:
        await upgrade_database(db)
        async with AsyncSession(db) as session:
            yield session
    finally:
        await db.dispose()


async def _committed(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    async with _session(settings) as session:
        result = await work(session)
        await session.commit()
    return result


async def add_officer_command(
    settings: Settings,
    *,
    username: str,
    password: str | None,
    role: str,
    full_name: str = "",
    unit: str | None = None,
) -> str | None:
    """Create an officer (in `unit`, a code; None: the root).

    Returns the password when none was given and one was generated, so the
    caller can show it once. Raises `backoffice.officers.OfficerError` (a
    taken username, a bad username, role or unit, a weak password) with a
    message fit for the terminal.
    """
    chosen_role = parse_role(role)
    secret = security.new_password() if password is None else password
    await _committed(
        settings,
        lambda session: accounts.create_officer(
            session,
            actor=CLI_ACTOR,
            username=username,
            password=secret,
            role=chosen_role,
            unit=unit,
            full_name=full_name,
            now=SystemClock().now(),
        ),
    )
    return secret if password is None else None


async def disable_officer_command(settings: Settings, *, username: str) -> None:
    """Disable an officer and refuse their tokens at once (`OfficerError` as above,
    `UnknownOfficerError`, `LastAdminError`)."""
    change = accounts.OfficerChange(active=False)
    await _committed(
        settings,
        lambda session: accounts.change_officer(
            session, actor=CLI_ACTOR, username=username, change=change, now=SystemClock().now()
        ),
    )


async def reset_password_command(settings: Settings, *, username: str) -> str:
    """Give an officer a new random password (returned, to be shown once) and
    refuse their tokens at once."""
    secret = security.new_password()
    change = accounts.OfficerChange(password=secret)
    await _committed(
        settings,
        lambda session: accounts.change_officer(
            session, actor=CLI_ACTOR, username=username, change=change, now=SystemClock().now()
        ),
    )
    return secret


async def list_officers_command(settings: Settings) -> list[accounts.OfficerView]:
    return await _committed(
        settings,
        lambda session: accounts.list_officers(session, actor=CLI_ACTOR, now=SystemClock().now()),
    )
