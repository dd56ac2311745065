"""What every part of pintu shares about surveys: how a citizen is invited to one.

An invitation is an ordinary outbound message with a "start" button whose
choice id names the survey (and the invitation, when there is one): the
engine starts the survey from such a press at any moment, whichever prompt
the button belonged to, so an invitation sent by the scheduler or a
broadcast never needs the conversation's state to be touched.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.i18n import N_, Translator
from bot.domain.messages import Choice, Expect, Outbound

START_PREFIX = "survey:"
LATER_ID = "survey-later"


@dataclass(frozen=True, slots=True)
class StartSurvey:
    """A pressed "start" button: which survey, and the invitation it came with."""

    code: str
    invitation_id: int | None = None


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
