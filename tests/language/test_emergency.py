"""Two-tier emergency detection (DESIGN §6, issue #5) measured on realistic messages.

`tests/language/data/emergency_eval.tsv` holds citizen messages with the tier each
should reach. The bars: no present emergency missed, almost no false
emergencies for the duty desk, and the right tier for nine messages in ten.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from bot.language.emergency import Urgency, assess, said_outright

DATA = Path(__file__).parent / "data"
EVAL_SET = DATA / "emergency_eval.tsv"
MIN_MESSAGES = 120
MAX_FALSE_EMERGENCY_SHARE = 0.02
REQUIRED_ACCURACY = 0.90


def read_eval_set(path: Path = EVAL_SET) -> list[tuple[str, Urgency]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            text, expected = line.split("\t")
            rows.append((text, Urgency(expected)))
    return rows


def misses(rows: list[tuple[str, Urgency]]) -> list[str]:
    found = []
    for text, expected in rows:
        assessment = assess(text)
        if assessment.urgency is not expected:
            cues = ", ".join(assessment.cues) or "-"
            found.append(f"{expected} -> {assessment.urgency}: {text!r} ({cues})")
    return found


def test_the_eval_set_is_large_varied_and_has_no_repeats() -> None:
    rows = read_eval_set()
    assert len(rows) >= MIN_MESSAGES
    tiers = Counter(expected for _, expected in rows)
    assert set(tiers) == set(Urgency)
    assert min(tiers.values()) >= len(rows) // 5  # every tier well represented
    texts = [text.casefold() for text, _ in rows]
    assert len(texts) == len(set(texts))


def test_no_present_emergency_is_missed() -> None:
    emergencies = [row for row in read_eval_set() if row[1] is Urgency.EMERGENCY_NOW]
    missed = misses(emergencies)
    assert missed == [], "missed emergencies:\n" + "\n".join(missed)


def test_false_emergencies_are_rare() -> None:
    others = [row for row in read_eval_set() if row[1] is not Urgency.EMERGENCY_NOW]
    false = [m for m in misses(others) if f"-> {Urgency.EMERGENCY_NOW}" in m]
    share = len(false) / len(others)
    assert share <= MAX_FALSE_EMERGENCY_SHARE, f"{share:.1%} false emergencies:\n" + "\n".join(
        false
    )


def test_accuracy() -> None:
    rows = read_eval_set()
    missed = misses(rows)
    accuracy = 1 - len(missed) / len(rows)
    assert accuracy >= REQUIRED_ACCURACY, f"accuracy {accuracy:.1%}:\n" + "\n".join(missed)


@pytest.mark.parametrize(
    "text",
    ["help", "tolong", "bantuan", "Help!", "TOLONG", "tolong pak", "/help", "bantuan?", "tlg"],
)
def test_help_and_tolong_alone_are_no_emergency(text: str) -> None:
    assert assess(text).urgency is Urgency.NONE


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tolong ada perampokan sekarang", Urgency.EMERGENCY_NOW),
        ("help someone is hurt", Urgency.EMERGENCY_NOW),
        ("ada orang ditusuk di depan rumah saya", Urgency.EMERGENCY_NOW),
        ("kebakaran di pasar sekarang", Urgency.EMERGENCY_NOW),
        ("saya sedang dikejar begal", Urgency.EMERGENCY_NOW),
        ("my house is on fire", Urgency.EMERGENCY_NOW),
        ("tolong ada maling", Urgency.ALARM),
        ("darurat", Urgency.ALARM),
        ("minggu lalu saya dibegal", Urgency.ALARM),
        ("kemarin motor saya dicuri", Urgency.NONE),
        ("last week my phone was stolen", Urgency.NONE),
        ("petugas lambat menangani laporan perampokan saya", Urgency.NONE),
        ("I want to complain that the robbery case was not followed up", Urgency.NONE),
        ("nomor darurat berapa?", Urgency.NONE),
        ("tolong bantu saya isi formulir", Urgency.NONE),
    ],
)
def test_the_examples_of_the_issue(text: str, expected: Urgency) -> None:
    assert assess(text).urgency is expected


@pytest.mark.parametrize(
    ("typo", "cue"),
    [
        ("darurt", "alarm:darurat"),
        ("rampk", "alarm:rampok"),
        ("kebakarn", "life:kebakaran"),
        ("di tusuk", "life:tusuk"),
        ("jambert", "alarm:jambret"),
        ("kebakaraaan", "life:kebakaran"),
        ("dibegal2", "alarm:begal"),
    ],
)
def test_alarm_words_survive_typos(typo: str, cue: str) -> None:
    assessment = assess(typo)
    assert assessment.urgency is not Urgency.NONE
    assert cue in assessment.cues


@pytest.mark.parametrize(
    "text",
    [
        "paling cepat kapan",  # maling
        "bekal untuk perjalanan",  # begal
        "selamat malam",  # malak
        "harga tembakau naik",  # tembak
        "saya sengaja datang",  # senjata
        "my hands are drying",  # dying
        "he stopped breathing heavily after the run",  # beating
        "pintu darurat dikunci",
        "syarat izin senjata api",
        "bisa nembak sim?",
    ],
)
def test_everyday_words_raise_no_alarm(text: str) -> None:
    assert assess(text).urgency is Urgency.NONE, assess(text).cues


@pytest.mark.parametrize(
    "text",
    ["tidak ada yang terluka", "no one is hurt", "ini bukan darurat", "it's not an emergency"],
)
def test_negated_danger_raises_no_alarm(text: str) -> None:
    assert assess(text).urgency is Urgency.NONE


def test_cues_name_only_lexicon_labels_never_other_words() -> None:
    assessment = assess("Nama saya Budi Santoso, ada perampokan sekarang di Jl. Merdeka 7")
    assert assessment.urgency is Urgency.EMERGENCY_NOW
    assert assessment.cues == ("scene:ada", "alarm:rampok", "now:sekarang")
    assert all(":" in cue for cue in assessment.cues)


@pytest.mark.parametrize("text", ["", "   ", "🚨🚨🚨", "!!!", "???", "12345", "x" * 5000])
def test_odd_input_is_no_emergency(text: str) -> None:
    assert assess(text).urgency is Urgency.NONE


def test_a_long_message_is_read_to_its_end() -> None:
    text = "saya mau cerita panjang soal pelayanan. " * 50 + "tolong ada perampokan sekarang"
    assert assess(text).urgency is Urgency.EMERGENCY_NOW


def test_no_ordinary_request_of_the_intent_eval_set_is_an_emergency() -> None:
    """Complaints, status checks, FAQ and help requests written for the intent classifier."""
    ordinary = []
    for line in (DATA / "intent_eval.tsv").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            text, intent = line.split("\t")
            if intent != "incident":
                ordinary.append(text)
    assert len(ordinary) > 100
    alarmed = [text for text in ordinary if assess(text).urgency is Urgency.EMERGENCY_NOW]
    assert alarmed == []


@pytest.mark.parametrize(
    ("text", "outright"),
    [
        ("tolong ada perampokan sekarang", True),
        ("help someone is hurt", True),
        ("sekarang ada orang berdarah di jalan", True),
        ("someone is bleeding", True),
        ("The rider is hurt.", False),
        ("ada orang ditusuk", False),
        ("ada kebakaran", False),
    ],
)
def test_an_emergency_said_outright_is_told_from_one_only_implied(
    text: str, outright: bool
) -> None:
    found = assess(text)
    assert found.urgency is Urgency.EMERGENCY_NOW
    assert said_outright(found) is outright
