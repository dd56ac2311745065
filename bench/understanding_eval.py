"""Understanding: where the first reply takes a citizen's own words (issue #10).

    .venv/bin/python -m bench.understanding_eval [--rounds N] [--examples N]

Each line of `tests/language/data/understanding_eval.tsv` is sent, as a text
message, through the real `bot.engine.core.Engine` (shipped flows, menu, FAQ
sample, catalogs and duty desks; no database, no I/O), in two situations:

- idle: no flow running, no open case, not the first contact;
- after filing: the same with one open case, as after a complaint was sent
  (today free text then goes to that case as a follow-up).

The reply is read back into the set's intent names by what it did, in this
order: an alarm raised (`emergency`); broadcasts switched off (`opt_out`); text
added to a case (`added_to_case`); a flow started (`complaint`, `incident`,
`status`; the incident flow started by alarm words asks the danger question
first: `danger_question`); the language question (`language`); the help text
(`help`); "cancelled" or "nothing to cancel" (`cancel`); "did you mean"
(`clarify`); which case to add to (`which_case`); an FAQ answer (`faq:<id>`);
"not understood" and the menu (`none`); the menu alone (`menu`). Nothing
answers `subscribe`, `thanks` or `my_cases` yet, so those lines all count as
wrong.

Scoring, per line: right when the reading is the expected intent (`none` is
also right when the menu alone is shown; `incident` also when the danger
question is asked); a clarification when the reply asks "did you mean" or
which case, or asks the danger question of an `emergency`; wrong otherwise.
Printed per split: right and clarification shares, per-intent accuracy, the
confusions, and the engine's time per message (µs).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from bot.domain.i18n import Translator
from bot.domain.messages import Inbound, InboundKind
from bot.duty.desks import load_desks
from bot.engine.core import Engine
from bot.engine.effects import AddToCase, RaiseAlarm, SetBroadcastOptIn
from bot.engine.state import ConversationState
from bot.engine.turn import INCIDENT_FLOW, Reply, Turn
from bot.engine.waits.add_or_new import AddingOrNew
from bot.engine.waits.language import ChoosingLanguage
from bot.engine.waits.my_cases import ChoosingCaseAction
from bot.flows import FLOWS, MENU
from bot.services.applications import ApplicationKind, LookupResult
from bot.services.faq import FaqSnapshot, load_shipped, snapshot

ROOT = Path(__file__).resolve().parent.parent
EVAL_SET = ROOT / "tests" / "language" / "data" / "understanding_eval.tsv"
SPLITS = ("tune", "heldout")
LOCALE = "id"
NOW = datetime(2025, 3, 3, 10, 0, tzinfo=UTC)  # a Monday morning: nothing depends on it
OPEN_CASE = "PGD-20250301-0001"
SITUATIONS = {"idle": (), "after filing": (OPEN_CASE,)}
ALSO_RIGHT = {"none": {"menu"}, "incident": {"danger_question"}}
ASKING = {
    "clarify",
    "which_case",
    "add_or_new",
}  # replies that ask the citizen which reading they meant


@dataclass(frozen=True, slots=True)
class Line:
    text: str
    intent: str
    split: str


@dataclass(frozen=True, slots=True)
class Result:
    line: Line
    got: str  # the reply read as an intent name (see the module docstring)
    offered: tuple[str, ...]  # the choices of a "did you mean"
    micros: float  # the engine's time for this message

    @property
    def right(self) -> bool:
        return self.got == self.line.intent or self.got in ALSO_RIGHT.get(self.line.intent, ())

    @property
    def asks(self) -> bool:
        return self.got in ASKING or (
            self.line.intent == "emergency" and self.got == "danger_question"
        )


def read_eval_set(path: Path = EVAL_SET) -> list[Line]:
    lines = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        if raw.strip() and not raw.startswith("#"):
            text, intent, split = raw.split("\t")
            if split not in SPLITS:
                raise ValueError(f"{path}: unknown split {split!r} in {raw!r}")
            lines.append(Line(text, intent, split))
    return lines


def _no_lookup(kind: ApplicationKind, number: str, birth_date: date) -> LookupResult:
    raise AssertionError("a single first message never reaches an application lookup")


class ReplyReader:
    """Turns an engine reply into the intent name it acted on."""

    def __init__(self, translator: Translator, faq: FaqSnapshot) -> None:
        def text(key: str) -> str:
            return translator.text(LOCALE, key)

        self.said: dict[str, str] = {
            text("help.general"): "help",
            text("flow.cancelled"): "cancel",
            text("flow.nothing_to_cancel"): "cancel",
            text("faq.did_you_mean"): "clarify",
            text("case.which"): "which_case",
            text("thanks.reply"): "thanks",
            text("status.no_cases"): "my_cases",
            text("input.not_understood"): "none",
        }
        self.said |= {entry.answer_in(LOCALE): f"faq:{entry.id}" for entry in faq.entries}
        self.menu_prompt = text("menu.prompt")
        self.said_longest_first = sorted(self.said.items(), key=lambda item: -len(item[0]))

    def read(self, reply: Reply) -> tuple[str, tuple[str, ...]]:
        """The intent `reply` acted on, and the choices it offered when it asked."""
        for effect in reply.effects:
            if isinstance(effect, RaiseAlarm):
                return "emergency", ()
            if isinstance(effect, SetBroadcastOptIn):
                return ("subscribe" if effect.opt_in else "opt_out"), ()
            if isinstance(effect, AddToCase):
                return "added_to_case", ()
        state = reply.state
        if state.flow == INCIDENT_FLOW and "opening" in state.flow_data:
            return "danger_question", ()
        if state.flow:
            return state.flow, ()
        if isinstance(state.wait, ChoosingLanguage):
            return "language", ()
        if isinstance(state.wait, AddingOrNew):
            return "add_or_new", ()
        if isinstance(state.wait, ChoosingCaseAction):
            return "my_cases", ()
        # A turn's texts may be joined into one message (bot.engine.compose): look inside.
        for message in reply.messages:
            for known, found in self.said_longest_first:
                if known in message.text:
                    offered = tuple(choice.id for choice in message.choices)
                    return found, offered if found == "clarify" else ()
        if any(self.menu_prompt in message.text for message in reply.messages):
            return "menu", ()
        return "other", ()


def run(lines: list[Line], open_cases: tuple[str, ...], rounds: int) -> list[Result]:
    """Each line as the one message of a fresh conversation; times from `rounds` passes."""
    translator = Translator(ROOT / "locales", LOCALE, "Asia/Jakarta")
    faq = snapshot(load_shipped())
    engine = Engine(
        flows=FLOWS, menu=MENU, translator=translator, idle_seconds=1800, desks=load_desks()
    )
    reader = ReplyReader(translator, faq)
    turn = Turn(
        now=NOW,
        locale=LOCALE,
        first_contact=False,
        open_cases=open_cases,
        new_reference=lambda prefix: f"{prefix}-20250303-0001",
        faq=faq,
        lookup=_no_lookup,
    )
    results = []
    for number, line in enumerate(lines):
        inbound = Inbound("console", "citizen", str(number), InboundKind.TEXT, text=line.text)
        timed: list[float] = []
        for _ in range(rounds):
            started = time.perf_counter_ns()
            reply = engine.handle(ConversationState(), inbound, turn)
            timed.append((time.perf_counter_ns() - started) / 1e3)
        got, offered = reader.read(reply)
        results.append(Result(line, got, offered, statistics.median(timed)))
    return results


# -- printing --------------------------------------------------------------


def share(part: int, whole: int) -> str:
    return f"{part / whole:6.1%}" if whole else "     -"


def summary(results: list[Result]) -> list[str]:
    rows = [f"{'split':<9} {'lines':>5} {'right':>7} {'asks':>7} {'wrong':>7}"]
    for split in (*SPLITS, "all"):
        found = [r for r in results if split in ("all", r.line.split)]
        right = sum(r.right for r in found)
        asks = sum(r.asks and not r.right for r in found)
        wrong = len(found) - right - asks
        rows.append(
            f"{split:<9} {len(found):>5} {share(right, len(found))} {share(asks, len(found))} "
            f"{share(wrong, len(found))}"
        )
    return rows


def per_intent(results: list[Result]) -> list[str]:
    """Right per intent and split; what the tune lines got instead (heldout: numbers only)."""
    by_intent: dict[str, list[Result]] = defaultdict(list)
    for result in results:
        by_intent[result.line.intent].append(result)
    rows = [f"{'intent':<24} {'tune':>13} {'heldout':>13}  tune lines most often got"]
    for intent, found in by_intent.items():
        cells = []
        for split in SPLITS:
            part = [r for r in found if r.line.split == split]
            right = sum(r.right for r in part)
            cells.append(f"{right:>3}/{len(part):<3}{share(right, len(part))}")
        instead = Counter(r.got for r in found if not r.right and r.line.split == "tune")
        rows.append(
            f"{intent:<24} {cells[0]:>13} {cells[1]:>13}  "
            + ", ".join(f"{got} {count}" for got, count in instead.most_common(3))
        )
    return rows


def confusions(results: list[Result], examples: int) -> list[str]:
    """Each wrong pair with its count per split, and examples from the tune split only:
    heldout lines are never shown, so that nobody tunes on them by reading this."""
    pairs: dict[tuple[str, str], list[Result]] = defaultdict(list)
    for result in results:
        if not result.right:
            pairs[(result.line.intent, result.got)].append(result)
    rows = [f"{'tune':>4} {'held':>4}  expected -> got"]
    for (expected, got), found in sorted(pairs.items(), key=lambda item: -len(item[1])):
        tune = [r for r in found if r.line.split == "tune"]
        rows.append(f"{len(tune):>4} {len(found) - len(tune):>4}  {expected} -> {got}")
        for result in tune[:examples]:
            offered = f"  [offered {', '.join(result.offered)}]" if result.offered else ""
            rows.append(f"            {result.line.text!r}{offered}")
    return rows


def timing(results: list[Result]) -> str:
    micros = sorted(r.micros for r in results)
    p95 = micros[min(len(micros) - 1, int(0.95 * len(micros)))]
    return (
        f"engine time per message: mean {statistics.fmean(micros):.0f} µs, "
        f"p50 {statistics.median(micros):.0f} µs, p95 {p95:.0f} µs, max {micros[-1]:.0f} µs"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="timed passes per message")
    parser.add_argument("--examples", type=int, default=3, help="lines shown per confusion")
    args = parser.parse_args()
    lines = read_eval_set()
    counts = Counter(line.split for line in lines)
    out = [
        f"{EVAL_SET.relative_to(ROOT)}: {len(lines)} lines, "
        f"{len({line.intent for line in lines})} intents, "
        + ", ".join(f"{split} {counts[split]}" for split in SPLITS),
    ]
    for situation, open_cases in SITUATIONS.items():
        results = run(lines, open_cases, max(1, args.rounds))
        out += ["", f"== {situation} ==", *summary(results), "", *per_intent(results)]
        out += [
            "",
            "confusions (examples from the tune split only):",
            *confusions(results, args.examples),
        ]
        out += ["", timing(results)]
    print("\n".join(out))  # noqa: T201 - a benchmark prints its table


if __name__ == "__main__":
    main()
