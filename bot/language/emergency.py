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
             tenggelam, berdarah, diculik, "bawa pisau", on fire, bleeding, …
    thief    maling, pencuri, thief: an alarm only with "ada", "masih", a plea
             or "now" ("ada maling"); "motor dicuri maling" is an ordinary theft
    now      the present: sekarang, sedang, "lagi …", barusan, "dari tadi",
             right now, "is being …", a shouted "tolong!" or "!!", …
    still    the danger is still here: "masih di sekitar", still inside, …
    scene    "ada", someone, "there is", or the victim writing ("saya diculik")
    plea     tolong, help, sos
    past     kemarin, tadi, semalam, minggu lalu, "waktu itu", yesterday, last …, ago
    was      English simple past (was, were, had): past unless "now" says otherwise
    habit    it happens often or is over: marak, sering, sudah padam, lately, …
    topic    the message is about a crime, not in one: a complaint, a case's
             progress, a procedure question, a hypothesis ("kalau …")
    fiction  a film, the news, a post

and the tier follows from which kinds are present (`_decide` lists the rules).
Alarm words inside neutral phrases ("nomor darurat", "pemadam kebakaran", "izin
senjata", "SIM tembak") or right after a negation ("tidak ada yang terluka",
"not an emergency") do not count.

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

from bot.language.wordlists import variant_table

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


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Crimes and dangers: enough to ask the danger question.
ALARM_ID = variant_table("""
    darurat: darurat kedaruratan emergensi emergency sos
    begal: begal dibegal membegal pembegalan begalan kebegalan
    rampok: rampok merampok dirampok perampok perampokan kerampokan
    rampas: rampas dirampas merampas perampasan
    jambret: jambret dijambret menjambret penjambretan penjambret kejambretan
    bunuh: bunuh dibunuh membunuh pembunuhan pembunuh terbunuh mayat
    perkosa: perkosa diperkosa memperkosa pemerkosaan perkosaan pemerkosa
    keroyok: keroyok dikeroyok mengeroyok pengeroyokan
    aniaya: aniaya dianiaya menganiaya penganiayaan diserang menyerang penyerangan
    palak: palak dipalak malak memalak pemalakan
    pukul: dipukul dipukuli memukul memukuli mukulin pemukulan
    kekerasan: kekerasan kdrt
    tawuran: tawuran perkelahian berkelahi bentrokan
    ancam: diancam mengancam ancaman
    kecelakaan: kecelakaan tabrakan ditabrak tertabrak terguling terbalik
    lempar: dilempari dilempar melempari pelemparan diserbu
    amuk: ngamuk mengamuk
    senjata: senjata senpi pistol pisau golok celurit clurit parang
    kejar: dikejar mengejar ngejar dikuntit diikuti dibuntuti
""")
ALARM_EN = variant_table("""
    rampok: robbery robber robbers robbed robbing mugged mugging mugger rob
    bunuh: murder murdered murderer killed killing killer corpse
    perkosa: rape raped rapist
    aniaya: assault assaulted attack attacked attacking beaten beating hitting punching kicking
    tawuran: fight fighting brawl
    ancam: threatened threatening
    kecelakaan: accident crash crashed
    senjata: gun guns pistol knife knives weapon weapons machete machetes
    kejar: chased chasing stalked stalking
""")
# A thief alone is an ordinary theft report; with "ada", "masih", a plea or "now" an alarm.
THIEF = variant_table("""
    maling: maling pencuri copet
    maling: thief thieves burglar burglars intruder intruders
""")
# A threat to a life: with "ada"/"someone" or a plea, an emergency even without "now".
LIFE_ID = variant_table("""
    tusuk: ditusuk menusuk penusukan tertusuk
    bacok: bacok dibacok membacok pembacokan
    tikam: ditikam menikam penikaman
    culik: culik diculik menculik penculikan penculik
    tembak: ditembak menembak penembakan tertembak tembakan
    kebakaran: kebakaran terbakar dibakar membakar
    tenggelam: tenggelam hanyut
    luka: luka terluka berdarah pingsan sekarat tergeletak terjepit tertimpa
    sekap: disekap menyekap penyekapan sandera disandera menyandera penyanderaan terjebak
    sekap: dikurung mengurung terkurung
    bom: bom ledakan meledak
    bersenjata: bersenjata
""")
LIFE_EN = variant_table("""
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
# Chat spelling → the word (one to many words).
SLANG = variant_table("""
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
CONTRACTIONS = {"nt": " not", "re": " are", "m": " am", "s": " is", "ve": " have", "ll": " will"}
CONTRACTIONS |= {"d": " would"}


def _forms(*tables: dict[str, str]) -> dict[str, str]:
    merged: dict[str, str] = {}
    for table in tables:
        merged |= table
    return merged


ALARM_FORMS = _forms(ALARM_ID, ALARM_EN)
LIFE_FORMS = _forms(LIFE_ID, LIFE_EN)


def _lists(text: str) -> dict[str, str]:
    """``name: word word`` lines (a name may go on over several lines) as name → regex
    alternation; ``_`` joins the words of one item (``trying_to``)."""
    words: dict[str, list[str]] = {}
    for line in text.strip().splitlines():
        name, items = line.split(":")
        words.setdefault(name.strip(), []).extend(i.replace("_", " ") for i in items.split())
    return {name: "(?:" + "|".join(items) + ")" for name, items in words.items()}


def _phrase_table(text: str, lists: dict[str, str]) -> tuple[tuple[str, str, str], ...]:
    """``kind label | regex`` lines; ``{name}`` in a regex stands for the word list `name`."""
    phrases = []
    for line in text.strip().splitlines():
        head, pattern = line.split(" | ", 1)
        kind, label = head.split()
        for name, alternation in lists.items():
            pattern = pattern.replace("{" + name + "}", alternation)
        phrases.append((kind, label, pattern.strip()))
    return tuple(phrases)


# Word lists the phrases below name as {list}.
LISTS = _lists("""
    weapons: senjata senpi pistol pisau golok celurit clurit parang
    weapons: gun guns knife knives weapon weapons machete machetes
    violent: bunuh dibunuh membunuh bacok dibacok membacok tusuk ditusuk menusuk kill
    carry: bawa membawa pegang memegang menodong menodongkan ditodong mengacungkan acungkan
    carry: ngacungin nodong pake pakai with carrying holding pointing
    threat: mengancam diancam ancaman threatened threatening threat threats
    intend: mau akan hendak ingin pengen mo coba trying_to going_to wants_to want_to
    try: mau coba mencoba berusaha trying_to
    break_in: masuk membobol bobol mencongkel congkel mendobrak dobrak break get
    premises: rumah pintu jendela toko kamar house home door window
    taken: dibawa diambil dijemput dibawa_lari dibawa_kabur
    stranger: orang seseorang pria wanita laki_laki otk
    not_breathing: sadar sadarkan_diri bernapas bernafas napas nafas breathing responding moving
    still_here: di ada disini disitu berada berlangsung terjadi mengejar berdarah pingsan
    still_here: terbakar dikejar menyandera didalam dalam sekitar mengancam mengamuk ngamuk
    still_here: menunggu mengintai
    still_here_en: here there inside in around nearby at outside bleeding burning chasing
    still_here_en: following shooting
    few: se satu dua tiga empat lima enam tujuh delapan sembilan sepuluh beberapa
    few: a an a_few few one two three half_an setengah
    hours_or_more: jam hari minggu bulan tahun hour hours day days week weeks month months
    hours_or_more: year years
    weekdays: monday tuesday wednesday thursday friday saturday sunday
    when: waktu saat ketika pas sewaktu
""")
# Phrases become one cue each; where two could start at one word, the first listed wins.
# `neutral` and `negated` phrases are dropped: they hold alarm words that raise no alarm.
_PHRASES = _phrase_table(
    r"""
    alarm ancam       | (?:ancaman|teror) bom|bomb threat
    neutral number    | (?:nomor|no|nomer) (?:telepon |telp |hp |wa )?(?:darurat|emergency)
    neutral number    | (?:telepon|layanan|call center|hotline|panggilan) darurat
    neutral number    | emergency (?:number|numbers|contact|contacts|line|hotline|call)
    neutral service   | (?:pemadam|petugas pemadam|mobil pemadam|dinas pemadam) kebakaran
    neutral service   | damkar|(?:unit )?gawat darurat|ugd|igd
    neutral exit      | (?:pintu|tangga|jalur|rem|lampu) darurat|emergency (?:exit|brake)
    neutral permit    | (?:izin|ijin) (?:kepemilikan |penggunaan )?senjata(?: api)?
    neutral permit    | kepemilikan senjata(?: api)?|(?:gun|firearm) (?:permit|license|licence)
    neutral sim       | sim tembak|(?:nembak|tembak) sim
    neutral food      | ikan bakar|ayam bakar|jagung bakar|sate bakar
    neutral idiom     | matahari tenggelam|bunuh waktu|kill time|fire extinguisher
    negated negated   | (?:not|no longer) (?:an? )?(?:emergency|urgent)
    life bunuh_diri   | bunuh diri|gantung diri|suicide|hanged (?:himself|herself|myself)
    life bunuh_diri   | hanging (?:himself|herself|myself)
    life bersenjata   | {carry} (?:\w+ )?{weapons}\b
    alarm ancam       | {threat} (?:\w+ )?(?:mau|akan|hendak|ingin|to) (?:\w+ )?{violent}\b
    life mau_bunuh    | {intend} (?:\w+ )?{violent}\b
    life kebakaran    | on fire
    life+now jerit    | (?:teriak|berteriak|jerit|menjerit|teriakan|jeritan) (?:\w+ ){0,2}tolong
    life+now jerit    | (?:screaming|screams|yelling|crying) for help
    life+now suara    | suara (?:ledakan|tembakan|letusan|tembak)
    life+now suara    | (?:hear|hearing) (?:gunshots|shots|an explosion)
    life hilang       | (?:anak|adik|balita|bayi) (?:\w+ )?(?:hilang|ilang)
    life hilang       | (?:child|kid|son|daughter) is missing
    life luka         | (?:tidak|tak|not|no longer) {not_breathing}
    life luka         | serangan jantung|heart attack|kejang|overdosis|overdose
    life sekap        | dikunci (?:di |dalam |di dalam )?(?:kamar|rumah|gudang|mobil|ruangan)
    life sekap        | locked (?:me |us |up )?(?:in|inside)
    alarm culik       | {taken} (?:\w+ )?{stranger} (?:tak|tidak) dikenal
    alarm maling      | {premises} (?:\w+ )?(?:dibobol|dibongkar|didobrak|dijebol)
    alarm maling      | {try} {break_in} (?:ke |into |in )?(?:\w+ )?{premises}
    now burning       | api(?:nya)? (?:\w+ )?(?:besar|membesar|menyala|merambat|berkobar)
    now burning       | (?:asap|smoke) (?:\w+ )?(?:tebal|hitam|everywhere)
    now ongoing       | (?:dari|sejak) tadi
    alarm maling      | (?:break|breaking|broke|broken) in(?:to)?|dimasuki maling
    alarm kejar       | (?:being|been) (?:followed|chased)
    alarm kecelakaan  | tabrak lari|hit and run
    still masih       | masih(?= {still_here}\b)
    still still       | still(?= {still_here_en}\b)
    now recent        | (?:\d+|{few}) (?:menit|minutes?|mins?) (?:yang )?(?:lalu|ago)
    past ago          | (?:\d+|{few}) {hours_or_more} (?:yang )?(?:lalu|ago|kemarin|kemaren)
    past kemarin      | kemarin(?: lusa| malam| pagi| siang| sore)?
    past semalam      | semalam|tadi malam|malam tadi
    past lalu         | (?:minggu|bulan|tahun|pekan) (?:lalu|kemarin|yang lalu)|yang lalu
    past narrative    | {when} (?:itu|kejadian|saya|kami|aku|dia|rumah|pulang)
    past narrative    | when (?:i|we|it|the)
    past last         | last (?:night|week|weekend|month|year|time|{weekdays})
    past last         | the other day|yesterday|earlier
    now right_now     | right now|just now|at the moment|as we speak|saat ini|detik ini
    now baru_saja     | baru (?:saja|tadi|terjadi)|barusan|just (?:got|been|happened)
    now happening     | sedang (?:terjadi|berlangsung)|happening|in progress|ongoing
    now come          | (?:cepat|segera|buruan) (?:datang|kesini|ke sini|kirim)
    now come          | (?:datang|kesini) cepat|kirim polisi|send (?:police|help|someone)
    now come          | come (?:quick|quickly|fast|now)|hurry|asap
    now is            | (?:is|are|am)(?= (?:being|getting))|(?:has|have)(?= (?:just )?been)
    habit often       | marak|sering|seringkali|rawan|meresahkan|akhir akhir ini|belakangan ini
    habit often       | (?:tiap|setiap) (?:hari|malam|minggu)|often|lately|these days|frequently
    habit often       | rampant
    habit over        | (?:sudah|telah) (?:padam|aman|selesai|diamankan)
    habit over        | (?:sudah|telah) (?:ditangkap|tertangkap|menangkap)
    habit over        | padam|extinguished|is over|(?:were|was|been) (?:caught|arrested)
    habit patrol      | patroli|patrol
    topic complaint   | mengadu|mengadukan|adukan|ngadu|pengaduan|aduan|komplain|complain
    topic complaint   | complaint|complaining|keluhan|mengeluh|protes|kecewa|rude|kasar|arogan
    topic complaint   | pungli|oknum|terlambat|telat|keberatan|percepat|perlakuan|tidak profesional
    topic complaint   | (?:minta|meminta) (?:uang|duit)
    topic followup    | (?:sudah|telah|pernah) (?:lapor|melapor|melaporkan|buat laporan)
    topic followup    | (?:belum|tidak) (?:diselidiki|diusut|ditangani|ditangkap|diproses)
    topic followup    | already reported
    topic thanks      | terima kasih|makasih|thank you|thanks
    topic complaint   | lambat (?:menangani|menanggapi|merespon|respon|ditangani|diproses)
    topic complaint   | slow to (?:respond|act)
    topic followup    | (?:tidak|belum) (?:di)?tindaklanjuti|ditindaklanjuti|tindak lanjut
    topic followup    | (?:tidak|belum) (?:ada )?(?:kabar|perkembangan|tanggapan)
    topic followup    | (?:tidak|belum) (?:ditanggapi|diproses)|perkembangan|sp2hp|kasus
    topic followup    | (?:followed|follow) up|no update|any update|progress|the case|my case
    topic followup    | laporan (?:\w+ ){0,2}(?:saya|kami|kita|ku)|status
    topic followup    | (?:my|our|the) (?:\w+ ){0,2}(?:report|case)
    topic question    | (?:bagaimana|gimana|gmn) (?:cara|caranya|prosedur)|cara|caranya|prosedur
    topic question    | syarat|persyaratan|apakah (?:bisa|boleh)|apa (?:saja|aja)|apa yang harus
    topic question    | berapa|nomor|kemana|ke mana|mau tanya|bertanya|menanyakan|informasi
    topic question    | kenapa|mengapa|anonim|tanpa nama|apa (?:bedanya|beda|itu|arti|artinya)
    topic question    | hukuman|sanksi|pasal
    topic question    | how (?:do|can|to|should)|what (?:is|should|do)|where (?:can|do|should)
    topic question    | (?:can|could|should) (?:i|we)|is it possible|why|anonymously|number
    topic question    | hotline|(?:like|want) to know|punishment|penalty
    topic hypothesis  | kalau|jika|jikalau|apabila|bila|seandainya|andaikan|misalnya|if|in case
    topic hypothesis  | what if|suppose
    fiction media     | film|sinetron|berita|news|game|movie|nonton|novel|postingan|hoax|hoaks
    fiction media     | viral|medsos|video
    """,
    LISTS,
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
# "Now" dates the reporting, not the event, this close to a reporting verb:
VERB_AFTER_NOW = 4  # "sekarang saya mau lapor", "now i want to report"
VERB_BEFORE_NOW = 2  # "mau lapor sekarang"
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
_CONTRACTION = re.compile(r"(?:(?<=[a-z])n['’](?P<nt>t)|(?<=[a-z])['’](?P<tail>re|m|s|ve|ll|d))\b")
_TOKEN = re.compile(r"[a-z]+|\d+|[!?]")
_PLACEHOLDER = re.compile(r"#(\d+)")


def _fold(text: str) -> str:
    """Lower case, no accents, contractions spelt out, "tolooong" → "tolong", "begal2" → "begal"."""
    if not text.isascii():
        decomposed = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in decomposed if not unicodedata.combining(c))
    plain = text.casefold()
    if "'" in plain or "’" in plain:
        plain = _CONTRACTION.sub(_spell_contraction, plain).replace("'", "").replace("’", "")
    return _REPEATS.sub(r"\1", _REDUPLICATION.sub("", plain))


def _spell_contraction(match: re.Match[str]) -> str:
    return CONTRACTIONS["nt" if match["nt"] else match["tail"]]


def tokens(text: str) -> list[str]:
    """The words of `text`: folded, slang spelt out, "di tusuk" joined, alarm-word typos fixed."""
    found: list[str] = []
    for word in _TOKEN.findall(_fold(text)):
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


# One pass over the text: the leftmost phrase wins, and at one place the first listed.
_PHRASE_CUES = tuple((kind, label) for kind, label, _ in _PHRASES)
_PHRASE = re.compile(
    r"(?<![\w#])(?:"
    + "|".join(rf"(?P<p{n}>{pattern})" for n, (*_, pattern) in enumerate(_PHRASES))
    + r")(?!\w)"
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
    cues: list[tuple[str, str]] = []

    def mark(match: re.Match[str]) -> str:
        cues.append(_PHRASE_CUES[int(str(match.lastgroup)[1:])])
        return f"#{len(cues) - 1}"

    return _PHRASE.sub(mark, " ".join(words)).split(), cues


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
    if word == "lagi" and after not in ("", "!", "?") and not _passive_danger(before):
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


def _passive_danger(word: str) -> bool:
    """ "dibegal lagi" is robbed again; "pencuri lagi manjat" is a thief climbing now."""
    return word.startswith(PASSIVE_PREFIXES) and word in _KNOWN_DANGER


def _is_danger(word: str) -> bool:
    return word in _KNOWN_DANGER or word == "!"


def _progressive(word: str) -> bool:
    return word.endswith("ing") and len(word) > len("sing") and word not in NOT_PROGRESSIVE


def _near_report(words: list[str], at: int) -> bool:
    """Whether the time word dates the reporting ("mau lapor sekarang"), not the event."""
    window = words[max(0, at - VERB_BEFORE_NOW) : at + VERB_AFTER_NOW + 1]
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
        if kind.endswith("+now"):  # "teriak minta tolong": a danger heard as it happens
            kind = kind.removesuffix("+now")
            found.add("now", label)
            labels.append(f"now:{label}")
        if kind in ("alarm", "life", "thief"):
            if _negated(words, at):
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


def _negated(words: list[str], at: int) -> bool:
    """ "tidak ada yang terluka", "not an emergency": a negation just before, nothing between."""
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
    """The tier, by the first rule that applies:

    1. no danger word (or only negated or neutral ones): none;
    2. the danger is still here ("masih di sekitar"): an emergency, whatever else is said;
    3. a film, the news, a post: none;
    4. a complaint, a case's progress, a question or a hypothesis: an alarm if something
       also says "now", else none (it stays what it is);
    5. past or habitual ("kemarin", "marak", "sudah padam"): an alarm at most;
    6. said to be happening now: an emergency;
    7. English simple past ("i was robbed"): an alarm;
    8. a threat to a life with "ada"/"someone", its victim writing, or a plea: an emergency;
    9. otherwise: an alarm.
    """
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


IMPLIED_NOW = ("now:is",)  # "the rider is hurt": present tense, also of what is told afterwards


def said_outright(found: Assessment) -> bool:
    """Whether an emergency is said outright: a plea ("tolong", "help") or a word
    for now ("sekarang", "lagi", "help!") — not only implied by a present tense.

    A story told in answer to a question ("the rider is hurt") reads as present
    without being so; there, only an emergency said outright interrupts.
    """
    return any(
        cue.startswith("plea:") or (cue.startswith("now:") and cue not in IMPLIED_NOW)
        for cue in found.cues
    )
