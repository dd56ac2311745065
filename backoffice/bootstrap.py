"""What a fresh installation needs: the root and internal-affairs units, and the
first admin, so it can be signed into at all."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from backoffice import audit, security, units
from backoffice.officers import OfficerExistsError, Role, add_officer
from bot.domain.clock import Clock
from bot.settings import Settings
from bot.storage.models import Officer

SYSTEM_ACTOR = "system"


async def ensure_first_admin(db: AsyncEngine, settings: Settings, clock: Clock) -> str | None:
    """Create `settings.admin_username` when no officer exists yet.

    Returns the password when it was generated (the caller shows it once),
    None when it was configured or nothing was created. Workers starting
    together are safe: the one that loses the race for the username returns None.
    """
    async with AsyncSession(db) as session:
        if (await session.exec(select(Officer.id).limit(1))).first() is not None:
            return None
        configured = settings.admin_password
        password = security.new_password() if configured is None else configured.get_secret_value()
        now = clock.now()
        try:
            admin = await add_officer(
                session,
                username=settings.admin_username,
                password=password,
                role=Role.ADMIN,
                full_name="Administrator",
                now=now,
            )
        except OfficerExistsError:
            return None
        await audit.record(
            session,
            actor=SYSTEM_ACTOR,
            officer_id=None,
            action=audit.AuditAction.OFFICER_ADD,
            target=admin.username,
            detail={"role": Role.ADMIN, "first_admin": True},
            now=now,
        )
        await session.commit()
    return password if configured is None else None


async def ensure_units(db: AsyncEngine, settings: Settings, clock: Clock) -> None:
    """The root unit (`polda`, named `PINTU_UNIT_NAME`) and the internal-affairs
    unit (`PINTU_INTERNAL_AFFAIRS_UNIT`) under it, if missing; safe when several
    workers start at once."""
    async with db.begin() as conn:
        await units.ensure_units(
            conn,
            root_name=settings.unit_name,
            internal_affairs=settings.internal_affairs_unit,
            now=clock.now(),
        )
