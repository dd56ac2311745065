"""The offer of announcements and surveys at a journey's end, against the engine:
after a survey and an ordinary report, never after an urgent one, and a
passing question that does not hold the citizen."""

from __future__ import annotations

from bot.engine.effects import SetBroadcastOptIn
from tests.engine.script import Citizen, run

NINE_MARKS = "\n".join(["> 4"] * 9)
OFFER = "Would you like to receive official announcements and satisfaction surveys"


def undecided() -> Citizen:
    return Citizen(broadcasts_decided=False)


def test_a_finished_survey_offers_broadcasts_and_yes_opts_in() -> None:
    citizen = run(
        f"""
        > survey
        {NINE_MARKS}
        > skip
        < Thank you! We have received your answers
        < {OFFER}
        < Yes, please
        > iya
        ! SetBroadcastOptIn
        < you will receive our announcements
    """,
        undecided(),
    )
    assert citizen.effects == [SetBroadcastOptIn(opt_in=True)]


def test_no_declines_and_a_question_is_answered_instead() -> None:
    declined = run(
        f"""
        > survey
        {NINE_MARKS}
        > skip
        < {OFFER}
        [decline]
        < We will not send you announcements or surveys
    """,
        undecided(),
    )
    assert declined.effects == [SetBroadcastOptIn(opt_in=False)]
    moved_on = run(
        f"""
        > survey
        {NINE_MARKS}
        > skip
        < {OFFER}
        > how much does an skck cost
        < SKCK
    """,
        undecided(),
    )
    assert moved_on.effects == []
    assert moved_on.state.wait is None


def test_a_decided_citizen_and_an_urgent_report_get_no_offer() -> None:
    decided = run(f"""
        > survey
        {NINE_MARKS}
        > skip
        < Thank you! We have received your answers
    """)
    assert OFFER not in decided.texts()
    urgent = run(
        """
        > lapor
        [yes]
        [violence]
        [now]
        @ -2.99, 104.75
        > A man in a red jacket hit the stall keeper and left on a motorbike.
        [_skip]
        [submit]
        < Emergency report LPR-1 is complete
    """,
        undecided(),
    )
    assert OFFER not in urgent.texts()
    assert urgent.state.wait is None
