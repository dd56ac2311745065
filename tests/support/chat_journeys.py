"""Citizen journeys as scripts, run on every channel through `tests.support.chat.Chat`.

Each script plays one journey the way a citizen does it (wrong turns
included), checks what the citizen reads and how the channel shows the
prompts, and checks what was stored. `tests/journeys/test_journeys.py`
runs them on Telegram, WhatsApp and the web chat, and adds what only one
platform shows.
"""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from bot.domain.references import REFERENCE_PATTERN
from bot.engine.emergencies import dialable
from tests.support.chat import Chat, jpeg, named, said
from tests.support.office import Office

WIB = ZoneInfo("Asia/Jakarta")
SKCK_NUMBER = "SKCK/123/XI/2026"
PASAR_16 = (-2.9761, 104.7754)
FIGHT = "Dua orang berkelahi membawa pisau di lantai 2 pasar, satu orang sudah berdarah."
THEFT = "HP saya dijambret dua orang berboncengan motor matic hitam, plat BG depan saja terlihat."
COMPLAINT = "Petugas loket SKCK meminta uang tambahan Rp50.000 tanpa kuitansi resmi kemarin sore."
CATEGORIES_ID = [
    "Pencurian/jambret",
    "Kecelakaan lalu lintas",
    "Kekerasan/penganiayaan",
    "Narkoba",
    "Keributan/tawuran",
    "Penipuan online",
    "Lainnya",
]
CATEGORIES_EN = [
    "Theft / snatching",
    "Traffic accident",
    "Violence / assault",
    "Drugs",
    "Public disorder",
    "Online fraud",
    "Other",
]
CATEGORIES_COMPLAINT = [
    "Pelayanan polisi",
    "Perilaku petugas",
    "Pelayanan publik",
    "Aspirasi & saran",
    "Lainnya",
]
TOPICS_ID = ["SKCK", "Izin keramaian", "SP2HP", "Kasus/laporan saya"]
TOPICS_EN = [
    "SKCK (police clearance certificate)",
    "Public event permit",
    "SP2HP (investigation progress report)",
    "My cases & reports",
]
NOT_FOUND = "Maaf, kami tidak menemukan permohonan dengan nomor dan tanggal lahir itu."
EXPIRED = "Formulir laporan kejadian Anda kami tutup karena lama tidak ada balasan."


def reference(texts: list[str]) -> str:
    found = REFERENCE_PATTERN.search(said(texts))
    assert found, texts
    return found.group(0)


# -- 1. someone in danger -------------------------------------------------------------------


async def incident_with_someone_in_danger(chat: Chat, office: Office) -> str:
    """110 first, the duty desk alerted, then the report completed with a shared
    location and two photos; the urgent case's reference."""
    asked = await chat.command("lapor")
    assert "Apakah ada orang yang dalam bahaya saat ini?" in said(asked)
    chat.shows_buttons(["Ya, ada bahaya", "Tidak"])

    [answer] = await chat.press("Ya, ada bahaya")  # one message: nothing pushes 110 away
    assert "Kejadian apa yang ingin Anda laporkan?" in answer
    assert answer.rstrip().endswith("agar petugas cepat menemukan tempatnya.")  # 110 last
    assert "telepon 110 SEKARANG" in answer
    assert dialable(office.runtime.duty.desks.default.phone) in answer
    ref = reference([answer])
    assert ref.startswith("LPR-")
    chat.shows_list(CATEGORIES_ID)
    case = await office.case(ref)
    assert (case["priority"], case["kind"], case["channel"]) == ("urgent", "incident", chat.channel)
    [alert] = await office.alerts()
    assert alert["case_id"] == case["id"]
    group = chat.duty_group()
    if group is not None:
        [raised] = group
        assert f"LAPORAN DARURAT {ref}" in raised
        assert "Lokasi: belum dibagikan" in raised

    await chat.press("Kekerasan/penganiayaan")
    chat.shows_buttons(["Sedang/baru terjadi", "Sebelumnya"])
    asked = await chat.press("Sedang/baru terjadi")
    assert "Di mana kejadiannya?" in said(asked)
    chat.shows_location_request()
    asked = await chat.share_location(*PASAR_16)
    assert "Ceritakan apa yang terjadi" in said(asked)
    chat.location_control_gone()
    group = chat.duty_group()
    if group is not None:
        located = group[-1]
        assert f"Lokasi laporan darurat {ref}" in located
        assert "Lokasi: -2.976100, 104.775400" in located
        assert "https://www.google.com/maps?q=-2.976100,104.775400" in located

    await chat.say(FIGHT)
    chat.shows_buttons(["Lewati"])
    first = await chat.send_photo(jpeg(1))
    assert "Foto 1 dari maksimal 5 diterima" in said(first)
    chat.shows_buttons(["Selesai"])
    second = await chat.send_photo(jpeg(2))
    assert "Foto 2 dari maksimal 5 diterima" in said(second)
    summary = said(await named(chat, await chat.press("Selesai")))
    assert "Ada bahaya saat ini: Ya, ada bahaya" in summary
    assert "Tempat: -2.97610, 104.77540" in summary
    assert "Foto: 2 terlampir" in summary
    chat.shows_buttons(["Kirim", "Ubah", "Batal"])

    done = await chat.press("Kirim")
    assert f"Laporan darurat {ref} sudah lengkap" in said(done)
    assert reference(done) == ref  # the urgent case completed, not a second one
    [case] = await office.cases()
    assert case["ref"] == ref
    assert case["priority"] == "urgent"
    assert case["category"] == "violence"
    assert case["description"] == FIGHT
    assert (case["latitude"], case["longitude"]) == PASAR_16
    photos = await office.media_of(case["id"])
    assert [photo["mime_type"] for photo in photos] == ["image/jpeg", "image/jpeg"]
    assert len({photo["sha256"] for photo in photos}) == 2
    assert len(await office.alerts()) == 1  # raised once, at the "yes"
    return ref


# -- 2. no danger, and every wrong turn -----------------------------------------------------


async def incident_with_wrong_turns(chat: Chat, office: Office, *, when: str) -> str:
    """Cancel half-way and start again; a typed loose time (`when`); a sticker, a
    voice note and a photo where something else was asked; back once; a typed
    address; one answer changed from the summary."""
    await chat.command("lapor")
    await chat.press("Tidak")
    await chat.press("Pencurian/jambret")
    cancelled = await chat.say("batal")
    assert "Dibatalkan. Tidak ada yang dikirim." in said(cancelled)
    assert "Apa yang bisa kami bantu?" in cancelled[-1]
    assert await office.cases() == []

    again = await chat.command("lapor")
    assert "Apakah ada orang yang dalam bahaya saat ini?" in said(again)
    assert "Langkah 1 dari" in said(again)  # a fresh form, nothing kept from before
    await chat.say("tidak")  # typed instead of pressed
    await chat.say("jambret")  # an alias of the category
    asked = await chat.say(when)  # typed instead of a button
    assert "Di mana kejadiannya?" in said(asked)

    sticker = await chat.send_sticker()
    assert "jenis pesan ini (misalnya stiker atau reaksi) belum bisa kami baca" in said(sticker)
    assert "Di mana kejadiannya?" in sticker[-1]
    voice = await chat.send_voice_note()
    assert "Mohon kirim lokasi (tombol 📍) atau ketik alamat" in said(voice)
    assert "Di mana kejadiannya?" in voice[-1]
    asked = await chat.say("Jl. Merdeka No. 10, depan Masjid Agung")  # typed, not shared
    assert "Ceritakan apa yang terjadi" in said(asked)

    photo = await chat.send_photo(jpeg(3))  # a photo where the story was asked
    assert "Mohon jawab dengan mengetik teks." in said(photo)
    assert "Ceritakan apa yang terjadi" in photo[-1]
    back = await chat.say("kembali")
    assert "Di mana kejadiannya?" in said(back)
    await chat.say("Jl. Merdeka No. 10, depan Masjid Agung")
    await chat.say(THEFT)
    summary = said(await chat.press("Lewati"))
    assert "Jenis kejadian: Pencurian/jambret" in summary
    assert f'(Anda menulis: "{when}")' in summary
    assert "Tempat: Jl. Merdeka No. 10, depan Masjid Agung" in summary
    assert f"Kronologi: {THEFT}" in summary  # nothing lost on the way

    which = await chat.press("Ubah")
    assert "Bagian mana yang ingin diubah?" in said(which)
    labels = ["Ada bahaya saat ini", "Jenis kejadian", "Waktu kejadian", "Tempat", "Kronologi"]
    chat.shows_list([*labels, "Foto"])
    asked = await chat.press("Tempat")
    assert "Di mana kejadiannya?" in said(asked)
    summary = said(await chat.say("Jl. Merdeka No. 12, seberang Masjid Agung"))
    assert "Tempat dicatat: Jl. Merdeka No. 12" in summary  # what was understood, at once
    chat.location_control_gone()
    assert "Tempat: Jl. Merdeka No. 12, seberang Masjid Agung" in summary
    assert "No. 10" not in summary
    assert f"Kronologi: {THEFT}" in summary

    done = await chat.press("Kirim")
    assert "Laporan kejadian Anda sudah kami terima" in said(done)
    ref = reference(done)
    [case] = await office.cases()
    assert case["ref"] == ref
    assert case["category"] == "theft"
    assert case["priority"] == "normal"
    assert case["address"] == "Jl. Merdeka No. 12, seberang Masjid Agung"
    assert case["latitude"] is None
    assert case["description"] == THEFT
    assert case["occurred_text"] == when
    assert case["occurred_at"].astimezone(WIB).date() == date(2026, 11, 26)
    assert await office.media_of(case["id"]) == []  # the stray photo is no evidence of it
    assert await office.alerts() == []
    return ref


# -- 3. application status ------------------------------------------------------------------


async def ask_status(chat: Chat, topic: str, number: str, born: str) -> list[str]:
    await chat.command("status")
    await chat.press(topic)
    await chat.say(number)
    return await chat.say(born)


async def status_found_and_followed(chat: Chat, office: Office) -> None:
    """Wrong date formats, the status verbatim with its next step, the offer to be
    told, and the officer's change reaching the chat."""
    await office.put_application(
        "skck", SKCK_NUMBER, status="Berkas sedang diverifikasi", note="Tunggu kabar berikutnya."
    )
    asked = await chat.command("status")
    assert "Apa yang ingin Anda cek?" in said(asked)
    chat.shows_list(TOPICS_ID)
    await chat.press("SKCK")
    asked = await chat.say("skck / 123 / xi / 2026")
    assert "tulis tanggal lahir pemohon" in said(asked)
    for wrong in ("17 agst", "1990/13/45"):
        hint = await chat.say(wrong)
        assert "Tanggal lahir belum terbaca" in said(hint)
        assert "tulis tanggal lahir pemohon" in hint[-1]  # asked again
    shown = await chat.say("17-08-1990")
    status = said(shown)
    assert f"SKCK nomor {SKCK_NUMBER}" in status
    assert "Status: Berkas sedang diverifikasi" in status
    assert "Langkah berikutnya: Tunggu kabar berikutnya." in status
    assert "Ingin kami kabari di chat ini" in shown[-1]
    chat.shows_buttons(["Ya, kabari saya", "Tidak perlu"])
    assert await office.subscriptions() == []

    subscribed = await chat.press("Ya, kabari saya")
    assert "Baik, kami akan mengabari Anda di sini" in said(subscribed)
    [subscription] = await office.subscriptions()
    assert subscription["contact_id"] == (await office.contact(chat.channel))["id"]

    assert (
        await office.put_application(
            "skck", SKCK_NUMBER, status="SKCK sudah jadi, silakan ambil", note="Bawa KTP asli."
        )
        == 200
    )
    [news] = await chat.read()
    assert "Ada pembaruan status permohonan yang Anda ikuti" in news
    assert "Status: SKCK sudah jadi, silakan ambil" in news
    assert "Langkah berikutnya: Bawa KTP asli." in news


async def status_wrong_then_paused(chat: Chat, office: Office) -> None:
    """An unknown number and a wrong date answer alike; the sixth try in an hour
    is paused, even with the right answer."""
    await office.put_application("skck", SKCK_NUMBER, status="Berkas sedang diverifikasi")
    unknown = await ask_status(chat, "SKCK", "SKCK/999/XI/2026", "17-08-1990")
    wrong_date = await ask_status(chat, "SKCK", SKCK_NUMBER, "18-08-1990")
    assert NOT_FOUND in unknown[0]
    assert unknown[0] == wrong_date[0]  # whether the number exists is not revealed
    assert "Berkas sedang diverifikasi" not in said(unknown + wrong_date)
    for day in (19, 20, 21):
        assert NOT_FOUND in said(await ask_status(chat, "SKCK", SKCK_NUMBER, f"{day}-08-1990"))
    paused = said(await ask_status(chat, "SKCK", SKCK_NUMBER, "17-08-1990"))
    assert "Terlalu banyak percobaan yang salah" in paused
    assert "Berkas sedang diverifikasi" not in paused
    assert await office.subscriptions() == []


# -- 4. my cases ----------------------------------------------------------------------------


async def named_openly(chat: Chat) -> list[str]:
    """Named, and not confidential (asked of a complaint about officers): the reply
    that follows, after the web chat's name and phone questions."""
    await chat.press("Tidak, tampilkan nama saya")
    return await named(chat, await chat.press("Tidak perlu"))


async def file_complaint(chat: Chat, description: str = COMPLAINT) -> str:
    await chat.command("pengaduan")
    await chat.press("Perilaku petugas")
    await chat.say(description)
    await chat.press("Lewati")
    await named_openly(chat)
    return reference(await chat.press("Kirim"))


async def report_theft(chat: Chat) -> str:
    await chat.command("lapor")
    await chat.press("Tidak")
    await chat.press("Pencurian/jambret")
    await chat.press("Sedang/baru terjadi")
    await chat.say("Jl. Merdeka No. 10, depan Masjid Agung")
    await chat.say(THEFT)
    await named(chat, await chat.press("Lewati"))
    return reference(await chat.press("Kirim"))


async def my_cases(chat: Chat, office: Office) -> None:
    """The list, text and a photo added from it, a free message to the one open
    case, and with two open cases the question which one."""
    ref = await file_complaint(chat)
    await chat.command("status")
    listing = await chat.press("Kasus/laporan saya")
    assert "Kasus Anda:" in said(listing)
    assert f"{ref} — Diterima — diperbarui" in said(listing)
    chat.shows_buttons(["Tambah info/foto", "Kembali ke menu"])
    asked = await chat.press("Tambah info/foto")
    assert f"tulis informasi tambahan untuk {ref}" in said(asked)
    note = "Nama petugasnya tertulis Bripka A. di papan nama meja loket."
    added = await chat.say(note)
    assert f"sudah ditambahkan ke {ref}" in said(added)

    await chat.command("status")
    await chat.press("Kasus/laporan saya")
    await chat.press("Tambah info/foto")
    added = await chat.send_photo(jpeg(7))
    assert f"sudah ditambahkan ke {ref}" in said(added)

    free = "Satu lagi, waktu itu ada dua saksi yang ikut antre di belakang saya."
    added = await chat.say(free)
    assert added == [
        f"Terima kasih, pesan Anda sudah ditambahkan ke {ref} dan akan dibaca petugas."
    ]
    case = await office.case(ref)
    timeline = [
        (m["direction"], m["text"], m["media_id"] is not None)
        for m in await office.messages_of(case["id"])
    ]
    assert ("in", note, False) in timeline
    assert ("in", free, False) in timeline
    assert any(direction == "in" and has_photo for direction, _, has_photo in timeline)
    [photo] = await office.media_of(case["id"])  # the photo is the case's evidence
    assert photo["mime_type"] == "image/jpeg"

    second = await report_theft(chat)
    asked = await chat.say("Maaf, saya lupa bilang: pelakunya memakai jaket hijau.")
    assert "lebih dari satu laporan yang masih terbuka" in said(asked)
    chat.shows_buttons([second, ref])  # newest first
    added = await chat.press(second)
    assert f"sudah ditambahkan ke {second}" in said(added)
    theft = await office.case(second)
    texts = [m["text"] for m in await office.messages_of(theft["id"])]
    assert "Maaf, saya lupa bilang: pelakunya memakai jaket hijau." in texts


# -- 5. coming back later -------------------------------------------------------------------


async def left_half_way_then_swept(chat: Chat, office: Office) -> None:
    """An idle form is closed by the sweep with a note; starting again is fresh."""
    await chat.command("lapor")
    await chat.press("Tidak")
    await chat.press("Narkoba")
    runtime = office.runtime
    chat.clock.advance(runtime.settings.conversation_idle_seconds - 60)
    assert await runtime.runner.expire_idle(runtime.settings.conversation_idle_seconds) == 0
    chat.clock.advance(120)
    assert await runtime.runner.expire_idle(runtime.settings.conversation_idle_seconds) == 1
    note = await chat.read()
    assert len(note) == 1
    assert EXPIRED in note[0]
    again = await chat.command("lapor")
    assert "Apakah ada orang yang dalam bahaya saat ini?" in said(again)
    assert await office.cases() == []


async def back_the_next_day(chat: Chat, office: Office) -> None:
    """A form left open overnight is closed when the citizen writes again, with the note."""
    await chat.command("lapor")
    await chat.press("Tidak")
    chat.clock.advance(24 * 3600)
    answer = await chat.say("halo")
    assert EXPIRED in answer[0]
    assert "Apa yang bisa kami bantu?" in answer[-1]
    assert "Kejadian apa" not in said(answer)
    assert await office.cases() == []


async def in_english_from_then_on(chat: Chat, office: Office) -> None:
    """English chosen once holds the next day: an incident report and a status
    check in English, and the status news too (the status itself verbatim)."""
    asked = await chat.command("bahasa")
    assert "Pilih bahasa / Choose a language:" in said(asked)
    chat.shows_buttons(["Bahasa Indonesia", "English"])
    changed = await chat.press("English")
    assert "we will continue in English" in said(changed)
    assert (await office.contact(chat.channel))["locale"] == "en"

    chat.clock.advance(24 * 3600)
    hello = await chat.say("halo")
    assert "How can we help? Choose one:" in said(hello)
    asked = await chat.command("report")
    assert "Is anyone in danger right now?" in said(asked)
    chat.shows_buttons(["Yes, in danger", "No"])
    await chat.press("No")
    chat.shows_list(CATEGORIES_EN)
    await chat.press("Traffic accident")
    asked = await chat.press("Earlier")
    assert "Roughly when?" in said(asked)
    asked = await chat.say("last night")
    assert "Where did it happen?" in said(asked)
    chat.shows_location_request()
    await chat.share_location(*PASAR_16)
    await chat.say("A truck hit a motorbike and drove off towards Plaju; the rider was injured.")
    summary = said(await named(chat, await chat.press("Skip")))
    assert "Traffic accident" in summary
    assert 'Approximate time: around Nov 27, 2026 (you wrote: "last night")' in summary
    which = await chat.press("Edit")
    assert "Which part do you want to change?" in said(which)
    when = ["When", "Approximate time"]  # two questions, told apart
    named_on_web = ["Name", "Phone"] if chat.channel == "web" else []
    steps = ["Danger right now", "Kind of incident", *when, "Place", "What happened", "Photos"]
    chat.shows_list([*steps, *named_on_web])
    again = await chat.say("back")
    assert "Please check your incident report:" in said(again)
    done = await chat.press("Send")
    assert "Your incident report has been received" in said(done)
    ref = reference(done)
    case = await office.case(ref)
    assert (case["category"], case["priority"]) == ("traffic_accident", "high")
    assert (case["latitude"], case["longitude"]) == PASAR_16

    await office.put_application("sp2hp", "LP/B/45/XI/2026", status="Dalam penyelidikan")
    asked = await chat.command("status")
    assert "What would you like to check?" in said(asked)
    chat.shows_list(TOPICS_EN)
    await chat.press("SP2HP (investigation progress report)")
    await chat.say("LP/B/45/XI/2026")
    shown = said(await chat.say("17 August 1990"))
    assert "SP2HP (investigation progress report) no. LP/B/45/XI/2026" in shown
    assert "Status: Dalam penyelidikan" in shown  # the front office's words, untranslated
    chat.shows_buttons(["Yes, notify me", "No, thanks"])
    await chat.press("Yes, notify me")
    await office.put_application("sp2hp", "LP/B/45/XI/2026", status="Tersangka sudah ditahan")
    [news] = await chat.read()
    assert "There is news about an application you follow" in news
    assert "Status: Tersangka sudah ditahan" in news


# -- 7. questions ---------------------------------------------------------------------------


async def faq_questions(chat: Chat) -> None:
    skck = said(await chat.say("syarat skck apa aja"))
    assert "Syarat SKCK baru" in skck
    assert "KTP asli" in skck
    hours = said(await chat.say("jam buka kantor"))
    assert "Jam pelayanan" in hours
    assert "Senin–Jumat 08.00–15.00 WIB" in hours
    assert "Ada lagi yang bisa kami bantu?" in hours


# -- 9. one clear message, truthful buttons, 110 last, forgiving answers (issue 10) ---------


async def emergency_first_then_cancelled(chat: Chat, office: Office) -> None:
    """A first message in an emergency: one message, the 110 answer last with the duty
    desk's number to dial; cancelling the report says the urgent case stays open."""
    [answer] = await chat.say("tolong ada begal di jalan sudirman sekarang")
    welcome, urgent = answer.split("🚨")
    assert "Selamat datang" in welcome
    assert "Kejadian apa yang ingin Anda laporkan?" in welcome
    assert "telepon 110 SEKARANG" in urgent
    assert dialable(office.runtime.duty.desks.default.phone) in urgent  # "07115550100"
    ref = reference([urgent])
    [cancelled] = await chat.command("batal")
    assert "Tidak ada yang dikirim" not in cancelled
    assert f"laporan darurat {ref} tetap terbuka" in cancelled
    assert (await office.case(ref))["priority"] == "urgent"


async def complaint_with_forgiving_answers(chat: Chat) -> str:
    """'ya' at the category is asked again, 'menu' mid-form asks first, slang skips
    the photo; every turn one message; the reference."""
    [started] = await chat.command("pengaduan")
    assert "Pengaduan Anda tentang apa?" in started
    [again] = await chat.say("ya")
    assert "Mohon Bapak/Ibu pilih salah satu" in again
    assert "Pengaduan Anda tentang apa?" in again
    chat.shows_list(CATEGORIES_COMPLAINT)
    await chat.press("Perilaku petugas")
    [leave] = await chat.command("menu")
    assert "Keluar dari pengaduan? Isian Anda akan hilang." in leave
    chat.shows_buttons(["Ya, keluar", "Tidak, lanjutkan"])
    [stay] = await chat.press("Tidak, lanjutkan")
    assert "Ceritakan apa yang terjadi" in stay
    assert "Langkah 2 dari 5 · ketik kembali atau batal" in stay
    await chat.say(COMPLAINT)
    [anonymous] = await chat.say("gk ada foto")
    assert "anonim" in anonymous
    summary = said(await named_openly(chat))
    assert "Foto: —" in summary  # skipped
    return reference(await chat.press("Kirim"))


async def status_typed_loosely(chat: Chat, office: Office) -> None:
    """An application number with spaces in lower case, a two-digit year."""
    await office.put_application("skck", SKCK_NUMBER, status="Berkas sedang diverifikasi")
    shown = said(await ask_status(chat, "SKCK", "skck 123 xi 2026", "17 agustus 90"))
    assert f"SKCK nomor {SKCK_NUMBER}" in shown
    assert "Status: Berkas sedang diverifikasi" in shown


# -- 10. the citizen's own words, and an open case that does not swallow (issue 10) ---------


async def own_words_first(chat: Chat, office: Office) -> None:
    """A first message that names the wish and tells the story starts the complaint with
    the story kept (not asked again, shown in the summary); "ga jadi lapor" is a cancel,
    "unsubscribe" an opt-out, "MENU UTAMA" the menu; a theft told loosely starts a report."""
    story = (
        "kemarin sore petugas satlantas minta duit damai 200rb pas tilang "
        "di jalan sudirman depan pasar cinde"
    )
    [started] = await chat.say(f"mau ngadu pak, {story}")
    assert "Pengaduan Anda tentang apa?" in started
    [photo] = await chat.press("Perilaku petugas")
    assert "Ada foto pendukung?" in photo  # the story was not asked for again
    assert "Langkah 2 dari 4" in photo  # and it is not counted as a step still to come
    await chat.press("Lewati")
    summary = said(await named_openly(chat))
    assert f"Uraian: {story[0].upper()}{story[1:]}" in summary
    await chat.command("batal")
    [nothing] = await chat.say("stop dulu, ga jadi lapor")
    assert "Tidak ada formulir yang sedang diisi." in nothing
    [stopped] = await chat.say("unsubscribe")
    assert "tidak akan menerima survei dan siaran lagi" in stopped
    assert (await office.contact(chat.channel))["broadcast_opted_out_at"] is not None
    [menu] = await chat.say("MENU UTAMA")
    assert "Apa yang bisa kami bantu?" in menu
    [theft] = await chat.say("dompet sy kecopetan di bus trans musi tadi siang")
    assert "laporan kejadian" in theft
    assert "Apakah ada orang yang dalam bahaya saat ini?" in theft


async def open_case_does_not_swallow(chat: Chat, office: Office) -> None:
    """After filing, questions and wishes are answered, thanks get thanks; a loose message
    asks add-or-new; after the close notice a message still reaches the officers."""
    ref = await file_complaint(chat)
    skck = said(await chat.say("syarat skck apa aja"))
    assert "Syarat SKCK baru" in skck
    assert "ditambahkan" not in skck
    hours = said(await chat.say("jam buka kantor polres"))
    assert "Jam pelayanan" in hours
    thanks = said(await chat.say("makasih ya pak"))
    assert "Sama-sama" in thanks
    mine = said(await chat.say("kasus saya"))
    assert ref in mine
    await chat.command("menu")
    asked = said(await chat.say("oh iya satu hal lagi yang penting"))
    assert f"tambahan untuk {ref}, atau hal baru?" in asked
    added = said(await chat.press(f"Tambahkan ke {ref}"))
    assert f"sudah ditambahkan ke {ref}" in added

    await office.close(ref, "Petugas sudah ditegur.")
    assert f"{ref} sudah selesai ditangani" in said(await chat.read())
    after = said(await chat.say("masalahnya belum selesai pak"))
    assert "belum mengerti" not in after
    assert f"untuk {ref} sudah kami teruskan ke petugas" in after
    case = await office.case(ref)
    texts = [m["text"] for m in await office.messages_of(case["id"])]
    assert "masalahnya belum selesai pak" in texts
