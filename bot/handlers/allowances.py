"""Allowances per key (a client address, a web session) that refill with time.

Each key has a token bucket: `capacity` at once, refilled at `capacity` per
`period`. The table is bounded: past `max_keys` the least recently used key
is forgotten (it starts afresh with a full allowance, as a key never seen),
so a flood of addresses costs memory in proportion to `max_keys`, never more.

Per process: with several workers each keeps its own table (a client's
allowance is then at most the workers' number times as large).
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain.clock import Clock


@dataclass(slots=True)
class _Bucket:
    level: float
    at: datetime


class Allowances:
    def __init__(self, *, capacity: float, period: timedelta, max_keys: int, clock: Clock) -> None:
        self.capacity = capacity
        self.rate = capacity / period.total_seconds()  # per second
        self.max_keys = max_keys
        self.clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def __len__(self) -> int:
        return len(self._buckets)

    def wait(self, key: str, cost: float = 1.0) -> float:
        """Seconds until `key` could spend `cost` (0: it can now); spends nothing."""
        level = self._level(key)
        if level >= cost:
            return 0.0
        if cost > self.capacity:
            return math.inf
        return (cost - level) / self.rate

    def spend(self, key: str, cost: float = 1.0) -> None:
        """Take `cost` from `key`'s allowance (which may go below zero: it then waits longer)."""
        now = self.clock.now()
        self._buckets[key] = _Bucket(self._level(key) - cost, now)
        self._buckets.move_to_end(key)
        while len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)

    def take(self, key: str, cost: float = 1.0) -> float:
        """Spend `cost` if `key` has it and return 0; else spend nothing and return the wait."""
        waiting = self.wait(key, cost)
        if waiting == 0:
            self.spend(key, cost)
        return waiting

    def _level(self, key: str) -> float:
        bucket = self._buckets.get(key)
        if bucket is None:
            return self.capacity
        elapsed = max(0.0, (self.clock.now() - bucket.at).total_seconds())
        return min(self.capacity, bucket.level + elapsed * self.rate)
