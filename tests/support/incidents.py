"""Incident reports written straight to the database, as the incident flow writes them.

The hot path inserts the case and calls `link_duplicates` in one
transaction on the writer; `file_report` does the same, so tests of
duplicate links need no conversation to set up their reports.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.domain.references import new_reference
from bot.runtime import Runtime
from bot.services.duplicates import KM_PER_DEGREE_LATITUDE, link_duplicates
from bot.storage.direct import Tx

JAKABARING = (-3.0125, 104.7760)
ACCIDENT = "tabrakan motor sama truk di simpang jakabaring"
TEN_REPORTS_OF_ONE_ACCIDENT = [
    ACCIDENT,
    "ada kecelakaan motor vs truk di simpang jakabaring",
    "motor ditabrak truk",
    "ada yg kecelakaan di jakabaring",
    "laka lantas di jakabaring, pemotor jatuh ketabrak truk",
    "truk nabrak motor di simpang",
    "Tabrakan!! truk vs motor",
    "tolong ada kecelakaan di simpang jakabaring",
    "motor keserempet truk di simpang jakabaring",
    "kecelakaan, korbannya pengendara motor",
]

NEW_CONTACT = """INSERT INTO contacts (channel, external_id, locale, locale_chosen,
broadcast_opt_in, reachable, created_at)
VALUES ('web', :external_id, 'id', :no, :no, :yes, :now) RETURNING id"""
NEW_CASE = """INSERT INTO cases (ref, kind, status, contact_id, channel, anonymous, category,
description, answers, priority, latitude, longitude, address, occurred_at, created_at,
updated_at, closed_at)
VALUES (:ref, :kind, :status, :contact_id, 'web', :no, :category, :description, '{}', 'normal',
:latitude, :longitude, :address, :occurred_at, :now, :now, :closed_at) RETURNING id"""


@dataclass(frozen=True)
class Filed:
    case_id: int
    ref: str
    links: int


async def file_report(
    runtime: Runtime,
    description: str = ACCIDENT,
    *,
    km_north: float | None = 0.0,
    address: str | None = None,
    category: str = "traffic_accident",
    kind: str = "incident",
    status: str = "new",
    occurred_ago: timedelta | None = None,
) -> Filed:
    """Insert a report now, `km_north` of the junction (None: no shared location),
    and link it as the hot path does."""
    now = runtime.clock.now()
    ref = new_reference("LPR-" if kind == "incident" else "PGD-")

    def work(tx: Tx) -> Filed:
        flags = {"no": False, "yes": True, "now": tx.time(now)}
        contact_id = tx.rows(NEW_CONTACT, {**flags, "external_id": ref})[0][0]
        latitude = None if km_north is None else JAKABARING[0] + km_north / KM_PER_DEGREE_LATITUDE
        case_id: int = tx.rows(
            NEW_CASE,
            {
                **flags,
                "ref": ref,
                "kind": kind,
                "status": status,
                "contact_id": contact_id,
                "category": category,
                "description": description,
                "latitude": latitude,
                "longitude": None if km_north is None else JAKABARING[1],
                "address": address,
                "occurred_at": None if occurred_ago is None else tx.time(now - occurred_ago),
                "closed_at": tx.time(now) if status == "closed" else None,
            },
        )[0][0]
        return Filed(case_id, ref, link_duplicates(tx, case_id=case_id, now=now))

    return await runtime.runner.writer.run(work)
