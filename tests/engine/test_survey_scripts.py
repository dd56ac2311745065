"""The survey played straight against the engine: typed marks read sensibly or
asked again, skipping the suggestion, leaving and the invitation's buttons."""

from __future__ import annotations

from bot.domain.messages import InboundKind
from bot.domain.surveys import LATER_ID, start_choice_id
from bot.engine.effects import AnswerSurvey, CompleteSurvey
from bot.engine.waits.leave import ConfirmingLeave
from tests.engine.script import Citizen, run

NINE_MARKS = "\n".join(["> 4"] * 9)


def press_invitation(citizen: Citizen, choice_id: str) -> None:
    """An invitation's button: sent apart from any question, so it carries no prompt token."""
    citizen.send(InboundKind.CHOICE, choice_id=choice_id, prompt_token=None)


def marks(citizen: Citizen) -> list[tuple[str, int | None]]:
    return [(e.question, e.mark) for e in citizen.effects if isinstance(e, AnswerSurvey)]


def test_typed_answers_are_read_as_marks_or_asked_again() -> None:
    citizen = run("""
        > survey
        < Thank you for rating our service
        < How well do the requirements of our service fit
        < Step 1 of 10
        > 4
        ! AnswerSurvey
        < How easy do you find the procedure
        > sangat baik
        ! AnswerSurvey
        < speed of our service
        > ok lah
        < Sorry, we could not understand that answer
        < speed of our service
    """)
    assert citizen.effects == []  # "ok lah" is no mark: nothing recorded, asked again
    run("> asdf qwerty", citizen)
    assert "could not understand" in citizen.texts()
    assert citizen.effects == []
    run("> nilai 3", citizen)
    assert marks(citizen) == [("U3", 3)]
    for typed, mark in (("gratis", 4), ("kurang sesuai", 2), ("kompeten", 3)):
        run(f"> {typed}", citizen)
        assert marks(citizen) == [(citizen.effects[0].question, mark)], typed  # type: ignore[union-attr]
    run("> sopan banget", citizen)  # not a misspelt "Impolite, unfriendly"
    assert marks(citizen) == [("U7", 4)]
    run("> murah", citizen)  # U8 has no such word: asked again, never guessed
    assert citizen.effects == []
    run("> Dikelola dengan baik", citizen)
    assert marks(citizen) == [("U8", 4)]
    run("> 1", citizen)
    assert marks(citizen) == [("U9", 1)]
    assert "do you have a suggestion for our service" in citizen.texts()
    run("> lewati", citizen)
    [done] = citizen.effects
    assert done == CompleteSurvey(survey="ikm", service="general", invitation_id=None)
    assert "Thank you! We have received your answers" in citizen.texts()
    assert citizen.state.flow is None


def test_the_suggestion_is_recorded_as_text() -> None:
    citizen = run(f"""
        > survei
        {NINE_MARKS}
        > Mohon ruang tunggu diberi kipas angin.
        ! CompleteSurvey
    """)
    [answer, _done] = citizen.effects
    assert answer == AnswerSurvey(
        survey="ikm",
        service="general",
        invitation_id=None,
        question="suggestion",
        text="Mohon ruang tunggu diberi kipas angin.",
    )


def test_cancelling_keeps_the_answers_and_says_how_to_go_on() -> None:
    citizen = run("""
        > survey
        > 3
        > batal
        < The survey is paused; the answers you gave are kept. Type *survey*
    """)
    assert citizen.state.flow is None
    run("> menu", citizen)
    assert "How can we help?" in citizen.texts()  # nothing left waiting


def test_an_invitation_pressed_at_any_moment_starts_its_survey() -> None:
    citizen = run("""
        > status
        < What would you like to check
    """)
    press_invitation(citizen, start_choice_id("ikm", 42))
    assert "Thank you for rating our service" in citizen.texts()
    assert citizen.state.flow == "survey_ikm"
    assert citizen.state.flow_data["invitation_id"] == 42
    run("> 4", citizen)
    [answer] = citizen.effects
    assert isinstance(answer, AnswerSurvey)
    assert answer.invitation_id == 42


def test_a_half_filled_form_is_not_dropped_without_asking() -> None:
    citizen = run("""
        > pengaduan
        [public_service]
    """)
    press_invitation(citizen, start_choice_id("ikm", 7))
    assert isinstance(citizen.state.wait, ConfirmingLeave)
    assert "Leave the complaint? Your answers will be lost." in citizen.texts()
    run("[leave]", citizen)
    assert citizen.state.flow == "survey_ikm"
    assert "How well do the requirements of our service fit" in citizen.texts()


def test_staying_in_the_form_keeps_it() -> None:
    citizen = run("""
        > pengaduan
        [public_service]
    """)
    press_invitation(citizen, start_choice_id("ikm", 7))
    run("[stay]", citizen)
    assert citizen.state.flow == "complaint"


def test_later_gets_a_short_polite_answer() -> None:
    citizen = run("> menu")
    press_invitation(citizen, LATER_ID)
    assert "No problem. You can press the survey button any time" in citizen.texts()


def test_an_unknown_survey_is_said_so() -> None:
    citizen = run("> menu")
    press_invitation(citizen, start_choice_id("gone"))
    assert "that survey is no longer available" in citizen.texts()
    assert citizen.state.flow is None


def test_an_emergency_wins_over_the_survey() -> None:
    citizen = run("""
        > survey
        > tolong ada perampokan sekarang di rumah saya
        ! RaiseAlarm
        < 110
    """)
    assert citizen.state.flow == "incident"


def test_idle_survey_is_paused_not_lost() -> None:
    citizen = run("""
        > survey
        > 4
    """)
    citizen.now = citizen.now.replace(hour=citizen.now.hour + 1)
    run("> 4", citizen)
    assert "The survey is paused; the answers you gave are kept" in citizen.texts()
    assert citizen.effects == []  # the late "4" answered nothing: the survey had ended
