"""Conversations played straight against the engine, without storage or a channel."""

from __future__ import annotations

import pytest

from bot.engine.effects import AddToCase, NameContact, OpenCase, RaiseAlarm
from bot.engine.waits.case_note import WritingCaseNote
from tests.engine.script import Citizen, run

COMPLAINT_UP_TO_ANONYMITY = """
    > pengaduan
    [public_service]
    > The office was closed during its posted opening hours all week long.
    [_skip]
"""


def test_a_complaint_from_menu_to_reference() -> None:
    citizen = run("""
        > menu
        < How can we help?
        [complaint]
        < What is your complaint about?
        [officer_conduct]
        < Tell us what happened
        > too short
        < Tell us what happened
        > An officer at the post asked me for money to process my report yesterday.
        < supporting photo
        # photo
        [_done]
        < anonymous
        > yes
        < kept confidential?
        < only the leaders of the unit handling it and the officer assigned can read it
        > rahasia
        < Send it now?
        [submit]
        ! OpenCase
        < PGD-1
    """)
    case = citizen.effects[0]
    assert isinstance(case, OpenCase)
    assert (case.category, case.anonymous, len(case.media_ids)) == ("officer_conduct", True, 1)
    assert case.confidential  # a complaint about officers may be kept confidential
    assert case.answers["category"] == {"kind": "choice", "value": "officer_conduct"}
    assert citizen.state.flow is None


def test_only_sensitive_complaints_are_asked_to_be_kept_confidential() -> None:
    citizen = run("""
        > pengaduan
        < What is your complaint about?
        [public_service]
        < Tell us what happened
        > The counter at the office was closed during opening hours twice this week.
        < supporting photo
        [_skip]
        < anonymous
        > no
        < Send it now?
        [submit]
        ! OpenCase
    """)
    case = citizen.effects[0]
    assert isinstance(case, OpenCase)
    assert not case.confidential


def test_an_incident_with_someone_in_danger_raises_the_alarm_at_once() -> None:
    citizen = run("""
        > lapor
        < Is anyone in danger
        [yes]
        ! RaiseAlarm
        < call 110 NOW
        < What kind of incident
        [violence]
        < When did it happen
        [now]
        < Where did it happen
        @ -2.99, 104.75
        ! ShareLocation
        < Place noted
        > A man in a red jacket hit the stall keeper and left on a motorbike.
        < Any photos
        [_skip]
        < Send it now?
        [submit]
        ! OpenCase
        < Emergency report LPR-1 is complete
    """)
    case = citizen.effects[0]
    assert isinstance(case, OpenCase)
    assert (case.ref, case.priority, case.draft) == ("LPR-1", "urgent", True)


def test_an_emergency_in_free_text_jumps_ahead_of_everything() -> None:
    citizen = run("""
        > pengaduan
        < What is your complaint about?
        > tolong ada perampokan bersenjata sekarang di rumah saya
        ! RaiseAlarm
        < call 110 NOW
    """)
    assert isinstance(citizen.effects[0], RaiseAlarm)
    assert citizen.state.flow == "incident"
    assert citizen.state.answers.choice("danger") == "yes"


def test_a_status_lookup_then_being_told_of_changes() -> None:
    run("""
        > status
        < What would you like to check?
        [skck]
        < application number
        > skck / 123 / XI / 2026
        < date of birth
        > 17-08-1990
        < SKCK/123/XI/2026
        < Selesai, dapat diambil
        < tell you in this chat
        [yes]
        ! Subscribe
        < we will tell you here
        < anything else
    """)


def test_a_wrong_status_lookup_says_so_and_offers_the_menu() -> None:
    run("""
        > status
        [sp2hp]
        > SP2HP/9
        > 1 Jan 1980
        < we found no application
        < anything else
    """)


def test_own_cases_then_a_note_for_one_of_them() -> None:
    citizen = Citizen(open_cases=("PGD-8", "LPR-3"))
    run(
        """
        > status
        [my_cases]
        < add information or a photo
        [add]
        < PGD-8
        [LPR-3]
        """,
        citizen,
    )
    assert citizen.state.wait == WritingCaseNote(ref="LPR-3")
    run("> The thief came back this morning.", citizen)
    assert citizen.effects == [AddToCase(ref="LPR-3", text="The thief came back this morning.")]
    assert citizen.state.wait is None


def test_language_can_be_changed_in_the_middle_of_a_flow() -> None:
    citizen = run("""
        > pengaduan
        > bahasa
        < Choose a language
        > indonesia
        < Baik
        < Pengaduan Anda tentang apa?
    """)
    assert citizen.locale == "id"
    assert citizen.state.flow == "complaint"
    assert citizen.state.wait is None


def test_an_answer_is_changed_from_the_summary() -> None:
    citizen = run("""
        > pengaduan
        [public_service]
        > The office was closed during its posted opening hours all week long.
        [_skip]
        [no]
        < Send it now?
        [edit]
        < Which part do you want to change?
        > 1
        < What is your complaint about?
        [aspiration]
        < Send it now?
    """)
    assert citizen.state.answers.choice("category") == "aspiration"


def test_back_cancel_and_menu_interrupt_a_flow() -> None:
    citizen = run("""
        > pengaduan
        [other]
        < Tell us what happened
        > kembali
        < What is your complaint about?
        > kembali
        < Back to the main menu
    """)
    assert citizen.state.flow is None
    citizen = run("""
        > lapor
        [no]
        > batal
        < Cancelled
        < How can we help
    """)
    assert citizen.state.flow is None
    citizen = run("""
        > status
        > menu
        < How can we help
    """)
    assert citizen.state.flow is None


def test_a_named_web_citizen_is_asked_a_name_and_a_phone_number() -> None:
    citizen = run(
        COMPLAINT_UP_TO_ANONYMITY
        + """
        [no]
        < May we have your name?
        > S
        < at least 2 letters
        > Siti Rahma
        < A phone number officers can call?
        > call me maybe
        < We could not read that number
        > +62 812-3456-7890
        < Name: Siti Rahma
        < Phone: +6281234567890
        [submit]
        ! OpenCase
        ! NameContact
    """,
        Citizen(channel="web"),
    )
    case, named = citizen.effects
    assert isinstance(case, OpenCase)
    assert not case.anonymous
    assert named == NameContact(name="Siti Rahma", phone="+6281234567890")
    assert case.answers["phone"] == {"kind": "text", "value": "+6281234567890"}


def test_a_web_incident_may_skip_the_phone_number() -> None:
    citizen = run(
        """
        > lapor
        [no]
        [theft]
        [now]
        > Jl. Merdeka 10, depan Masjid Agung
        > My phone was snatched by two men on a black scooter.
        [_skip]
        < May we have your name?
        > Budi
        [_skip]
        < Send it now?
        [submit]
    """,
        Citizen(channel="web"),
    )
    assert NameContact(name="Budi", phone=None) in citizen.effects


@pytest.mark.parametrize(
    ("channel", "anonymous"), [("web", "yes"), ("telegram", "no"), ("whatsapp", "no")]
)
def test_no_name_is_asked_of_anonymous_web_citizens_nor_on_other_channels(
    channel: str, anonymous: str
) -> None:
    citizen = run(
        COMPLAINT_UP_TO_ANONYMITY
        + f"""
        [{anonymous}]
        < Send it now?
        [submit]
        ! OpenCase
    """,
        Citizen(channel=channel),
    )
    [case] = citizen.effects  # no NameContact
    assert isinstance(case, OpenCase)
    assert "name" not in case.answers
