"""Every flow, checked as data: its steps reachable, its keys unique, its next
targets real, and every catalog key it shows present in every locale."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from bot.domain.i18n import LOCALES
from bot.domain.messages import Expect
from bot.engine.answers import CHANNEL_KEY, Answers, ChoiceAnswer, TextAnswer
from bot.engine.flow import Flow, Step
from bot.engine.turn import INCIDENT_FLOW
from bot.flows import FLOWS, MENU
from bot.flows.status import STATUS_NOTIFY_FLOW

ROOT = Path(__file__).resolve().parents[2]


def catalog(locale: str) -> set[str]:
    with (ROOT / "locales" / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return {str(message.id) for message in read_po(handle) if message.id and message.string}


def keys_of(flow: Flow) -> set[str]:
    keys = {flow.title}
    for step in flow.steps:
        keys |= {step.prompt, step.summary_label, *(option.label for option in step.options)}
        keys |= {step.hint} if step.hint else set()
    return keys


def choice_answers(flow: Flow) -> list[Answers]:
    """Every combination of options of the flow's choice steps."""
    choosing = [step for step in flow.steps if step.options]
    picks = itertools.product(*([o.id for o in step.options] for step in choosing))
    return [
        Answers({step.key: ChoiceAnswer(pick) for step, pick in zip(choosing, chosen, strict=True)})
        for chosen in picks
    ]


def on_channel(channel: str, answers: Answers) -> Answers:
    """`answers` of a flow started on `channel` (some steps are asked on one channel only)."""
    return Answers({**answers, CHANNEL_KEY: TextAnswer(channel)})


@pytest.mark.parametrize("flow", FLOWS.values(), ids=list(FLOWS))
def test_every_step_can_be_reached(flow: Flow) -> None:
    reached = {
        step.key
        for answers in choice_answers(flow)
        for channel in ("telegram", "web")
        for step in flow.asked(on_channel(channel, answers))
    }
    assert reached == {step.key for step in flow.steps}


@pytest.mark.parametrize("flow", FLOWS.values(), ids=list(FLOWS))
def test_keys_and_option_ids_are_unique_and_choices_have_options(flow: Flow) -> None:
    keys = [step.key for step in flow.steps]
    assert len(keys) == len(set(keys))
    for step in flow.steps:
        ids = [option.id for option in step.options]
        assert len(ids) == len(set(ids)), step.key
        assert (step.expects is Expect.CHOICE) == bool(step.options), step.key
    assert flow.asked(Answers()), "a flow asks something first"


@pytest.mark.parametrize("locale", LOCALES)
def test_every_catalog_key_a_flow_shows_exists(locale: str) -> None:
    shown = set().union(*(keys_of(flow) for flow in FLOWS.values()))
    shown |= {entry.label for entry in MENU}
    assert shown - catalog(locale) == set()


def test_every_flow_name_and_target_exists() -> None:
    assert all(name == flow.name for name, flow in FLOWS.items())
    assert {entry.flow for entry in MENU} <= set(FLOWS)
    assert {INCIDENT_FLOW, STATUS_NOTIFY_FLOW} <= set(FLOWS)


def test_the_incident_flow_asks_the_danger_question_first_with_one_alarm() -> None:
    first: Step = FLOWS[INCIDENT_FLOW].asked(Answers())[0]
    assert [option.id for option in first.options if option.alarm] == ["yes"]
    others = [o for step in FLOWS[INCIDENT_FLOW].steps[1:] for o in step.options if o.alarm]
    assert others == []
