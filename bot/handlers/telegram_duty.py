"""Updates from the duty officers' Telegram group (``PINTU_DUTY_TELEGRAM_CHAT_ID``).

Nothing from the group reaches the citizen engine. A press on an alert's
button (callback data ``duty|ack:<alert id>``) acknowledges the alert in one
transaction with the update's dedupe row; after the commit the press is
answered (``answerCallbackQuery``, always: the client shows a spinner until
then) and the alert message is edited to say who acknowledged it and when,
which also takes its button away. A grouped message (`bot.duty.dispatch`)
has a button per reference — pressing one acknowledges that alert and keeps
the other buttons — and ``duty|ackall:<dispatch id>``, acknowledging every
alert it lists. Every other update from the group —
officers talking, the bot added or removed — is recorded as seen and left
unanswered.

Platform facts: https://core.telegram.org/bots/api#callbackquery
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass

from fastapi import BackgroundTasks
from telegram import Bot, CallbackQuery, InlineKeyboardMarkup, Message, Update
from telegram.error import TelegramError

from bot.domain.i18n import Translator
from bot.duty import texts as duty_texts
from bot.duty.service import AckAllResult, AckResult
from bot.runtime import Runtime

log = logging.getLogger(__name__)

CHANNEL = "telegram"


@dataclass(frozen=True, slots=True)
class AckPress:
    """A press on a button in the duty group."""

    query_id: str
    chat_id: int
    message_id: int | None
    alert_html: str | None  # the alert as the group sees it, to edit
    alert_id: int | None  # None: not an acknowledge button of pintu's
    dispatch_id: int | None  # "acknowledge all" on a grouped message
    others: InlineKeyboardMarkup | None  # the other references' buttons of a grouped message
    by: str  # the duty officer's Telegram name


def is_from_duty_group(update: Update, runtime: Runtime) -> bool:
    chat = update.effective_chat
    return chat is not None and runtime.duty.is_group(chat.id)


def parse_press(query: CallbackQuery) -> AckPress:
    token, _, choice_id = (query.data or "").partition("|")
    alert = query.message if isinstance(query.message, Message) else None
    return AckPress(
        query_id=query.id,
        chat_id=alert.chat.id if alert is not None else query.from_user.id,
        message_id=alert.message_id if alert is not None else None,
        alert_html=alert.text_html if alert is not None and alert.text else None,
        alert_id=duty_texts.parse_ack_choice(token or None, choice_id),
        dispatch_id=duty_texts.parse_ack_all_choice(token or None, choice_id),
        others=other_references(alert.reply_markup if alert else None, query.data or ""),
        by=query.from_user.full_name,
    )


def other_references(
    markup: InlineKeyboardMarkup | None, pressed: str
) -> InlineKeyboardMarkup | None:
    """The buttons of a grouped message left after a press on one reference's button;
    None when no other reference's button is left (a single alert, or the last one)."""
    if markup is None:
        return None
    rows = [
        row
        for row in markup.inline_keyboard
        if not any(button.callback_data == pressed for button in row)
    ]
    single = f"{duty_texts.DUTY_PROMPT}|{duty_texts.ACK_PREFIX}"
    if not any(
        str(button.callback_data or "").startswith(single) for row in rows for button in row
    ):
        return None
    return InlineKeyboardMarkup(rows)


async def handle_duty_update(
    runtime: Runtime, bot: Bot, update: Update, background: BackgroundTasks
) -> None:
    """Act on one update from the duty group; returns once it is committed."""
    event_id = f"update:{update.update_id}"
    query = update.callback_query
    if query is None:
        await runtime.runner.record_only(CHANNEL, event_id)
        return
    press = parse_press(query)
    if press.dispatch_id is not None:
        every = await runtime.duty.acknowledge_all_press(
            event_id=event_id, dispatch_id=press.dispatch_id, by=press.by
        )
        answer = None if every is None else all_answered(runtime.translator, every)
        background.add_task(answer_press, bot, runtime.translator, press, answer)
        return
    result = None
    if press.alert_id is None:
        await runtime.runner.record_only(CHANNEL, event_id)
    else:
        result = await runtime.duty.acknowledge_press(
            event_id=event_id, alert_id=press.alert_id, by=press.by
        )
    answer = None if result is None else one_answered(runtime.translator, press, result)
    background.add_task(answer_press, bot, runtime.translator, press, answer)


@dataclass(frozen=True, slots=True)
class PressAnswer:
    """What the duty officer who pressed sees: a note, a line added to the alert
    message, and the buttons it keeps (None: none)."""

    note: str
    line: str
    keep: InlineKeyboardMarkup | None


def one_answered(translator: Translator, press: AckPress, result: AckResult) -> PressAnswer:
    """The answer to a press of one alert's button."""
    note = duty_texts.press_answer(
        translator, result.ref, result.acknowledged_by, result.acknowledged_at, fresh=result.fresh
    )
    if press.others is None:
        line = duty_texts.acknowledged_line(
            translator, result.acknowledged_by, result.acknowledged_at
        )
    else:
        line = duty_texts.acknowledged_ref_line(
            translator, result.ref, result.acknowledged_by, result.acknowledged_at
        )
    return PressAnswer(note, line, keep=press.others)


def all_answered(translator: Translator, result: AckAllResult) -> PressAnswer:
    """The answer to "acknowledge all": every button goes."""
    note = duty_texts.press_all_answer(translator, result.fresh, len(result.refs))
    line = duty_texts.acknowledged_line(translator, result.acknowledged_by, result.acknowledged_at)
    return PressAnswer(note, line, keep=None)


async def answer_press(
    bot: Bot, translator: Translator, press: AckPress, answer: PressAnswer | None
) -> None:
    """Stop the spinner with a note, and mark the alert message as acknowledged
    (None: a press pintu does not know)."""
    try:
        if answer is None:
            await bot.answer_callback_query(
                press.query_id, text=duty_texts.unknown_press(translator)
            )
            return
        await bot.answer_callback_query(press.query_id, text=answer.note)
        await mark_acknowledged(bot, press, answer.line, keep=answer.keep)
    except TelegramError as error:  # cosmetic: the acknowledgement is committed
        log.info("telegram duty press answer failed: %s", type(error).__name__)


async def mark_acknowledged(
    bot: Bot, press: AckPress, line: str, *, keep: InlineKeyboardMarkup | None
) -> None:
    """Add `line` to the pressed message; `keep` its buttons still to press (None: none)."""
    if press.message_id is None or not press.alert_html:
        return
    await bot.edit_message_text(
        chat_id=press.chat_id,
        message_id=press.message_id,
        text=f"{press.alert_html}\n\n{html.escape(line, quote=False)}",
        parse_mode="HTML",
        reply_markup=keep,
    )
