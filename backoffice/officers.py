"""Officer accounts: creating them, signing in, and the bearer tokens that follow.

Every function works inside the caller's session and leaves committing to
it, so an account change and its audit entry commit together.

Exceptions::

    OfficerError
    ├── InvalidOfficerError   a username, role, unit or password that cannot be used
    ├── OfficerExistsError    the username is taken
    ├── UnknownOfficerError   no officer has the username
    └── LastAdminError        the change would leave no active admin

    LockedOutError           too many wrong passwords for the username: wait `retry_after` s

Signing in checks passwords through `security.PasswordChecks`, which may
raise `security.ChecksBusy` in a flood of sign-ins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backoffice import audit, lockout, security
from bot.services import casework
from bot.storage.models import Officer, OfficerToken

MIN_PASSWORD_CHARS = 8
MIN_DISTINCT_CHARS = 4
# The first passwords any guesser tries, all of at least eight characters.
COMMON_PASSWORDS = frozenset(
    {
        "password",
        "password1",
        "password123",
        "12345678",
        "123456789",
        "1234567890",
        "qwerty123",
        "qwertyuiop",
        "iloveyou",
        "admin123",
        "administrator",
        "sayang123",
        "bismillah",
        "indonesia",
        "polisi123",
    }
)
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


class UnknownOfficerError(OfficerError):
    def __init__(self, username: str) -> None:
        super().__init__(f"no officer named {username!r}")
        self.username = username


class LastAdminError(OfficerError):
    def __init__(self) -> None:
        super().__init__("this would leave no active admin")


class LockedOutError(Exception):
    """Too many wrong passwords for a username; it may try again in `retry_after` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many wrong passwords: try again in {retry_after} s")
        self.retry_after = retry_after


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


def check_password(password: str, *, username: str) -> None:
    """Raise `InvalidOfficerError` for a password too easy to guess."""
    if len(password) < MIN_PASSWORD_CHARS:
        raise InvalidOfficerError(f"a password has at least {MIN_PASSWORD_CHARS} characters")
    if len(set(password)) < MIN_DISTINCT_CHARS:
        raise InvalidOfficerError(
            f"a password has at least {MIN_DISTINCT_CHARS} different characters"
        )
    lowered = password.lower()
    if lowered in COMMON_PASSWORDS or lowered == normalize_username(username):
        raise InvalidOfficerError("this password is among the first any guesser tries")


async def add_officer(
    session: AsyncSession,
    *,
    username: str,
    password: str,
    role: Role,
    full_name: str,
    now: datetime,
    unit_id: int | None = None,
) -> Officer:
    """Create an active officer (in the root unit unless `unit_id` says otherwise);
    raises `OfficerExistsError` for a taken username."""
    username = normalize_username(username)
    if USERNAME_PATTERN.fullmatch(username) is None:
        raise InvalidOfficerError(
            "a username is 1 to 64 characters: letters, digits, '.', '_', '@' or '-'"
        )
    check_password(password, username=username)
    officer = Officer(
        username=username,
        full_name=full_name.strip(),
        password_hash=await security.hash_password(password),
        role=role,
        unit_id=unit_id,
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
    session: AsyncSession, *, checks: security.PasswordChecks, username: str, password: str
) -> SignedInOfficer | None:
    """The active officer with these credentials, or None, in the same time either way.

    Ends the session's transaction before checking the password: a check
    takes long, and no lock (on SQLite, the database's write lock) may be
    held meanwhile, or a flood of sign-ins would stall every writer.
    """
    found = (
        await session.exec(select(Officer).where(Officer.username == normalize_username(username)))
    ).one_or_none()
    account = None if found is None else (signed_in(found), found.password_hash, found.active)
    await session.rollback()  # it only read
    matches = await checks.verify(password, None if account is None else account[1])
    if account is None or not matches or not account[2]:
        return None
    return account[0]


async def sign_in(
    session: AsyncSession,
    *,
    checks: security.PasswordChecks,
    username: str,
    password: str,
    ttl_seconds: int,
    lockout_seconds: int,
    now: datetime,
) -> IssuedToken | None:
    """A new token for valid credentials, None otherwise; both outcomes are audited
    under the username as typed (the password never is).

    Raises `LockedOutError` while the username is locked out (before any
    password is checked), and `security.ChecksBusy` in a flood of sign-ins.
    """
    locked = await lockout.seconds_locked(session, username=username, now=now)
    if locked is not None:
        raise LockedOutError(locked)
    officer = await authenticate(session, checks=checks, username=username, password=password)
    actor = normalize_username(username)
    if officer is None:
        await audit.record(
            session,
            actor=actor,
            officer_id=None,
            action=audit.AuditAction.LOGIN_FAILED,
            target=None,
            detail={},
            now=now,
        )
        window = timedelta(seconds=lockout_seconds)
        if await lockout.record_failure(session, username=username, now=now, lockout=window):
            await audit.record(
                session,
                actor=actor,
                officer_id=None,
                action=audit.AuditAction.LOGIN_LOCKED_OUT,
                target=None,
                detail={"failures": lockout.MAX_FAILURES, "seconds": lockout_seconds},
                now=now,
            )
        return None
    await lockout.clear_failures(session, username=username)
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


async def revoke_token(session: AsyncSession, *, token: str) -> None:
    """Signing out: this token is refused from now on, the officer's others still work."""
    await session.exec(
        delete(OfficerToken).where(col(OfficerToken.token_hash) == security.token_digest(token))
    )


async def sign_out(
    session: AsyncSession, *, officer: SignedInOfficer, token: str, now: datetime
) -> None:
    """Signing out, audited: this token is refused from now on (API and web inbox)."""
    await revoke_token(session, token=token)
    await audit.record(
        session,
        actor=officer.username,
        officer_id=officer.id,
        action=audit.AuditAction.LOGOUT,
        target=None,
        detail={},
        now=now,
    )


async def revoke_all_tokens(session: AsyncSession, *, officer_id: int) -> None:
    """Every token of the officer is refused from now on (disabled, or a new password)."""
    await session.exec(delete(OfficerToken).where(col(OfficerToken.officer_id) == officer_id))


def signed_in(officer: Officer) -> SignedInOfficer:
    """A stored officer as the actor casework services take."""
    assert officer.id is not None, "a stored officer has an id"
    return SignedInOfficer(
        id=officer.id, username=officer.username, role=Role(officer.role), unit_id=officer.unit_id
    )
