"""Channel-agnostic conversation flows, declared as data (see `bot.engine.flow`)."""

from __future__ import annotations

from bot.engine.flow import Flow, MenuEntry
from bot.flows.complaint import COMPLAINT, COMPLAINT_MENU

FLOWS: dict[str, Flow] = {flow.name: flow for flow in (COMPLAINT,)}
MENU: tuple[MenuEntry, ...] = (COMPLAINT_MENU,)
