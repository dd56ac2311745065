"""What one turn says (issue 10): one clear message, buttons that tell the truth,
emergencies first and last, forgiving answers; on the pure engine."""

from __future__ import annotations

import pytest

from bot.engine.effects import OpenCase, RaiseAlarm
from tests.engine.script import Citizen, run

# -- one clear message a turn ---------------------------------------------------------------


def test_the_first_turn_is_one_message_welcome_privacy_and_the_first_question() -> None:
    citizen = Citizen(locale="id", first_contact=True)
    run("> pengaduan", citizen)
    [message] = citizen.replies  # was four: welcome, privacy line, "Baik, ...", the question
    for part in ("Selamat datang", "privasi", "Baik, kita mulai pengaduan.", "tentang apa?"):
        assert part in message.text
    assert [choice.id for choice in message.choices][:2] == ["police_service", "officer_conduct"]


INCIDENT_TO_PLACE = """
    > lapor
    [no]
    [theft]
    [now]
"""


def test_an_acknowledgement_comes_with_the_next_question() -> None:
    citizen = run(INCIDENT_TO_PLACE + "> Pasar 16 Ilir, lantai 2")
    [message] = citizen.replies
    assert message.text.startswith("📍 Place noted: Pasar 16 Ilir, lantai 2")
    assert "Tell us what happened" in message.text


def test_the_step_footer_is_one_line() -> None:
    citizen = run("""
        > pengaduan
        [other]
        < Step 2 of 4 · type *back* or *cancel*
    """)
    assert citizen.replies[-1].text.endswith("\n\nStep 2 of 4 · type *back* or *cancel*")


# -- buttons that tell the truth --------------------------------------------------------------


def test_choice_ids_never_repeat_for_a_citizen() -> None:
    """The web page marks the button of a prompt token already pressed: a token used
    again showed "Pengaduan" pressed on the next menu and "Pelayanan publik" selected
    in the next complaint."""
    citizen = Citizen()
    tokens: list[str] = []
    script = """
        > pengaduan
        [public_service]
        > The counter at the SKCK office was closed all day without any notice.
        [_skip]
        > no
        [submit]
        ! OpenCase
    """
    for _ in range(2):
        for line in script.strip().splitlines():
            run(line, citizen)
            tokens += [r.prompt_token for r in citizen.replies if r.prompt_token]
    assert isinstance(citizen.effects[0], OpenCase)
    run("> menu", citizen)
    tokens += [r.prompt_token for r in citizen.replies if r.prompt_token]
    assert len(tokens) == len(set(tokens))


def test_a_question_asked_again_keeps_its_earlier_buttons() -> None:
    citizen = run("""
        > pengaduan
        < What is your complaint about?
    """)
    earlier = citizen.prompt()
    run(
        """
        > ya
        < Please choose one
        < What is your complaint about?
    """,
        citizen,
    )
    citizen.press("officer_conduct", on=earlier)
    assert "Tell us what happened" in citizen.texts()
    assert citizen.state.answers.choice("category") == "officer_conduct"


def test_a_truly_stale_button_gets_a_short_friendly_note() -> None:
    citizen = run("> pengaduan")
    categories = citizen.prompt()
    run("[police_service]", citizen)
    citizen.press("public_service", on=categories)
    [message] = citizen.replies  # the note and the question now asked, together
    assert message.text.startswith("Sorry, that button is no longer valid.")
    assert "Tell us what happened" in message.text
    assert citizen.state.answers.choice("category") == "police_service"


def test_buttons_show_the_number_a_citizen_may_type() -> None:
    citizen = run("> menu")
    labels = [choice.label for choice in citizen.prompt().choices]
    assert labels[:2] == ["1. Complaint", "2. Report an incident"]
    run("> 1", citizen)
    assert citizen.state.flow == "complaint"
    assert citizen.prompt().choices[2].label == "3. Public service"
    run("> 3", citizen)
    assert citizen.state.answers.choice("category") == "public_service"


def test_a_location_button_has_no_number_and_numbers_match_what_is_typed() -> None:
    citizen = run("""
        > lapor
        [no]
        [theft]
        [now]
    """)
    labels = [choice.label for choice in citizen.prompt().choices]
    assert not labels[0][0].isdigit()  # the device's own button: nothing to type
    assert all(label[0].isdigit() for label in labels[1:])


# -- emergencies first and last --------------------------------------------------------------


def test_an_emergency_first_message_is_one_message_with_110_last() -> None:
    citizen = Citizen(locale="id", first_contact=True)
    run("> tolong ada begal di jalan sudirman sekarang", citizen)
    [message] = citizen.replies  # nothing after it to push it out of view
    assert message.urgent
    welcome, urgent = message.text.split("🚨")
    assert "Selamat datang" in welcome
    assert "telepon 110 SEKARANG" in urgent
    assert "Piket SPKT: 07115550100" in urgent  # dialable: "(0711) 555-0100" is not
    assert message.choices  # the report's next question is answered below it
    assert isinstance(citizen.effects[0], RaiseAlarm)


def test_cancelling_an_emergency_report_says_the_urgent_case_stays_open() -> None:
    citizen = Citizen(locale="id")
    run(
        """
        > tolong ada perampokan bersenjata sekarang di rumah saya
        > batal
    """,
        citizen,
    )
    [message] = citizen.replies
    assert "Tidak ada yang dikirim" not in message.text
    assert "laporan darurat *LPR-1* tetap terbuka" in message.text
    assert citizen.state.flow is None


# -- forgiving answers ----------------------------------------------------------------------


@pytest.mark.parametrize("skip", ["gk ada foto", "ga ada", "nggak", "lanjut", "skip", "lewati"])
def test_slang_skips_a_photo(skip: str) -> None:
    citizen = run(f"""
        > pengaduan
        [other]
        > An officer at the post asked me for money to process my report yesterday.
        < supporting photo
        > {skip}
        < anonymous
    """)
    assert citizen.state.step == "anonymous"


def test_slang_after_photos_means_done() -> None:
    citizen = run(
        INCIDENT_TO_PLACE
        + """
        > Pasar 16 Ilir, lantai 2
        > Two men took a phone from a stall and ran towards the river.
        # photo
        < photo 1 received (at most 5)
        > ga ada
        < Send it now?
    """
    )
    assert len(citizen.state.answers.files("photos")) == 1


@pytest.mark.parametrize("born", ["17-08-90", "17 agustus 90", "17 Agustus 1990"])
def test_two_digit_years_and_month_names_in_a_date_of_birth(born: str) -> None:
    run(f"""
        > status
        [skck]
        > skck 123 xi 2026
        < date of birth
        > {born}
        < Selesai, dapat diambil
    """)


def test_a_story_at_the_category_step_is_kept_and_the_category_asked_again() -> None:
    story = "Petugas di pos minta uang damai waktu saya ditilang di Jalan Sudirman kemarin."
    citizen = run(f"""
        > pengaduan
        > {story}
        < we have noted your story
        < What is your complaint about?
        [officer_conduct]
        < supporting photo
        [_skip]
        > no
        < kept confidential?
        > no
        < Send it now?
    """)
    assert story in citizen.texts()  # in the summary, where it can be changed
    assert citizen.state.answers.text("description") == story


def test_ya_where_a_category_is_asked_is_no_choice() -> None:
    citizen = run("""
        > pengaduan
        > ya
        < Please choose one
        < What is your complaint about?
    """)
    assert citizen.state.answers.choice("category") is None
    assert citizen.state.step == "category"


def test_menu_in_the_middle_of_a_form_asks_before_it_discards() -> None:
    citizen = run("""
        > pengaduan
        [other]
        > menu
        < Leave the complaint? Your answers will be lost.
        > tidak
        < Tell us what happened
    """)
    assert citizen.state.answers.choice("category") == "other"
    run(
        """
        > menu
        [leave]
        < We set the earlier form aside; nothing was sent
        < How can we help
    """,
        citizen,
    )
    assert citizen.state.flow is None


def test_menu_before_any_answer_leaves_at_once() -> None:
    citizen = run("""
        > pengaduan
        > menu
        < How can we help
    """)
    assert citizen.state.flow is None
