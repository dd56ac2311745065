"""The character n-gram model (`bot.language.ngrams`) and its part in the classifier."""

from __future__ import annotations

import time

import pytest

from bot.language.intents import BUILTIN_PHRASES, Tier, build_classifier, content_words
from bot.language.ngrams import NgramModel, pieces

PHRASES = {
    "theft": ["motor saya dicuri", "dompet dicopet", "my phone was stolen"],
    "fee": ["berapa biaya skck", "how much does it cost"],
}


@pytest.fixture(scope="module")
def model() -> NgramModel:
    return NgramModel(PHRASES)


def best(model: NgramModel, text: str) -> str:
    found = model.scores(text)
    return max(found, key=found.__getitem__)


def test_pieces_mark_the_ends_of_each_word() -> None:
    found = pieces("copet hp")
    assert {" co", "cop", "pet ", " cope", "opet "} <= found.keys()
    assert " hp " in found
    assert "t h" not in found


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("motorr sya dicurii", "theft"),  # typos
        ("kecopetan", "theft"),  # another form of a known word
        ("biayanya brp", "fee"),  # slang left as written
        ("somebody stole my phone", "theft"),  # English
        ("how much is the cost", "fee"),
    ],
)
def test_pieces_of_words_find_the_intent(model: NgramModel, text: str, intent: str) -> None:
    assert best(model, text) == intent


def test_scores_are_cosines(model: NgramModel) -> None:
    found = model.scores("motor saya dicuri")
    assert 0.7 < found["theft"] <= 1.0 + 1e-9  # its own phrase, and near its centroid
    assert found.get("fee", 0.0) < 0.3
    assert model.scores("") == {}
    assert model.scores("zzzz") == {}


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("hpku dijambrett orang di pasarr", "incident"),  # typos the word lists miss
        ("sy kesel, petugasnya judes bgt", "complaint"),  # colloquial
        ("i would like to see my earlier reports", "my_cases"),  # English
    ],
)
def test_the_classifier_hears_both_readers(text: str, intent: str) -> None:
    found = build_classifier({}).classify(text)
    assert found.intent == intent
    assert found.tier is Tier.CONFIDENT


def test_built_fast_and_reads_fast() -> None:
    normalized = {i: [" ".join(content_words(p)) for p in ps] for i, ps in BUILTIN_PHRASES.items()}
    started = time.perf_counter()
    model = NgramModel(normalized)
    assert time.perf_counter() - started < 0.5  # ~100 ms; generous for a loaded machine
    started = time.perf_counter()
    for _ in range(100):
        model.scores("motor sy ilang di parkiran pasar tadi pagi")
    assert (time.perf_counter() - started) / 100 < 0.002  # ~0.1 ms
