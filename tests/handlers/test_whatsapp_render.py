"""WhatsApp translation tables: `Outbound` → request body, notification → `Inbound`.

Pure functions, no app: each case states the exact body Graph receives or
the exact event pintu reads, for payloads in the shape of Meta's examples.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.domain.channel import Recipient, Skipped
from bot.domain.messages import Choice, Expect, InboundKind, Location, Outbound
from bot.handlers.whatsapp.channel import Templates, is_signed
from bot.handlers.whatsapp.parse import (
    Report,
    decode,
    parse_message,
    parse_reply_id,
    parse_status,
    read_items,
)
from bot.handlers.whatsapp.render import (
    Wording,
    envelope,
    parse_short_labels,
    render,
    shorten,
)
from tests.support.fake_whatsapp import encode, notification, profile, sign, status

WORDING = Wording(
    list_button="Pilih",
    numbered_hint="Balas dengan nomor pilihan Anda.",
    short_labels={"Tidak, tampilkan nama saya": "Tidak, pakai nama"},
)


def choices(*labels: str) -> tuple[Choice, ...]:
    return tuple(Choice(f"c{n}", label) for n, label in enumerate(labels, 1))


# -- rendering ------------------------------------------------------------------------------


def test_plain_text() -> None:
    assert render(Outbound("Halo *Siti*"), WORDING) == {
        "type": "text",
        "text": {"body": "Halo *Siti*", "preview_url": False},
    }


def test_up_to_three_choices_are_reply_buttons_with_prompt_tokens() -> None:
    message = Outbound(
        "Anonim?", choices("Ya, anonim", "Tidak, tampilkan nama saya"), Expect.CHOICE, "7"
    )
    assert render(message, WORDING) == {
        "type": "interactive",
        "interactive": {
            "type": "button",
            "body": {"text": "Anonim?"},
            "action": {
                "buttons": [
                    {"type": "reply", "reply": {"id": "7|c1", "title": "Ya, anonim"}},
                    {"type": "reply", "reply": {"id": "7|c2", "title": "Tidak, pakai nama"}},
                ]
            },
        },
    }


def test_four_to_ten_choices_are_a_list_with_full_labels_under_shortened_titles() -> None:
    labels = ("Satu", "Dua", "Tiga", "Pelayanan administrasi kependudukan")
    body = render(Outbound("Pilih:", choices(*labels), Expect.CHOICE, "3"), WORDING)
    assert body["interactive"]["type"] == "list"
    assert body["interactive"]["action"]["button"] == "Pilih"
    rows = body["interactive"]["action"]["sections"][0]["rows"]
    assert [row["id"] for row in rows] == ["3|c1", "3|c2", "3|c3", "3|c4"]
    assert rows[3] == {
        "id": "3|c4",
        "title": "Pelayanan administrasi…",
        "description": "Pelayanan administrasi kependudukan",
    }
    assert "description" not in rows[0]


def test_more_than_ten_choices_are_a_numbered_text() -> None:
    labels = [f"Pilihan {n}" for n in range(1, 12)]
    body = render(Outbound("Pilih:", choices(*labels), Expect.CHOICE, "3"), WORDING)
    assert body["type"] == "text"
    text = body["text"]["body"]
    assert text.startswith("Pilih:\n\n1. Pilihan 1\n2. Pilihan 2\n")
    assert "\n11. Pilihan 11\n\nBalas dengan nomor pilihan Anda." in text


def test_a_body_too_long_for_buttons_becomes_a_list() -> None:
    body = render(Outbound("x" * 2000, choices("Kirim", "Ubah", "Batal"), Expect.CHOICE), WORDING)
    assert body["interactive"]["type"] == "list"


def test_titles_that_collide_once_shortened_fall_back_to_a_numbered_text() -> None:
    labels = ("Pelayanan di kantor Ilir", "Pelayanan di kantor Ulu")
    body = render(Outbound("?", choices(*labels)), WORDING)
    assert body["interactive"]["type"] == "list"  # as buttons both are "Pelayanan di…"
    long = ("Pelayanan publik di kantor polisi A", "Pelayanan publik di kantor polisi B")
    body = render(Outbound("?", choices(*long)), WORDING)
    assert body["type"] == "text"
    assert "1. Pelayanan publik di kantor polisi A" in body["text"]["body"]


def test_location_request_offers_other_choices_as_numbers() -> None:
    message = Outbound(
        "Di mana kejadiannya?",
        (Choice("_location", "Kirim lokasi"), Choice("_skip", "Lewati")),
        Expect.LOCATION,
        "4",
    )
    assert render(message, WORDING) == {
        "type": "interactive",
        "interactive": {
            "type": "location_request_message",
            "body": {
                "text": "Di mana kejadiannya?\n\n1. Lewati\n\nBalas dengan nomor pilihan Anda."
            },
            "action": {"name": "send_location"},
        },
    }


@pytest.mark.parametrize(
    ("label", "limit", "shown"),
    [
        ("Kirim", 20, "Kirim"),
        ("Tidak, tampilkan nama saya", 20, "Tidak, pakai nama"),
        ("Pelayanan administrasi kependudukan", 20, "Pelayanan administr…"),
        ("Pelayanan di kantor Ilir", 20, "Pelayanan di…"),
        ("Pelayanan administrasi kependudukan", 24, "Pelayanan administrasi…"),
        ("Supercalifragilisticexpialidocious", 20, "Supercalifragilisti…"),
        ("  Banyak   spasi  ", 20, "Banyak spasi"),
    ],
)
def test_shorten(label: str, limit: int, shown: str) -> None:
    assert shorten(label, limit, WORDING.short_labels) == shown
    assert len(shown) <= limit


def test_short_label_table_reads_lines_and_skips_comments() -> None:
    table = "# long = short\nTidak, tampilkan nama saya = Tidak, pakai nama\nno separator\n = x"
    assert parse_short_labels(table) == {"Tidak, tampilkan nama saya": "Tidak, pakai nama"}


def test_recipient_is_the_phone_number_when_known_else_the_bsuid() -> None:
    by_phone = Recipient(1, "whatsapp", "ID.123", "6281234567890", "id")
    by_bsuid = Recipient(1, "whatsapp", "ID.123", None, "id")
    text = render(Outbound("x"), WORDING)
    assert envelope(by_phone, text) == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "+6281234567890",
        "type": "text",
        "text": {"body": "x", "preview_url": False},
    }
    assert envelope(by_bsuid, text)["recipient"] == "ID.123"
    assert "to" not in envelope(by_bsuid, text)


def test_notice_templates_by_purpose_language_and_parameter_name() -> None:
    templates = Templates(
        names={"case_reply": "balasan"}, languages={"id": "id", "en": "en_US"}, parameter="ref"
    )
    notice = Outbound("…", meta={"notice": "case_reply", "ref": "PGD-7K3QXM", "template": "1"})
    assert templates.body(notice, "en") == {
        "type": "template",
        "template": {
            "name": "balasan",
            "language": {"code": "en_US"},
            "components": [
                {
                    "type": "body",
                    "parameters": [{"type": "text", "text": "PGD-7K3QXM", "parameter_name": "ref"}],
                }
            ],
        },
    }
    update = Outbound("…", meta={"notice": "case_update", "ref": "PGD-7K3QXM", "template": "1"})
    with pytest.raises(Skipped, match="case_update"):
        templates.body(update, "id")


# -- signatures -------------------------------------------------------------------------------


def test_signature_is_hmac_sha256_of_the_raw_body() -> None:
    raw = b'{"object":"whatsapp_business_account","entry":[]}'
    assert is_signed(raw, sign(raw, "s3cret"), "s3cret")
    assert is_signed(raw, sign(raw, "s3cret").upper().replace("SHA256=", "sha256="), "s3cret")
    assert not is_signed(raw, sign(raw, "other"), "s3cret")
    assert not is_signed(raw + b"\n", sign(raw, "s3cret"), "s3cret")
    assert not is_signed(raw, None, "s3cret")


# -- parsing (shapes from Meta's webhook examples) ------------------------------------------------

SENDER = {"from": "16505551234", "from_user_id": "US.13491208655302741918"}
CONTACTS = [profile(user_id="US.13491208655302741918", wa_id="16505551234", name="Kerry")]


def one_message(content: dict[str, Any], contacts: list[dict[str, Any]] | None = None) -> Any:
    found = {"id": "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA=", **content}
    payload = notification(messages=[found], contacts=CONTACTS if contacts is None else contacts)
    [item] = read_items(decode(encode(payload)))
    return parse_message(item)


@pytest.mark.parametrize(
    ("content", "kind", "expected"),
    [
        (
            {"type": "text", "text": {"body": "halo"}},
            InboundKind.TEXT,
            {"text": "halo"},
        ),
        (
            {
                "type": "interactive",
                "interactive": {
                    "type": "button_reply",
                    "button_reply": {"id": "12|submit", "title": "Kirim"},
                },
            },
            InboundKind.CHOICE,
            {"choice_id": "submit", "prompt_token": "12", "text": "Kirim"},
        ),
        (
            {
                "type": "interactive",
                "interactive": {
                    "type": "list_reply",
                    "list_reply": {"id": "3|other", "title": "Lainnya", "description": "…"},
                },
            },
            InboundKind.CHOICE,
            {"choice_id": "other", "prompt_token": "3"},
        ),
        (
            {"type": "button", "button": {"text": "Lihat balasan", "payload": "PAYLOAD"}},
            InboundKind.TEXT,
            {"text": "Lihat balasan"},
        ),
        (
            {
                "type": "location",
                "location": {
                    "latitude": -2.9761,
                    "longitude": 104.7754,
                    "name": "Polda Sumsel",
                    "address": "Jl. Jend. Sudirman, Palembang",
                },
            },
            InboundKind.LOCATION,
            {
                "location": Location(
                    -2.9761, 104.7754, "Polda Sumsel", "Jl. Jend. Sudirman, Palembang"
                )
            },
        ),
        (
            {
                "type": "image",
                "image": {"id": "1037543291543636", "mime_type": "image/jpeg", "caption": "foto"},
            },
            InboundKind.MEDIA,
            {"text": "foto"},
        ),
        (
            {
                "type": "contacts",
                "contacts": [
                    {
                        "name": {"formatted_name": "Budi", "first_name": "Budi"},
                        "phones": [{"phone": "+62 812 0000 1111", "type": "CELL"}],
                    }
                ],
            },
            InboundKind.CONTACT,
            {"text": "+62 812 0000 1111"},
        ),
        (
            {"type": "reaction", "reaction": {"message_id": "wamid.X", "emoji": "👍"}},
            InboundKind.UNSUPPORTED,
            {},
        ),
        (
            {"type": "sticker", "sticker": {"id": "1", "mime_type": "image/webp"}},
            InboundKind.UNSUPPORTED,
            {},
        ),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_messages_are_read(content: dict[str, Any], kind: InboundKind, expected: Any) -> None:
    received = one_message(SENDER | {"timestamp": "1714510003"} | content)
    inbound = received.inbound
    assert inbound.kind is kind
    assert inbound.channel == "whatsapp"
    assert inbound.event_id.startswith("wamid.")
    assert inbound.sender_name == "Kerry"
    assert inbound.phone == "16505551234"
    assert received.sender.user_id == "US.13491208655302741918"
    for field, value in expected.items():
        assert getattr(inbound, field) == value
    if kind is InboundKind.MEDIA:
        assert received.media_id == "1037543291543636"


def test_older_format_without_user_id_reads_the_phone_number() -> None:
    received = one_message(
        {"from": "16505551234", "type": "text", "text": {"body": "hi"}},
        [profile(user_id=None, wa_id="16505551234", name="Kerry")],
    )
    assert (received.sender.user_id, received.sender.wa_id) == (None, "16505551234")


def test_username_user_without_phone_number_reads_the_bsuid() -> None:
    received = one_message(
        {"from_user_id": "US.1", "type": "text", "text": {"body": "hi"}},
        [{"profile": {"name": "K", "username": "@kerry"}, "user_id": "US.1"}],
    )
    assert (received.sender.user_id, received.sender.wa_id, received.inbound.phone) == (
        "US.1",
        None,
        None,
    )


def test_a_message_naming_no_sender_is_refused() -> None:
    with pytest.raises(ValueError, match="without a sender"):
        one_message({"type": "text", "text": {"body": "hi"}}, [])


def test_system_messages_are_not_answered() -> None:
    received = one_message(SENDER | {"type": "system", "system": {"body": "changed number"}})
    assert not received.answer


def test_statuses_are_read_with_their_error() -> None:
    failed = status(
        "wamid.OUT1", "failed", errors=[{"code": 131047, "title": "Re-engagement message"}]
    )
    payload = notification(statuses=[status("wamid.OUT1", "delivered"), failed])
    reports = [parse_status(item) for item in read_items(decode(encode(payload)))]
    assert reports == [
        Report("wamid.OUT1", "delivered"),
        Report("wamid.OUT1", "failed", 131047, "Re-engagement message"),
    ]
    assert reports[1].event_id == "status:wamid.OUT1:failed"


@pytest.mark.parametrize(
    "raw",
    [
        b"{",
        b"[]",
        b'{"object": "instagram", "entry": []}',
        b'{"object": "whatsapp_business_account"}',
    ],
)
def test_what_is_not_a_notification_is_refused(raw: bytes) -> None:
    with pytest.raises(ValueError, match="not a WhatsApp notification"):
        read_items(decode(raw))


def test_an_item_alone_is_a_replayable_notification() -> None:
    payload = notification(
        messages=[{"id": "wamid.A", "type": "text", "text": {"body": "a"}, **SENDER}],
        statuses=[status("wamid.B", "read")],
        contacts=CONTACTS,
    )
    first, second = read_items(decode(encode(payload)))
    alone = json.loads(first.as_notification())
    [again] = read_items(decode(first.as_notification().encode()))
    assert again.data == first.data
    assert "statuses" not in alone["entry"][0]["changes"][0]["value"]
    assert second.kind == "status"


def test_reply_ids() -> None:
    assert parse_reply_id("12|submit") == ("12", "submit")
    assert parse_reply_id("|menu") == (None, "menu")
    assert parse_reply_id("someone-elses-id") == (None, "someone-elses-id")
