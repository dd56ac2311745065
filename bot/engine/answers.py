"""A step's answer as a typed value, the answers of a flow, and their JSON.

Each kind of answer is a frozen dataclass: `ChoiceAnswer` (an option id),
`TextAnswer`, `MediaAnswer` (media ids), `LocationAnswer` (a shared point),
`AddressAnswer` (a typed place), `TimeAnswer` (see `bot.flows.readers`),
`DateAnswer` or `Skipped`. Flows read them
through `Answers` (``answers.choice("danger") == "yes"``).

Stored (in the conversation state, and with a case) an answer is the JSON
``{"kind": ..., "value": ...}`` it always was; `answer_from_json` reads that
shape tolerantly: a missing or odd value gives None, never an exception.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, ClassVar

JSON = dict[str, Any]
# Not a step: the channel a flow was started on, put among its answers by the
# engine so that a step's condition can ask for it (`Answers.channel`).
CHANNEL_KEY = "_channel"


@dataclass(frozen=True, slots=True)
class ChoiceAnswer:
    kind: ClassVar[str] = "choice"
    value: str  # the option id

    def to_json(self) -> JSON:
        return {"kind": self.kind, "value": self.value}


@dataclass(frozen=True, slots=True)
class TextAnswer:
    kind: ClassVar[str] = "text"
    value: str

    def to_json(self) -> JSON:
        return {"kind": self.kind, "value": self.value}


@dataclass(frozen=True, slots=True)
class MediaAnswer:
    kind: ClassVar[str] = "media"
    files: tuple[int, ...]  # media ids, in the order received

    def to_json(self) -> JSON:
        return {"kind": self.kind, "value": list(self.files)}


@dataclass(frozen=True, slots=True)
class LocationAnswer:
    """A point the citizen shared, with the name and address the channel gave."""

    kind: ClassVar[str] = "location"
    latitude: float
    longitude: float
    name: str | None = None
    address: str | None = None

    def to_json(self) -> JSON:
        value = {"latitude": self.latitude, "longitude": self.longitude}
        return {"kind": self.kind, "value": value | {"name": self.name, "address": self.address}}


@dataclass(frozen=True, slots=True)
class AddressAnswer:
    """A place the citizen typed."""

    kind: ClassVar[str] = "address"
    text: str

    def to_json(self) -> JSON:
        return {"kind": self.kind, "value": self.text}


@dataclass(frozen=True, slots=True)
class TimeAnswer:
    """A typed time: the citizen's `words` always, and what was understood of them."""

    kind: ClassVar[str] = "time"
    start: datetime | None  # None: not understood
    end: datetime | None
    precision: str  # a `bot.language.timeparse.Precision` value
    words: str
    matched: str = ""

    def to_json(self) -> JSON:
        return {
            "kind": self.kind,
            "value": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
            "precision": self.precision,
            "words": self.words,
            "matched": self.matched,
        }


@dataclass(frozen=True, slots=True)
class DateAnswer:
    kind: ClassVar[str] = "date"
    value: date

    def to_json(self) -> JSON:
        return {"kind": self.kind, "value": self.value.isoformat()}


@dataclass(frozen=True, slots=True)
class Skipped:
    kind: ClassVar[str] = "skipped"

    def to_json(self) -> JSON:
        return {"kind": self.kind, "value": None}


Answer = (
    ChoiceAnswer
    | TextAnswer
    | MediaAnswer
    | LocationAnswer
    | AddressAnswer
    | TimeAnswer
    | DateAnswer
    | Skipped
)
Place = LocationAnswer | AddressAnswer


def answer_from_json(data: object) -> Answer | None:
    """The answer stored as `data`, or None when it is no answer this engine knows."""
    if not isinstance(data, Mapping):
        return None
    kind, value = data.get("kind"), data.get("value")
    try:
        if kind == "choice" and isinstance(value, str):
            return ChoiceAnswer(value)
        if kind == "text" and value is not None:
            return TextAnswer(str(value))
        if kind == "media" and isinstance(value, list):
            return MediaAnswer(tuple(int(file) for file in value))
        if kind == "location" and isinstance(value, Mapping):
            return LocationAnswer(
                float(value["latitude"]),
                float(value["longitude"]),
                _text_or_none(value.get("name")),
                _text_or_none(value.get("address")),
            )
        if kind == "address" and value is not None:
            return AddressAnswer(str(value))
        if kind == "time":
            return TimeAnswer(
                _moment(value),
                _moment(data.get("end")),
                str(data.get("precision") or "unknown"),
                str(data.get("words") or ""),
                str(data.get("matched") or ""),
            )
        if kind == "date" and isinstance(value, str):
            return DateAnswer(date.fromisoformat(value))
        if kind == "skipped":
            return Skipped()
    except (KeyError, TypeError, ValueError):
        return None
    return None


def _text_or_none(value: object) -> str | None:
    return None if value is None else str(value)


def _moment(value: object) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


class Answers(Mapping[str, Answer]):
    """A flow's answers by step key, with typed reads for the flows."""

    def __init__(self, given: Mapping[str, Answer] | None = None) -> None:
        self._by_key: dict[str, Answer] = dict(given or {})

    def __getitem__(self, key: str) -> Answer:
        return self._by_key[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_key)

    def __len__(self) -> int:
        return len(self._by_key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Answers) and other._by_key == self._by_key

    def __repr__(self) -> str:
        return f"Answers({self._by_key!r})"

    __hash__ = None  # type: ignore[assignment]  # mutable

    def put(self, key: str, answer: Answer) -> None:
        self._by_key[key] = answer

    def drop(self, key: str) -> None:
        self._by_key.pop(key, None)

    def only(self, keys: set[str]) -> Answers:
        return Answers({key: a for key, a in self._by_key.items() if key in keys})

    def choice(self, key: str) -> str | None:
        """The option chosen at `key`; None when not asked, skipped or typed."""
        answer = self._by_key.get(key)
        return answer.value if isinstance(answer, ChoiceAnswer) else None

    def text(self, key: str) -> str:
        """The text given at `key` ("" when none)."""
        answer = self._by_key.get(key)
        return answer.value if isinstance(answer, TextAnswer) else ""

    def files(self, key: str) -> tuple[int, ...]:
        answer = self._by_key.get(key)
        return answer.files if isinstance(answer, MediaAnswer) else ()

    def date(self, key: str) -> date | None:
        answer = self._by_key.get(key)
        return answer.value if isinstance(answer, DateAnswer) else None

    def time(self, key: str) -> TimeAnswer | None:
        answer = self._by_key.get(key)
        return answer if isinstance(answer, TimeAnswer) else None

    def place(self, key: str) -> Place | None:
        answer = self._by_key.get(key)
        return answer if isinstance(answer, LocationAnswer | AddressAnswer) else None

    def channel(self) -> str:
        """The channel the flow was started on ("" when not known)."""
        return self.text(CHANNEL_KEY)

    def citizen_gave_any(self) -> bool:
        """Whether the citizen answered anything yet (the channel is the engine's note)."""
        return any(key != CHANNEL_KEY for key in self._by_key)

    def to_json(self) -> dict[str, JSON]:
        return {key: answer.to_json() for key, answer in self._by_key.items()}

    @classmethod
    def from_json(cls, data: object) -> Answers:
        """Stored answers; an entry this engine cannot read is left out."""
        if not isinstance(data, Mapping):
            return cls()
        read = {str(key): answer_from_json(value) for key, value in data.items()}
        return cls({key: answer for key, answer in read.items() if answer is not None})
