"""Officer accounts: creating them, signing in, and the bearer tokens that follow.

Every function works inside the caller's session and leaves committing to
it, so an account change and its audit entry commit together.

Exceptions::

    OfficerError
    ├── InvalidOfficerError   a username, role or password that cannot be used
    └── OfficerExistsError    the username is taken
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backoffice import audit, security
from bot.services import casework
from bot.storage.models import Officer, OfficerToken

MIN_PASSWORD_CHARS = 8
USERNAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9._@-]{0,63}")


class Role(StrEnum):
    """What an officer may do; each role can do everything the ones before it can."""

    OFFICER = "officer"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class OfficerError(Exception):
    """An officer account cannot be created as asked."""


class InvalidOfficerError(OfficerError):
    pass


class OfficerExistsError(OfficerError):
    def __init__(self, username: str) -> None:
        super().__init__(f"an officer named {username!r} already exists")
        self.username = username


@dataclass(frozen=True, slots=True)
class SignedInOfficer(casework.Officer):
    """The officer behind a request; casework services take it as the actor."""

    role: Role
    unit_id: int | None = None  # None: the root unit


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str
    expires_at: datetime


def parse_role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        choices = ", ".join(Role)
        raise InvalidOfficerError(f"role {value!r} is not one of: {choices}") from None


def normalize_username(username: str) -> str:
    """Usernames are case-insensitive: `Budi` and `budi` are one account."""
    return username.strip().lower()


async def add_officer(
    session: AsyncSession,
    *,
    username: str,
    password: str,
    role: Role,
    full_name: str,
    now: datetime,
) -> Officer:
    """Create an active officer; raises `OfficerExistsError` for a taken username."""
    username = normalize_username(username)
    if USERNAME_PATTERN.fullmatch(username) is None:
        raise InvalidOfficerError(
            "a username is 1 to 64 characters: letters, digits, '.', '_', '@' or '-'"
        )
    if len(password) < MIN_PASSWORD_CHARS:
        raise InvalidOfficerError(f"a password has at least {MIN_PASSWORD_CHARS} characters")
    officer = Officer(
        username=username,
        full_name=full_name.strip(),
        password_hash=await security.hash_password(password),
        role=role,
        active=True,
        created_at=now,
    )
    try:
        # A savepoint, so a lost race for the username leaves the caller's
        # transaction usable.
        async with session.begin_nested():
            session.add(officer)
    except IntegrityError as error:
        raise OfficerExistsError(username) from error
    return officer


async def authenticate(
    session: AsyncSession, *, username: str, password: str
) -> SignedInOfficer | None:
    """The active officer with these credentials, or None, in the same time either way."""
    found = (
        await session.exec(select(Officer).where(Officer.username == normalize_username(username)))
    ).one_or_none()
    if found is None:
        await security.burn_verification(password)
        return None
    if not await security.verify_password(password, found.password_hash) or not found.active:
        return None
    return signed_in(found)


async def sign_in(
    session: AsyncSession, *, username: str, password: str, ttl_seconds: int, now: datetime
) -> IssuedToken | None:
    """A new token for valid credentials, None otherwise; both outcomes are audited
    under the username as typed (the password never is)."""
    officer = await authenticate(session, username=username, password=password)
    if officer is None:
        await audit.record(
            session,
            actor=normalize_username(username),
            officer_id=None,
            action=audit.AuditAction.LOGIN_FAILED,
            target=None,
            detail={},
            now=now,
        )
        return None
    issued = await issue_token(session, officer=officer, ttl_seconds=ttl_seconds, now=now)
    await audit.record(
        session,
        actor=officer.username,
        officer_id=officer.id,
        action=audit.AuditAction.LOGIN,
        target=None,
        detail={"role": officer.role},
        now=now,
    )
    return issued


async def issue_token(
    session: AsyncSession, *, officer: SignedInOfficer, ttl_seconds: int, now: datetime
) -> IssuedToken:
    token = security.new_token()
    expires_at = now + timedelta(seconds=ttl_seconds)
    session.add(
        OfficerToken(
            officer_id=officer.id,
            token_hash=security.token_digest(token),
            created_at=now,
            expires_at=expires_at,
        )
    )
    await session.flush()
    return IssuedToken(token=token, expires_at=expires_at)


async def officer_for_token(
    session: AsyncSession, *, token: str, now: datetime
) -> SignedInOfficer | None:
    """The active officer a valid token belongs to; None for unknown or expired tokens."""
    found = (
        await session.exec(
            select(Officer)
            .join(OfficerToken, col(OfficerToken.officer_id) == col(Officer.id))
            .where(
                OfficerToken.token_hash == security.token_digest(token),
                OfficerToken.expires_at > now,
                col(Officer.active).is_(True),
            )
        )
    ).one_or_none()
    return None if found is None else signed_in(found)


def signed_in(officer: Officer) -> SignedInOfficer:
    """A stored officer as the actor casework services take."""
    assert officer.id is not None, "a stored officer has an id"
    return SignedInOfficer(
        id=officer.id, username=officer.username, role=Role(officer.role), unit_id=officer.unit_id
    )
