"""What every part of pintu shares about surveys: how a citizen is invited to one.

An invitation is an ordinary outbound message with a "start" button whose
choice id names the survey (and the invitation, when there is one): the
engine starts the survey from such a press at any moment, whichever prompt
the button belonged to, so an invitation sent by the scheduler or a
broadcast never needs the conversation's state to be touched.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from bot.domain.i18n import N_, Translator
from bot.domain.messages import Choice, Expect, Outbound

START_PREFIX = "survey:"
LATER_ID = "survey-later"
DEFAULT_SURVEY = "ikm"


@dataclass(frozen=True, slots=True)
class StartSurvey:
    """A pressed "start" button: which survey, and the invitation it came with."""

    code: str
    invitation_id: int | None = None


@dataclass(frozen=True, slots=True)
class SurveyProgress:
    """The survey a citizen is to take now, and what they already answered of it.

    `answers` maps a question code to its stored answer (a scale's mark as its
    option id, "1"-"4"; a choice's id; a text). `completed`: this invitation
    was answered to the end already.
    """

    code: str
    service: str
    invitation_id: int | None = None
    answers: Mapping[str, str] = field(default_factory=dict)
    completed: bool = False


SurveyLookup = Callable[[StartSurvey | None], SurveyProgress]
"""What a press of `StartSurvey` (None: the survey command) leads to, for this citizen."""


def fresh_survey(start: StartSurvey | None) -> SurveyProgress:
    """A survey nobody began: the one pressed, or the default, about the service in general."""
    code = start.code if start is not None else DEFAULT_SURVEY
    return SurveyProgress(code, "general", start.invitation_id if start else None)


def survey_flow_name(code: str) -> str:
    """The engine's name of the flow that asks survey `code`."""
    return f"survey_{code}"


def start_choice_id(code: str, invitation_id: int | None = None) -> str:
    """`survey:ikm` or `survey:ikm:42`: short enough for Telegram's 64-byte callback data."""
    return f"{START_PREFIX}{code}" + (f":{invitation_id}" if invitation_id is not None else "")


def read_start_choice(choice_id: str | None) -> StartSurvey | None:
    """The survey a pressed button starts, or None when it is no survey button."""
    if not choice_id or not choice_id.startswith(START_PREFIX):
        return None
    code, _, invitation = choice_id[len(START_PREFIX) :].partition(":")
    if not code or (invitation and not invitation.isdigit()):
        return None
    return StartSurvey(code, int(invitation) if invitation else None)


def invitation_message(
    translator: Translator,
    locale: str,
    code: str,
    invitation_id: int | None = None,
    *,
    preface: str | None = None,
) -> Outbound:
    """The invitation to survey `code`, after `preface` (a broadcast's announcement) if any."""
    body = translator.text(locale, N_("survey.invitation"))
    return Outbound(
        text=f"{preface}\n\n{body}" if preface else body,
        choices=(
            Choice(
                start_choice_id(code, invitation_id), translator.text(locale, N_("survey.start"))
            ),
            Choice(LATER_ID, translator.text(locale, N_("survey.later"))),
        ),
        expects=Expect.CHOICE,
    )
