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

The word lists are in ``data/emergency.txt`` (read by `bot.language.wordlists`),
built into lookup tables at import; a call takes tens of microseconds and does
no I/O. `Assessment.cues` names what was found ("alarm:rampok", "now:sekarang")
— lexicon labels only, never the citizen's other words, so it is safe to log.
The measured quality is in `tests/language/test_emergency.py` and
`bench/emergency_accuracy.py`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from rapidfuzz.distance import OSA, Indel, Levenshtein

from bot.language.letters import without_accents
from bot.language.wordlists import patterns, sections, variant_table, word_lists, word_sets

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


# -- word lists (data/emergency.txt) ---------------------------------------

_DATA = sections("emergency")
ALARM_ID = variant_table(_DATA["alarm_id"])
ALARM_EN = variant_table(_DATA["alarm_en"])
THIEF = variant_table(_DATA["thief"])
LIFE_ID = variant_table(_DATA["life_id"])
LIFE_EN = variant_table(_DATA["life_en"])
SLANG = variant_table(_DATA["slang"])
MULTI_SLANG = variant_table(_DATA["multi_slang"])
CONTRACTIONS = variant_table(_DATA["contractions"])


def _forms(*tables: dict[str, str]) -> dict[str, str]:
    merged: dict[str, str] = {}
    for table in tables:
        merged |= table
    return merged


ALARM_FORMS = _forms(ALARM_ID, ALARM_EN)
LIFE_FORMS = _forms(LIFE_ID, LIFE_EN)


def _alternations(text: str) -> dict[str, str]:
    """Each word list as a regex alternation; ``_`` joins the words of one item."""
    return {
        name: "(?:" + "|".join(item.replace("_", " ") for item in items) + ")"
        for name, items in word_lists(text).items()
    }


def _phrase_table(text: str, lists: dict[str, str]) -> tuple[tuple[str, str, str], ...]:
    """``kind label | regex`` lines; ``{name}`` in a regex stands for the word list `name`."""
    phrases = []
    for head, pattern in patterns(text, lists):
        kind, label = head.split()
        phrases.append((kind, label, pattern))
    return tuple(phrases)


LISTS = _alternations(_DATA["lists"])
_PHRASES = _phrase_table(_DATA["phrases"], LISTS)

_WORDS = word_sets(_DATA["words"])
NEGATORS = _WORDS["negators"]
NEGATION_REACH = 3  # "tidak ada yang terluka", "no one is hurt"
PLEAS = _WORDS["pleas"]
SCENES = _WORDS["scenes"]
VICTIMS = _WORDS["victims"]
WAS = _WORDS["was"]
NOW_WORDS = _WORDS["now_words"]
REPORT_VERBS = _WORDS["report_verbs"]
# "Now" dates the reporting, not the event, this close to a reporting verb:
VERB_AFTER_NOW = 4  # "sekarang saya mau lapor", "now i want to report"
VERB_BEFORE_NOW = 2  # "mau lapor sekarang"
BE = _WORDS["be"]
BE_FILLERS = _WORDS["be_fillers"]
NOT_PROGRESSIVE = _WORDS["not_progressive"]
PASSIVE_PREFIXES = ("di", "ter", "ke")
NOT_TYPOS = _WORDS["not_typos"]  # everyday words one typo away from an alarm word


# -- reading text ----------------------------------------------------------

_REPEATS = re.compile(r"([a-z])\1{2,}")
_REDUPLICATION = re.compile(r"(?<=[a-z])2\b")
_CONTRACTION = re.compile(r"(?:(?<=[a-z])n['’](?P<nt>t)|(?<=[a-z])['’](?P<tail>re|m|s|ve|ll|d))\b")
_TOKEN = re.compile(r"[a-z]+|\d+|[!?]")
_PLACEHOLDER = re.compile(r"#(\d+)")


def _fold(text: str) -> str:
    """Lower case, no accents, contractions spelt out, "tolooong" → "tolong", "begal2" → "begal"."""
    plain = without_accents(text).casefold()
    if "'" in plain or "’" in plain:
        plain = _CONTRACTION.sub(_spell_contraction, plain).replace("'", "").replace("’", "")
    return _REPEATS.sub(r"\1", _REDUPLICATION.sub("", plain))


def _spell_contraction(match: re.Match[str]) -> str:
    return " " + CONTRACTIONS["nt" if match["nt"] else match["tail"]]


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
