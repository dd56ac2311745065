"""Summarise py-spy's collapsed stacks (``--format raw``): where the samples went.

    .venv/bin/python -m bench.profile_summary /tmp/prof/pintu-sqlite-telegram-freetext.txt

Prints the busy samples per thread, then the functions with the most
samples inclusive (the function or anything it called) and self (the
function itself), as in bench/README.md's profile. py-spy counts a thread
blocked on a queue or in the event loop's poll as busy; those samples
(`WAITS`) are left out. With ``--updates N`` and ``--rate`` (py-spy's
samples per second) each line also says µs per update.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

# Leaf frames that are a thread waiting, not working.
WAITS = (
    "(concurrent/futures/thread.py:81)",  # an executor's worker waiting for work
    "(aiosqlite/core.py:59)",  # aiosqlite's worker waiting for work
    "(asyncio/runners.py:118)",  # uvloop's run: the event loop waiting in epoll
)
LINE = re.compile(r"^(?P<stack>.*) (?P<count>\d+)$")
FRAME = re.compile(r"^(?P<name>.*?) \((?P<file>[^:()]*)(?::\d+)?\)$")


def frame_name(frame: str) -> str:
    """``function (path/to/module.py:12)`` as ``module.py:function``."""
    found = FRAME.match(frame)
    if not found:
        return frame
    module = found["file"].rsplit("/", 2)
    return f"{'/'.join(module[-2:])}:{found['name']}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("samples", type=Path)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--updates", type=int, help="updates handled while sampling")
    parser.add_argument("--rate", type=int, default=200, help="py-spy's samples per second")
    args = parser.parse_args()
    threads: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in args.samples.read_text().splitlines():
        found = LINE.match(line)
        if not found:
            continue
        count = int(found["count"])
        thread, *frames = found["stack"].split(";")
        if frames and frames[-1].endswith(WAITS):
            continue
        names = [frame_name(frame) for frame in frames]
        total += count
        threads[thread.split(": ", 1)[-1]] += count
        for name in set(names):
            inclusive[name] += count
        if names:
            own[names[-1]] += count

    def per_update(count: int) -> str:
        if not args.updates:
            return ""
        return f"{count / args.rate / args.updates * 1e6:7.0f} µs"

    print(f"{total} busy samples")  # noqa: T201 - a report
    for thread, count in threads.most_common():
        print(f"{count / total:6.1%} {per_update(count)}  {thread}")  # noqa: T201
    for title, counter in (("inclusive", inclusive), ("self", own)):
        print(f"\n{title}:")  # noqa: T201
        for name, count in counter.most_common(args.top):
            print(f"{count / total:6.1%} {per_update(count)}  {name}")  # noqa: T201


if __name__ == "__main__":
    main()
