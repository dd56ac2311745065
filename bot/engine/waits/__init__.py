"""The interruptions a conversation can wait on (`bot.engine.state.Wait`), one
module each, and the registry that reads a stored one back by its name."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from bot.engine.state import Wait
from bot.engine.waits.add_or_new import AddingOrNew
from bot.engine.waits.broadcast_offer import OfferingBroadcasts
from bot.engine.waits.case_choice import ChoosingCase
from bot.engine.waits.case_note import WritingCaseNote
from bot.engine.waits.edit import ChoosingEdit
from bot.engine.waits.language import ChoosingLanguage
from bot.engine.waits.leave import ConfirmingLeave
from bot.engine.waits.my_cases import ChoosingCaseAction

WAITS: Mapping[str, Callable[[dict[str, Any]], Wait]] = {
    kind.name: kind.from_json
    for kind in (
        ChoosingLanguage,
        ChoosingEdit,
        ChoosingCase,
        ChoosingCaseAction,
        WritingCaseNote,
        ConfirmingLeave,
        AddingOrNew,
        OfferingBroadcasts,
    )
}


def read_wait(name: object, data: object) -> Wait | None:
    """The wait stored as `name` with `data`; None for a name no wait has."""
    reader = WAITS.get(name) if isinstance(name, str) else None
    if reader is None:
        return None
    return reader(dict(data) if isinstance(data, Mapping) else {})
