"""A platform's own rate limits, for the fake platform servers.

The platforms' side of pacing, written apart from `bot.outbox.pacing` on
purpose: a fake that shared pintu's model could never catch pintu exceeding
what the platform allows. Each limit is a budget that refills at `rate` up to
`burst`; a send that finds its chat's or the whole number's budget empty is
refused with the seconds until it would have been accepted.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Budget:
    rate: float  # sends per second
    burst: float  # sends allowed at once
    left: float = field(init=False)
    at: float | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.left = self.burst

    def shortfall(self, now: float) -> float:
        """Seconds until one send fits (0: it fits now)."""
        if self.at is not None:
            self.left = min(self.burst, self.left + (now - self.at) * self.rate)
        self.at = now
        return 0.0 if self.left >= 1 else (1 - self.left) / self.rate


@dataclass
class PlatformLimits:
    """Per-chat and whole-account budgets; `refusals` counts the sends each refused."""

    chat_rate: float
    chat_burst: float
    overall_rate: float
    overall_burst: float
    clock: Callable[[], float] = time.monotonic
    refusals: dict[str, int] = field(default_factory=lambda: {"chat": 0, "overall": 0})
    refused_at: dict[str, float] = field(default_factory=dict)  # chat -> its latest refusal
    _chats: dict[str, Budget] = field(default_factory=dict)
    _overall: Budget | None = None

    def refuse(self, chat: str) -> tuple[str, float] | None:
        """None when a send to `chat` is accepted now (its budget is spent); else
        which limit refused it ("chat" or "overall") and the seconds to wait."""
        now = self.clock()
        if self._overall is None:
            self._overall = Budget(self.overall_rate, self.overall_burst)
        mine = self._chats.setdefault(chat, Budget(self.chat_rate, self.chat_burst))
        for name, budget in (("overall", self._overall), ("chat", mine)):
            wait = budget.shortfall(now)
            if wait > 0:
                self.refusals[name] += 1
                self.refused_at[chat] = now
                return name, wait
        self._overall.left -= 1
        mine.left -= 1
        return None


def telegram_limits() -> PlatformLimits:
    """Telegram's: about one message a second to a chat with short bursts, 30 a second in all."""
    return PlatformLimits(chat_rate=1.0, chat_burst=3.0, overall_rate=30.0, overall_burst=30.0)


def whatsapp_limits() -> PlatformLimits:
    """WhatsApp's: 80 a second per business number; one per 6 s to a user, bursts of 45."""
    return PlatformLimits(chat_rate=1 / 6, chat_burst=45.0, overall_rate=80.0, overall_burst=80.0)
