"""What a conversation step asks the runner to record, besides replies."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class PlaceAnswer:
    """Where an incident happened: a shared point, a typed address, or both."""

    latitude: float | None = None
    longitude: float | None = None
    address: str | None = None


@dataclass(frozen=True, slots=True)
class OpenCase:
    """A new case; with `draft`, the urgent case `RaiseAlarm` opened, now completed."""

    ref: str
    kind: str  # complaint | incident
    category: str
    description: str
    anonymous: bool
    answers: dict[str, Any] = field(default_factory=dict)
    media_ids: tuple[int, ...] = ()
    priority: str = "normal"  # normal | high | urgent
    place: PlaceAnswer | None = None
    occurred_at: datetime | None = None
    occurred_text: str | None = None
    draft: bool = False
    confidential: bool = False  # rahasia: only the unit's supervisors, the assignee and admins


@dataclass(frozen=True, slots=True)
class RaiseAlarm:
    """Someone is in danger now: open an urgent incident at once and alert the duty desk."""

    ref: str
    description: str


@dataclass(frozen=True, slots=True)
class ShareLocation:
    """The place of an urgent incident, for its case and the duty desk, as soon as known."""

    ref: str
    place: PlaceAnswer


@dataclass(frozen=True, slots=True)
class AddToCase:
    """A citizen's follow-up message (or file) for one of their open cases."""

    ref: str
    text: str
    media_id: int | None = None


@dataclass(frozen=True, slots=True)
class Subscribe:
    """Tell the citizen when this application's status changes."""

    application_id: int


@dataclass(frozen=True, slots=True)
class NameContact:
    """The name and phone number a citizen gave (the web chat knows neither otherwise)."""

    name: str
    phone: str | None = None


@dataclass(frozen=True, slots=True)
class SetLocale:
    locale: str


@dataclass(frozen=True, slots=True)
class SetBroadcastOptIn:
    opt_in: bool


@dataclass(frozen=True, slots=True)
class AnswerSurvey:
    """One survey answer, stored as it is given (a mark, a choice id, or a text)."""

    survey: str
    service: str
    invitation_id: int | None
    question: str
    mark: int | None = None
    choice: str | None = None
    text: str | None = None


@dataclass(frozen=True, slots=True)
class CompleteSurvey:
    """The citizen reached the end of the survey."""

    survey: str
    service: str
    invitation_id: int | None


Effect = (
    OpenCase
    | RaiseAlarm
    | ShareLocation
    | AddToCase
    | Subscribe
    | NameContact
    | SetLocale
    | SetBroadcastOptIn
    | AnswerSurvey
    | CompleteSurvey
)
