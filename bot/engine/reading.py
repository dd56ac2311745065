"""Reading an input as the answer to a step, and showing an answer in a summary.

The answers are the typed values of `bot.engine.answers`.
"""

from __future__ import annotations

from bot.domain.i18n import N_, Translator
from bot.domain.messages import Expect, Inbound, InboundKind
from bot.engine.answers import (
    AddressAnswer,
    Answer,
    Answers,
    ChoiceAnswer,
    LocationAnswer,
    MediaAnswer,
    Place,
    Skipped,
    TextAnswer,
    TimeAnswer,
)
from bot.engine.effects import PlaceAnswer
from bot.engine.flow import Flow, Reading, Step
from bot.engine.matching import normalize

SKIP_ID = "_skip"
DONE_ID = "_done"  # no more files for a step that takes several
SKIP_WORDS = ("lewati", "skip", "lewat", "tidak ada", "tdk ada", "no photo", "none")
# What a citizen writes for "nothing to give here", once fillers are dropped.
_NOTHING = frozenset(
    (*SKIP_WORDS, "lanjut", "lanjutkan", "next", "no", "nope", "nothing", "tidak", "tdk", "ga",
     "gak", "gk", "ngga", "nggak", "enggak", "engga", "ndak", "kagak", "nda", "belum", "blm",
     "ga ada", "gak ada", "gk ada", "ngga ada", "nggak ada", "enggak ada", "nda ada",
     "ndak ada", "kagak ada", "belum ada", "blm ada", "tidak punya", "ga punya", "gak punya",
     "gk punya", "nggak punya", "gaada", "gada", "gkada", "tidak usah", "ga usah", "gak usah",
     "gk usah", "nggak usah", "no photos", "none")
)  # fmt: skip
_FILLERS = frozenset(
    "foto fotonya photo photos gambar gambarnya pic pics bukti buktinya sih dulu aja saja deh "
    "kak pak bu bang mas mbak min ya yah kok kayaknya".split()
)
STORY_MIN_WORDS = 4  # fewer words are a try at the options, not a story
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
        return Skipped(), ""
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
    if choice_id is not None and choice_id in [option.id for option in step.options]:
        return ChoiceAnswer(choice_id), ""
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
        return TextAnswer(text), ""
    answer = step.reader(text, reading)
    return (answer, "") if answer is not None else (None, step.hint or N_("input.text_needed"))


def _media(step: Step, choice_id: str | None, inbound: Inbound, so_far: Answer | None) -> Outcome:
    files = so_far.files if isinstance(so_far, MediaAnswer) else ()
    if choice_id == DONE_ID:
        return (MediaAnswer(files), "") if files else (Skipped(), "")
    if inbound.media is not None and inbound.media.mime_type.startswith("image/"):
        return MediaAnswer((*files, inbound.media.media_id)), ""
    if files:
        return None, N_("input.photo_or_done")
    return None, N_("input.photo_or_skip") if step.skippable else N_("input.photo_needed")


def _place(step: Step, inbound: Inbound) -> Outcome:
    if inbound.location is not None:
        spot = inbound.location
        return LocationAnswer(spot.latitude, spot.longitude, spot.name, spot.address), ""
    if inbound.kind is not InboundKind.TEXT:
        return None, N_("input.location_needed")
    text = inbound.text.strip()
    if len(text) < MIN_ADDRESS_CHARS:
        return None, N_("input.address_too_short")
    if len(text) > step.max_chars:
        return None, N_("input.text_too_long")
    return AddressAnswer(text), ""


def says_skip(text: str) -> bool:
    """Whether `text` says there is nothing to give: "gk ada foto", "ga ada", "lanjut"."""
    words = [w for w in normalize(text).split() if w not in _FILLERS]
    return bool(words) and " ".join(words) in _NOTHING


def story_step(flow: Flow, step: Step, text: str, answers: Answers) -> Step | None:
    """The later free-text step a story told at `step` answers, if `text` is one."""
    text = text.strip()
    if len(text.split()) < STORY_MIN_WORDS:
        return None
    later = flow.steps[[s.key for s in flow.steps].index(step.key) + 1 :]
    for candidate in later:
        fits = candidate.min_chars <= len(text) <= candidate.max_chars
        if candidate.expects is Expect.TEXT and candidate.reader is None and fits:
            return None if candidate.key in answers else candidate
    return None


def file_count(answer: Answer | None) -> int:
    return len(answer.files) if isinstance(answer, MediaAnswer) else 0


def describe(step: Step, answer: Answer | None, translator: Translator, locale: str) -> str:
    """An answer as the summary before confirming shows it."""

    def t(key: str, **params: object) -> str:
        return translator.text(locale, key, **params)

    match answer:
        case None | Skipped():
            return t(N_("summary.none"))
        case ChoiceAnswer(value):
            labels = {option.id: option.label for option in step.options}
            return t(labels[value])
        case MediaAnswer(files):
            return t(N_("summary.files"), count=len(files))
        case LocationAnswer():
            return place_words(answer)
        case TimeAnswer():
            return describe_time(answer, translator, locale)
        case TextAnswer(value) | AddressAnswer(value):
            text = value
        case _:
            text = answer.value.isoformat()
    return text if len(text) <= SUMMARY_TEXT_LIMIT else text[:SUMMARY_TEXT_LIMIT] + "…"


def place_words(spot: LocationAnswer) -> str:
    """A shared point in words: its name and address when the channel gave them."""
    named = ", ".join(part for part in (spot.name, spot.address) if part)
    point = f"{spot.latitude:.5f}, {spot.longitude:.5f}"
    return f"{named} ({point})" if named else point


def describe_time(answer: TimeAnswer, translator: Translator, locale: str) -> str:
    """What was understood of a typed time, and always the citizen's own words."""
    words = answer.words
    if answer.start is None:
        return translator.text(locale, N_("summary.time_not_understood"), words=words)
    if answer.precision in PRECISE:
        shown = translator.datetime(locale, answer.start)
    else:
        shown = translator.text(
            locale, N_("summary.time_about"), day=translator.date(locale, answer.start)
        )
    return translator.text(locale, N_("summary.time_understood"), time=shown, words=words)


def place_of(answer: Place) -> PlaceAnswer:
    """A `Location` or `Address` answer as the place of a case."""
    if isinstance(answer, LocationAnswer):
        address = ", ".join(part for part in (answer.name, answer.address) if part)
        return PlaceAnswer(answer.latitude, answer.longitude, address or None)
    return PlaceAnswer(address=answer.text)
