"""A survey as a flow: one question a message, each answer recorded as it is given.

Built from a survey's definition (`bot.domain.survey_forms`): a scale is a
choice of its four marks, 1 first, so the typed number is the mark; typed
words are read by the question's own words ("gratis", "murah") and the
survey's words for any scale ("sangat baik", "kurang"), or asked again with
the options. A free-text question may be skipped ("lewati") when optional.
Nothing is confirmed at the end: every answer was recorded already
(`AnswerSurvey`), and the end marks the response complete with a thank-you.

The flow is started with the data ``{"survey", "service", "invitation_id"}``
(`bot.engine.surveying`); the service names itself in the prompts.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from bot.domain.i18n import N_
from bot.domain.messages import Expect
from bot.domain.survey_forms import (
    MAX_TEXT_CHARS,
    SERVICE_NAMES,
    Question,
    QuestionKind,
    Service,
    Survey,
)
from bot.domain.surveys import survey_flow_name
from bot.engine.answers import Answer, ChoiceAnswer, TextAnswer
from bot.engine.effects import AnswerSurvey, CompleteSurvey, Effect
from bot.engine.flow import (
    OFFER_BROADCASTS,
    Finished,
    Flow,
    FlowInput,
    Option,
    Reading,
    Step,
    TextReader,
)
from bot.engine.matching import normalize

# "nilai 4", "4/4", "skor 3 dari 4": a mark with a few words around it.
_MARK = re.compile(r"^(?:nilai|skor|score|angka|mark|rating)?\s*([1-4])\s*(?:/\s*4|dari 4|of 4)?$")


def survey_flows(surveys: Mapping[str, Survey]) -> dict[str, Flow]:
    """The flow of every survey, by the engine's name for it."""
    return {survey_flow_name(code): survey_flow(survey) for code, survey in surveys.items()}


def survey_flow(survey: Survey) -> Flow:
    questions = {question.code: question for question in survey.questions}

    def on_answer(key: str, answer: Answer, data: Mapping[str, Any]) -> tuple[Effect, ...]:
        question = questions.get(key)
        if question is None:
            return ()
        where = _where(data)
        if isinstance(answer, ChoiceAnswer):
            mark = question.mark_of(answer.value)
            if mark is not None:
                return (AnswerSurvey(*where, question=key, mark=mark),)
            return (AnswerSurvey(*where, question=key, choice=answer.value),)
        if isinstance(answer, TextAnswer) and answer.value:
            return (AnswerSurvey(*where, question=key, text=answer.value),)
        return ()  # skipped

    def finish(given: FlowInput) -> Finished:
        done = CompleteSurvey(*_where(given.data))
        thanks = given.text(N_("survey.thanks"))
        return Finished(effects=(done,), texts=(thanks,), then=OFFER_BROADCASTS)

    return Flow(
        name=survey_flow_name(survey.code),
        title=survey.title,
        steps=tuple(_step(question, survey.scale_words) for question in survey.questions),
        finish=finish,
        confirm=False,
        on_answer=on_answer,
        prompt_params=_service_name,
        kept=N_("survey.kept"),
    )


def _where(data: Mapping[str, Any]) -> tuple[str, str, int | None]:
    invitation = data.get("invitation_id")
    return (
        str(data.get("survey") or ""),
        str(data.get("service") or Service.GENERAL),
        invitation if isinstance(invitation, int) else None,
    )


def _service_name(data: Mapping[str, Any]) -> Mapping[str, str]:
    service = str(data.get("service") or "")
    return {"service": SERVICE_NAMES.get(service, SERVICE_NAMES[Service.GENERAL])}


def _step(question: Question, scale_words: Mapping[int, tuple[str, ...]]) -> Step:
    label = question.element or question.prompt
    if question.kind is QuestionKind.TEXT:
        return Step(
            key=question.code,
            prompt=question.prompt,
            expects=Expect.TEXT,
            summary_label=label,
            skippable=question.optional,
            max_chars=MAX_TEXT_CHARS,
        )
    options = tuple(Option(o.id, o.label, o.words) for o in question.options)
    scale = question.kind is QuestionKind.SCALE
    return Step(
        key=question.code,
        prompt=question.prompt,
        expects=Expect.CHOICE,
        summary_label=label,
        options=options,
        skippable=question.optional,
        reader=scale_reader(question, scale_words) if scale else None,
        hint=N_("survey.scale_hint") if scale else None,
        exact=scale,  # "sopan banget" is no misspelt "Tidak sopan dan ramah"
    )


def scale_reader(question: Question, scale_words: Mapping[int, tuple[str, ...]]) -> TextReader:
    """Reads a typed mark: "nilai 4", the question's own words, the survey's words for
    any scale (the question's win: "murah" is a 3 for cost whatever else it means)."""
    words = {normalize(word): mark for mark, said in scale_words.items() for word in said}
    for option in question.options:
        words |= {normalize(word): int(option.id) for word in option.words}

    def read(text: str, reading: Reading) -> Answer | None:
        said = normalize(text)
        found = _MARK.match(said)
        mark = int(found.group(1)) if found else words.get(said)
        return ChoiceAnswer(str(mark)) if mark is not None else None

    return read
