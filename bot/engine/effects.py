"""What a conversation step asks the runner to record, besides replies."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class OpenCase:
    ref: str
    kind: str  # complaint | incident
    category: str
    description: str
    anonymous: bool
    answers: dict[str, Any] = field(default_factory=dict)
    media_ids: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class AddToCase:
    """A citizen's follow-up message (or file) for one of their open cases."""

    ref: str
    text: str
    media_id: int | None = None


@dataclass(frozen=True, slots=True)
class SetLocale:
    locale: str


@dataclass(frozen=True, slots=True)
class SetBroadcastOptIn:
    opt_in: bool


Effect = OpenCase | AddToCase | SetLocale | SetBroadcastOptIn
