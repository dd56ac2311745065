"""What `pintu officer add` runs; the argument parsing lives in `bot.cli`."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from backoffice import audit, security
from backoffice.officers import add_officer, parse_role
from bot.domain.clock import SystemClock
from bot.settings import Settings
from bot.storage.database import create_engine
from bot.storage.migrate import upgrade_database

CLI_ACTOR = "cli"


async def add_officer_command(
    settings: Settings,
    *,
    username: str,
    password: str | None,
    role: str,
    full_name: str = "",
) -> str | None:
    """Create an officer in the configured database (brought up to date first).

    Returns the password when none was given and one was generated, so the
    caller can show it once. Raises `backoffice.officers.OfficerError` (a
    taken username, a bad username or role, a short password) with a message
    fit for the terminal.
    """
    chosen_role = parse_role(role)
    security.use_password_cost(security.PasswordCost(settings.password_cost))
    secret = security.new_password() if password is None else password
    db = create_engine(settings.database_url)
    try:
        await upgrade_database(db)
        async with AsyncSession(db) as session:
            now = SystemClock().now()
            officer = await add_officer(
                session,
                username=username,
                password=secret,
                role=chosen_role,
                full_name=full_name,
                now=now,
            )
            await audit.record(
                session,
                actor=CLI_ACTOR,
                officer_id=None,
                action=audit.AuditAction.OFFICER_ADD,
                target=officer.username,
                detail={"role": chosen_role},
                now=now,
            )
            await session.commit()
    finally:
        await db.dispose()
    return secret if password is None else None
