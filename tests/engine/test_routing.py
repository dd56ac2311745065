"""A citizen's own words outside a flow (issue #10, points 1-3): wishes answered
first, the story carried into the flow, follow-ups to open and closed cases."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.engine.answers import ChoiceAnswer, TextAnswer
from bot.engine.effects import AddToCase, SetBroadcastOptIn
from bot.engine.flow import CaseBrief
from bot.language.intents import Tier
from tests.engine.script import FAQ, START, Citizen, run

OPEN = ("PGD-8",)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("syarat skck apa aja", "SKCK"),
        ("jam buka kantor polres", "hours"),
        ("makasih ya pak", "welcome"),
        ("kasus saya", "PGD-8"),
    ],
)
def test_after_filing_questions_and_thanks_are_answered_not_swallowed(
    text: str, expected: str
) -> None:
    citizen = run(f"> {text}", Citizen(open_cases=OPEN, cases=_open_brief()))
    assert not [e for e in citizen.effects if isinstance(e, AddToCase)]
    assert expected in citizen.texts()


def test_cek_status_after_filing_starts_the_status_check() -> None:
    citizen = run("> cek status", Citizen(open_cases=OPEN))
    assert citizen.state.flow == "status"


def test_with_two_open_cases_a_question_is_answered() -> None:
    citizen = run("> jam buka kantor polres", Citizen(open_cases=("PGD-8", "LPR-3")))
    assert "hours" in citizen.texts()
    assert "which one" not in citizen.texts()


def test_a_follow_up_joins_the_open_case() -> None:
    citizen = run("> masih ada petugas yang minta uang di pos itu", Citizen(open_cases=OPEN))
    assert citizen.effects == [AddToCase("PGD-8", "masih ada petugas yang minta uang di pos itu")]


def test_an_unclear_statement_asks_add_or_new_with_a_way_out() -> None:
    citizen = run(
        """
        > pelakunya kabur ke luar kota sejak kemarin
        < PGD-8
        [new]
        < How can we help?
        """,
        Citizen(open_cases=OPEN),
    )
    assert citizen.effects == []


def test_after_the_close_notice_a_message_reaches_the_officers() -> None:
    closed = (CaseBrief("PGD-8", "complaint", "closed", START - timedelta(days=1)),)
    citizen = run("> masalahnya belum selesai pak", Citizen(cases=closed))
    assert citizen.effects == [AddToCase("PGD-8", "masalahnya belum selesai pak")]
    assert "passed to the officers" in citizen.texts()
    assert "understand" not in citizen.texts()


@pytest.mark.parametrize("text", ["stop dulu, ga jadi lapor", "gak usah deh", "batalin aja"])
def test_negation_cancels(text: str) -> None:
    citizen = run(f"> {text}")
    assert citizen.state.flow is None
    assert "no form in progress" in citizen.texts()


def test_subscribe_records_the_opt_in() -> None:
    citizen = run("> mau langganan info polres")
    assert citizen.effects == [SetBroadcastOptIn(opt_in=True)]


def test_an_opt_out_read_clearly_but_not_surely_is_honoured() -> None:
    """Sending less is the safe side of a doubt: a clear lead is enough to stop."""
    assert FAQ.classify("off notif").tier is Tier.WEAK  # well ahead of subscribing, though
    citizen = run("> off notif")
    assert citizen.effects == [SetBroadcastOptIn(opt_in=False)]


@pytest.mark.parametrize(
    "text", ["sy ga mau nerima pengumuman lagi", "jgn kirimin sy berita lg ya", "ga mau info lagi"]
)
def test_a_negated_wish_to_receive_opts_out(text: str) -> None:
    citizen = run(f"> {text}")
    assert citizen.effects == [SetBroadcastOptIn(opt_in=False)]


def test_a_first_message_with_the_story_starts_the_complaint_with_it() -> None:
    citizen = run("> mau ngadu, petugas minta duit damai pas tilang di jalan sudirman")
    assert citizen.state.flow == "complaint"
    story = "Petugas minta duit damai pas tilang di jalan sudirman"
    assert citizen.state.answers.get("description") == TextAnswer(story)
    assert citizen.state.step == "category"  # the story is not asked for again


def test_an_incident_message_carries_its_kind_and_time() -> None:
    citizen = run("> dompet sy kecopetan di bus trans musi tadi siang")
    assert citizen.state.flow == "incident"
    assert citizen.state.answers.get("category") == ChoiceAnswer("theft")
    assert citizen.state.answers.get("when") is not None


def _open_brief() -> tuple[CaseBrief, ...]:
    return (CaseBrief("PGD-8", "complaint", "new", START),)
