"""Survey definitions as values: questions of three kinds, read from shipped data.

A survey (`Survey`) has a code, a title, the services it may measure and its
questions (`Question`): a 1-4 scale with a label for each mark, a choice
among options, or free text. Every citizen-facing text is a catalog key, so
both locales are checked complete with the rest of the catalog; a question's
prompt may name the service being rated with ``{service}`` (the service's
own catalog key, `SERVICE_NAMES`). The words a citizen may type for a mark
("gratis", "sangat baik") are data too: per question, and per survey for
every scale.

`parse_surveys` validates the shipped JSON (`bot/data/surveys.json`) and
raises `SurveyDataError` on anything malformed, so a bad file stops start-up
instead of a conversation.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bot.domain.i18n import N_

MARKS = (1, 2, 3, 4)
CODE_PATTERN = re.compile(r"[a-z0-9][a-z0-9_]{0,31}")
QUESTION_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_]{0,31}")
MAX_TEXT_CHARS = 2000


class Service(StrEnum):
    """What a survey response rates."""

    COMPLAINTS = "complaints"
    INCIDENTS = "incidents"
    SKCK = "skck"
    CROWD_PERMITS = "crowd_permits"
    SP2HP = "sp2hp"
    GENERAL = "general"


SERVICE_NAMES: dict[str, str] = {
    Service.COMPLAINTS: N_("survey.service.complaints"),
    Service.INCIDENTS: N_("survey.service.incidents"),
    Service.SKCK: N_("survey.service.skck"),
    Service.CROWD_PERMITS: N_("survey.service.crowd_permits"),
    Service.SP2HP: N_("survey.service.sp2hp"),
    Service.GENERAL: N_("survey.service.general"),
}


class QuestionKind(StrEnum):
    SCALE = "scale"
    CHOICE = "choice"
    TEXT = "text"


class SurveyDataError(ValueError):
    """A survey definition is malformed (a bad code, a missing mark, an unknown service)."""


@dataclass(frozen=True, slots=True)
class Option:
    """One answer of a choice or scale question: its id (the mark, for a scale),
    the catalog key of its label, and words that name it."""

    id: str
    label: str
    words: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Question:
    code: str
    kind: QuestionKind
    prompt: str  # catalog key; may hold {service}
    options: tuple[Option, ...] = ()  # a scale's four marks, 1 first; a choice's options
    element: str | None = None  # catalog key of the element a scale measures (IKM's unsur)
    optional: bool = False  # may be skipped ("lewati")

    def mark_of(self, option_id: str) -> int | None:
        """The mark an option of a scale stands for."""
        if self.kind is not QuestionKind.SCALE or not option_id.isdigit():
            return None
        mark = int(option_id)
        return mark if mark in MARKS else None


@dataclass(frozen=True, slots=True)
class Survey:
    code: str
    title: str  # catalog key
    services: tuple[Service, ...]
    questions: tuple[Question, ...]
    scale_words: Mapping[int, tuple[str, ...]]  # words any of its scales reads as a mark

    def question(self, code: str) -> Question | None:
        return next((q for q in self.questions if q.code == code), None)

    @property
    def elements(self) -> tuple[Question, ...]:
        """The scale questions, in order: what the index is computed from."""
        return tuple(q for q in self.questions if q.kind is QuestionKind.SCALE)

    def catalog_keys(self) -> set[str]:
        """Every catalog key this survey shows, for the catalogs' completeness test."""
        keys = {self.title}
        for question in self.questions:
            keys.add(question.prompt)
            keys.update(option.label for option in question.options)
            if question.element:
                keys.add(question.element)
        return keys


def parse_surveys(data: Any) -> dict[str, Survey]:
    """The surveys of a data file's JSON, by code."""
    if not isinstance(data, Mapping) or not isinstance(data.get("surveys"), list):
        raise SurveyDataError('expected {"surveys": [...]}')
    surveys: dict[str, Survey] = {}
    for raw in data["surveys"]:
        survey = _survey(raw)
        if survey.code in surveys:
            raise SurveyDataError(f"survey {survey.code!r} is defined twice")
        surveys[survey.code] = survey
    if not surveys:
        raise SurveyDataError("no survey defined")
    return surveys


def _survey(raw: Any) -> Survey:
    if not isinstance(raw, Mapping):
        raise SurveyDataError("a survey is an object")
    code = _text(raw, "code")
    if not CODE_PATTERN.fullmatch(code):
        raise SurveyDataError(f"bad survey code {code!r}")
    try:
        services = tuple(Service(s) for s in raw.get("services") or ())
    except ValueError as error:
        raise SurveyDataError(f"{code}: {error}") from None
    if not services:
        raise SurveyDataError(f"{code}: no services")
    questions = tuple(_question(code, q) for q in raw.get("questions") or ())
    if not questions:
        raise SurveyDataError(f"{code}: no questions")
    if len({q.code for q in questions}) != len(questions):
        raise SurveyDataError(f"{code}: two questions share a code")
    return Survey(
        code=code,
        title=_text(raw, "title"),
        services=services,
        questions=questions,
        scale_words=_marks_words(code, raw.get("scale_words") or {}),
    )


def _question(survey: str, raw: Any) -> Question:
    if not isinstance(raw, Mapping):
        raise SurveyDataError(f"{survey}: a question is an object")
    code = _text(raw, "code")
    if not QUESTION_PATTERN.fullmatch(code):
        raise SurveyDataError(f"{survey}: bad question code {code!r}")
    where = f"{survey}.{code}"
    try:
        kind = QuestionKind(str(raw.get("kind")))
    except ValueError:
        raise SurveyDataError(f"{where}: kind is scale, choice or text") from None
    options: tuple[Option, ...] = ()
    if kind is QuestionKind.SCALE:
        marks = raw.get("marks")
        if not isinstance(marks, list) or len(marks) != len(MARKS):
            raise SurveyDataError(f"{where}: a scale has a label for each of the marks 1-4")
        words = _marks_words(where, raw.get("words") or {})
        options = tuple(
            Option(str(mark), _key(where, label), words.get(mark, ()))
            for mark, label in zip(MARKS, marks, strict=True)
        )
    elif kind is QuestionKind.CHOICE:
        options = tuple(_option(where, o) for o in raw.get("options") or ())
        if len(options) < 2 or len({o.id for o in options}) != len(options):
            raise SurveyDataError(f"{where}: a choice has two or more options, each its own id")
    element = raw.get("element")
    if element is not None and kind is not QuestionKind.SCALE:
        raise SurveyDataError(f"{where}: only a scale measures an element")
    return Question(
        code=code,
        kind=kind,
        prompt=_text(raw, "prompt"),
        options=options,
        element=_key(where, element) if element is not None else None,
        optional=bool(raw.get("optional", False)),
    )


def _option(where: str, raw: Any) -> Option:
    if not isinstance(raw, Mapping):
        raise SurveyDataError(f"{where}: an option is an object")
    words = raw.get("words") or []
    if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
        raise SurveyDataError(f"{where}: an option's words are a list of texts")
    return Option(_text(raw, "id"), _text(raw, "label"), tuple(words))


def _marks_words(where: str, raw: Any) -> dict[int, tuple[str, ...]]:
    if not isinstance(raw, Mapping):
        raise SurveyDataError(f"{where}: words are given per mark")
    found: dict[int, tuple[str, ...]] = {}
    for mark, words in raw.items():
        if not str(mark).isdigit() or int(mark) not in MARKS:
            raise SurveyDataError(f"{where}: {mark!r} is no mark 1-4")
        if not isinstance(words, list) or not all(isinstance(w, str) and w for w in words):
            raise SurveyDataError(f"{where}: the words of mark {mark} are a list of texts")
        found[int(mark)] = tuple(words)
    return found


def _text(raw: Mapping[str, Any], name: str) -> str:
    value = raw.get(name)
    if not isinstance(value, str) or not value.strip():
        raise SurveyDataError(f"{name!r} must be a non-empty text")
    return value


def _key(where: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise SurveyDataError(f"{where}: a label is a catalog key")
    return value
