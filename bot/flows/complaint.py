"""Pengaduan: a complaint about police service, an officer's conduct, a public
service, or an aspiration for the unit's programmes."""

from __future__ import annotations

from bot.domain.i18n import N_
from bot.domain.messages import Expect
from bot.engine.answers import Answers
from bot.engine.effects import OpenCase
from bot.engine.flow import OFFER_BROADCASTS, Finished, Flow, FlowInput, MenuEntry, Option, Step
from bot.flows.web_contact import contact_steps, name_contact

MIN_DESCRIPTION_CHARS = 20
MAX_DESCRIPTION_CHARS = 4000
YES = ("ya", "iya", "y", "yes", "anonim", "anonymous")
NO = ("tidak", "tdk", "gak", "nggak", "enggak", "no", "n", "bukan")
CONFIDENTIAL_YES = ("ya", "iya", "y", "yes", "rahasia", "rahasiakan", "confidential")
CONFIDENTIAL_NO = (*NO, "tidak perlu", "no need")
# Reports that may be kept confidential (rahasia, as SP4N-LAPOR! has it): those
# about officers, where who reads the report matters most.
SENSITIVE_CATEGORIES = frozenset({"officer_conduct"})


def _anonymous(answers: Answers) -> bool:
    return answers.choice("anonymous") != "no"


def _sensitive(answers: Answers) -> bool:
    return answers.choice("category") in SENSITIVE_CATEGORIES


def open_complaint(given: FlowInput) -> Finished:
    answers = given.answers
    ref = given.new_reference("PGD")
    case = OpenCase(
        ref=ref,
        kind="complaint",
        category=answers.choice("category") or "",
        description=answers.text("description"),
        anonymous=answers.choice("anonymous") == "yes",
        confidential=_sensitive(answers) and answers.choice("confidential") == "yes",
        answers=answers.to_json(),
        media_ids=answers.files("photo"),
    )
    text = given.text(N_("complaint.done"), ref=ref, time=given.time(given.now))
    return Finished(effects=(case, *name_contact(answers)), texts=(text,), then=OFFER_BROADCASTS)


COMPLAINT = Flow(
    name="complaint",
    title=N_("complaint.title"),
    steps=(
        Step(
            key="category",
            prompt=N_("complaint.ask_category"),
            expects=Expect.CHOICE,
            summary_label=N_("complaint.label.category"),
            options=(
                Option("police_service", N_("complaint.category.police_service")),
                Option("officer_conduct", N_("complaint.category.officer_conduct")),
                Option("public_service", N_("complaint.category.public_service")),
                Option("aspiration", N_("complaint.category.aspiration"), ("aspirasi", "saran")),
                Option("other", N_("complaint.category.other"), ("lainnya", "lain")),
            ),
        ),
        Step(
            key="description",
            prompt=N_("complaint.ask_description"),
            expects=Expect.TEXT,
            summary_label=N_("complaint.label.description"),
            min_chars=MIN_DESCRIPTION_CHARS,
            max_chars=MAX_DESCRIPTION_CHARS,
            hint=N_("complaint.description_too_short"),
        ),
        Step(
            key="photo",
            prompt=N_("complaint.ask_photo"),
            expects=Expect.MEDIA,
            summary_label=N_("complaint.label.photo"),
            skippable=True,
        ),
        Step(
            key="anonymous",
            prompt=N_("complaint.ask_anonymous"),
            expects=Expect.CHOICE,
            summary_label=N_("complaint.label.anonymous"),
            options=(
                Option("yes", N_("complaint.anonymous.yes"), YES),
                Option("no", N_("complaint.anonymous.no"), NO),
            ),
        ),
        Step(
            key="confidential",
            prompt=N_("complaint.ask_confidential"),
            expects=Expect.CHOICE,
            summary_label=N_("complaint.label.confidential"),
            options=(
                Option("yes", N_("complaint.confidential.yes"), CONFIDENTIAL_YES),
                Option("no", N_("complaint.confidential.no"), CONFIDENTIAL_NO),
            ),
            shown=_sensitive,
        ),
        *contact_steps(anonymous=_anonymous),
    ),
    finish=open_complaint,
)

COMPLAINT_MENU = MenuEntry(
    flow="complaint",
    label=N_("menu.complaint"),
    commands=("pengaduan", "complaint", "aduan"),
)
