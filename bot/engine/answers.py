"""Reading an input as the answer to a step, and showing an answer in a summary.

An answer is stored as JSON in the conversation state (`bot.engine.state`):
``{"kind": ..., "value": ...}`` where the kind says what the value is —
``choice`` (an option id), ``text``, ``media`` (media ids), ``location``
(a shared point), ``address`` (a typed place), ``time`` (see
`bot.flows.readers`), ``date`` (ISO) or ``skipped``.
"""

from __future__ import annotations

from datetime import datetime

from bot.domain.i18n import N_, Translator
from bot.domain.messages import Expect, Inbound, InboundKind
from bot.engine.effects import PlaceAnswer
from bot.engine.flow import Reading, Step
from bot.engine.state import Answer

SKIP_ID = "_skip"
DONE_ID = "_done"  # no more files for a step that takes several
SKIP_WORDS = ("lewati", "skip", "lewat", "tidak ada", "tdk ada", "no photo", "none")
DONE_WORDS = ("selesai", "done", "sudah", "cukup", "finish", "finished")
MIN_ADDRESS_CHARS = 5
SUMMARY_TEXT_LIMIT = 300
PRECISE = ("minute", "hour")  # time precisions shown with the clock time

Outcome = tuple[Answer | None, str]
"""The answer, or None and the catalog key of what to say instead."""


def read_answer(
    step: Step, choice_id: str | None, inbound: Inbound, reading: Reading, so_far: Answer | None
) -> Outcome:
    """The answer `inbound` gives to `step` (`so_far`: its answer already, if any)."""
    if step.skippable and choice_id == SKIP_ID:
        return {"kind": "skipped", "value": None}, ""
    if step.expects is Expect.CHOICE:
        return _choice(step, choice_id, inbound, reading)
    if step.expects is Expect.TEXT:
        return _text(step, inbound, reading)
    if step.expects is Expect.MEDIA:
        return _media(step, choice_id, inbound, so_far)
    if step.expects is Expect.LOCATION:
        return _place(step, inbound)
    return None, N_("input.choose_option")


def _choice(step: Step, choice_id: str | None, inbound: Inbound, reading: Reading) -> Outcome:
    if choice_id in [option.id for option in step.options]:
        return {"kind": "choice", "value": choice_id}, ""
    if step.reader is not None and inbound.kind is InboundKind.TEXT:
        answer = step.reader(inbound.text.strip(), reading)
        if answer is not None:
            return answer, ""
        return None, step.hint or N_("input.choose_option")
    return None, N_("input.choose_option")


def _text(step: Step, inbound: Inbound, reading: Reading) -> Outcome:
    if inbound.kind is not InboundKind.TEXT:
        return None, N_("input.text_needed")
    text = inbound.text.strip()
    if len(text) < step.min_chars:
        return None, step.hint or N_("input.text_too_short")
    if len(text) > step.max_chars:
        return None, N_("input.text_too_long")
    if step.reader is None:
        return {"kind": "text", "value": text}, ""
    answer = step.reader(text, reading)
    return (answer, "") if answer is not None else (None, step.hint or N_("input.text_needed"))


def _media(step: Step, choice_id: str | None, inbound: Inbound, so_far: Answer | None) -> Outcome:
    files: list[int] = list(so_far["value"]) if so_far and so_far["kind"] == "media" else []
    if choice_id == DONE_ID:
        return ({"kind": "media", "value": files}, "") if files else ({"kind": "skipped"}, "")
    if inbound.media is not None and inbound.media.mime_type.startswith("image/"):
        return {"kind": "media", "value": [*files, inbound.media.media_id]}, ""
    if files:
        return None, N_("input.photo_or_done")
    return None, N_("input.photo_or_skip") if step.skippable else N_("input.photo_needed")


def _place(step: Step, inbound: Inbound) -> Outcome:
    if inbound.location is not None:
        spot = inbound.location
        value = {
            "latitude": spot.latitude,
            "longitude": spot.longitude,
            "name": spot.name,
            "address": spot.address,
        }
        return {"kind": "location", "value": value}, ""
    if inbound.kind is not InboundKind.TEXT:
        return None, N_("input.location_needed")
    text = inbound.text.strip()
    if len(text) < MIN_ADDRESS_CHARS:
        return None, N_("input.address_too_short")
    if len(text) > step.max_chars:
        return None, N_("input.text_too_long")
    return {"kind": "address", "value": text}, ""


def file_count(answer: Answer | None) -> int:
    return len(answer["value"]) if answer and answer["kind"] == "media" else 0


def describe(step: Step, answer: Answer | None, translator: Translator, locale: str) -> str:
    """An answer as the summary before confirming shows it."""

    def t(key: str, **params: object) -> str:
        return translator.text(locale, key, **params)

    kind = answer["kind"] if answer else "skipped"
    if answer is None or kind == "skipped":
        return t(N_("summary.none"))
    if kind == "choice":
        labels = {option.id: option.label for option in step.options}
        return t(labels[answer["value"]])
    if kind == "media":
        return t(N_("summary.files"), count=len(answer["value"]))
    if kind == "location":
        return place_words(answer["value"])
    if kind == "time":
        return describe_time(answer, translator, locale)
    text = str(answer["value"])
    return text if len(text) <= SUMMARY_TEXT_LIMIT else text[:SUMMARY_TEXT_LIMIT] + "…"


def place_words(spot: dict[str, object]) -> str:
    """A shared point in words: its name and address when the channel gave them."""
    named = ", ".join(str(part) for part in (spot.get("name"), spot.get("address")) if part)
    point = f"{float(str(spot['latitude'])):.5f}, {float(str(spot['longitude'])):.5f}"
    return f"{named} ({point})" if named else point


def describe_time(answer: Answer, translator: Translator, locale: str) -> str:
    """What was understood of a typed time, and always the citizen's own words."""
    words = answer.get("words", "")
    if not answer.get("value"):
        return translator.text(locale, N_("summary.time_not_understood"), words=words)
    start = datetime.fromisoformat(answer["value"])
    if answer.get("precision") in PRECISE:
        shown = translator.datetime(locale, start)
    else:
        shown = translator.text(
            locale, N_("summary.time_about"), day=translator.date(locale, start)
        )
    return translator.text(locale, N_("summary.time_understood"), time=shown, words=words)


def place_of(answer: Answer) -> PlaceAnswer:
    """A `location` or `address` answer as the place of a case."""
    if answer["kind"] == "location":
        spot = answer["value"]
        address = ", ".join(str(p) for p in (spot.get("name"), spot.get("address")) if p)
        return PlaceAnswer(spot["latitude"], spot["longitude"], address or None)
    return PlaceAnswer(address=str(answer["value"]))
