"""The duty-desk data file: the shipped SAMPLE, a deployment's own, and bad files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.app import create_app
from bot.domain.clock import ManualClock
from bot.duty.desks import SAMPLE_FILE, DeskFileError, load_desks
from bot.duty.group import DutyGroup
from bot.settings import Settings
from tests.support.duty import PALEMBANG

JAKARTA = (-6.2088, 106.8456)
INDRALAYA = (-3.2150, 104.6480)


def desk(desk_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": desk_id,
        "name": f"SPKT {desk_id}",
        "phone": "(0711) 555-0000",
        "area": {"description": "somewhere", "latitude": -3.0, "longitude": 104.0, "radius_km": 10},
    } | extra


def write(tmp_path: Path, content: Any) -> Path:
    path = tmp_path / "desks.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


def test_the_shipped_file_is_valid_and_marked_as_sample() -> None:
    desks = load_desks()
    assert desks.sample is True
    assert "SAMPLE" in json.loads(SAMPLE_FILE.read_text())["note"]
    assert desks.default.id == "polda-sumsel"
    assert len(desks.all) >= 5
    assert all(d.phone and d.name.startswith("SPKT") for d in desks.all)


def test_the_nearest_desk_is_the_most_local_one_covering_the_place() -> None:
    desks = load_desks()
    assert desks.nearest(*PALEMBANG).id == "polrestabes-palembang"
    assert desks.nearest(*INDRALAYA).id == "polres-ogan-ilir"
    assert desks.nearest(*JAKARTA) == desks.default  # outside every area
    assert desks.get("polres-prabumulih") is not None
    assert desks.get("nowhere") is None


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("{not json", "not valid JSON"),
        ({"desks": []}, "desks: List should have at least 1 item"),
        ({"desks": [desk("a"), desk("b")]}, 'exactly one desk must have "default": true'),
        (
            {"desks": [desk("a", default=True), desk("b", default=True)]},
            "exactly one desk must have",
        ),
        ({"desks": [desk("a", default=True), desk("a")]}, "repeated: a"),
        ({"desks": [desk("a", default=True, phone="call us")]}, "desks.0.phone"),
        ({"desks": [desk("Bad Id", default=True)]}, "desks.0.id"),
        ({"desks": [desk("a", default=True, fax="1")]}, "desks.0.fax: Extra inputs"),
        (
            {"desks": [desk("a", default=True, area={"description": "x", "latitude": 95})]},
            "desks.0.area.latitude",
        ),
    ],
)
def test_a_bad_file_is_refused_with_the_reason(tmp_path: Path, content: Any, reason: str) -> None:
    path = write(tmp_path, content)
    with pytest.raises(DeskFileError) as refused:
        load_desks(path)
    assert str(path) in str(refused.value)
    assert reason in str(refused.value)


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DeskFileError, match="cannot be read"):
        load_desks(tmp_path / "nope.json")


def test_the_configured_file_is_used_and_a_bad_one_stops_the_start(
    settings: Settings, tmp_path: Path
) -> None:
    own = write(tmp_path, {"desks": [desk("spkt-ours", default=True)]})
    app = create_app(settings.model_copy(update={"duty_desks_file": own}), clock=ManualClock())
    assert app.state.runtime.duty.desks.default.id == "spkt-ours"
    assert app.state.runtime.duty.desks.sample is False
    broken = write(tmp_path, "[]")
    with pytest.raises(DeskFileError):
        create_app(settings.model_copy(update={"duty_desks_file": broken}))


def test_the_duty_chat_must_be_a_chat_id() -> None:
    with pytest.raises(ValueError, match="PINTU_DUTY_TELEGRAM_CHAT_ID"):
        DutyGroup("@piket_spkt", "id")
    assert DutyGroup("-1001234567890", "id").chat_id == "-1001234567890"
