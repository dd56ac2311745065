"""What the duty officers' group reads: alerts, reminders, locations, acknowledgements.

Pure functions of a translator and the alert's facts. The group reads the
unit's default locale. Nothing about the citizen appears here (the case may
be anonymous): the reference, category, time, desk and place only. Texts
are plain, with pintu's ``*emphasis*``; the Telegram channel escapes them
for HTML, typed addresses included.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.domain.desks import DutyDesk
from bot.domain.i18n import N_, Translator
from bot.domain.messages import Choice, Outbound

DUTY_PROMPT = "duty"  # prompt token of the duty group's buttons: "duty|ack:<alert id>"
ACK_PREFIX = "ack:"
ACK_ALL_PREFIX = "ackall:"  # "duty|ackall:<dispatch id>": every alert a grouped message lists
UNSPECIFIED = "unspecified"  # = bot.engine.hotpath.UNSPECIFIED: not named by the citizen yet
CALLBACK_NOTE_CHARS = 200  # https://core.telegram.org/bots/api#answercallbackquery
MAP_URL = "https://www.google.com/maps?q={latitude:.6f},{longitude:.6f}"


@dataclass(frozen=True, slots=True)
class Place:
    """Where it happens, as far as known: shared coordinates, a typed address, or both."""

    latitude: float | None = None
    longitude: float | None = None
    address: str | None = None

    @property
    def known(self) -> bool:
        return (self.latitude is not None and self.longitude is not None) or bool(self.address)


@dataclass(frozen=True, slots=True)
class AlertFacts:
    """One alert as the group is told about it (nothing personal)."""

    alert_id: int
    ref: str
    category: str | None
    desk_name: str
    raised_at: datetime
    place: Place = field(default_factory=Place)
    location_sent_at: datetime | None = None


def ack_choice_id(alert_id: int) -> str:
    return f"{ACK_PREFIX}{alert_id}"


def parse_ack_choice(prompt_token: str | None, choice_id: str) -> int | None:
    """The alert id an acknowledge button carries, or None for anything else."""
    if prompt_token != DUTY_PROMPT or not choice_id.startswith(ACK_PREFIX):
        return None
    number = choice_id.removeprefix(ACK_PREFIX)
    return int(number) if number.isdigit() else None


def parse_ack_all_choice(prompt_token: str | None, choice_id: str) -> int | None:
    """The dispatch id an "acknowledge all" button carries, or None for anything else."""
    if prompt_token != DUTY_PROMPT or not choice_id.startswith(ACK_ALL_PREFIX):
        return None
    number = choice_id.removeprefix(ACK_ALL_PREFIX)
    return int(number) if number.isdigit() else None


def category_label(translator: Translator, locale: str, category: str | None) -> str:
    """The incident category's catalog label (`incident.category.<id>`), else its id."""
    if not category or category == UNSPECIFIED:
        return translator.text(locale, N_("duty.category_unknown"))
    key = f"incident.category.{category}"
    label = translator.text(locale, key)
    return category if label == key else label


def place_lines(
    translator: Translator, locale: str, place: Place, sent_at: datetime | None = None
) -> str:
    """The place as known; else when it was sent before (`sent_at`), or that it is unknown."""
    lines = []
    if place.latitude is not None and place.longitude is not None:
        lines.append(
            translator.text(
                locale,
                N_("duty.location.point"),
                latitude=f"{place.latitude:.6f}",
                longitude=f"{place.longitude:.6f}",
                map_url=MAP_URL.format(latitude=place.latitude, longitude=place.longitude),
            )
        )
    if place.address:
        lines.append(translator.text(locale, N_("duty.location.address"), address=place.address))
    if lines:
        return "\n".join(lines)
    if sent_at is not None:
        when = translator.datetime(locale, sent_at)
        return translator.text(locale, N_("duty.location.sent_before"), at=when)
    return translator.text(locale, N_("duty.location.unknown"))


def alert_message(
    translator: Translator, facts: AlertFacts, *, level: int = 0, now: datetime | None = None
) -> Outbound:
    """The alert (level 0) or its escalated reminder, with the acknowledge button."""
    locale = translator.default_locale
    if level == 0:
        title = translator.text(locale, N_("duty.alert.title"), ref=facts.ref)
    else:
        minutes = int(((now or facts.raised_at) - facts.raised_at).total_seconds() // 60)
        title = translator.text(
            locale, N_("duty.alert.escalation_title"), ref=facts.ref, level=level, minutes=minutes
        )
    details = translator.text(
        locale,
        N_("duty.alert.details"),
        category=category_label(translator, locale, facts.category),
        raised_at=translator.datetime(locale, facts.raised_at),
        desk=facts.desk_name,
    )
    body = "\n\n".join(
        (
            title,
            details,
            place_lines(translator, locale, facts.place, facts.location_sent_at),
            translator.text(locale, N_("duty.alert.ask_ack")),
        )
    )
    button = Choice(ack_choice_id(facts.alert_id), translator.text(locale, N_("duty.ack_button")))
    return Outbound(text=body, choices=(button,), prompt_token=DUTY_PROMPT, urgent=True)


def grouped_message(
    translator: Translator,
    alerts: list[AlertFacts],
    *,
    dispatch_id: int,
    levels: list[int] | None = None,
    now: datetime,
) -> Outbound:
    """Several alerts in one message (new ones, or reminders when `levels` is given): one
    line each, a button per reference and one acknowledging them all."""
    locale = translator.default_locale
    if levels is None:
        title = translator.text(locale, N_("duty.grouped.title"), count=len(alerts))
    else:
        title = translator.text(locale, N_("duty.grouped.escalation_title"), count=len(alerts))
    lines = []
    for index, facts in enumerate(alerts):
        line = translator.text(
            locale,
            N_("duty.grouped.line"),
            ref=facts.ref,
            category=category_label(translator, locale, facts.category),
            desk=facts.desk_name,
            minutes=int((now - facts.raised_at).total_seconds() // 60),
        )
        if levels is not None:
            level = translator.text(locale, N_("duty.grouped.level"), level=levels[index])
            line = f"{line}, {level}"
        lines.append(line)
    body = "\n\n".join(
        (title, "\n".join(lines), translator.text(locale, N_("duty.grouped.ask_ack")))
    )
    buttons = [
        Choice(
            ack_choice_id(facts.alert_id),
            translator.text(locale, N_("duty.grouped.ack_one"), ref=facts.ref),
        )
        for facts in alerts
    ]
    every = translator.text(locale, N_("duty.grouped.ack_all"), count=len(alerts))
    buttons.append(Choice(f"{ACK_ALL_PREFIX}{dispatch_id}", every))
    return Outbound(text=body, choices=tuple(buttons), prompt_token=DUTY_PROMPT, urgent=True)


def location_message(translator: Translator, *, ref: str, desk: DutyDesk, place: Place) -> Outbound:
    """The place of an alerted case, once the citizen shared it, with the desk covering it."""
    locale = translator.default_locale
    title = translator.text(locale, N_("duty.location.title"), ref=ref, desk=desk.name)
    return Outbound(text=f"{title}\n{place_lines(translator, locale, place)}", urgent=True)


def acknowledged_line(translator: Translator, by: str, at: datetime) -> str:
    """Added to the alert in the group once someone acknowledged it."""
    locale = translator.default_locale
    when = translator.datetime(locale, at)
    return translator.text(locale, N_("duty.ack.done"), name=by, at=when)


def acknowledged_ref_line(translator: Translator, ref: str, by: str, at: datetime) -> str:
    """Added to a grouped message when one of the references in it was acknowledged."""
    locale = translator.default_locale
    when = translator.datetime(locale, at)
    return translator.text(locale, N_("duty.ack.done_ref"), ref=ref, name=by, at=when)


def acknowledged_elsewhere(translator: Translator, ref: str, by: str, at: datetime) -> Outbound:
    """Told to the group when an officer acknowledged the alert in the back-office."""
    locale = translator.default_locale
    when = translator.datetime(locale, at)
    text = translator.text(locale, N_("duty.ack.from_backoffice"), ref=ref, name=by, at=when)
    return Outbound(text=text, urgent=True)


def press_answer(translator: Translator, ref: str, by: str, at: datetime, *, fresh: bool) -> str:
    """The short note on the presser's screen (answerCallbackQuery, at most 200 characters)."""
    locale = translator.default_locale
    if fresh:
        note = translator.text(locale, N_("duty.ack.thanks"), ref=ref)
    else:
        when = translator.datetime(locale, at)
        note = translator.text(locale, N_("duty.ack.already"), ref=ref, name=by, at=when)
    return note[:CALLBACK_NOTE_CHARS]


def press_all_answer(translator: Translator, fresh: int, total: int) -> str:
    """The note on the presser's screen after "acknowledge all"."""
    locale = translator.default_locale
    if fresh:
        note = translator.text(locale, N_("duty.ack.all_thanks"), count=fresh, total=total)
    else:
        note = translator.text(locale, N_("duty.ack.all_already"), total=total)
    return note[:CALLBACK_NOTE_CHARS]


def unknown_press(translator: Translator) -> str:
    return translator.text(translator.default_locale, N_("duty.ack.unknown"))
