"""Laporan kejadian: an incident report, with the danger question first.

"Yes, someone is in danger now" is an alarm option: the engine shows 110
and the duty desk's number at once and opens the urgent case before the
report goes on (`bot.engine.core`); finishing then completes that case.
"""

from __future__ import annotations

from datetime import datetime

from bot.domain.i18n import N_
from bot.domain.messages import Expect
from bot.engine.answers import Answers, TextAnswer
from bot.engine.effects import OpenCase
from bot.engine.flow import OFFER_BROADCASTS, Finished, Flow, FlowInput, MenuEntry, Option, Step
from bot.engine.reading import place_of
from bot.flows.readers import any_time, typed_time
from bot.flows.web_contact import contact_steps, name_contact

MIN_DESCRIPTION_CHARS = 10
MAX_DESCRIPTION_CHARS = 4000
MAX_PHOTOS = 5
URGENT, HIGH, NORMAL = "urgent", "high", "normal"
# Harm to people or on the road first; the duty desk works these within hours.
HIGH_CATEGORIES = ("violence", "traffic_accident")
YES = ("ya", "iya", "y", "yes", "ada", "bahaya", "darurat")
NO = ("tidak", "tdk", "gak", "nggak", "enggak", "no", "n", "aman", "bukan")


def _asked_when_earlier(answers: Answers) -> bool:
    return answers.choice("when") == "earlier"


def occurred(answers: Answers, now: datetime) -> tuple[datetime | None, str | None]:
    """When it happened (if understood) and the citizen's words for it."""
    when = answers.time("when") or answers.time("when_text")
    if when is None:
        return now, None  # "happening now / just now"
    return when.start, when.words


def priority_of(answers: Answers) -> str:
    if answers.choice("danger") == "yes":
        return URGENT
    happening = answers.choice("when") == "now"
    return HIGH if answers.choice("category") in HIGH_CATEGORIES or happening else NORMAL


def open_incident(given: FlowInput) -> Finished:
    answers = given.answers
    ref = given.draft_ref or given.new_reference("LPR")
    occurred_at, words = occurred(answers, given.now)
    priority = priority_of(answers)
    where = answers.place("where")
    stored = answers.to_json()
    if given.data.get("opening"):
        stored["opening"] = TextAnswer(str(given.data["opening"])).to_json()
    case = OpenCase(
        ref=ref,
        kind="incident",
        category=answers.choice("category") or "",
        description=answers.text("description"),
        anonymous=False,
        answers=stored,
        media_ids=answers.files("photos"),
        priority=priority,
        place=place_of(where) if where is not None else None,
        occurred_at=occurred_at,
        occurred_text=words,
        draft=given.draft_ref is not None,
    )
    done = N_("incident.done_urgent") if priority == URGENT else N_("incident.done")
    text = given.text(done, ref=ref, time=given.time(given.now))
    # No offer after an urgent report: the citizen has other things on their mind.
    then = None if priority == URGENT else OFFER_BROADCASTS
    return Finished(effects=(case, *name_contact(answers)), texts=(text,), then=then)


INCIDENT = Flow(
    name="incident",
    title=N_("incident.title"),
    steps=(
        Step(
            key="danger",
            prompt=N_("incident.ask_danger"),
            expects=Expect.CHOICE,
            summary_label=N_("incident.label.danger"),
            options=(
                Option("yes", N_("incident.danger.yes"), YES, alarm=True),
                Option("no", N_("incident.danger.no"), NO),
            ),
        ),
        Step(
            key="category",
            prompt=N_("incident.ask_category"),
            expects=Expect.CHOICE,
            summary_label=N_("incident.label.category"),
            options=(
                Option("theft", N_("incident.category.theft"), ("curi", "maling", "jambret")),
                Option(
                    "traffic_accident",
                    N_("incident.category.traffic_accident"),
                    ("kecelakaan", "tabrakan", "laka", "accident"),
                ),
                Option("violence", N_("incident.category.violence"), ("kekerasan", "pukul")),
                Option("drugs", N_("incident.category.drugs"), ("narkoba", "narkotika", "sabu")),
                Option(
                    "public_disorder",
                    N_("incident.category.public_disorder"),
                    ("tawuran", "keributan", "ribut", "onar"),
                ),
                Option(
                    "online_fraud",
                    N_("incident.category.online_fraud"),
                    ("penipuan", "tipu", "scam", "fraud"),
                ),
                Option("other", N_("incident.category.other"), ("lainnya", "lain")),
            ),
        ),
        Step(
            key="when",
            prompt=N_("incident.ask_when"),
            expects=Expect.CHOICE,
            summary_label=N_("incident.label.when"),
            options=(
                Option("now", N_("incident.when.now"), ("sekarang", "barusan", "now")),
                Option("earlier", N_("incident.when.earlier"), ("sebelumnya", "earlier")),
            ),
            reader=typed_time,
            hint=N_("incident.when_hint"),
        ),
        Step(
            key="when_text",
            prompt=N_("incident.ask_when_text"),
            expects=Expect.TEXT,
            summary_label=N_("incident.label.when_text"),
            max_chars=200,
            reader=any_time,
            shown=_asked_when_earlier,
        ),
        Step(
            key="where",
            prompt=N_("incident.ask_where"),
            expects=Expect.LOCATION,
            summary_label=N_("incident.label.where"),
            max_chars=500,
        ),
        Step(
            key="description",
            prompt=N_("incident.ask_description"),
            expects=Expect.TEXT,
            summary_label=N_("incident.label.description"),
            min_chars=MIN_DESCRIPTION_CHARS,
            max_chars=MAX_DESCRIPTION_CHARS,
            hint=N_("incident.description_too_short"),
        ),
        Step(
            key="photos",
            prompt=N_("incident.ask_photos"),
            expects=Expect.MEDIA,
            summary_label=N_("incident.label.photos"),
            skippable=True,
            max_files=MAX_PHOTOS,
        ),
        *contact_steps(),
    ),
    finish=open_incident,
)

INCIDENT_MENU = MenuEntry(
    flow="incident",
    label=N_("menu.incident"),
    commands=("lapor", "report", "laporan", "kejadian"),
)
