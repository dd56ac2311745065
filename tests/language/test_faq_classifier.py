"""The intent classifier: reading chat Indonesian, tiers, and FAQ phrasings passed in."""

from __future__ import annotations

import pytest

from bot.engine.faq import snapshot
from bot.language.intents import (
    BUILTIN_PHRASES,
    CONVERSATION_INTENTS,
    FLOW_INTENTS,
    NAVIGATION_INTENTS,
    NONE,
    IntentClassifier,
    Tier,
    build_classifier,
    content_words,
    features,
    normalize,
)
from bot.services.faq import load_shipped


@pytest.fixture(scope="module")
def classifier() -> IntentClassifier:
    return snapshot(load_shipped()).classifier


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Gmn sy bs cek SKCK?", "bagaimana saya bisa cek skck"),
        ("tdk, gak, nggak, ga", "tidak tidak tidak tidak"),
        ("bkn yg itu jg", "bukan yang itu juga"),
        ("brp? dmn? kpn?", "berapa dimana kapan"),
        ("tlg utk sy", "tolong untuk saya"),
        ("Tolonggg!!!", "tolong"),
        ("wkwkwk", "haha"),
        ("bayar Rp30.000 atau 30rb", "bayar rupiah atau rupiah"),
        ("Pengaduan Ñ", "pengaduan n"),
        ("ada pungli", "ada pungutan liar"),
        ("berbulan2", "berbulan"),
    ],
)
def test_normalize_spells_out_chat_slang(text: str, expected: str) -> None:
    assert normalize(text) == expected


def test_fillers_are_dropped_and_words_kept_once() -> None:
    assert content_words("pak saya mau lapor dong, lapor") == ["lapor"]


@pytest.mark.parametrize(
    ("word", "stem"),
    [
        ("pencurian", "curi"),
        ("dicuri", "curi"),
        ("kecurian", "curi"),
        ("pengaduan", "adu"),
        ("mengadu", "adu"),
        ("penipuan", "tipu"),
        ("keramaian", "ramai"),
        ("persyaratan", "syarat"),
        ("complaints", "complaint"),
    ],
)
def test_affixed_words_reach_their_stem(word: str, stem: str) -> None:
    assert stem in features(word)


def test_question_words_are_not_stemmed() -> None:
    assert "apa" not in features("berapa")


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("motor sy dicolong orang tadi pagi", "incident"),
        ("sy mau komplen petugasnya kasar", "complaint"),
        ("cek status permohonan skck", "status"),
        ("syrat bkin skck apa aj", "faq:skck_requirements"),
        ("berapa biaya skck", "faq:skck_fee"),
        ("alamat kantor polres", "faq:address"),
        ("nomor darurat ambulans", "faq:emergency_numbers"),
        ("ganti bahasa ke inggris", "language"),
        ("how much is the skck fee", "faq:skck_fee"),
    ],
)
def test_typical_messages(classifier: IntentClassifier, text: str, intent: str) -> None:
    assert classifier.classify(text).intent == intent


@pytest.mark.parametrize("text", ["", "   ", "?!", "🙏", "asdfghjkl", "p", "wkwkwk"])
def test_nothing_to_read_is_none(classifier: IntentClassifier, text: str) -> None:
    found = classifier.classify(text)
    assert found.tier is Tier.NONE
    assert found.intent == NONE
    assert found.candidates == ()


def test_chit_chat_is_none_not_an_offer(classifier: IntentClassifier) -> None:
    found = classifier.classify("selamat siang, terima kasih")
    assert found.tier is Tier.NONE
    assert found.intent == NONE


def test_a_clear_question_is_confident(classifier: IntentClassifier) -> None:
    found = classifier.classify("syarat izin keramaian untuk acara pernikahan")
    assert found.tier is Tier.CONFIDENT
    assert found.intent == "faq:crowd_permit"


def test_an_ambiguous_message_offers_up_to_three_candidates(
    classifier: IntentClassifier,
) -> None:
    found = classifier.classify("skck")
    assert found.tier is Tier.WEAK
    intents = [candidate.intent for candidate in found.candidates]
    assert 2 <= len(intents) <= 3
    assert NONE not in intents
    assert {"faq:skck_fee", "faq:skck_requirements", "status"} & set(intents)
    scores = [candidate.score for candidate in found.candidates]
    assert scores == sorted(scores, reverse=True)


def test_faq_phrasings_are_passed_in() -> None:
    without = build_classifier({})
    custom = build_classifier({"sim": ["syarat membuat sim", "perpanjang sim mati"]})
    assert without.classify("syarat perpanjang sim").intent != "faq:sim"
    assert custom.classify("syarat perpanjang sim").intent == "faq:sim"


def test_the_built_in_intents_are_the_menu_flows_navigation_and_none() -> None:
    assert set(BUILTIN_PHRASES) == {*FLOW_INTENTS, *NAVIGATION_INTENTS, *CONVERSATION_INTENTS, NONE}


def test_a_classifier_needs_no_faq_and_no_database() -> None:
    classifier = IntentClassifier(BUILTIN_PHRASES)
    assert classifier.classify("mau lapor kecelakaan").intent == "incident"
    assert not any(intent.startswith("faq:") for intent in classifier.intents)


def test_typos_are_corrected_once_and_remembered(classifier: IntentClassifier) -> None:
    first = classifier.classify("persyaratn skkc")
    assert first.intent == "faq:skck_requirements"
    assert classifier.classify("persyaratn skkc") == first
