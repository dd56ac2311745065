"""Emergency detection and "when" parsing: quality on the eval set, time per call, memory.

    .venv/bin/python -m bench.emergency_accuracy [--rounds N]

Assesses every line of `tests/language/data/emergency_eval.tsv` with `bot.language.emergency.assess`
and prints the confusion of tiers, missed emergencies and false ones; then
times `assess` (once cold, with the typo cache empty, and N rounds warm) and
`bot.timeparse.parse_when` on a set of typical answers to "when did it happen?".
"""

from __future__ import annotations

import argparse
import statistics
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

EVAL_SET = (
    Path(__file__).resolve().parents[1] / "tests" / "language" / "data" / "emergency_eval.tsv"
)
WHEN_ANSWERS = (
    "sekarang",
    "barusan",
    "tadi malam",
    "kemarin jam 9",
    "jam 21.30",
    "2 jam lalu",
    "senin kemarin",
    "12 November",
    "yesterday at 9pm",
    "motor saya dicuri kemarin jam 9 di pasar waktu saya belanja",
    "saya tidak tahu persis, mungkin senin minggu lalu sekitar jam 7 malam",
    "asdf",
)
JAKARTA = ZoneInfo("Asia/Jakarta")


def read_eval_set() -> list[tuple[str, str]]:
    lines = EVAL_SET.read_text(encoding="utf-8").splitlines()
    pairs = [line.split("\t") for line in lines if line.strip() and not line.startswith("#")]
    return [(text, tier) for text, tier in pairs]


def percentile(sorted_values: list[float], fraction: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(fraction * len(sorted_values)))]


def timed(call: Callable[[str], object], inputs: list[str], rounds: int) -> list[float]:
    """Microseconds per call of `call(text)` over `rounds` passes, sorted."""
    found = []
    for _ in range(rounds):
        for text in inputs:
            started = time.perf_counter_ns()
            call(text)
            found.append((time.perf_counter_ns() - started) / 1e3)
    return sorted(found)


def describe(times: list[float]) -> str:
    return (
        f"mean {statistics.fmean(times):.0f} µs, p50 {percentile(times, 0.5):.0f} µs, "
        f"p99 {percentile(times, 0.99):.0f} µs, max {times[-1]:.0f} µs"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20, help="warm passes over the inputs")
    args = parser.parse_args()
    started = time.perf_counter_ns()
    from bot.language import emergency, timeparse  # imported here: building the tables is timed too

    import_ms = (time.perf_counter_ns() - started) / 1e6
    rows = read_eval_set()
    texts = [text for text, _ in rows]
    cold = timed(emergency.assess, texts, 1)
    confusion = Counter((tier, emergency.assess(text).urgency.value) for text, tier in rows)
    now_tier = emergency.Urgency.EMERGENCY_NOW.value
    emergencies = sum(count for (tier, _), count in confusion.items() if tier == now_tier)
    missed = sum(c for (tier, got), c in confusion.items() if tier == now_tier and got != tier)
    others = len(rows) - emergencies
    false = sum(c for (tier, got), c in confusion.items() if tier != now_tier and got == now_tier)
    right = sum(c for (tier, got), c in confusion.items() if tier == got)
    tiers = [tier.value for tier in emergency.Urgency]
    now = datetime(2026, 11, 27, 20, 15, tzinfo=JAKARTA)

    def when(text: str) -> object:
        return timeparse.parse_when(text, now, JAKARTA)

    tracemalloc.start()
    for text in texts:
        emergency.assess(text)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    lines = [
        f"eval set            {len(rows)} messages: {emergencies} emergencies, {others} others",
        f"accuracy            {right / len(rows):.1%} ({right}/{len(rows)})",
        f"missed emergencies  {missed}/{emergencies}",
        f"false emergencies   {false}/{others} ({false / max(1, others):.1%})",
        "confusion (expected → found)",
        *(
            f"  {tier:14} " + "  ".join(f"{got} {confusion[tier, got]:3}" for got in tiers)
            for tier in tiers
        ),
        f"import both modules {import_ms:.1f} ms",
        f"assess, cold        {describe(cold)}",
        f"assess, warm ×{args.rounds:<3}  {describe(timed(emergency.assess, texts, args.rounds))}",
        f"parse_when ×{args.rounds:<3}    {describe(timed(when, list(WHEN_ANSWERS), args.rounds))}",
        f"peak memory         {peak / 1024:.0f} KiB (one pass of assess, tracemalloc)",
    ]
    print("\n".join(lines))  # noqa: T201 - a benchmark prints its table


if __name__ == "__main__":
    main()
