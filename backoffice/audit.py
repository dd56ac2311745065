"""The audit log: one row per officer action, written in the action's transaction.

Details are flat scalars on purpose: counts, flags, ids and statuses fit,
citizens' personal data (names, phone numbers, chat ids, message texts,
search terms) does not, and must never be put there.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ColumnElement, func, not_, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services.casework import Officer
from bot.storage.models import AuditEntry, Case

ACTOR_MAX_CHARS = 64

AuditValue = str | int | bool | None


class AuditAction(StrEnum):
    LOGIN = "auth.login"
    LOGIN_FAILED = "auth.login_failed"
    LOGIN_LOCKED_OUT = "auth.locked_out"  # the username as typed is the actor
    LOGOUT = "auth.logout"
    OFFICER_ADD = "officer.add"
    OFFICER_UPDATE = "officer.update"
    OFFICERS_LIST = "officers.list"
    CASES_LIST = "cases.list"
    CASE_VIEW = "case.view"
    CASE_REPLY = "case.reply"
    CASE_CLOSE = "case.close"
    CASE_MEDIA_DOWNLOAD = "case.media_download"
    FAQ_PUT = "faq.put"
    FAQ_DELETE = "faq.delete"
    APPLICATION_PUT = "application.put"
    APPLICATION_VIEW = "application.view"
    APPLICATION_LOOKUP_PAUSED = "application.lookup_paused"  # written by the bot, no officer
    ALERT_ACK = "alert.ack"  # also written by the bot for a press in the duty group
    ALERT_ESCALATED = "alert.escalated"  # written by the bot, no officer
    SURVEY_RESULTS = "survey.results"
    SURVEY_SUGGESTIONS = "survey.suggestions"
    BROADCAST_CREATE = "broadcast.create"
    BROADCAST_APPROVE = "broadcast.approve"
    BROADCAST_PAUSE = "broadcast.pause"
    BROADCAST_RESUME = "broadcast.resume"
    BROADCAST_CANCEL = "broadcast.cancel"
    SLA_ALERT = "sla.alert"  # written by the bot, no officer
    APPLICATIONS_IMPORT = "applications.import"
    APPLICATIONS_LIST = "applications.list"
    APPLICATION_HISTORY = "application.history"
    STATISTICS_VIEW = "statistics.view"
    UNIT_ADD = "unit.add"
    CASE_UPDATE = "case.update"
    CASE_NOTE = "case.note"
    CANNED_REPLY_ADD = "canned_reply.add"
    CANNED_REPLY_EDIT = "canned_reply.edit"
    CANNED_REPLY_DELETE = "canned_reply.delete"
    DEAD_LETTERS_LIST = "dead_letters.list"
    DEAD_LETTER_VIEW = "dead_letter.view"
    DEAD_LETTER_REPLAY = "dead_letter.replay"


async def record(
    session: AsyncSession,
    *,
    actor: str,
    officer_id: int | None,
    action: AuditAction,
    target: str | None,
    detail: Mapping[str, AuditValue],
    now: datetime,
) -> None:
    """Add an entry; `actor` is the officer's username, or what someone typed
    as one when signing in failed (cut to the column's width)."""
    session.add(
        AuditEntry(
            officer_id=officer_id,
            actor=actor[:ACTOR_MAX_CHARS],
            action=action,
            target=target,
            detail=json.dumps(dict(detail), sort_keys=True),
            created_at=now,
        )
    )


async def record_by(
    session: AsyncSession,
    officer: Officer,
    action: AuditAction,
    target: str | None,
    detail: Mapping[str, AuditValue],
    now: datetime,
) -> None:
    """Add an entry for an action of a signed-in officer."""
    await record(
        session,
        actor=officer.username,
        officer_id=officer.id,
        action=action,
        target=target,
        detail=detail,
        now=now,
    )


async def list_entries(
    session: AsyncSession,
    *,
    action: AuditAction | None,
    target: str | None,
    page: int,
    per_page: int,
    case_scope: ColumnElement[bool],
) -> tuple[list[AuditEntry], int]:
    """Entries newest first, optionally of one action and one target; and how many.

    Entries about a case outside `case_scope` (the reader's view) are left out,
    as the case itself is.
    """
    hidden = select(Case.ref).where(not_(case_scope))
    query = select(AuditEntry).where(
        or_(col(AuditEntry.target).is_(None), col(AuditEntry.target).not_in(hidden))
    )
    if action is not None:
        query = query.where(AuditEntry.action == action.value)
    if target is not None:
        query = query.where(AuditEntry.target == target)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.exec(
        query.order_by(col(AuditEntry.id).desc()).offset((page - 1) * per_page).limit(per_page)
    )
    return list(rows), int(total or 0)
