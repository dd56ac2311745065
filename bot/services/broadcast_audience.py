"""Who a broadcast reaches: citizens who opted in (and have not blocked pintu), narrowed
by channel, language and activity.

The same filter counts the audience when a broadcast is created and streams
it, in batches by contact id, when the broadcast is sent; so `audience_size`
and the recipients agree, except for citizens who opt in or out in between.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.storage.direct import Params, Row, Tx

_COLUMNS = "id, channel, locale, last_inbound_at, broadcast_opt_in"
_OPTED_IN = "contacts.broadcast_opt_in = :yes"
# Who opted out after the run began is streamed too, and counted `opted_out`.
_OPTED_IN_OR_LATELY_OUT = f"({_OPTED_IN} OR contacts.broadcast_opted_out_at >= :started)"


@dataclass(frozen=True, slots=True)
class Audience:
    """The optional narrowing of "every citizen who opted in"."""

    channel: str | None = None
    locale: str | None = None
    active_within_days: int | None = None

    def to_json(self) -> str:
        fields: dict[str, str | int | None] = {
            "channel": self.channel,
            "locale": self.locale,
            "active_within_days": self.active_within_days,
        }
        return json.dumps({key: value for key, value in fields.items() if value is not None})

    @classmethod
    def from_json(cls, raw: str) -> Audience:
        data: dict[str, Any] = json.loads(raw or "{}")
        return cls(data.get("channel"), data.get("locale"), data.get("active_within_days"))

    def where(
        self, *, channels: Collection[str], now: datetime, tx: Tx, started: datetime | None
    ) -> tuple[str, Params]:
        """The condition on `contacts` and its parameters.

        `channels`: those this process can send on (others could never be reached);
        `started`: when the run began, to include who opted out since (None: nobody).
        """
        wanted = [self.channel] if self.channel else sorted(channels)
        names = {f"channel{n}": name for n, name in enumerate(wanted)}
        listed = ", ".join(f":{key}" for key in names) or "NULL"
        params: Params = names | {"yes": True}
        opted = _OPTED_IN
        if started is not None:
            opted = _OPTED_IN_OR_LATELY_OUT
            params["started"] = tx.time(started)
        # Who blocked pintu cannot be reached (Telegram tells, and a send's 403 too).
        conditions = [opted, "contacts.reachable = :yes", f"contacts.channel IN ({listed})"]
        if self.locale:
            conditions.append("contacts.locale = :locale")
            params["locale"] = self.locale
        if self.active_within_days is not None:
            conditions.append("contacts.last_inbound_at >= :active_since")
            params["active_since"] = tx.time(now - timedelta(days=self.active_within_days))
        return " AND ".join(conditions), params


@dataclass(frozen=True, slots=True)
class Member:
    """One citizen of the audience, as a batch reads it."""

    contact_id: int
    channel: str
    locale: str
    last_inbound_at: Any  # as the database returns it (`stored_time` reads it)
    opted_in: bool


def count(tx: Tx, audience: Audience, *, channels: Collection[str], now: datetime) -> int:
    """How many citizens `audience` reaches now."""
    where, params = audience.where(channels=channels, now=now, tx=tx, started=None)
    sql = f"SELECT count(*) FROM contacts WHERE {where}"  # noqa: S608 - placeholders only
    return int(tx.rows(sql, params)[0][0])


def batch(
    tx: Tx,
    audience: Audience,
    *,
    channels: Collection[str],
    now: datetime,
    started: datetime | None,
    after: int,
    size: int,
) -> list[Member]:
    """The next `size` members with a contact id above `after`, by id (a keyset page)."""
    where, params = audience.where(channels=channels, now=now, tx=tx, started=started)
    sql = (
        f"SELECT {_COLUMNS} FROM contacts WHERE contacts.id > :after AND {where} "  # noqa: S608
        "ORDER BY contacts.id LIMIT :size"
    )
    return [_member(row) for row in tx.rows(sql, params | {"after": after, "size": size})]


def _member(row: Row) -> Member:
    contact_id, channel, locale, last_inbound_at, opted_in = row
    return Member(contact_id, channel, locale, last_inbound_at, bool(opted_in))
