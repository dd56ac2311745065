"""Channel-agnostic conversation flows, declared as data (`bot.engine.flow`):
the complaint, the incident report, the status check and its notify offer,
and the menu that starts them.

Pure like the engine: may import `bot.domain`, `bot.language` and
`bot.engine` only.
"""

from __future__ import annotations

from bot.engine.flow import Flow, MenuEntry
from bot.flows.complaint import COMPLAINT, COMPLAINT_MENU
from bot.flows.incident import INCIDENT, INCIDENT_MENU
from bot.flows.status import STATUS, STATUS_MENU, STATUS_NOTIFY

FLOWS: dict[str, Flow] = {flow.name: flow for flow in (COMPLAINT, INCIDENT, STATUS, STATUS_NOTIFY)}
MENU: tuple[MenuEntry, ...] = (COMPLAINT_MENU, INCIDENT_MENU, STATUS_MENU)
