"""Cek status: an application's status (SKCK, crowd permit, SP2HP), or the
citizen's own cases.

A lookup needs the application number and the date of birth; it asks
nothing to confirm (it changes nothing) and answers at once. After a
successful lookup the citizen is offered to be told of changes
(`STATUS_NOTIFY`).
"""

from __future__ import annotations

from bot.domain.applications import ApplicationKind, Found, Paused, describe
from bot.domain.i18n import N_
from bot.domain.messages import Expect
from bot.engine.answers import Answers
from bot.engine.effects import Subscribe
from bot.engine.flow import (
    ANYTHING_ELSE,
    CASE_ACTIONS,
    CaseBrief,
    Finished,
    Flow,
    FlowInput,
    MenuEntry,
    Option,
    StartFlow,
    Step,
)
from bot.flows.readers import application_number, birth_date

MY_CASES = "my_cases"  # the topic option: the citizen's own cases
STATUS_NOTIFY_FLOW = "status_notify"
MAX_LISTED = 10
STATUS_LABELS = {
    "new": N_("case_status.new"),
    "in_progress": N_("case_status.in_progress"),
    "waiting_citizen": N_("case_status.waiting_citizen"),
    "resolved": N_("case_status.resolved"),
    "closed": N_("case_status.closed"),
}


def _application_asked(answers: Answers) -> bool:
    return answers.choice("topic") != MY_CASES


def answer_status(given: FlowInput) -> Finished:
    topic = given.answers.choice("topic")
    if topic == MY_CASES:
        return Finished(effects=(), texts=(list_cases(given, given.cases),), then=CASE_ACTIONS)
    kind = ApplicationKind(topic or "")
    number = given.answers.text("number")
    born = given.answers.date("birth_date")
    assert born is not None, "the birth_date step takes only a date"
    result = given.lookup(kind, number, born)
    if isinstance(result, Found):
        text = describe(given.translator, given.locale, result)
        then = StartFlow(STATUS_NOTIFY_FLOW, {"application_id": result.application_id})
        return Finished(effects=(), texts=(text,), then=then)
    if isinstance(result, Paused):
        text = given.text(N_("status.paused"), until=given.time(result.until))
        return Finished(effects=(), texts=(text,), then=ANYTHING_ELSE)
    return Finished(effects=(), texts=(given.text(N_("status.not_found")),), then=ANYTHING_ELSE)


def list_cases(given: FlowInput, cases: tuple[CaseBrief, ...]) -> str:
    if not cases:
        return given.text(N_("status.no_cases"))
    lines = [given.text(N_("status.cases_intro"))]
    for case in cases[:MAX_LISTED]:
        status = given.text(STATUS_LABELS.get(case.status, N_("case_status.new")))
        line = given.text(
            N_("status.case_line"), ref=case.ref, status=status, updated=given.time(case.updated_at)
        )
        lines.append(line)
    return "\n".join(lines)


def answer_notify(given: FlowInput) -> Finished:
    if given.answers.choice("notify") != "yes":
        text = given.text(N_("status.not_subscribed"))
        return Finished(effects=(), texts=(text,), then=ANYTHING_ELSE)
    subscribe = Subscribe(application_id=int(given.data["application_id"]))
    text = given.text(N_("status.subscribed"))
    return Finished(effects=(subscribe,), texts=(text,), then=ANYTHING_ELSE)


STATUS = Flow(
    name="status",
    title=N_("status.title"),
    steps=(
        Step(
            key="topic",
            prompt=N_("status.ask_topic"),
            expects=Expect.CHOICE,
            summary_label=N_("status.label.topic"),
            options=(
                Option("skck", N_("application.kind.skck"), ("skck", "catatan kepolisian")),
                Option(
                    "izin_keramaian",
                    N_("application.kind.izin_keramaian"),
                    ("izin", "keramaian", "izin keramaian", "crowd permit", "permit"),
                ),
                Option("sp2hp", N_("application.kind.sp2hp"), ("sp2hp", "perkembangan")),
                Option(
                    MY_CASES,
                    N_("status.topic.my_cases"),
                    ("kasus saya", "laporan saya", "pengaduan saya", "my cases", "kasus"),
                ),
            ),
        ),
        Step(
            key="number",
            prompt=N_("status.ask_number"),
            expects=Expect.TEXT,
            summary_label=N_("status.label.number"),
            max_chars=80,
            reader=application_number,
            hint=N_("status.number_hint"),
            shown=_application_asked,
        ),
        Step(
            key="birth_date",
            prompt=N_("status.ask_birth_date"),
            expects=Expect.TEXT,
            summary_label=N_("status.label.birth_date"),
            max_chars=60,
            reader=birth_date,
            hint=N_("status.birth_date_hint"),
            shown=_application_asked,
        ),
    ),
    finish=answer_status,
    confirm=False,
)

STATUS_NOTIFY = Flow(
    name=STATUS_NOTIFY_FLOW,
    title=N_("status.notify_title"),
    steps=(
        Step(
            key="notify",
            prompt=N_("status.ask_notify"),
            expects=Expect.CHOICE,
            summary_label=N_("status.label.notify"),
            options=(
                Option("yes", N_("status.notify.yes"), ("ya", "iya", "y", "yes", "mau", "boleh")),
                Option("no", N_("status.notify.no"), ("tidak", "tdk", "gak", "no", "n")),
            ),
        ),
    ),
    finish=answer_notify,
    confirm=False,
)

STATUS_MENU = MenuEntry(
    flow="status",
    label=N_("menu.status"),
    commands=("status", "cek", "cekstatus"),
)
