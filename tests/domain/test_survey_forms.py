"""The survey definitions: the shipped ikm survey is the regulation's, complete in
both languages; malformed data is refused before it reaches a citizen."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from bot.domain.i18n import LOCALES
from bot.domain.survey_forms import (
    SERVICE_NAMES,
    QuestionKind,
    Service,
    SurveyDataError,
    parse_surveys,
)
from bot.services.surveys import SHIPPED, load_surveys
from tests.domain.test_catalogs import translations

# DOMAIN.md §1: the marks 1 -> 4 of each element, as the regulation words them.
REGULATION = {
    "U1": ["Tidak sesuai", "Kurang sesuai", "Sesuai", "Sangat sesuai"],
    "U2": ["Tidak mudah", "Kurang mudah", "Mudah", "Sangat mudah"],
    "U3": ["Tidak cepat", "Kurang cepat", "Cepat", "Sangat cepat"],
    "U4": ["Sangat mahal", "Cukup mahal", "Murah", "Gratis"],
    "U5": ["Tidak sesuai", "Kurang sesuai", "Sesuai", "Sangat sesuai"],
    "U6": ["Tidak kompeten", "Kurang kompeten", "Kompeten", "Sangat kompeten"],
    "U7": [
        "Tidak sopan dan ramah",
        "Kurang sopan dan ramah",
        "Sopan dan ramah",
        "Sangat sopan dan ramah",
    ],
    "U8": [
        "Tidak ada",
        "Ada tetapi tidak berfungsi",
        "Berfungsi kurang maksimal",
        "Dikelola dengan baik",
    ],
    "U9": ["Buruk", "Cukup", "Baik", "Sangat baik"],
}
ELEMENTS = {
    "U1": "Persyaratan",
    "U2": "Sistem, mekanisme dan prosedur",
    "U3": "Waktu penyelesaian",
    "U4": "Biaya/tarif",
    "U5": "Produk spesifikasi jenis pelayanan",
    "U6": "Kompetensi pelaksana",
    "U7": "Perilaku pelaksana",
    "U8": "Penanganan pengaduan, saran dan masukan",
    "U9": "Sarana dan prasarana",
}


def shipped() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SHIPPED.read_text(encoding="utf-8"))
    return data


def test_the_ikm_survey_is_the_regulations() -> None:
    ikm = load_surveys()["ikm"]
    indonesian = translations("id")
    assert set(ikm.services) == set(Service)
    assert [q.code for q in ikm.elements] == list(REGULATION)
    for question in ikm.elements:
        labels = [indonesian[option.label] for option in question.options]
        assert labels == REGULATION[question.code], question.code
        assert [option.id for option in question.options] == ["1", "2", "3", "4"]
        assert indonesian[question.element or ""] == ELEMENTS[question.code]
        assert "{service}" in indonesian[question.prompt]
    suggestion = ikm.questions[-1]
    assert (suggestion.kind, suggestion.optional) == (QuestionKind.TEXT, True)


@pytest.mark.parametrize("locale", LOCALES)
def test_every_survey_text_and_service_name_exists_in_each_locale(locale: str) -> None:
    found = translations(locale)
    keys = set(SERVICE_NAMES.values())
    for survey in load_surveys().values():
        keys |= survey.catalog_keys()
    missing = sorted(key for key in keys if not found.get(key, "").strip())
    assert missing == [], f"untranslated in {locale}: {missing}"


def test_the_first_question_is_phrased_for_the_service() -> None:
    prompt = translations("id")[load_surveys()["ikm"].questions[0].prompt]
    service = translations("id")[SERVICE_NAMES[Service.SKCK]]
    assert prompt.format(service=service) == (
        "Bagaimana pendapat Bapak/Ibu tentang kesesuaian persyaratan pelayanan SKCK "
        "dengan jenis pelayanannya?"
    )


def _broken(change: Any) -> dict[str, Any]:
    data = copy.deepcopy(shipped())
    change(data["surveys"][0])
    return data


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (lambda s: s.update(code="Bad Code"), "bad survey code"),
        (lambda s: s.update(services=["parking"]), "parking"),
        (lambda s: s.update(services=[]), "no services"),
        (lambda s: s.update(questions=[]), "no questions"),
        (lambda s: s["questions"][0]["marks"].pop(), "each of the marks"),
        (lambda s: s["questions"][0].update(kind="stars"), "scale, choice or text"),
        (lambda s: s["questions"][1].update(code="U1"), "share a code"),
        (lambda s: s["questions"][0]["words"].update({"5": ["top"]}), "no mark 1-4"),
        (lambda s: s["questions"][-1].update(element="x"), "only a scale"),
        (lambda s: s["questions"][0].update(prompt=""), "non-empty"),
        (
            lambda s: s["questions"].append(
                {
                    "code": "seen",
                    "kind": "choice",
                    "prompt": "p",
                    "options": [{"id": "a", "label": "l"}],
                }
            ),
            "two or more options",
        ),
    ],
)
def test_malformed_definitions_are_refused(change: Any, complaint: str) -> None:
    with pytest.raises(SurveyDataError, match=complaint):
        parse_surveys(_broken(change))


def test_a_choice_question_is_read_too() -> None:
    def add_choice(survey: dict[str, Any]) -> None:
        options = [{"id": "online", "label": "a"}, {"id": "office", "label": "b", "words": ["x"]}]
        survey["questions"].insert(
            9, {"code": "via", "kind": "choice", "prompt": "p", "options": options}
        )

    via = parse_surveys(_broken(add_choice))["ikm"].question("via")
    assert via is not None
    assert (via.kind, [o.id for o in via.options]) == (QuestionKind.CHOICE, ["online", "office"])
    assert via.mark_of("online") is None  # a choice is no mark
