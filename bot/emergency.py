"""Two-tier emergency detection for a citizen's free text (DESIGN §6, issue #5).

`assess(text)` answers how urgent a message sounds, in three tiers:

- `Urgency.EMERGENCY_NOW` — an unmistakable emergency in the present
  ("tolong ada perampokan sekarang", "help someone is hurt"): the engine
  answers with 110 and alerts the duty desk at once, at any moment.
- `Urgency.ALARM` — alarm words ("darurat", "begal", "kebakaran", …) without
  a sure sign that it is happening now: the engine asks the danger question
  outside a flow or at a button step, never inside a free-text step.
- `Urgency.NONE` — everything else, including "help" or "tolong" alone,
  a past event without alarm words ("kemarin motor saya dicuri"), a
  complaint that merely mentions a crime, and questions about procedure
  ("nomor darurat berapa?").

How a message is read: case, accents and repeated letters are folded, chat
abbreviations spelt out ("tlg", "skrg", "lg"), and a word that is one typo
away from an alarm word ("darurt", "rampk", "kebakarn") is read as that word.
Phrases ("on fire", "baru saja", "minggu lalu", "nomor darurat", "laporan …
saya") become single cues, then every word is sorted into a kind of cue:

    alarm    a crime or danger: begal, rampok, darurat, robbery, …
    life     a threat to a life that is hard to mistake: ditusuk, kebakaran,
             tenggelam, berdarah, "bawa pisau", on fire, bleeding, …
    now      the present: sekarang, sedang, "lagi …", barusan, right now,
             "is being …", a shouted "tolong!" or "!!", …
    still    the danger is still here: "masih di sekitar", still inside, …
    past     kemarin, tadi, semalam, minggu lalu, yesterday, last …, ago
    was      English simple past (was, were, had): past unless "now" says otherwise
    habit    it happens often or is over: marak, sering, sudah padam, lately, …
    topic    the message is about a crime, not in one: a complaint, a case's
             progress, a procedure question, a hypothesis ("kalau …"), a film

and the tier follows from which kinds are present (`_decide`). Alarm words
inside neutral phrases ("nomor darurat", "pemadam kebakaran", "izin senjata",
"SIM tembak") or right after a negation ("tidak ada yang terluka", "not an
emergency") do not count.

The word lists are data in this module, built into lookup tables at import;
a call takes tens of microseconds and does no I/O. `Assessment.cues` names
what was found ("alarm:rampok", "now:sekarang") — lexicon labels only, never
the citizen's other words, so it is safe to log. The measured quality is in
`tests/test_emergency.py` and `bench/emergency_accuracy.py`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from rapidfuzz.distance import OSA, Indel, Levenshtein

TYPO_MIN_CHARS = 5  # shorter words are too easily another word ("bekal" is not "begal")
TYPO_LONG_CHARS = 9  # from here, two edits (or one wrong letter) are still a typo
TYPO_CACHE_SIZE = 10_000
TYPO_MIN_ENGLISH = 7  # short English words collide with common ones ("dying"/"drying")


class Urgency(StrEnum):
    NONE = "none"
    ALARM = "alarm"  # ask the danger question
    EMERGENCY_NOW = "emergency_now"  # 110 and the duty alert at once


@dataclass(frozen=True, slots=True)
class Assessment:
    urgency: Urgency
    cues: tuple[str, ...]  # "kind:label" in the order found, e.g. ("alarm:rampok", "now:sekarang")


# -- word lists ------------------------------------------------------------


def _table(text: str) -> dict[str, str]:
    """``label: form form`` lines as a form → label mapping."""
    table: dict[str, str] = {}
    for line in text.strip().splitlines():
        label, forms = line.split(":")
        table |= dict.fromkeys(forms.split(), label.strip())
    return table


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Crimes and dangers: enough to ask the danger question.
ALARM_ID = _table("""
    darurat: darurat kedaruratan emergensi emergency sos
    begal: begal dibegal membegal pembegalan begalan kebegalan
    rampok: rampok merampok dirampok perampok perampokan kerampokan
    rampas: rampas dirampas merampas perampasan
    jambret: jambret dijambret menjambret penjambretan penjambret kejambretan
    bunuh: bunuh dibunuh membunuh pembunuhan pembunuh terbunuh
    perkosa: perkosa diperkosa memperkosa pemerkosaan perkosaan pemerkosa
    keroyok: keroyok dikeroyok mengeroyok pengeroyokan
    aniaya: aniaya dianiaya menganiaya penganiayaan diserang menyerang penyerangan
    palak: palak dipalak malak memalak pemalakan
    pukul: dipukul dipukuli memukul memukuli mukulin pemukulan
    kekerasan: kekerasan kdrt
    tawuran: tawuran perkelahian berkelahi bentrokan
    ancam: diancam mengancam ancaman
    kecelakaan: kecelakaan tabrakan ditabrak tertabrak
    amuk: ngamuk mengamuk
    senjata: senjata senpi pistol pisau golok celurit clurit parang
    kejar: dikejar mengejar ngejar dikuntit diikuti dibuntuti
""")
ALARM_EN = _table("""
    rampok: robbery robber robbers robbed robbing mugged mugging mugger rob
    bunuh: murder murdered murderer killed killing killer
    perkosa: rape raped rapist
    aniaya: assault assaulted attack attacked attacking beaten beating hitting punching kicking
    tawuran: fight fighting brawl
    ancam: threatened threatening
    kecelakaan: accident crash crashed
    senjata: gun guns pistol knife knives weapon weapons machete machetes
    kejar: chased chasing stalked stalking
""")
# A thief alone is an ordinary theft report; with "ada", "masih", a plea or "now" an alarm.
THIEF = _table("""
    maling: maling pencuri copet dibobol membobol bobol didobrak mendobrak
    maling: thief thieves burglar burglars intruder intruders
""")
# A threat to a life: with "ada"/"someone" or a plea, an emergency even without "now".
LIFE_ID = _table("""
    tusuk: ditusuk menusuk penusukan tertusuk
    bacok: bacok dibacok membacok pembacokan
    tikam: ditikam menikam penikaman
    culik: culik diculik menculik penculikan penculik
    tembak: ditembak menembak penembakan tertembak tembakan
    kebakaran: kebakaran terbakar dibakar membakar
    tenggelam: tenggelam hanyut
    luka: luka terluka berdarah pingsan sekarat tergeletak
    sekap: disekap menyekap penyekapan sandera disandera menyandera penyanderaan terjebak
    sekap: dikurung mengurung terkurung
    bom: bom ledakan meledak
    bersenjata: bersenjata
""")
LIFE_EN = _table("""
    tusuk: stab stabbed stabbing
    culik: kidnap kidnapped kidnapping kidnapper abducted abduction
    tembak: shot shooting shooter gunshot gunshots gunfire gunman
    kebakaran: fire burning
    tenggelam: drowning drowned
    luka: hurt injured bleeding dying unconscious wounded trapped collapsed
    sekap: hostage hostages
    bom: bomb explosion
    bersenjata: armed
""")
_WEAPONS = (
    "senjata|senpi|pistol|pisau|golok|celurit|clurit|parang|gun|guns|knife|knives|"
    "weapon|machete|machetes"
)
_VIOLENT_VERBS = "bunuh|dibunuh|membunuh|bacok|dibacok|membacok|tusuk|ditusuk|menusuk|kill"

# Chat spelling → the word (one to many words).
SLANG = _table("""
    tolong: tlg tlng tolongin tulung toloong tolonk
    sekarang: skrg skrng skr skg skrang skarang sekrang skarng
    lagi: lg lgi
    sedang: sdg sdng
    barusan: brsn barusn brusan
    baru: br bru
    saja: aja sj
    masih: msh mash
    kemarin: kmrn kmrin kemaren kmaren kmarin kemarn
    tadi: td tdi
    malam: mlm malem mlem
    semalam: smlm semalem
    minggu: mgg mggu mingu
    bulan: bln
    tahun: thn
    hari: hr
    yang: yg
    ada: ad
    orang: org orng
    saya: sy sya aku ak gw gue gua
    rumah: rmh rmah
    dekat: dkt deket dket
    tidak: tdk gak ga gk nggak ngga enggak engga ndak
    sudah: sdh udh udah
    dengan: dgn
    cepat: cpt cepet cepetan
    nomor: nmr nomer
    kalau: kalo klo kl
    please: pls plz plis
    you: u
    di: d
""")
MULTI_SLANG = {"im": "i am", "dont": "do not", "theres": "there is", "sajam": "senjata tajam"}
_CONTRACTIONS = (
    (re.compile(r"n['’]t\b"), " not"),
    (re.compile(r"(?<=[a-z])['’](re)\b"), " are"),
    (re.compile(r"(?<=[a-z])['’](m)\b"), " am"),
    (re.compile(r"(?<=[a-z])['’](s)\b"), " is"),
    (re.compile(r"(?<=[a-z])['’](ve)\b"), " have"),
    (re.compile(r"(?<=[a-z])['’](ll)\b"), " will"),
    (re.compile(r"(?<=[a-z])['’](d)\b"), " would"),
)


def _forms(*tables: dict[str, str]) -> dict[str, str]:
    merged: dict[str, str] = {}
    for table in tables:
        merged |= table
    return merged


ALARM_FORMS = _forms(ALARM_ID, ALARM_EN)
LIFE_FORMS = _forms(LIFE_ID, LIFE_EN)

# Phrases become one cue each, in this order (a phrase consumes its words).
# `neutral` and `negated` phrases are dropped: they hold alarm words that raise no alarm.
_PHRASES: tuple[tuple[str, str, str], ...] = (
    ("neutral", "number", r"(?:nomor|no|nomer) (?:telepon |telp |hp |wa )?(?:darurat|emergency)"),
    ("neutral", "number", r"(?:telepon|layanan|call center|hotline|panggilan) darurat"),
    ("neutral", "number", r"emergency (?:number|numbers|contact|contacts|line|hotline|call)"),
    ("neutral", "service", r"(?:pemadam|petugas pemadam|mobil pemadam|dinas pemadam) kebakaran"),
    ("neutral", "service", r"damkar|(?:unit )?gawat darurat|ugd|igd"),
    ("neutral", "exit", r"(?:pintu|tangga|jalur|rem|lampu) darurat|emergency (?:exit|brake)"),
    ("neutral", "permit", r"(?:izin|ijin) (?:kepemilikan |penggunaan )?senjata(?: api)?"),
    ("neutral", "permit", r"kepemilikan senjata(?: api)?|(?:gun|firearm) (?:permit|license|licence)"),
    ("neutral", "sim", r"sim tembak|(?:nembak|tembak) sim"),
    ("neutral", "food", r"ikan bakar|ayam bakar|jagung bakar|sate bakar"),
    ("neutral", "idiom", r"matahari tenggelam|bunuh waktu|kill time|fire extinguisher"),
    ("negated", "negated", r"(?:not|no longer) (?:an? )?(?:emergency|urgent)"),
    ("life", "bunuh_diri", r"bunuh diri|gantung diri|suicide|hanged (?:himself|herself|myself)"
     r"|hanging (?:himself|herself|myself)"),
    ("life", "bersenjata", rf"(?:bawa|membawa|pegang|memegang|menodong|menodongkan|ditodong|"
     rf"mengacungkan|acungkan|ngacungin|nodong|pake|pakai|with|carrying|holding|pointing) "
     rf"(?:\w+ )?(?:{_WEAPONS})\b"),
    ("alarm", "ancam", rf"(?:mengancam|diancam|ancaman|threatened|threatening|threats?) (?:\w+ )?"
     rf"(?:mau|akan|hendak|ingin|to) (?:\w+ )?(?:{_VIOLENT_VERBS})\b"),
    ("life", "mau_bunuh", rf"(?:mau|akan|hendak|ingin|pengen|mo|coba|trying to|going to|"
     rf"wants to|want to) (?:\w+ )?(?:{_VIOLENT_VERBS})\b"),
    ("life", "kebakaran", r"on fire"),
    ("life", "luka", r"(?:tidak|tak|not|no longer) (?:sadar|sadarkan diri|bernapas|bernafas"
     r"|napas|nafas|breathing|responding|moving)|serangan jantung|heart attack|kejang"
     r"|overdosis|overdose"),
    ("life", "sekap", r"dikunci (?:di |dalam |di dalam )?(?:kamar|rumah|gudang|mobil|ruangan)"
     r"|locked (?:me |us |up )?(?:in|inside)"),
    ("alarm", "culik", r"(?:dibawa|diambil|dijemput|dibawa lari|dibawa kabur) (?:\w+ )?"
     r"(?:orang|seseorang|pria|wanita|laki laki|otk) (?:tak|tidak) dikenal"),
    ("alarm", "maling", r"(?:mau|coba|mencoba|berusaha|lagi|sedang|trying to) (?:masuk|membobol"
     r"|bobol|mencongkel|congkel|mendobrak|dobrak|break|get) (?:ke |into |in )?(?:\w+ )?"
     r"(?:rumah|pintu|jendela|toko|kamar|house|home|door|window)"),
    ("now", "burning", r"api(?:nya)? (?:\w+ )?(?:besar|membesar|menyala|merambat|berkobar)"
     r"|(?:asap|smoke) (?:\w+ )?(?:tebal|hitam|everywhere)"),
    ("now", "ongoing", r"(?:dari|sejak) tadi"),
    ("alarm", "maling", r"(?:break|breaking|broke|broken) in(?:to)?|dimasuki maling"),
    ("alarm", "kejar", r"(?:being|been) (?:followed|chased)"),
    ("alarm", "kecelakaan", r"tabrak lari|hit and run"),
    ("still", "masih", r"masih(?= (?:di|ada|disini|disitu|berada|berlangsung|terjadi|mengejar|"
     r"berdarah|pingsan|terbakar|dikejar|menyandera|didalam|dalam|sekitar|mengancam|"
     r"mengamuk|ngamuk|menunggu|mengintai)\b)"),
    ("still", "still", r"still(?= (?:here|there|inside|in|around|nearby|at|outside|bleeding|"
     r"burning|chasing|following|shooting)\b)"),
    ("now", "recent", r"(?:\d+|se|satu|dua|tiga|lima|sepuluh|beberapa|a few|few) "
     r"(?:menit|minutes?|mins?) (?:yang )?(?:lalu|ago)"),
    ("past", "ago", r"(?:\d+|se|satu|dua|tiga|empat|lima|enam|tujuh|beberapa|setengah|a|an|a few"
     r"|one|two|three|few|half an) (?:jam|hari|minggu|bulan|tahun|hours?|days?|weeks?|months?"
     r"|years?) (?:yang )?(?:lalu|ago|kemarin|kemaren)"),
    ("past", "kemarin", r"kemarin(?: lusa| malam| pagi| siang| sore)?"),
    ("past", "semalam", r"semalam|tadi malam|malam tadi"),
    ("past", "lalu", r"(?:minggu|bulan|tahun|pekan) (?:lalu|kemarin|yang lalu)|yang lalu"),
    ("past", "narrative", r"(?:waktu|saat|ketika|pas|sewaktu) (?:itu|kejadian|saya|kami|aku"
     r"|dia|rumah|pulang)|when (?:i|we|it|the)"),
    ("past", "last", r"last (?:night|week|weekend|month|year|time|monday|tuesday|wednesday|"
     r"thursday|friday|saturday|sunday)|the other day|yesterday|earlier"),
    ("now", "right_now", r"right now|just now|at the moment|as we speak|saat ini|detik ini"),
    ("now", "baru_saja", r"baru (?:saja|tadi|terjadi)|barusan|just (?:got|been|happened)"),
    ("now", "happening", r"sedang (?:terjadi|berlangsung)|happening|in progress|ongoing"),
    ("now", "come", r"(?:cepat|segera|buruan) (?:datang|kesini|ke sini|kirim)|(?:datang|kesini)"
     r" cepat|kirim polisi|send (?:police|help|someone)|come (?:quick|quickly|fast|now)|hurry"
     r"|asap"),
    ("now", "is", r"(?:(?:is|are|am) (?:being|getting))|(?:has|have) (?:just )?been"),
    ("habit", "often", r"marak|sering|seringkali|rawan|meresahkan|akhir akhir ini|belakangan ini"
     r"|(?:tiap|setiap) (?:hari|malam|minggu)|often|lately|these days|frequently|rampant"),
    ("habit", "over", r"(?:sudah|telah) (?:padam|aman|selesai|ditangkap|tertangkap|diamankan"
     r"|menangkap)|padam|extinguished|is over|(?:were|was|been) (?:caught|arrested)"),
    ("habit", "patrol", r"patroli|patrol"),
    ("topic", "complaint", r"mengadu|mengadukan|adukan|ngadu|pengaduan|aduan|komplain|complain"
     r"|complaint|complaining|keluhan|mengeluh|protes|kecewa|rude|kasar|arogan|pungli|oknum"
     r"|terlambat|keberatan|percepat|perlakuan|tidak profesional|(?:minta|meminta) (?:uang|duit)"),
    ("topic", "followup", r"(?:sudah|telah|pernah) (?:lapor|melapor|melaporkan|buat laporan)"
     r"|already reported"),
    ("topic", "thanks", r"terima kasih|makasih|thank you|thanks"),
    ("topic", "complaint", r"lambat (?:menangani|menanggapi|merespon|respon|ditangani|"
     r"diproses)|slow to (?:respond|act)"),
    ("topic", "followup", r"(?:tidak|belum) (?:di)?tindaklanjuti|ditindaklanjuti|tindak lanjut"
     r"|(?:tidak|belum) (?:ada )?(?:kabar|perkembangan|tanggapan)|(?:tidak|belum) "
     r"(?:ditanggapi|diproses)|perkembangan|sp2hp|kasus|(?:followed|follow) up|no update"
     r"|any update|progress|the case|my case"),
    ("topic", "followup", r"laporan (?:\w+ ){0,2}(?:saya|kami|kita|ku)|status"
     r"|(?:my|our|the) (?:\w+ ){0,2}(?:report|case)"),
    ("topic", "question", r"(?:bagaimana|gimana|gmn) (?:cara|caranya|prosedur)|cara|caranya"
     r"|prosedur|syarat|persyaratan|apakah (?:bisa|boleh)|apa (?:saja|aja)|apa yang harus"
     r"|berapa|nomor|kemana|ke mana|mau tanya|bertanya|menanyakan|informasi|kenapa|mengapa"
     r"|anonim|tanpa nama|apa (?:bedanya|beda|itu|arti|artinya)|hukuman|sanksi|pasal"),
    ("topic", "question", r"how (?:do|can|to|should)|what (?:is|should|do)|where (?:can|do|should)"
     r"|(?:can|could|should) (?:i|we)|is it possible|why|anonymously|number|hotline"
     r"|(?:like|want) to know|punishment|penalty"),
    ("topic", "hypothesis", r"kalau|jika|jikalau|apabila|bila|seandainya|andaikan|misalnya"
     r"|if|in case|what if|suppose"),
    ("fiction", "media", r"film|sinetron|berita|news|game|movie|nonton|novel|postingan|hoax"
     r"|hoaks|viral|medsos|video"),
)
NEGATORS = _words("tidak tak bukan tanpa no not nobody never none nothing")
NEGATION_REACH = 3  # "tidak ada yang terluka", "no one is hurt"
PLEAS = _words("tolong help sos")
SCENES = _words("ada someone somebody seseorang")
VICTIMS = _words("saya kami kita")
WAS = _words("was were had happened got")
NOW_WORDS = _words("sekarang now currently sedang")
REPORT_VERBS = _words(
    "lapor melapor melaporkan laporkan laporan report reporting mengadu ngadu tanya ask buat"
)
REPORT_REACH_BEFORE = 4  # "sekarang saya mau lapor", "now i want to report"
REPORT_REACH_AFTER = 2  # "mau lapor sekarang": the reporting is now, not the event
BE = _words("is are am")
BE_FILLERS = _words("being getting still now on badly seriously an a currently")
NOT_PROGRESSIVE = _words(
    "going writing calling asking wondering looking trying planning thinking waiting reporting "
    "hoping wanting something nothing anything everything morning evening during"
)
PASSIVE_PREFIXES = ("di", "ter", "ke")
# Everyday words one typo away from an alarm word: never read as that word.
NOT_TYPOS = _words(
    "paling bekal masuk tembok tembakau sengaja bunyi butuh terbayar terbaca kebanyakan "
    "kebanjiran pistil culas bantuan bantuin perampingan pencurian kecurian curian malam"
)


# -- reading text ----------------------------------------------------------

_REPEATS = re.compile(r"([a-z])\1{2,}")
_REDUPLICATION = re.compile(r"(?<=[a-z])2\b")
_TOKEN = re.compile(r"[a-z]+|\d+|[!?]")
_PLACEHOLDER = re.compile(r"#(\d+)")


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    for pattern, replacement in _CONTRACTIONS:
        plain = pattern.sub(replacement, plain)
    return _REDUPLICATION.sub("", plain.replace("'", "").replace("’", ""))


def tokens(text: str) -> list[str]:
    """The words of `text`: folded, slang spelt out, "di tusuk" joined, typos of alarm words fixed."""
    found: list[str] = []
    for raw in _TOKEN.findall(_fold(text)):
        word = _REPEATS.sub(r"\1", raw)
        if word.endswith("nya") and word[:-3] in _KNOWN_DANGER:
            word = word[:-3]  # "rampoknya", "malingnya"
        found.extend(MULTI_SLANG.get(word, SLANG.get(word, word)).split())
    joined: list[str] = []
    for word in found:
        if joined and joined[-1] == "di" and ("di" + word) in _KNOWN_DANGER:
            joined[-1] = "di" + word
        else:
            joined.append(_spelled(word))
    return joined


def _typo_targets() -> dict[str, tuple[tuple[str, int], ...]]:
    """The alarm words a typo may stand for, by first letter (typos rarely hit the first),
    each with the most edits a long word may have ("breathing" is not "beating")."""
    targets: dict[str, list[tuple[str, int]]] = {}
    for forms, shortest, long_reach in (
        (_forms(ALARM_ID, LIFE_ID, {"maling": "", "pencuri": ""}), TYPO_MIN_CHARS, 2),
        (_forms(ALARM_EN, LIFE_EN), TYPO_MIN_ENGLISH, 1),
    ):
        for form in sorted(forms):
            if len(form) >= shortest:
                targets.setdefault(form[0], []).append((form, long_reach))
    return {letter: tuple(forms) for letter, forms in targets.items()}


_KNOWN_DANGER = frozenset(ALARM_FORMS) | frozenset(LIFE_FORMS) | frozenset(THIEF)
_TYPO_TARGETS = _typo_targets()
_typos: dict[str, str] = {}


def _spelled(word: str) -> str:
    """`word`, or the alarm word it misspells by one letter (two in long words)."""
    if len(word) < TYPO_MIN_CHARS or word in _KNOWN_DANGER or word in NOT_TYPOS:
        return word
    if word not in _typos:
        if len(_typos) >= TYPO_CACHE_SIZE:
            _typos.clear()
        _typos[word] = _closest(word) or word
    return _typos[word]


def _closest(word: str) -> str | None:
    long_word = len(word) >= TYPO_LONG_CHARS
    best: tuple[int, str] | None = None
    for form, long_reach in _TYPO_TARGETS.get(word[0], ()):
        reach = long_reach if long_word else 1
        if abs(len(form) - len(word)) > reach:
            continue
        distance = Indel.distance(word, form, score_cutoff=2)
        swapped = (  # two neighbours swapped ("jambert"), not one letter replaced ("malam")
            distance == 2
            and OSA.distance(word, form, score_cutoff=1) == 1
            and Levenshtein.distance(word, form) == 2
        )
        if (distance <= reach or swapped) and (best is None or distance < best[0]):
            best = (distance, form)
    return best[1] if best else None


_COMPILED = tuple(
    (kind, label, re.compile(rf"(?<![\w#])(?:{pattern})(?![\w])"))
    for kind, label, pattern in _PHRASES
)


@dataclass(slots=True)
class _Found:
    """The cues of one message, by kind, with the positions that matter."""

    kinds: dict[str, list[str]]
    danger_at: list[int]
    thief_at: list[int]

    def has(self, kind: str) -> bool:
        return bool(self.kinds.get(kind))

    def add(self, kind: str, label: str) -> None:
        self.kinds.setdefault(kind, []).append(label)


def _phrases(words: list[str]) -> tuple[list[str], list[tuple[str, str]]]:
    """`words` with each known phrase replaced by a ``#n`` placeholder for its (kind, label)."""
    text = " ".join(words)
    cues: list[tuple[str, str]] = []
    for kind, label, pattern in _COMPILED:

        def mark(match: re.Match[str], kind: str = kind, label: str = label) -> str:
            cues.append((kind, label))
            return f"#{len(cues) - 1}"

        text = pattern.sub(mark, text)
    return text.split(), cues


def _cue_of(words: list[str], at: int, cues: list[tuple[str, str]]) -> tuple[str, str] | None:
    word = words[at]
    if placeholder := _PLACEHOLDER.fullmatch(word):
        return cues[int(placeholder[1])]
    if word in LIFE_FORMS:
        return "life", LIFE_FORMS[word]
    if word in ALARM_FORMS:
        return "alarm", ALARM_FORMS[word]
    if word in THIEF:
        return "thief", THIEF[word]
    return _context_cue(words, at)


def _context_cue(words: list[str], at: int) -> tuple[str, str] | None:
    """Cues that depend on the neighbouring words ("lagi dikejar" is now, "dicuri lagi" is not)."""
    word = words[at]
    before = words[at - 1] if at else ""
    after = words[at + 1] if at + 1 < len(words) else ""
    if word in PLEAS:
        return ("now", "shout") if after == "!" else ("plea", word)
    if word == "!" and (before == "!" or _is_danger(before)):
        return "now", "shout"
    if word in SCENES or (word == "there" and after in BE):
        return "scene", word
    if word in NOW_WORDS:
        return ("report", word) if _near_report(words, at) else ("now", word)
    if word == "lagi" and after not in ("", "!", "?") and not _is_danger(before):
        return "now", word
    if word == "baru" and (_is_danger(after) or after.startswith(PASSIVE_PREFIXES)):
        return "now", word
    if word == "tadi":
        return "past", word
    if word in WAS:
        return "was", word
    if word in BE and _progressive(after):
        return "now", "is_ing"
    return None


def _is_danger(word: str) -> bool:
    return word in _KNOWN_DANGER or word == "!"


def _progressive(word: str) -> bool:
    return word.endswith("ing") and len(word) > len("sing") and word not in NOT_PROGRESSIVE


def _near_report(words: list[str], at: int) -> bool:
    """Whether the time word dates the reporting ("mau lapor sekarang"), not the event."""
    window = words[max(0, at - REPORT_REACH_AFTER) : at + REPORT_REACH_BEFORE + 1]
    return not REPORT_VERBS.isdisjoint(window)


def _read(text: str) -> tuple[_Found, tuple[str, ...]]:
    words, cues = _phrases(tokens(text))
    found = _Found({}, [], [])
    labels: list[str] = []
    for at in range(len(words)):
        cue = _cue_of(words, at, cues)
        if cue is None:
            continue
        kind, label = cue
        if kind in ("alarm", "life", "thief"):
            if _negated(words, at, cues):
                kind = "negated"
            elif kind == "thief":
                found.thief_at.append(at)
            else:
                found.danger_at.append(at)
                for extra in _danger_context(words, at):
                    found.add(*extra.split(":"))
                    labels.append(extra)
        found.add(kind, label)
        labels.append(f"{kind}:{label}")
    if found.thief_at and any(found.has(k) for k in ("now", "still", "scene", "plea")):
        found.danger_at += found.thief_at  # "ada maling", "malingnya masih di dalam"
    return found, tuple(dict.fromkeys(labels))


def _negated(words: list[str], at: int, cues: list[tuple[str, str]]) -> bool:
    for back in range(at - 1, max(-1, at - NEGATION_REACH - 1), -1):
        word = words[back]
        if word in NEGATORS:
            return True
        if _is_danger(word) or _PLACEHOLDER.fullmatch(word):
            return False
    return False


def _danger_context(words: list[str], at: int) -> list[str]:
    """Cues a danger word gets from the words before it."""
    extra = []
    if _described_as_present(words, at):
        extra.append("now:is")
    if at and words[at - 1] in VICTIMS and words[at].startswith(PASSIVE_PREFIXES):
        extra.append("scene:victim")  # "saya diculik", "kami diserang": the victim is writing
    return extra


def _described_as_present(words: list[str], at: int) -> bool:
    """English present state: "is on fire", "are hurt", "is being robbed", "is an emergency"."""
    back = at - 1
    while back >= 0 and words[back] in BE_FILLERS and at - back <= 2:
        back -= 1
    return back >= 0 and words[back] in BE


# -- deciding --------------------------------------------------------------


def _decide(found: _Found) -> Urgency:
    if not found.danger_at:
        return Urgency.NONE
    present = found.has("now")
    if found.has("still"):
        return Urgency.EMERGENCY_NOW
    if found.has("fiction"):
        return Urgency.NONE
    if found.has("topic"):
        return Urgency.ALARM if present else Urgency.NONE
    if found.has("past") or found.has("habit"):
        return Urgency.ALARM
    if present:
        return Urgency.EMERGENCY_NOW
    if found.has("was"):
        return Urgency.ALARM
    if found.has("life") and (found.has("scene") or found.has("plea")):
        return Urgency.EMERGENCY_NOW
    return Urgency.ALARM


def assess(text: str) -> Assessment:
    """How urgent `text` sounds, with the cues that decided it (see the module docstring)."""
    found, labels = _read(text)
    return Assessment(_decide(found), labels)


def urgency(text: str) -> Urgency:
    """Just the tier of `assess(text)`."""
    return assess(text).urgency
