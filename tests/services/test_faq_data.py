"""The shipped FAQ sample: valid, complete in both languages, marked as sample."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from backoffice.schemas.faq import FaqBase
from bot.domain.faq import Faq, FaqDataError, make_faq
from bot.domain.i18n import LOCALES
from bot.domain.references import REFERENCE_PATTERN
from bot.services.faq import SHIPPED, load_shipped

TOPICS = {
    "office_hours",
    "skck_requirements",
    "skck_fee",
    "crowd_permit",
    "address",
    "emergency_numbers",
    "complaint_handling",
    "privacy",
}
MIN_QUESTIONS = {"id": 6, "en": 4}  # several phrasings each, informal ones included


@pytest.fixture(scope="module")
def shipped() -> tuple[Faq, ...]:
    return load_shipped()


def test_the_file_and_every_entry_are_marked_sample(shipped: tuple[Faq, ...]) -> None:
    raw = json.loads(SHIPPED.read_text(encoding="utf-8"))
    assert raw["sample"] is True
    assert all(entry["sample"] is True for entry in raw["entries"])
    assert all(entry.sample for entry in shipped)
    readme = (SHIPPED.parent / "README.md").read_text(encoding="utf-8")
    assert "faq.json" in readme
    assert "SAMPLE" in readme


def test_every_topic_is_covered_once(shipped: tuple[Faq, ...]) -> None:
    ids = [entry.id for entry in shipped]
    assert len(ids) == len(set(ids))
    assert set(ids) == TOPICS


@pytest.mark.parametrize(("locale"), LOCALES)
def test_every_entry_is_complete_in_every_language(shipped: tuple[Faq, ...], locale: str) -> None:
    for entry in shipped:
        assert entry.title[locale], entry.id
        assert entry.answer[locale], entry.id
        assert len(entry.questions[locale]) >= MIN_QUESTIONS[locale], entry.id


def test_the_shipped_entries_pass_the_apis_own_validation(shipped: tuple[Faq, ...]) -> None:
    for entry in shipped:
        FaqBase.model_validate(
            {
                "title": entry.title,
                "questions": entry.questions,
                "answer": entry.answer,
                "sample": entry.sample,
            }
        )


@pytest.mark.parametrize(
    ("faq_id", "facts"),
    [
        ("emergency_numbers", ("110", "112", "113", "119")),
        ("skck_fee", ("30", "PP 76/2020")),
        ("skck_requirements", ("KTP", "PP 76/2020")),
        ("privacy", ("27/2022",)),
    ],
)
def test_the_answers_state_the_key_facts(
    shipped: tuple[Faq, ...], faq_id: str, facts: tuple[str, ...]
) -> None:
    [entry] = [entry for entry in shipped if entry.id == faq_id]
    for locale in LOCALES:
        for fact in facts:
            assert fact in entry.answer[locale], (faq_id, locale, fact)


def test_the_skck_fee_is_written_as_each_language_writes_money(shipped: tuple[Faq, ...]) -> None:
    [fee] = [entry for entry in shipped if entry.id == "skck_fee"]
    assert "Rp30.000" in fee.answer["id"]
    assert "Rp30,000" in fee.answer["en"]


def test_sample_answers_say_so(shipped: tuple[Faq, ...]) -> None:
    unmarked = [
        entry.id
        for entry in shipped
        if entry.id != "emergency_numbers" and "CONTOH" not in entry.answer["id"]
    ]
    assert unmarked == []
    assert all("SAMPLE" in e.answer["en"] for e in shipped if e.id != "emergency_numbers")


def test_no_answer_looks_like_a_case_reference(shipped: tuple[Faq, ...]) -> None:
    for entry in shipped:
        for text in entry.answer.values():
            assert not REFERENCE_PATTERN.search(text), entry.id


@pytest.mark.parametrize(
    ("faq_id", "change", "reason"),
    [
        ("Bad Id", {}, "not an FAQ id"),
        ("x" * 41, {}, "at most 40"),
        ("ok", {"answer": {"id": "Jawaban"}}, "no title or answer in 'en'"),
        ("ok", {"title": {"id": " ", "en": "x"}}, "no title or answer in 'id'"),
        ("ok", {"questions": {"id": ["  "], "en": ["x"]}}, "no question in 'id'"),
    ],
)
def test_make_faq_refuses_incomplete_entries(
    faq_id: str, change: dict[str, object], reason: str
) -> None:
    fields: dict[str, object] = {
        "title": {"id": "Judul", "en": "Title"},
        "questions": {"id": ["tanya"], "en": ["ask"]},
        "answer": {"id": "Jawaban", "en": "Answer"},
    } | change
    with pytest.raises(FaqDataError, match=reason):
        make_faq(faq_id, **fields)  # type: ignore[arg-type]


def test_a_broken_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "faq.json"
    path.write_text('{"entries": [{"id": "x"}]}', encoding="utf-8")
    with pytest.raises(FaqDataError, match="not an FAQ file"):
        load_shipped(path)
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(FaqDataError, match="not an FAQ file"):
        load_shipped(path)
