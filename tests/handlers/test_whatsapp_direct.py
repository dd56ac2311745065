"""The direct reader of common WhatsApp notifications (`bot.handlers.whatsapp.direct`)
against the pydantic one (`parse`): whenever the direct one reads a notification,
`WhatsAppChannel.parse` gives the very same events as through pydantic alone; and
it does read the shapes Meta sends for citizens' texts and delivery reports."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain.channel import DeliveryReport, Event, Said
from bot.domain.i18n import Translator
from bot.handlers.whatsapp import channel as channel_module
from bot.handlers.whatsapp.channel import Templates, WhatsAppChannel
from bot.handlers.whatsapp.client import GraphClient
from bot.handlers.whatsapp.direct import Reading, read_common
from bot.handlers.whatsapp.parse import decode
from bot.outbox.pacing import Pacer
from tests.support.fake_whatsapp import (
    PHONE_NUMBER_ID,
    encode,
    message,
    notification,
    profile,
    status,
)

CHANNEL = WhatsAppChannel(
    client=GraphClient(
        api_url="http://graph.invalid",
        access_token="t",
        phone_number_id=PHONE_NUMBER_ID,
        timeout=1.0,
    ),
    phone_number_id=PHONE_NUMBER_ID,
    pacer=Pacer(overall_rate=80, overall_burst=80, per_recipient_rate=1, per_recipient_burst=1),
    translator=Translator(Path(__file__).resolve().parents[2] / "locales", "id", "Asia/Jakarta"),
    templates=Templates(names={}, languages={"id": "id"}),
    max_file_bytes=1_000_000,
    spam_pause_seconds=60.0,
)


def through_pydantic(raw: bytes) -> list[Event]:
    """`WhatsAppChannel.parse` with the direct reader left out."""
    with mock.patch.object(channel_module, "read_common", return_value=None):
        return CHANNEL.parse(raw)


def directly(raw: bytes) -> list[Reading] | None:
    """What the direct reader makes of `raw`; None also when it is no JSON."""
    try:
        return read_common(decode(raw), PHONE_NUMBER_ID)
    except ValueError:
        return None


def settled(events: list[Event]) -> list[Any]:
    """`events` with what they keep for a dead letter in place of the function that
    makes it (functions compare by identity)."""
    return [
        (replace(event, keep=None), event.keep())
        if isinstance(event, Said | DeliveryReport) and event.keep is not None
        else event
        for event in events
    ]


# -- the shapes Meta sends: a citizen's text, delivery reports --------------------------

WA_ID = st.from_regex(r"\+?62[0-9]{8,12}", fullmatch=True)
USER_ID = st.builds("{}.{}".format, st.sampled_from(["ID", "US"]), st.integers(1, 10**20))
WAMID = st.from_regex(r"wamid\.[A-Za-z0-9=]{10,60}", fullmatch=True)
TIMESTAMP = st.integers(1_600_000_000, 1_900_000_000).map(str)
STATE = st.sampled_from(["sent", "delivered", "read"])
NAME = st.text(max_size=12)
# …near them (one time in four): other lengths, digits `int` does not read, other states
NEAR_WAMID = st.one_of(
    WAMID,
    WAMID,
    WAMID,
    st.sampled_from([1, 169, 170, 171, 189, 190, 191]).flatmap(
        lambda length: st.text(min_size=length, max_size=length)
    ),
)
NEAR_TIMESTAMP = st.one_of(
    TIMESTAMP, TIMESTAMP, TIMESTAMP, st.text(max_size=12) | st.sampled_from(["²", "9" * 40])
)
NEAR_STATE = st.one_of(STATE, STATE, STATE, st.sampled_from(["failed", "deleted", "", "x" * 17]))


@st.composite
def person(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    """One citizen: their ``contacts`` entry, and their fields in a message (at least one
    id: a user id, a phone number, or both)."""
    known = draw(st.sampled_from(["both", "phone", "user"]))
    wa_id = draw(WA_ID) if known != "user" else None
    user_id = draw(USER_ID) if known != "phone" else None
    contact = profile(user_id=user_id, wa_id=wa_id, name=draw(NAME))
    sender: dict[str, Any] = {}
    if wa_id is not None and (user_id is None or draw(st.booleans())):
        sender["from"] = wa_id
    if user_id is not None and ("from" not in sender or draw(st.booleans())):
        sender["from_user_id"] = user_id
    return contact, sender


@st.composite
def texts(
    draw: st.DrawFn, wamid: st.SearchStrategy[str], timestamp: st.SearchStrategy[str]
) -> dict[str, Any]:
    """A notification with one to three citizens' texts and their contacts."""
    people = draw(st.lists(person(), min_size=1, max_size=3))
    found = [
        {"id": draw(wamid), "timestamp": draw(timestamp), "type": "text"}
        | draw(st.sampled_from([sender for _, sender in people]))
        | {"text": {"body": draw(st.text(max_size=30))}}
        for _ in range(draw(st.integers(1, 3)))
    ]
    return notification(messages=found, contacts=[contact for contact, _ in people])


@st.composite
def reports(
    draw: st.DrawFn, wamid: st.SearchStrategy[str], state: st.SearchStrategy[str]
) -> dict[str, Any]:
    """A notification with one to three delivery reports, as Meta sends them."""
    more = st.fixed_dictionaries(
        {},
        optional={
            "recipient_user_id": USER_ID,
            "conversation": st.fixed_dictionaries(
                {"id": st.text(max_size=8), "origin": st.just({"type": "service"})},
                optional={"expiration_timestamp": st.integers(0, 2**31) | TIMESTAMP},
            ),
            "pricing": st.fixed_dictionaries(
                {
                    "billable": st.booleans(),
                    "pricing_model": st.sampled_from(["CBP", "PMP"]),
                    "category": st.sampled_from(["service", "utility", "marketing"]),
                }
            ),
            "biz_opaque_callback_data": st.text(max_size=8),
        },
    )
    found = [
        status(draw(wamid), draw(state), wa_id=draw(st.none() | WA_ID)) | draw(more)
        for _ in range(draw(st.integers(1, 3)))
    ]
    return notification(statuses=found)


COMMON = texts(WAMID, TIMESTAMP) | reports(WAMID, STATE)
NEAR = texts(NEAR_WAMID, NEAR_TIMESTAMP) | reports(NEAR_WAMID, NEAR_STATE)

# …and what else may come: other values, keys of other shapes, keys left out.
ODD_TEXT = (
    st.just("\ud800")  # a lone surrogate: Python's JSON reader would take it, pydantic's not
    | st.text(max_size=3)
    | st.sampled_from(
        [
            "",
            "image",
            "failed",
            "statuses",
            "106540352242923",
            "whatsapp_business_account",
        ]
    )
)
ODD = st.one_of(
    ODD_TEXT,
    st.none(),
    st.integers(),
    st.floats(),
    st.booleans(),
    st.builds(list),
    st.builds(dict),
    st.builds(lambda: {"id": "1"}),
    st.builds(lambda: {"name": None}),
    st.builds(lambda: [{"code": 131047, "title": "Re-engagement message"}]),
)
OTHER_KEYS = {
    "notification": ["object", "entry", "x"],
    "entry": ["time", "changes"],
    "change": ["field", "x"],
    "value": ["contacts", "statuses", "messages", "errors", "messaging_product"],
    "metadata": ["phone_number_id", "display_phone_number", "x"],
    "contact": ["profile", "wa_id", "user_id", "identity_key_hash"],
    "profile": ["name", "username"],
    "message": ["context", "image", "interactive", "errors", "text", "type", "from", "timestamp"],
    "text": ["body", "preview_url"],
    "status": ["errors", "status", "recipient_user_id", "conversation", "pricing"],
}
WEIGHT = {"message": 3, "status": 3, "contact": 2, "profile": 2}  # where the reader's checks are


def parts_of(data: dict[str, Any]) -> dict[str, tuple[dict[str, Any], list[Any] | None]]:
    """The objects of `data` that a change may touch, each with the list it is in."""
    found: dict[str, tuple[dict[str, Any], list[Any] | None]] = {"notification": (data, None)}

    def add(name: str, holder: object, key: str) -> None:
        held = holder.get(key) if isinstance(holder, dict) else None
        if isinstance(held, list) and held and isinstance(held[0], dict):
            found[name] = (held[0], held)
        elif isinstance(held, dict):
            found[name] = (held, None)

    add("entry", data, "entry")
    add("change", found.get("entry", ({}, None))[0], "changes")
    add("value", found.get("change", ({}, None))[0], "value")
    value = found.get("value", ({}, None))[0]
    add("metadata", value, "metadata")
    add("contact", value, "contacts")
    add("message", value, "messages")
    add("status", value, "statuses")
    add("profile", found.get("contact", ({}, None))[0], "profile")
    add("text", found.get("message", ({}, None))[0], "text")
    return found


@st.composite
def notifications(draw: st.DrawFn) -> dict[str, Any]:
    """A common notification, mostly as Meta sends it or near, with up to two changes: a key
    left out, a value of another type, a key of another shape added, an object twice."""
    data = draw(NEAR)
    for _ in range(draw(st.integers(0, 2))):
        parts = parts_of(data)
        where = draw(st.sampled_from([name for name in parts for _ in range(WEIGHT.get(name, 1))]))
        part, holder = parts[where]
        change = draw(st.sampled_from(["drop", "odd", "add", "twice"]))
        keys = sorted(part)
        if change == "twice" and holder is not None:
            holder.append(json.loads(json.dumps(part)))
        elif change == "drop" and keys:
            del part[draw(st.sampled_from(keys))]
        elif change == "odd" and keys:
            part[draw(st.sampled_from(keys))] = draw(ODD)
        else:  # mostly a string: what passes for one of Meta's
            part[draw(st.sampled_from(OTHER_KEYS[where]))] = draw(ODD_TEXT | ODD)
    return data


def written(data: dict[str, Any], ascii_only: bool) -> bytes:
    """`data` as a body: Meta escapes what is not ASCII (``\\ud83d\\ude00``)."""
    return json.dumps(data, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(notifications(), st.booleans())
def test_what_the_direct_reader_reads_pydantic_reads_alike(
    data: dict[str, Any], ascii_only: bool
) -> None:
    raw = written(data, ascii_only)
    if directly(raw) is not None:
        assert settled(CHANNEL.parse(raw)) == settled(through_pydantic(raw))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(COMMON, st.booleans())
def test_common_notifications_as_meta_sends_them_are_read_directly(
    data: dict[str, Any], ascii_only: bool
) -> None:
    raw = written(data, ascii_only)
    assert directly(raw) is not None
    assert settled(CHANNEL.parse(raw)) == settled(through_pydantic(raw))


# -- examples -------------------------------------------------------------------------------

BSUID, PHONE = "US.13491208655302741918", "16505551234"
REAL = [
    # a text, as in tests/handlers/test_whatsapp_render.py, and the older format
    notification(
        messages=[message("text", user_id=BSUID, wa_id=PHONE, text={"body": "Halo 🙏"})],
        contacts=[profile(user_id=BSUID, wa_id=PHONE, name="Kerry")],
    ),
    notification(
        messages=[message("text", user_id=None, wa_id=PHONE, text={"body": "tolong"})],
        contacts=[profile(user_id=None, wa_id=PHONE)],
    ),
    # a citizen with a username: no phone number
    notification(
        messages=[message("text", user_id=BSUID, wa_id=None, text={"body": "x"})],
        contacts=[profile(user_id=BSUID, wa_id=None)],
    ),
    # two texts at once; then delivery reports
    notification(
        messages=[
            message("text", user_id=BSUID, wa_id=PHONE, text={"body": "satu"}),
            message("text", user_id=BSUID, wa_id=PHONE, text={"body": "dua"}),
        ],
        contacts=[profile(user_id=BSUID, wa_id=PHONE)],
    ),
    notification(statuses=[status("wamid.OUT1", "sent", wa_id=PHONE)]),
    notification(
        statuses=[
            status("wamid.OUT1", "delivered", wa_id=PHONE)
            | {
                "conversation": {"id": "c1", "origin": {"type": "service"}},
                "pricing": {"billable": False, "pricing_model": "PMP", "category": "service"},
            },
            status("wamid.OUT2", "read", wa_id=PHONE),
        ]
    ),
]


def test_the_common_notifications_are_read_directly_and_alike() -> None:
    for data in REAL:
        for raw in (encode(data), written(data, ascii_only=True)):
            readings = directly(raw)
            assert readings is not None, data
            events = CHANNEL.parse(raw)
            assert len(readings) == len(events) > 0
            assert settled(events) == settled(through_pydantic(raw))
    [said] = CHANNEL.parse(encode(REAL[0]))
    assert isinstance(said, Said)
    assert (said.inbound.sender_id, said.inbound.text, said.inbound.phone) == (
        BSUID,
        "Halo 🙏",
        PHONE,
    )


def test_other_notifications_are_left_to_pydantic() -> None:
    text = REAL[0]
    value = text["entry"][0]["changes"][0]["value"]
    failed = status("wamid.OUT1", "failed", errors=[{"code": 131047, "title": "Re-engagement"}])
    others = [
        notification(messages=value["messages"], contacts=value["contacts"], phone_number_id="1"),
        notification(
            messages=[message("image", user_id=BSUID, wa_id=PHONE, image={"id": "m1"})],
            contacts=value["contacts"],
        ),
        notification(messages=[value["messages"][0] | {"context": {"id": "wamid.X"}}]),
        notification(statuses=[failed]),
        notification(messages=[value["messages"][0] | {"id": 7}]),
        text | {"entry": text["entry"] * 2},
    ]
    for data in others:
        assert directly(encode(data)) is None, data


def test_what_pydantic_refuses_in_a_body_is_left_to_it() -> None:
    body = encode(REAL[0])
    lone = body.replace("🙏".encode(), b"\\ud800")
    assert directly(lone) is None
    assert [type(event).__name__ for event in CHANNEL.parse(lone)] == ["Unreadable"]
    assert directly(b"\xef\xbb\xbf" + body) is None  # a BOM
    assert directly(body.decode().encode("utf-16")) is None


def edited(data: dict[str, Any], edit: Callable[[dict[str, Any]], object]) -> dict[str, Any]:
    """A copy of `data` with `edit` applied to its value."""
    found = copy.deepcopy(data)
    edit(found["entry"][0]["changes"][0]["value"])
    return found


TEXT, REPORT = REAL[0], REAL[5]
NEAR_MISSES = {  # what pydantic reads otherwise than a look at the types would suggest
    "a username in the profile": (TEXT, lambda v: v["contacts"][0]["profile"].update(username="k")),
    "no name in the profile": (TEXT, lambda v: v["contacts"][0].update(profile={})),
    "a null name": (TEXT, lambda v: v["contacts"][0].update(profile={"name": None})),
    "another key in a contact": (TEXT, lambda v: v["contacts"][0].update(identity_key_hash="h")),
    "a null phone number": (TEXT, lambda v: v["contacts"][0].update(wa_id=None)),
    "a number for a user id": (TEXT, lambda v: v["messages"][0].update(from_user_id=7)),
    "a null sender": (TEXT, lambda v: v["messages"][0].update({"from": None})),
    "a number for a timestamp": (TEXT, lambda v: v["messages"][0].update(timestamp=1790000000)),
    "a digit int cannot read": (TEXT, lambda v: v["messages"][0].update(timestamp="²")),
    "a null timestamp": (TEXT, lambda v: v["messages"][0].update(timestamp=None)),
    "a text without a body": (TEXT, lambda v: v["messages"][0].update(text={})),
    "a number for a body": (TEXT, lambda v: v["messages"][0].update(text={"body": 1})),
    "a message id too long": (TEXT, lambda v: v["messages"][0].update(id="w" * 191)),
    "an empty message id": (TEXT, lambda v: v["messages"][0].update(id="")),
    "a number for the phone number id": (TEXT, lambda v: v["metadata"].update(phone_number_id=1)),
    "another messaging product": (TEXT, lambda v: v.update(messaging_product="x")),
    "a status id too long": (REPORT, lambda v: v["statuses"][0].update(id="w" * 171)),
    "a failure without errors": (REPORT, lambda v: v["statuses"][0].update(status="failed")),
    "no errors": (REPORT, lambda v: v["statuses"][0].update(errors=[])),
    "a fraction in the pricing": (REPORT, lambda v: v["statuses"][0]["pricing"].update(x=0.5)),
    "a null in a conversation": (REPORT, lambda v: v["statuses"][0]["conversation"].update(x=None)),
    "a number for a status": (REPORT, lambda v: v["statuses"][0].update(status=1)),
}


@pytest.mark.parametrize("name", NEAR_MISSES)
def test_near_misses_are_read_alike_if_at_all(name: str) -> None:
    data, edit = NEAR_MISSES[name]
    for raw in (encode(edited(data, edit)), written(edited(data, edit), ascii_only=True)):
        if directly(raw) is not None:
            assert settled(CHANNEL.parse(raw)) == settled(through_pydantic(raw))
