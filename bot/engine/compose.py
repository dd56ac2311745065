"""One clear message a turn: a turn's replies put together as the citizen reads them.

A turn builds its replies piece by piece (a welcome, an acknowledgement, the
next question); sent one by one they arrive as a stream of small messages that
platforms pace out. What belongs together goes in one message: each plain
message joins the next one, and a question's buttons stay on the combined
message.

A turn with an urgent answer (the 110 call, the nearest duty desk) is one
urgent message: the outbox sends it ahead of anything else, so a separate
welcome or question would arrive after it and push it out of view. Its urgent
text comes last, just above the buttons, where it stays in view.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from bot.domain.messages import Expect, Outbound

PARAGRAPH = "\n\n"


def compose(messages: Sequence[Outbound], alone: Sequence[Outbound] = ()) -> list[Outbound]:
    """`messages` combined: plain texts joined to what follows them, urgent ones last.

    A message in `alone` is never joined to a question with buttons (a place
    noted after a location keyboard says so in a message of its own, which also
    takes that keyboard away on Telegram).
    """
    urgent = [message for message in messages if message.urgent]
    if urgent:
        return [_urgent(messages, urgent)]
    composed: list[Outbound] = []
    pending: list[Outbound] = []  # plain texts waiting to join the next message
    for message in (m for m in messages if not m.urgent):
        if pending and message.choices and any(_is(held, alone) for held in pending):
            composed.append(_joined(pending))
            pending = []
        pending.append(message)
        if message.choices or message.expects is not Expect.NOTHING:
            composed.append(_joined(pending))
            pending = []
    if pending:
        composed.append(_joined(pending))
    return composed


def _urgent(messages: Sequence[Outbound], urgent: list[Outbound]) -> Outbound:
    """Everything in one urgent message: the other texts, then the urgent ones,
    with the buttons of the question asked, if any."""
    others = [message for message in messages if not message.urgent]
    asking = [m for m in others if m.choices or m.expects is not Expect.NOTHING]
    base = asking[-1] if asking else urgent[-1]
    text = PARAGRAPH.join(message.text for message in [*others, *urgent] if message.text)
    return replace(base, text=text, urgent=True)


def _joined(parts: list[Outbound]) -> Outbound:
    """The last part with every part's text: it carries the question, if any."""
    last = parts[-1]
    return replace(last, text=PARAGRAPH.join(part.text for part in parts if part.text))


def _is(message: Outbound, among: Sequence[Outbound]) -> bool:
    return any(message is other for other in among)
