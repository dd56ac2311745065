"""Allowances that refill with time, kept in the database so every worker shares them.

Each (kind, key) has a token bucket: `capacity` at once, refilled at
`capacity` per `period`. Kept in memory, each worker would keep its own
table and a client would get the workers' number times its allowance; here
a `take` locks the buckets it spends from (in a fixed order, so two workers
cannot deadlock) and spends from all of them or from none.

Keys are client addresses and web sessions: they are stored as an HMAC with
the service's secret key, never as they are. A bucket that would be full
again is as good as none: `forget_full` removes those rows (the scheduler),
so the table holds only the keys that spent something within their period.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.domain.clock import Clock
from bot.storage.database import insert_ignoring_duplicates
from bot.storage.tables import allowances


@dataclass(frozen=True, slots=True)
class Allowance:
    """`capacity` at once, refilled at `capacity` per `period`."""

    kind: str
    capacity: float
    period: timedelta

    @property
    def rate(self) -> float:
        """Refill per second."""
        return self.capacity / self.period.total_seconds()

    def level(self, stored: float, since: datetime, now: datetime) -> float:
        """What a bucket that held `stored` at `since` holds at `now`."""
        elapsed = max(0.0, (now - since).total_seconds())
        return min(self.capacity, stored + elapsed * self.rate)

    def full_at(self, level: float, now: datetime) -> datetime:
        """When a bucket holding `level` at `now` is full again."""
        return now + timedelta(seconds=(self.capacity - level) / self.rate)

    def wait(self, level: float, cost: float) -> float:
        """Seconds until a bucket holding `level` could spend `cost` (0: now)."""
        if level >= cost:
            return 0.0
        if cost > self.capacity:
            return math.inf
        return (cost - level) / self.rate


@dataclass(frozen=True, slots=True)
class Cost:
    allowance: Allowance
    key: str
    amount: float = 1.0


class SharedAllowances:
    def __init__(self, db: AsyncEngine, secret: bytes, clock: Clock) -> None:
        self.db = db
        self.secret = secret
        self.clock = clock

    async def take(self, *costs: Cost) -> float:
        """Spend every cost and return 0 when all can be spent now; else spend
        nothing and return the seconds until they could be."""
        now = self.clock.now()
        keyed = sorted(
            (((cost.allowance.kind, self._hashed(cost.key)), cost) for cost in costs),
            key=lambda pair: pair[0],
        )
        async with self.db.begin() as conn:
            levels = [
                await self._level(conn, kind, key, cost.allowance, now)
                for (kind, key), cost in keyed
            ]
            waits = [
                cost.allowance.wait(level, cost.amount)
                for (_, cost), level in zip(keyed, levels, strict=True)
            ]
            wait = max(waits, default=0.0)
            if wait:
                return wait
            for ((kind, key), cost), level in zip(keyed, levels, strict=True):
                left = level - cost.amount
                await conn.execute(
                    update(allowances)
                    .where(allowances.c.kind == kind, allowances.c.key == key)
                    .values(level=left, at=now, full_at=cost.allowance.full_at(left, now))
                )
        return 0.0

    async def forget_full(self) -> int:
        """Remove the buckets that are full again by now (as good as none); how many."""
        async with self.db.begin() as conn:
            result = await conn.execute(
                delete(allowances).where(allowances.c.full_at <= self.clock.now())
            )
        return result.rowcount or 0

    def _hashed(self, key: str) -> str:
        return hmac.new(self.secret, key.encode(), hashlib.sha256).hexdigest()[:48]

    @staticmethod
    async def _level(
        conn: AsyncConnection, kind: str, key: str, allowance: Allowance, now: datetime
    ) -> float:
        fresh = {"kind": kind, "key": key, "level": allowance.capacity, "at": now, "full_at": now}
        if await insert_ignoring_duplicates(conn, allowances, fresh):
            return allowance.capacity
        found = await conn.execute(
            select(allowances.c.level, allowances.c.at)
            .where(allowances.c.kind == kind, allowances.c.key == key)
            .with_for_update()
        )
        stored, since = found.one()
        return allowance.level(stored, since, now)
