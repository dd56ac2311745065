"""Channel-agnostic conversation flows, declared as data (see `bot.engine.flow`)."""

from __future__ import annotations

from bot.engine.flow import Flow, MenuEntry
from bot.flows.complaint import COMPLAINT, COMPLAINT_MENU
from bot.flows.incident import INCIDENT, INCIDENT_MENU
from bot.flows.status import STATUS, STATUS_MENU, STATUS_NOTIFY

FLOWS: dict[str, Flow] = {flow.name: flow for flow in (COMPLAINT, INCIDENT, STATUS, STATUS_NOTIFY)}
MENU: tuple[MenuEntry, ...] = (COMPLAINT_MENU, INCIDENT_MENU, STATUS_MENU)
