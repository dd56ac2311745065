"""Free text outside a flow: FAQ answers, suggestions when unsure, the menu otherwise."""

from __future__ import annotations

from tests.support.web import WebCitizen, texts


async def test_confident_question_gets_the_faq_answer(citizen: WebCitizen) -> None:
    await citizen.say("halo")
    answer = await citizen.say("jam buka kantor polres kapan ya")
    assert "CONTOH" in texts(answer) or "SAMPLE" in texts(answer)  # the shipped sample data
    assert "Ada lagi yang bisa kami bantu?" in texts(answer)
    assert answer[-1]["choices"]  # the menu follows


async def test_slangy_question_in_english_after_switching(citizen: WebCitizen) -> None:
    await citizen.say("halo")
    await citizen.say("bahasa inggris")
    answer = await citizen.say("what documents do i need for an skck")
    assert "anything else" in texts(answer)


async def test_unsure_match_offers_choices_and_a_press_answers(citizen: WebCitizen) -> None:
    await citizen.say("halo")
    offered = await citizen.say("skck")  # requirements or fee? the bot asks
    assert "Maksud Anda salah satu dari ini?" in texts(offered)
    labels = [choice["label"] for choice in offered[-1]["choices"]]
    assert 2 <= len(labels) <= 3
    answered = await citizen.press(labels[0])
    assert "CONTOH" in texts(answered)
    assert "Ada lagi yang bisa kami bantu?" in texts(answered)


async def test_nonsense_gets_the_menu_not_an_error(citizen: WebCitizen) -> None:
    await citizen.say("halo")
    answer = await citizen.say("qwrtpz xkcd 42")
    assert "belum mengerti" in texts(answer)
    assert answer[-1]["choices"]
