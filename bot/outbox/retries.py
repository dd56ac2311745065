"""How long a row waits before its next try, and when to give it up.

Backoff grows with a row's failed attempts; after `max_attempts` the row is
buried. A platform that is down for everyone is not the row's fault:
`Outage` tells the two apart from the sends' outcomes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from bot.domain.channel import SendError, SendReceipt, TemporaryFailure, Throttled

Outcome = SendReceipt | SendError


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int
    backoff_base: float
    backoff_max: float
    outage_max: float = 15.0  # longest wait between tries while the platform is down

    def backoff(self, attempt: int) -> float:
        """Seconds before attempt `attempt + 1`: exponential, capped, with jitter."""
        delay: float = min(self.backoff_max, self.backoff_base * 2 ** max(0, attempt - 1))
        return delay * random.uniform(0.8, 1.2)


@dataclass(slots=True)
class Outage:
    """Whether a channel's platform is down, judged from its sends' outcomes.

    A temporary failure (5xx, timeout, connection refused) of one row while
    others go through is that row's: it costs an attempt, and after
    `max_attempts` the row is given up. When two different rows have failed
    with no success between, the platform is down for everyone: a row must
    not be buried because the platform was unreachable for a while, so the
    failure costs no attempt and the row waits, as after a "slow down",
    longer with each failure up to `RetryPolicy.outage_max`; the first
    success ends the outage.
    """

    failed_rows: set[int] = field(default_factory=set)
    failures: int = 0

    def judge(self, row_id: int, outcome: Outcome, policy: RetryPolicy) -> Outcome:
        """`outcome` as the outbox should take it: a failure during an outage as a wait."""
        if isinstance(outcome, SendReceipt):
            self.failed_rows.clear()
            self.failures = 0
            return outcome
        if not isinstance(outcome, TemporaryFailure):
            return outcome
        self.failed_rows.add(row_id)
        self.failures += 1
        if len(self.failed_rows) < 2:
            return outcome
        wait = min(policy.outage_max, policy.backoff(self.failures))
        return Throttled(f"platform down: {outcome.reason}", retry_after=wait)
