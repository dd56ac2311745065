"""Secrets of the back-office: officers' passwords and their bearer tokens.

Passwords are hashed with Argon2 (pwdlib's recommended settings); hashing is
slow on purpose, so it runs in a worker thread instead of stalling the event
loop. The test suite alone turns the cost down (`PasswordCost.TESTS_ONLY`,
chosen by `Settings.password_cost`): a hash records its own parameters, so
verifying never depends on the cost chosen now.

Each verification holds 64 MiB for a few hundred milliseconds, so a flood of
logins would hold many of them at once: `PasswordChecks` lets only a few run
together and refuses (`ChecksBusy`) beyond a short queue instead of queueing
without end.

Tokens are opaque random strings; the database keeps only their SHA-256, so
a leaked table grants no access. A token is found by its digest, which is
why no comparison of the token itself is needed: the lookup can only reveal
digest prefixes, which say nothing about any token.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from enum import StrEnum
from functools import cache

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher


class PasswordCost(StrEnum):
    """How expensive a new password hash is."""

    RECOMMENDED = "recommended"
    # Argon2's minimum (8 KiB, one pass, one lane): about a millisecond a hash
    # instead of a few hundred. Such hashes are cheap to crack: tests only.
    TESTS_ONLY = "tests-only"


_HASHERS = {
    PasswordCost.RECOMMENDED: PasswordHash.recommended(),
    PasswordCost.TESTS_ONLY: PasswordHash(
        (Argon2Hasher(time_cost=1, memory_cost=8, parallelism=1),)
    ),
}
_hasher = _HASHERS[PasswordCost.RECOMMENDED]


def use_password_cost(cost: PasswordCost) -> None:
    """Hash new passwords at `cost` from now on, in this whole process."""
    global _hasher
    _hasher = _HASHERS[cost]
    _decoy_hash.cache_clear()


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(password: str, password_hash: str) -> bool:
    """Whether `password` matches; Argon2's own comparison is constant-time."""
    return await asyncio.to_thread(_hasher.verify, password, password_hash)


async def burn_verification(password: str) -> None:
    """Spend as long as a real verification, so an unknown username takes
    as long to refuse as a wrong password (no username probing by timing)."""
    await asyncio.to_thread(_hasher.verify, password, _decoy_hash())


class ChecksBusy(Exception):
    """Too many password checks are waiting already: try again shortly."""


class PasswordChecks:
    """At most `concurrent` verifications at once, at most `waiting` more in line.

    One per app (an `asyncio.Semaphore` belongs to one event loop). `peak` is
    the most that ever ran together, for tests and benchmarks.
    """

    def __init__(self, *, concurrent: int, waiting: int) -> None:
        self._slots = asyncio.Semaphore(concurrent)
        self._waiting_max = waiting
        self._waiting = 0
        self._running = 0
        self.peak = 0

    async def verify(self, password: str, password_hash: str | None) -> bool:
        """`verify_password`, or with no hash `burn_verification` and False.

        Raises `ChecksBusy` when the line is full.
        """
        if self._waiting >= self._waiting_max:
            raise ChecksBusy
        self._waiting += 1
        try:
            await self._slots.acquire()
        finally:
            self._waiting -= 1
        self._running += 1
        self.peak = max(self.peak, self._running)
        try:
            if password_hash is None:
                await burn_verification(password)
                return False
            return await verify_password(password, password_hash)
        finally:
            self._running -= 1
            self._slots.release()


@cache
def _decoy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """What the database stores and looks tokens up by."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_password() -> str:
    """A password for an account whose owner did not choose one."""
    return secrets.token_urlsafe(12)
