"""Token buckets that keep sends within a platform's rate limits.

A send takes one token from the channel-wide bucket and one from its
recipient's bucket. A send never sleeps for its recipient's bucket: when that
chat has no token now, it raises `Throttled` at once, the outbox row comes
back exactly when the token is free, and the other chats in the sender's
batch go on (a chat's pace must not hold back anyone else's messages). Only
the channel-wide bucket, which every send shares anyway, is waited for when
the wait is short.

After the platform itself refused a send as too fast, the outbox waits the
`retry_after` it named and `refused` spends the chat's burst: then the chat
goes on at its usual rate, without bursting into the next refusal.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.domain.channel import Throttled

Monotonic = Callable[[], float]

# A recipient's wait this short is slept rather than sent back to the queue: the
# outbox's clock and the pacer's differ by microseconds, and a row retried "when
# its token is free" must not come back a few microseconds early and bounce again.
SLACK = 0.01


@dataclass
class TokenBucket:
    rate: float  # tokens per second
    capacity: float  # the burst allowed
    tokens: float = field(init=False)
    stamp: float | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.tokens = self.capacity

    def wait_for_token(self, now: float) -> float:
        """Seconds until a token is free (0 means take it now; nothing is taken)."""
        self._refill(now)
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def take(self, now: float) -> None:
        self._refill(now)
        self.tokens -= 1

    def spend_all(self, now: float) -> None:
        """Use up the burst: from `now` on, tokens come at the steady rate only."""
        self._refill(now)
        self.tokens = min(self.tokens, 0.0)

    def _refill(self, now: float) -> None:
        if self.stamp is not None:
            self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now


@dataclass
class Pacer:
    """A channel-wide bucket plus one bucket per recipient."""

    overall_rate: float
    overall_burst: float
    per_recipient_rate: float
    per_recipient_burst: float
    max_wait: float = 1.0  # longer channel-wide waits go back to the outbox as `Throttled`
    clock: Monotonic = time.monotonic
    _overall: TokenBucket | None = None
    _recipients: dict[str, TokenBucket] = field(default_factory=dict)

    def slow_down(self, recipient: str, rate: float) -> None:
        """Lower one recipient's rate (after the platform said it was too fast)."""
        self._bucket(recipient).rate = min(self._bucket(recipient).rate, rate)

    def refused(self, recipient: str) -> None:
        """The platform refused a send to `recipient` as too fast: its burst is spent.

        The outbox keeps the chat's rows back for the retry-after the platform
        named; after it the chat goes on at its steady rate, so it neither
        bursts into another refusal nor stays slower than the platform allows.
        """
        self._bucket(recipient).spend_all(self.clock())

    async def acquire(self, recipient: str) -> None:
        """Take a token for a send to `recipient`, or raise `Throttled` with the wait.

        The recipient's bucket is checked first and never slept on beyond
        `SLACK`. The channel-wide token is taken before its wait: it reserves
        the send's turn, so sends acquired together leave one after the other
        at the rate instead of all at once when their common wait ends.
        """
        overall = self._overall_bucket()
        mine = self._bucket(recipient)
        now = self.clock()
        own_wait = mine.wait_for_token(now)
        if own_wait > SLACK:
            raise Throttled("paced by pintu: this chat", retry_after=own_wait)
        wait = max(own_wait, overall.wait_for_token(now))
        if wait > self.max_wait:
            raise Throttled("paced by pintu: this channel", retry_after=wait, channel_wide=True)
        overall.take(now)
        mine.take(now)
        if len(self._recipients) > 10_000:
            self._forget_idle(now)
        if wait > 0:
            await asyncio.sleep(wait)

    def _overall_bucket(self) -> TokenBucket:
        if self._overall is None:
            self._overall = TokenBucket(self.overall_rate, self.overall_burst)
        return self._overall

    def _bucket(self, recipient: str) -> TokenBucket:
        if recipient not in self._recipients:
            self._recipients[recipient] = TokenBucket(
                self.per_recipient_rate, self.per_recipient_burst
            )
        return self._recipients[recipient]

    def _forget_idle(self, now: float) -> None:
        """Drop full buckets: a recipient who has been quiet starts fresh anyway."""
        for key, bucket in list(self._recipients.items()):
            bucket.wait_for_token(now)
            if bucket.tokens >= bucket.capacity:
                del self._recipients[key]
