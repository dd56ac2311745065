"""A conversation's stored JSON: read back as written, and read from the shape
stored before waits and answers were typed."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from bot.engine.answers import (
    Answers,
    ChoiceAnswer,
    DateAnswer,
    LocationAnswer,
    MediaAnswer,
    Skipped,
    TextAnswer,
    TimeAnswer,
)
from bot.engine.state import ConversationState
from bot.engine.stored import state_from_json, state_to_json
from bot.engine.waits.case_choice import ChoosingCase
from bot.engine.waits.case_note import WritingCaseNote
from bot.engine.waits.language import ChoosingLanguage

OLD_STATE = """{
  "flow": "incident", "step": "_confirm",
  "answers": {
    "danger": {"kind": "choice", "value": "no"},
    "when": {"kind": "time", "value": "2024-05-01T21:00:00+07:00", "end": null,
             "precision": "hour", "words": "kemarin jam 9", "matched": "kemarin jam 9"},
    "where": {"kind": "location", "value": {"latitude": -2.99, "longitude": 104.75,
              "name": "Pasar 16", "address": null}},
    "photos": {"kind": "skipped"},
    "odd": {"kind": "hologram", "value": 3}
  },
  "editing": false, "pending": "language", "pending_data": {},
  "flow_data": {"opening": "ada maling"}, "draft_ref": null, "prompt_token": "7",
  "choice_ids": ["id", "en"], "touched_at": "2024-05-02T08:00:00+00:00",
  "burst_started_at": null, "burst_count": 2
}"""


def test_a_state_stored_with_a_pending_string_and_dict_answers_still_reads() -> None:
    state = state_from_json(OLD_STATE)
    assert state.wait == ChoosingLanguage()
    assert state.answers.choice("danger") == "no"
    when = state.answers.time("when")
    assert when is not None
    assert when.words == "kemarin jam 9"
    assert when.start == datetime(2024, 5, 1, 14, 0, tzinfo=UTC)
    assert state.answers.place("where") == LocationAnswer(-2.99, 104.75, "Pasar 16", None)
    assert state.answers["photos"] == Skipped()
    assert "odd" not in state.answers  # an answer no engine knows is dropped, not fatal
    assert (state.step, state.prompt_token, state.burst_count) == ("_confirm", "7", 2)


def test_an_old_case_choice_keeps_the_follow_up_it_waits_to_place() -> None:
    old = {"pending": "case", "pending_data": {"text": "ada lagi", "media_id": 4}}
    assert state_from_json(json.dumps(old)).wait == ChoosingCase(text="ada lagi", media_id=4)
    old = {"pending": "case_note", "pending_data": {"ref": "PGD-1"}}
    assert state_from_json(json.dumps(old)).wait == WritingCaseNote(ref="PGD-1")
    assert state_from_json(json.dumps({"pending": "no_such_wait"})).wait is None


def test_a_state_reads_back_as_it_was_written() -> None:
    state = ConversationState(flow="status", step="birth_date", prompt_token="3")
    state.answers = Answers(
        {
            "topic": ChoiceAnswer("skck"),
            "number": TextAnswer("SKCK/1"),
            "birth_date": DateAnswer(date(1990, 8, 17)),
            "photo": MediaAnswer((1, 2)),
            "when": TimeAnswer(None, None, "unknown", "entah kapan"),
        }
    )
    state.wait = ChoosingCase(note=True)
    stored = state_to_json(state)
    assert state_from_json(stored) == state
    assert json.loads(stored)["answers"]["topic"] == {"kind": "choice", "value": "skck"}


def test_nothing_stored_is_a_fresh_conversation() -> None:
    assert state_from_json(None) == ConversationState()
