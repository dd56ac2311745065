"""A batch of inbound events, inside one group-committed transaction: the hot path's SQL.

`process_batch` runs synchronously on a `Tx` (see `bot.storage.direct`). For
the whole batch at once (`bot.ingress.arrivals`, two statements on
PostgreSQL) it checks the identities that need it, records the events
(their unique key makes a redelivery a no-op, and a redelivery inside the
batch is handled once), touches or creates their contacts (the upsert also
locks the rows on PostgreSQL, ordering one citizen's events across workers)
and reads their conversations. Then, event by event in arrival order, the
pure engine decides, the effects are applied and the outbox rows written.

The new conversation states and outbox rows of a whole batch are written at
its end, one ``executemany`` each (`Pending`). Pending writes are flushed
before any effect runs, so everything an effect writes or reads comes after
the replies before it, in order; a citizen's later event in the batch reads
their contact and conversation again after an effect of theirs.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, Protocol

from bot.domain.applications import ApplicationKind, LookupResult
from bot.domain.messages import Inbound, MediaRef
from bot.domain.references import new_reference
from bot.domain.sla import SlaPolicy
from bot.domain.surveys import StartSurvey, SurveyProgress
from bot.engine.core import Engine
from bot.engine.effects import (
    AddToCase,
    AnswerSurvey,
    CompleteSurvey,
    NameContact,
    OpenCase,
    PlaceAnswer,
    RaiseAlarm,
    SetBroadcastOptIn,
    SetLocale,
    ShareLocation,
    Subscribe,
)
from bot.engine.faq import FaqSnapshot
from bot.engine.flow import CaseBrief
from bot.engine.stored import state_from_json, state_to_json
from bot.engine.turn import Reply, Turn
from bot.ingress import arrivals as arrivals_sql
from bot.media.store import StoredFile
from bot.outbox.queue import outbox_rows
from bot.services import application_lookup, broadcast_control, sla_clock, surveys, units
from bot.services.casework import CITIZEN, OPEN_STATUSES, CaseStatus
from bot.services.duplicates import link_duplicates
from bot.storage.direct import Tx, stored_time

SAVE_STATE = """INSERT INTO conversations (contact_id, state, active_flow, updated_at)
VALUES (:contact_id, :state, :flow, :now) ON CONFLICT (contact_id) DO UPDATE
SET state = excluded.state, active_flow = excluded.active_flow, updated_at = excluded.updated_at"""
OUTBOX = """INSERT INTO outbox (channel, contact_id, case_message_id, payload, priority, status,
attempts, next_attempt_at, created_at) VALUES (:channel, :contact_id, :case_message_id,
:payload, :priority, :status, :attempts, :next_attempt_at, :created_at)"""
# A batch's states and outbox rows in one statement (PostgreSQL): the rows in their order.
SAVE_ALL = """WITH saved AS (INSERT INTO conversations (contact_id, state, active_flow, updated_at)
SELECT s.contact_id, s.state, s.flow, CAST(:now AS timestamptz)
FROM unnest(CAST(:contact_ids AS integer[]), CAST(:states AS text[]), CAST(:flows AS text[]))
AS s(contact_id, state, flow)
ON CONFLICT (contact_id) DO UPDATE SET state = excluded.state,
active_flow = excluded.active_flow, updated_at = excluded.updated_at)
INSERT INTO outbox (channel, contact_id, payload, priority, status, attempts, next_attempt_at,
created_at)
SELECT o.channel, o.contact_id, o.payload, o.priority, 'pending', 0, CAST(:now AS timestamptz),
CAST(:now AS timestamptz)
FROM unnest(CAST(:channels AS text[]), CAST(:to AS integer[]), CAST(:payloads AS text[]),
CAST(:priorities AS integer[])) WITH ORDINALITY AS o(channel, contact_id, payload, priority, n)
ORDER BY o.n"""
NEW_MEDIA = """INSERT INTO media (contact_id, sha256, path, mime_type, size, clean_path,
created_at) VALUES (:contact_id, :sha256, :path, :mime_type, :size, :clean_path, :now)
RETURNING id"""
NEW_CASE = """INSERT INTO cases (ref, kind, status, contact_id, channel, anonymous, category,
description, answers, priority, latitude, longitude, address, occurred_at, occurred_text,
unit_id, confidential, created_at, updated_at) VALUES (:ref, :kind, :status, :contact_id,
:channel, :anonymous, :category, :description, :answers, :priority, :latitude, :longitude,
:address, :occurred_at, :occurred_text, :unit_id, :confidential, :now, :now) RETURNING id"""
# Completing the urgent case opened at the alarm: its priority and SLA clocks stand.
COMPLETE_DRAFT = """UPDATE cases SET category = :category, description = :description,
answers = :answers, latitude = :latitude, longitude = :longitude, address = :address,
occurred_at = :occurred_at, occurred_text = :occurred_text, updated_at = :now
WHERE ref = :ref AND contact_id = :contact_id RETURNING id"""
SET_PLACE = """UPDATE cases SET latitude = :latitude, longitude = :longitude, address = :address,
updated_at = :now WHERE ref = :ref AND contact_id = :contact_id RETURNING id"""
STATUS_CHANGE = """INSERT INTO case_status_changes (case_id, from_status, to_status, actor,
created_at) VALUES (:case_id, :from_status, :to_status, :actor, :now)"""
SET_CASE_STATUS = "UPDATE cases SET status = :status, updated_at = :now WHERE id = :case_id"
LINK_MEDIA = """UPDATE media SET case_id = :case_id
WHERE id = :media_id AND contact_id = :contact_id"""
OWN_CASE = "SELECT id, status FROM cases WHERE ref = :ref AND contact_id = :contact_id"
CITIZEN_MESSAGE = """INSERT INTO case_messages (case_id, direction, author, text, media_id,
delivery_status, created_at) VALUES (:case_id, 'in', :author, :text, :media_id, 'received',
:now)"""
NAME_CONTACT = """UPDATE contacts SET display_name = :name, phone = COALESCE(:phone, phone)
WHERE id = :contact_id"""
SET_LOCALE = "UPDATE contacts SET locale = :locale, locale_chosen = :yes WHERE id = :contact_id"
SET_OPT_IN = """UPDATE contacts SET broadcast_opt_in = :opt_in, broadcast_opted_out_at = :at
WHERE id = :contact_id"""


UNSPECIFIED = "unspecified"  # the category of an urgent case until the citizen names it


class DutyAlerts(Protocol):
    """The duty desk, as the hot path tells it of urgent cases (`bot.duty.service`)."""

    def raise_alert(
        self, tx: Tx, *, case_id: int, ref: str, category: str | None, now: datetime
    ) -> None: ...

    def share_location(
        self,
        tx: Tx,
        *,
        case_id: int,
        latitude: float | None,
        longitude: float | None,
        address: str | None,
        now: datetime,
    ) -> None: ...


class IdentityUnsettled(Exception):
    """The contact must be reconciled by its channel first (see `Inbound.verify_identity`).

    Raised before anything is written; the channel fixes the contact in a
    transaction of its own and hands the event in again.
    """


@dataclass(frozen=True, slots=True)
class Handled:
    """What became of one inbound event."""

    processed: bool  # False: a redelivery, already handled before
    stale_press: bool = False  # a button of an earlier prompt, not acted on


class Pending:
    """A batch's writes that wait for its end: conversation states and outbox rows."""

    def __init__(self, at: Any) -> None:
        self.at = at  # the batch's time, as the database stores it
        self.states: dict[int, dict[str, Any]] = {}  # to write: the latest per contact
        self.outbox: list[dict[str, Any]] = []
        self._latest: dict[int, str] = {}  # written or not

    def state(self, contact_id: int) -> str | None:
        """The state this batch gave the contact, if it did."""
        return self._latest.get(contact_id)

    def save_state(self, contact_id: int, state: str, flow: str | None) -> None:
        self._latest[contact_id] = state
        self.states[contact_id] = {
            "contact_id": contact_id,
            "state": state,
            "flow": flow,
            "now": self.at,
        }

    def flush(self, tx: Tx) -> None:
        tx.queued.update(row["channel"] for row in self.outbox)
        if tx.dialect == "postgresql":
            if self.states or self.outbox:
                tx.execute(SAVE_ALL, self._arrays())
        else:
            if self.states:
                tx.execute_many(SAVE_STATE, list(self.states.values()))
            if self.outbox:
                tx.execute_many(OUTBOX, self.outbox)
        self.states.clear()
        self.outbox.clear()

    def _arrays(self) -> dict[str, Any]:
        """The pending rows as `SAVE_ALL`'s columns (the hot path's outbox rows are all
        replies due now: pending, not yet tried, of no case message)."""
        states, rows = list(self.states.values()), self.outbox
        return {
            "contact_ids": [state["contact_id"] for state in states],
            "states": [state["state"] for state in states],
            "flows": [state["flow"] for state in states],
            "channels": [row["channel"] for row in rows],
            "to": [row["contact_id"] for row in rows],
            "payloads": [row["payload"] for row in rows],
            "priorities": [row["priority"] for row in rows],
            "now": self.at,
        }


@dataclass(frozen=True, slots=True)
class Arrival:
    """One event handed in, with the file that came with it (already stored)."""

    inbound: Inbound
    stored: StoredFile | None = None


@dataclass(frozen=True, slots=True)
class Setting:
    """What every turn of a batch runs with."""

    engine: Engine
    faq: FaqSnapshot
    now: datetime
    default_locale: str
    duty: DutyAlerts
    sla: SlaPolicy
    internal_affairs: str = "propam"  # the unit complaints about officers go to (`units`)


def process_batch(
    tx: Tx, arrivals: Sequence[Arrival], setting: Setting
) -> list[Handled | IdentityUnsettled]:
    """Handle `arrivals` in their order; what became of each (an unsettled identity
    is raised by nobody: it is returned, and nothing was written for it)."""
    at = tx.time(setting.now)
    results: list[Handled | IdentityUnsettled] = [Handled(processed=False)] * len(arrivals)
    overlapping = _overlapping(arrivals)
    keys = {
        _key(arrival.inbound): index
        for index, arrival in reversed(list(enumerate(arrivals)))
        if index not in overlapping
    }  # the first of an event's copies in the batch
    firsts = sorted(keys.values())
    opened = arrivals_sql.open_batch(
        tx, [_heard(arrivals[index].inbound) for index in firsts], at, setting.default_locale
    )
    for index, arrival in enumerate(arrivals):
        if index in overlapping or _key(arrival.inbound) in opened.unsettled:
            results[index] = IdentityUnsettled(arrival.inbound.event_id)
    todo = [index for index in firsts if _key(arrivals[index].inbound) in opened.fresh]
    contacts, known = opened.contacts, opened.known
    pending, changed, met = Pending(at), set[int](), set[int]()
    for index in todo:
        inbound = arrivals[index].inbound
        contact = contacts[(inbound.channel, inbound.sender_id)]
        if contact.id in changed:  # an effect of their earlier event may have changed both
            changed.discard(contact.id)
            pending.flush(tx)
            contact = arrivals_sql.again(tx, contact.id)
            known[contact.id] = arrivals_sql.conversation(tx, contact.id)
        elif contact.id in met:
            contact = replace(contact, is_new=False)
        met.add(contact.id)
        conversation = known.get(contact.id, arrivals_sql.NOTHING_YET)
        handled, effects = _turn(tx, arrivals[index], contact, conversation, setting, pending)
        if effects:
            changed.add(contact.id)
        results[index] = handled
    pending.flush(tx)
    return results


def _overlapping(arrivals: Sequence[Arrival]) -> set[int]:
    """The events whose ids overlap with an earlier event's in the batch but differ from
    them: each would have been checked against what that event wrote, so its contact is
    reconciled by its channel first (rare; the channel hands it in again)."""
    overlapping: set[int] = set()
    ids: dict[tuple[str, str], tuple[str, str | None]] = {}  # a key seen, and whose it was
    for index, arrival in enumerate(arrivals):
        inbound = arrival.inbound
        mine = (inbound.sender_id, inbound.phone)
        keys = [(inbound.channel, key) for key in mine if key is not None]
        if inbound.verify_identity and any(ids.get(key, mine) != mine for key in keys):
            overlapping.add(index)
            continue
        ids.update(dict.fromkeys(keys, mine))
    return overlapping


def _key(inbound: Inbound) -> tuple[str, str]:
    return inbound.channel, inbound.event_id


def _heard(inbound: Inbound) -> arrivals_sql.Heard:
    return arrivals_sql.Heard(
        inbound.channel,
        inbound.event_id,
        inbound.sender_id,
        inbound.sender_name,
        inbound.phone,
        verify=inbound.verify_identity,
    )


def _turn(
    tx: Tx,
    arrival: Arrival,
    contact: arrivals_sql.Contact,
    known: arrivals_sql.Known,
    setting: Setting,
    pending: Pending,
) -> tuple[Handled, bool]:
    """One event's turn; whether it had effects."""
    inbound, now = arrival.inbound, setting.now
    at = tx.time(now)
    if arrival.stored is not None:
        inbound = replace(inbound, media=_record_media(tx, arrival.stored, contact.id, at))
    raw_state = pending.state(contact.id)
    state = state_from_json(raw_state if raw_state is not None else known.state)
    cases = tuple(
        CaseBrief(ref, kind, status, stored_time(updated))
        for ref, kind, status, updated in known.cases
    )

    def lookup(kind: ApplicationKind, number: str, born: date) -> LookupResult:
        return application_lookup.lookup(
            tx, contact_id=contact.id, kind=kind, number=number, birth_date=born, now=now
        )

    def survey_progress(start: StartSurvey | None) -> SurveyProgress:
        return surveys.progress(tx, contact_id=contact.id, start=start, now=now)

    turn = Turn(
        now=now,
        locale=contact.locale,
        first_contact=contact.is_new,
        open_cases=tuple(case.ref for case in cases if case.status in OPEN_STATUSES),
        new_reference=new_reference,
        faq=setting.faq,
        lookup=lookup,
        cases=cases,
        channel=inbound.channel,
        surveys=survey_progress,
        broadcasts_decided=contact.broadcasts_decided,
    )
    reply = setting.engine.handle(state, inbound, turn)
    if reply.effects:
        pending.flush(tx)  # what the effects write comes after the replies before
        _Effects(tx, contact.id, inbound.channel, setting).apply(reply)
    pending.save_state(contact.id, state_to_json(reply.state), reply.state.flow)
    pending.outbox.extend(
        row | {"next_attempt_at": at, "created_at": at}
        for message in reply.messages
        for row in outbox_rows(
            contact_id=contact.id, channel=inbound.channel, message=message, now=now
        )
    )
    return Handled(processed=True, stale_press=reply.stale_press), bool(reply.effects)


def _record_media(tx: Tx, stored: StoredFile, contact_id: int, at: Any) -> MediaRef:
    values = {
        "contact_id": contact_id,
        "sha256": stored.sha256,
        "path": stored.path,
        "mime_type": stored.mime_type,
        "size": stored.size,
        "clean_path": stored.clean_path,
        "now": at,
    }
    [(media_id,)] = tx.rows(NEW_MEDIA, values)
    return MediaRef(media_id=int(media_id), mime_type=stored.mime_type, sha256=stored.sha256)


class _Effects:
    """Records what one turn's reply asks for, in the turn's transaction."""

    def __init__(self, tx: Tx, contact_id: int, channel: str, setting: Setting):
        self.tx = tx
        self.internal_affairs = setting.internal_affairs
        self.contact_id = contact_id
        self.channel = channel
        self.now = setting.now
        self.at = tx.time(setting.now)
        self.duty = setting.duty
        self.sla = setting.sla

    def apply(self, reply: Reply) -> None:
        tx, contact = self.tx, self.contact_id
        for effect in reply.effects:
            if isinstance(effect, OpenCase):
                self.open_case(effect)
            elif isinstance(effect, RaiseAlarm):
                self.raise_alarm(effect)
            elif isinstance(effect, ShareLocation):
                self.share_location(effect)
            elif isinstance(effect, AddToCase):
                self.add_to_case(effect)
            elif isinstance(effect, Subscribe):
                application_lookup.subscribe(
                    tx, contact_id=contact, application_id=effect.application_id, now=self.now
                )
            elif isinstance(effect, NameContact):
                values = {"name": effect.name, "phone": effect.phone, "contact_id": contact}
                tx.execute(NAME_CONTACT, values)
            elif isinstance(effect, SetLocale):
                tx.execute(
                    SET_LOCALE, {"locale": effect.locale, "yes": True, "contact_id": contact}
                )
            elif isinstance(effect, SetBroadcastOptIn):
                opted_out = None if effect.opt_in else self.at
                values = {"opt_in": effect.opt_in, "at": opted_out, "contact_id": contact}
                tx.execute(SET_OPT_IN, values)
                if not effect.opt_in:  # at once: not even a copy already queued goes out
                    broadcast_control.withdraw(tx, contact)
            elif isinstance(effect, AnswerSurvey | CompleteSurvey):
                self.survey(effect, reply.locale)

    def survey(self, effect: AnswerSurvey | CompleteSurvey, locale: str) -> None:
        """A survey answer is stored the moment it is given (`bot.services.surveys`)."""
        tx, contact, channel, now = self.tx, self.contact_id, self.channel, self.now
        if isinstance(effect, AnswerSurvey):
            surveys.record_answer(
                tx, contact_id=contact, channel=channel, locale=locale, answer=effect, now=now
            )
        else:
            surveys.complete(
                tx, contact_id=contact, channel=channel, locale=locale, done=effect, now=now
            )

    def open_case(self, effect: OpenCase) -> None:
        place = effect.place
        values = {
            "ref": effect.ref,
            "contact_id": self.contact_id,
            "category": effect.category,
            "description": effect.description,
            "answers": json.dumps(effect.answers, ensure_ascii=False),
            "latitude": place.latitude if place else None,
            "longitude": place.longitude if place else None,
            "address": place.address if place else None,
            "occurred_at": self.tx.time(effect.occurred_at) if effect.occurred_at else None,
            "occurred_text": effect.occurred_text,
            "now": self.at,
        }
        if effect.draft:
            found = self.tx.rows(COMPLETE_DRAFT, values)
            if not found:
                return
            # The desk heard of its place when it was given.
            case_id = int(found[0][0])
        else:
            unit_id = units.filing_unit(
                self.tx,
                kind=effect.kind,
                category=effect.category,
                internal_affairs=self.internal_affairs,
            )
            case_id = self.new_case(
                values
                | {
                    "kind": effect.kind,
                    "anonymous": effect.anonymous,
                    "priority": effect.priority,
                    "unit_id": unit_id,
                    "confidential": effect.confidential,
                }
            )
        for media_id in effect.media_ids:
            link = {"case_id": case_id, "media_id": media_id, "contact_id": self.contact_id}
            self.tx.execute(LINK_MEDIA, link)
        if effect.kind == "incident":
            if place is not None:
                self.route(case_id, place)
            link_duplicates(self.tx, case_id=case_id, now=self.now)

    def route(self, case_id: int, place: PlaceAnswer) -> None:
        """An incident goes to the unit whose area holds its place (if any has one)."""
        if place.latitude is not None and place.longitude is not None:
            units.route_by_place(
                self.tx, case_id=case_id, latitude=place.latitude, longitude=place.longitude
            )

    def new_case(self, values: dict[str, Any]) -> int:
        values = values | {"status": CaseStatus.NEW.value, "channel": self.channel}
        [(case_id,)] = self.tx.rows(NEW_CASE, values)
        self.status_change(case_id, None, CaseStatus.NEW)
        sla_clock.start(
            self.tx,
            self.sla,
            case_id=int(case_id),
            kind=values["kind"],
            priority=values["priority"],
            now=self.now,
        )
        return int(case_id)

    def raise_alarm(self, effect: RaiseAlarm) -> None:
        """Open the urgent case at once, before the report is complete, and alert the desk."""
        values = {
            "ref": effect.ref,
            "kind": "incident",
            "contact_id": self.contact_id,
            "anonymous": False,
            "category": UNSPECIFIED,
            "description": effect.description,
            "answers": "{}",
            "priority": "urgent",
            "latitude": None,
            "longitude": None,
            "address": None,
            "occurred_at": self.at,
            "occurred_text": None,
            "unit_id": None,
            "confidential": False,
            "now": self.at,
        }
        case_id = self.new_case(values)
        if effect.description:
            # The first words stay in the timeline: the finished report's description
            # replaces the case's, and officers search for what was said at the alarm.
            message = {"case_id": case_id, "author": CITIZEN, "text": effect.description}
            self.tx.execute(CITIZEN_MESSAGE, message | {"media_id": None, "now": self.at})
        self.duty.raise_alert(self.tx, case_id=case_id, ref=effect.ref, category=None, now=self.now)

    def share_location(self, effect: ShareLocation) -> None:
        place = effect.place
        values = {
            "ref": effect.ref,
            "contact_id": self.contact_id,
            "latitude": place.latitude,
            "longitude": place.longitude,
            "address": place.address,
            "now": self.at,
        }
        found = self.tx.rows(SET_PLACE, values)
        if found:
            self.route(int(found[0][0]), place)
            self.tell_desk(int(found[0][0]), place)

    def tell_desk(self, case_id: int, place: PlaceAnswer) -> None:
        """The duty desk learns where an urgent case is (nothing for other cases)."""
        self.duty.share_location(
            self.tx,
            case_id=case_id,
            latitude=place.latitude,
            longitude=place.longitude,
            address=place.address,
            now=self.now,
        )

    def add_to_case(self, effect: AddToCase) -> None:
        """File a citizen's follow-up in their own case (never in someone else's)."""
        tx, at = self.tx, self.at
        found = tx.rows(OWN_CASE, {"ref": effect.ref, "contact_id": self.contact_id})
        if not found:
            return
        case_id, status = found[0]
        message = {"case_id": case_id, "author": CITIZEN, "text": effect.text, "now": at}
        tx.execute(CITIZEN_MESSAGE, message | {"media_id": effect.media_id})
        if effect.media_id is not None:
            link = {"case_id": case_id, "media_id": effect.media_id, "contact_id": self.contact_id}
            tx.execute(LINK_MEDIA, link)
        new_status = CaseStatus.IN_PROGRESS if status == CaseStatus.WAITING_CITIZEN else status
        tx.execute(SET_CASE_STATUS, {"status": str(new_status), "now": at, "case_id": case_id})
        if new_status != status:
            self.status_change(case_id, status, new_status)
            sla_clock.status_changed(
                tx, self.sla, case_id=case_id, old=status, new=new_status, now=self.now
            )

    def status_change(self, case_id: int, old: str | None, new: str) -> None:
        values = {"case_id": case_id, "from_status": old, "to_status": str(new), "actor": CITIZEN}
        self.tx.execute(STATUS_CHANGE, values | {"now": self.at})
