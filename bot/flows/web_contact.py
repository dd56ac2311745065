"""The name and phone number of a citizen who files on the web chat under their name.

Telegram and WhatsApp tell us who writes; a browser does not. So a web
citizen who reports without asking for anonymity is asked two more steps at
the end of the form: a name, and a phone number the officers may call (which
may be skipped). Finishing the flow stores both on the citizen's contact
(`NameContact`), where the back-office reads a reporter's name for every
channel.
"""

from __future__ import annotations

import re

from bot.domain.i18n import N_
from bot.domain.messages import Expect
from bot.engine.answers import Answers, TextAnswer
from bot.engine.effects import NameContact
from bot.engine.flow import Condition, Reading, Step

WEB = "web"
MIN_NAME_CHARS = 2
MAX_NAME_CHARS = 80
PHONE_SHAPE = re.compile(r"\+?[\d\s().-]{8,24}")
MIN_DIGITS, MAX_DIGITS = 8, 15  # a fixed line with its area code .. E.164


def phone_number(text: str, reading: Reading) -> TextAnswer | None:
    """An Indonesian phone number as dialled: "0812-3456-7890", "+62 812 3456 7890"."""
    if not PHONE_SHAPE.fullmatch(text):
        return None
    digits = re.sub(r"\D", "", text)
    if not MIN_DIGITS <= len(digits) <= MAX_DIGITS:
        return None
    return TextAnswer(("+" if text.startswith("+") else "") + digits)


def asked_on_the_web(anonymous: Condition | None = None) -> Condition:
    """Asked on the web chat, unless `anonymous` says the citizen chose anonymity."""

    def named_web_citizen(answers: Answers) -> bool:
        return answers.channel() == WEB and not (anonymous and anonymous(answers))

    return named_web_citizen


def contact_steps(anonymous: Condition | None = None) -> tuple[Step, Step]:
    """The two steps that close a form on the web chat (see the module docstring)."""
    shown = asked_on_the_web(anonymous)
    return (
        Step(
            key="name",
            prompt=N_("web_contact.ask_name"),
            expects=Expect.TEXT,
            summary_label=N_("web_contact.label.name"),
            min_chars=MIN_NAME_CHARS,
            max_chars=MAX_NAME_CHARS,
            hint=N_("web_contact.name_hint"),
            shown=shown,
        ),
        Step(
            key="phone",
            prompt=N_("web_contact.ask_phone"),
            expects=Expect.TEXT,
            summary_label=N_("web_contact.label.phone"),
            skippable=True,
            reader=phone_number,
            hint=N_("web_contact.phone_hint"),
            shown=shown,
        ),
    )


def name_contact(answers: Answers) -> tuple[NameContact, ...]:
    """The effect that stores the name and phone given, if they were asked."""
    name = answers.text("name")
    if not name:
        return ()
    return (NameContact(name=name, phone=answers.text("phone") or None),)
