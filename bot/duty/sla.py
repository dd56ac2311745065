"""SLA alerts told to the duty officers' group, and recorded for the back-office.

`alert_breaches` runs the sweep of `bot.services.sla_alerts` in one
transaction and, for each alert it raised (only the sweep that inserted an
alert's row raises it), queues a message to the duty group when one is
configured and writes an audit entry. The back-office lists the alerts to
the supervisors of each case's unit (`GET /api/v1/alerts`).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.i18n import N_, Translator
from bot.domain.messages import Outbound
from bot.domain.sla import SlaClock
from bot.duty.group import DutyGroup, audit
from bot.services import sla_alerts
from bot.services.sla_alerts import RaisedAlert

log = logging.getLogger(__name__)

SYSTEM_ACTOR = "pintu"
SLA_ALERT_ACTION = "sla.alert"  # = backoffice.audit.AuditAction.SLA_ALERT
TITLES = {
    SlaClock.FIRST_RESPONSE: N_("sla.alert.first_response"),
    SlaClock.FOLLOW_UP: N_("sla.alert.follow_up"),
    SlaClock.RESOLUTION: N_("sla.alert.resolution"),
    SlaClock.SP2HP: N_("sla.alert.sp2hp"),
}


async def alert_breaches(
    conn: AsyncConnection,
    *,
    group: DutyGroup | None,
    translator: Translator,
    now: datetime,
    sp2hp_interval: timedelta,
) -> list[RaisedAlert]:
    """Raise every SLA alert due at `now`, in the caller's transaction; those raised."""
    raised = await sla_alerts.raise_due(conn, now=now, sp2hp_interval=sp2hp_interval)
    for alert in raised:
        log.warning("SLA alert %s raised: %s", alert.alert_id, alert.clock.value)
        if group is not None:
            await group.queue_async(conn, sla_alert_message(translator, alert), now)
            await sla_alerts.mark_sent(conn, alert.alert_id)
        detail: dict[str, str | int] = {"alert_id": alert.alert_id, "clock": alert.clock.value}
        await audit(
            conn,
            actor=SYSTEM_ACTOR,
            action=SLA_ALERT_ACTION,
            target=alert.ref,
            detail=detail,
            now=now,
        )
    return raised


def sla_alert_message(translator: Translator, alert: RaisedAlert) -> Outbound:
    """What the duty group reads: the reference, the clock and its due time (nothing personal)."""
    locale = translator.default_locale
    title = translator.text(locale, TITLES[alert.clock], ref=alert.ref)
    due = translator.text(
        locale, N_("sla.alert.due"), due=translator.datetime(locale, alert.due_at)
    )
    return Outbound(text=f"{title}\n{due}")
