"""The shared vocabulary as stored: an outbound message survives its JSON form."""

from __future__ import annotations

import json
from dataclasses import asdict

from bot.domain.messages import Choice, Expect, Outbound


def test_outbound_round_trips_with_every_field_set() -> None:
    message = Outbound(
        text="Pilih kategori: «layanan»",
        choices=(Choice("1", "Pelayanan polisi"), Choice("2", "Perilaku petugas")),
        expects=Expect.LOCATION,
        prompt_token="p7",
        urgent=True,
        meta={"notice": "case_reply", "ref": "PGD-7K3QXM"},
    )
    stored = message.to_json()
    assert Outbound.from_json(stored) == message
    # Written field by field for speed, it must still hold what `asdict` holds.
    assert json.loads(stored) == json.loads(json.dumps(asdict(message)))
    assert "«layanan»" in stored  # kept readable, not \u-escaped


def test_outbound_defaults_round_trip() -> None:
    assert Outbound.from_json(Outbound("halo").to_json()) == Outbound("halo")
