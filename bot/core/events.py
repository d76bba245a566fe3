"""A general vocabulary of state-change events, found in news text.

Pure. Storylines say which *event kinds* move each fact value (``events:
[block, enjoin]``) instead of listing every phrasing; this module knows how
news writes those events: the verbs with their inflections ("bars", "barred",
"barring"), their nouns ("injunction", "shutdown"), phrasal verbs with a
particle that may be split off ("shut Fable 5 down"), and the context that
changes what a mention means:

* **polarity**: ``negated`` when a negation or a refusal governs the event
  ("not blocked", "refused to halt", "declined to pause", "fails to block",
  "without lifting"); "no longer X" reverses the event into its opposite
  class ("no longer suspended" is a ``restore``);
* **modality**: ``possible`` when the event is only threatened, planned or
  hypothetical ("could be blocked", "weighs blacklisting", "if the court
  sides with", "set to return"); the threatening verb itself is an actual
  ``threaten`` event.

Kinds are grouped into classes (:data:`CLASSES`): a storyline may name a kind
("enjoin") or a whole class ("stop"). Text handed to :func:`find_events` is
normalised the way ``bot.core.facts`` does it (lower case, hyphens and slashes
as spaces, curly quotes folded).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

Polarity = Literal["affirmed", "negated"]
Modality = Literal["actual", "possible"]

# --- the vocabulary --------------------------------------------------------------------------

#: kind -> (verbs as lemmas, noun and adjective phrases taken as they are). A verb may
#: be a phrasal verb ("shut down"): its first word is inflected, and up to two words
#: may stand between it and the particle.
KINDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # stopping something
    "halt": (("halt", "stop"), ("halt", "stoppage")),
    "suspend": (("suspend",), ("suspension",)),
    "pause": (("pause", "put on hold"), ("pause", "on hold")),
    "freeze": (("freeze",), ("freeze",)),
    "disable": (
        (
            "disable",
            "shut down",
            "shut off",
            "switch off",
            "turn off",
            "take down",
            "take offline",
            "take away",
            "pull",
            "withdraw",
            "remove",
            "go dark",
            "go offline",
            "black out",
            "vanish",
        ),
        (
            "shutdown",
            "takedown",
            "pullback",
            "blackout",
            "outage",
            "removal",
            "offline",
            "unavailable",
            "lost access",
            "loses access",
            "lose access",
        ),
    ),
    "cut_off": (("cut off",), ("cutoff",)),
    "block": (("block",), ()),
    "bar": (("bar", "ban", "prohibit", "forbid"), ("ban", "prohibition")),
    # The nouns alone ("a hearing on a preliminary injunction") assert nothing.
    "enjoin": (("enjoin", "grant injunction", "win injunction", "issue injunction"), ()),
    "revoke": (("revoke", "rescind"), ("revocation",)),
    # undoing a stop
    "restore": (
        (
            "restore",
            "reinstate",
            "return",
            "come back",
            "bring back",
            "re enable",
            "relaunch",
            "redeploy",
            "regain",
        ),
        (
            "restoration",
            "reinstatement",
            "return",
            "relaunch",
            "redeployment",
            "back online",
            "available again",
            "is back",
            "are back",
            "back for",
            "back in",
        ),
    ),
    "lift": (("lift",), ("lifting",)),
    "clear": (
        ("clear", "authorize", "authorise", "greenlight", "allow back", "let back"),
        ("green light", "cleared for", "authorization", "authorisation"),
    ),
    "reopen": (("reopen",), ("reopening",)),
    "resume": (("resume", "restart"), ("resumption", "restart")),
    "unblock": (("unblock",), ()),
    # putting a label on someone
    # "the designation", "the label": what a fact is about, not an act (see subjects)
    "designate": (("designate", "declare", "deem"), ()),
    "label": (("label", "tag"), ()),
    "blacklist": (("blacklist",), ()),
    "classify": (("classify as",), ()),  # not "classified networks"
    # courts and appeals
    "appeal": (("appeal",), ("appeal", "notice of appeal")),
    "stay": ((), ()),  # "stay" is also "remain": see _STAY below
    "uphold": (("uphold", "affirm"), ()),
    "overturn": (
        ("overturn", "vacate", "strike down", "reverse", "set aside", "annul", "throw out"),
        (),
    ),
    "deny": (
        ("deny", "reject", "refuse", "decline", "dismiss", "turn down", "rebuff"),
        ("denial", "rejection"),
    ),
    "side_with": (("side with", "rule for", "rule in favor of", "rule in favour of"), ()),
    # a court leaving a measure as it is: "lets the label stand", "keeps it in place"
    "keep": (
        (
            "let stand",
            "allow stand",
            "leave in place",
            "keep in place",
            "leave in force",
            "keep in force",
            "leave intact",
            "leave untouched",
            "keep alive",
        ),
        (),
    ),
    "rule_against": (("rule against",), ()),
    "carve_out": (("carve out", "exempt"), ("carve out", "exemption", "waiver")),
    # warnings
    "threaten": (
        ("threaten", "warn", "weigh", "consider", "mull"),
        ("threat", "warning", "ultimatum", "deadline", "last chance", "final offer"),
    ),
    # coming into existence
    "launch": (
        ("launch", "release", "roll out", "debut", "unveil", "introduce", "open to"),
        ("launch", "release", "rollout", "debut", "generally available", "now available"),
    ),
    "available": ((), ("available", "reachable", "accessible")),
    # going to court
    "sue": (("sue", "file suit"), ("lawsuit", "suit", "complaint", "petition")),
}

#: Common forms in other languages (taken as written, no inflection): a fifth of
#: the coverage of a dispute abroad is not in English. Scripts written without
#: spaces (Chinese, Japanese) match inside words.
FOREIGN: dict[str, tuple[str, ...]] = {
    "block": (
        # Italian, French, Spanish, Portuguese, German
        "blocca",
        "bloccare",
        "bloccato",
        "bloccata",
        "bloccati",
        "blocco",
        "bloqué",
        "bloquée",
        "bloque",
        "bloquea",
        "bloqueó",
        "bloqueado",
        "bloqueada",
        "bloqueo",
        "bloqueia",
        "trava",
        "sperrt",
        "gesperrt",
        "blockiert",
        "stoppt",
        "stoppe",
        "封鎖",
        "封锁",
        "ブロック",
    ),
    "suspend": (
        "sospeso",
        "sospesa",
        "sospende",
        "sospensione",
        "suspendu",
        "suspendue",
        "suspendido",
        "suspendió",
        "suspendida",
        "suspensión",
        "suspensão",
        "暫停",
        "暂停",
        "停止",
    ),
    "bar": (
        "vieta",
        "vietato",
        "vietata",
        "divieto",
        "interdit",
        "interdiction",
        "prohíbe",
        "prohibido",
        "prohibió",
        "prohibida",
        "prohibición",
        "proíbe",
        "verbietet",
        "verboten",
        "verbot",
        "veta",
        "禁止",
        "禁用",
    ),
    "restore": (
        "torna",
        "tornato",
        "tornata",
        "ritorna",
        "ritorno",
        "riattivato",
        "riattivata",
        "ripristinato",
        "ripristinata",
        "di nuovo disponibile",
        "di nuovo accessibile",
        "si riaccende",
        "bentornata",
        "bentornato",
        "rétabli",
        "rétablie",
        "de retour",
        "revient",
        "vuelve",
        "regresa",
        "restablecido",
        "restablece",
        "restableció",
        "de nuevo disponible",
        "wieder verfügbar",
        "zurück",
        "恢復",
        "恢复",
        "再開",
    ),
    "unblock": ("sbloccato", "sbloccata", "débloqué", "desbloqueado", "desbloqueada", "解禁"),
    "lift": ("levée", "levantado", "levanta", "levantó", "aufgehoben", "revocato", "revocata"),
    "designate": (
        "désigne",
        "désignée",
        "désigné",
        "designa",
        "designada",
        "designado",
        "designó",
        "designata",
        "designato",
        "eingestuft",
        "列為",
        "列为",
        "指定",
        "封殺",  # "blacklist"
        "封杀",
    ),
    "launch": ("lanciato", "lanza", "lançado", "startet", "発表", "推出"),
    "threaten": ("menace", "amenaza", "minaccia", "droht", "威脅", "威胁", "警告"),
}

#: class -> kinds. A storyline may name a class wherever it may name a kind.
CLASSES: dict[str, tuple[str, ...]] = {
    "stop": (
        "halt",
        "suspend",
        "pause",
        "freeze",
        "disable",
        "cut_off",
        "block",
        "bar",
        "enjoin",
        "revoke",
    ),
    "resume": ("restore", "lift", "clear", "reopen", "resume", "unblock"),
    "designate": ("designate", "label", "blacklist", "classify"),
    "court": (
        "appeal",
        "stay",
        "uphold",
        "overturn",
        "deny",
        "side_with",
        "rule_against",
        "keep",
    ),
    "warn": ("threaten",),
    "launch": ("launch", "available"),
    "sue": ("sue",),
}
_CLASS_OF = {kind: cls for cls, kinds in CLASSES.items() for kind in kinds}
# Kind names an editor may write with a space or a hyphen.
ALIASES = {"cut off": "cut_off", "side with": "side_with", "carve out": "carve_out"}
#: "no longer <kind of this class>" means an event of the opposite class.
_REVERSAL = {"stop": "restore", "resume": "halt", "launch": "halt", "designate": "lift"}

# Irregular verb forms: lemma -> (third person, past, past participle, gerund).
_IRREGULAR: dict[str, tuple[str, ...]] = {
    "cut": ("cuts", "cut", "cutting"),
    "shut": ("shuts", "shut", "shutting"),
    "put": ("puts", "put", "putting"),
    "set": ("sets", "set", "setting"),
    "let": ("lets", "let", "letting"),
    "take": ("takes", "took", "taken", "taking"),
    "go": ("goes", "went", "gone", "going"),
    "come": ("comes", "came", "coming"),
    "bring": ("brings", "brought", "bringing"),
    "freeze": ("freezes", "froze", "frozen", "freezing"),
    "withdraw": ("withdraws", "withdrew", "withdrawn", "withdrawing"),
    "uphold": ("upholds", "upheld", "upholding"),
    "strike": ("strikes", "struck", "stricken", "striking"),
    "throw": ("throws", "threw", "thrown", "throwing"),
    "lose": ("loses", "lost", "losing"),
    "win": ("wins", "won", "winning"),
    "hold": ("holds", "held", "holding"),
    "black": ("blacks", "blacked", "blacking"),
}
# Bare forms that are mostly not the verb ("it is clear").
_NOT_A_VERB = {"clear", "label", "tag", "blacklist"}
_NO_DOUBLING = {"appeal", "reopen", "label", "threaten", "open", "weigh", "eye"}


def inflections(lemma: str) -> tuple[str, ...]:
    """The forms of an English verb lemma: itself, third person, past (and past
    participle), gerund. Regular rules plus a table of irregular verbs:
    bar → bars, barred, barring; deny → denies, denied, denying; label →
    labels, labeled, labelled, labeling, labelling."""
    if lemma in _IRREGULAR:
        return (lemma, *_IRREGULAR[lemma])
    forms = {lemma}
    if re.search(r"(?:s|x|z|ch|sh)$", lemma):
        forms.add(lemma + "es")
    elif re.search(r"[^aeiou]y$", lemma):
        forms.add(lemma[:-1] + "ies")
    else:
        forms.add(lemma + "s")
    if lemma.endswith("e"):
        stem_ed, stem_ing = lemma[:-1], lemma[:-1]
        if lemma.endswith(("ee", "ye", "oe")):
            stem_ing = lemma
    elif re.search(r"[^aeiou]y$", lemma):
        stem_ed, stem_ing = lemma[:-1] + "i", lemma
    elif (
        re.search(r"(?:^|[^aeiou])[aeiou][^aeiouwxy]$", lemma)
        and lemma not in _NO_DOUBLING
        and len(lemma) <= 4
    ):
        # one-syllable consonant-vowel-consonant: bar → barred, stop → stopped
        stem_ed = stem_ing = lemma + lemma[-1]
    else:
        stem_ed = stem_ing = lemma
    forms.add(stem_ed + "ed")
    forms.add(stem_ing + "ing")
    if re.search(r"(?:^|[^aeiou])[aeiou]l$", lemma) and len(lemma) > 4:
        # British spelling doubles a final l: labelled, cancelling
        forms.update({lemma + "led", lemma + "ling"})
    return tuple(sorted(forms))


def _verb_pattern(phrase: str) -> str:
    words = phrase.split(" ")
    forms = [f for f in inflections(words[0]) if len(words) > 1 or f not in _NOT_A_VERB]
    head = "(?:" + "|".join(re.escape(f) for f in forms) + ")"
    if len(words) == 1:
        return head
    rest = r"\s".join(re.escape(w) for w in words[1:])
    # "shut down" and "shut Fable 5 down"; "put on hold" and "put the label on hold";
    # "let the label stand", "leaves the designation in place"
    return head + r"(?:\s\S+){0,4}?\s" + rest


def _noun_pattern(phrase: str) -> str:
    words = [re.escape(w) for w in phrase.split(" ")]
    words[-1] += "s?" if not words[-1].endswith("s") and len(words) == 1 else ""
    return r"\s".join(words)


@lru_cache(maxsize=1)
def _kind_regex() -> re.Pattern[str]:
    # One named group per kind; inside it, longest phrases first so that
    # "preliminary injunction" wins over "injunction".
    groups = []
    for i, (kind, (verbs, nouns)) in enumerate(KINDS.items()):
        patterns = [(len(p), _verb_pattern(p)) for p in verbs]
        patterns += [(len(p), _noun_pattern(p)) for p in nouns]
        if not patterns:
            continue
        patterns.sort(key=lambda p: -p[0])
        _GROUP_KIND[f"k{i}"] = kind
        groups.append(f"(?P<k{i}>" + "|".join(p for _, p in patterns) + ")")
    return re.compile(r"\b(?:" + "|".join(groups) + r")(?![\w])")


_GROUP_KIND: dict[str, str] = {}
# The noun forms ("the blackout ends"; "took Fable 5 offline ended" is another verb's).
_NOUNS = frozenset(
    form for _, nouns in KINDS.values() for noun in nouns for form in (noun, noun + "s")
)
# "stay" the court order, never "stay" = remain: only with a determiner or as a motion.
_STAY = re.compile(
    r"(?:(?:(?<![\w])(?:a|an|the|its|emergency|administrative|705)|'s)\s(?:\w+\s)?stay"
    r"|(?<![\w])stay\s(?:request|motion|bid|application|of\s(?:the|its)|pending)"
    r"|(?<![\w])stays?\s(?:the|its)\s(?:label|designation|order|determination|ruling"
    r"|injunction))(?![\w])"
)
_NEGATORS = re.compile(
    r"(?:\b(?:not|no|never|without|nor|neither|rather than|instead of|yet to|cannot)\b"
    r"|n't\b|\b(?:refus|declin|fail|reject)(?:e|es|ed|ing|s)?\s(?:\w+\s){0,3}to\b"
    r"|\blos(?:es|t|ing)\s(?:\w+\s){0,2}(?:bid|fight|effort|attempt|request|motion)\sto\b)"
)
_NO_LONGER = re.compile(r"\bno longer\b|\bnot anymore\b")
_SPECULATION = re.compile(
    r"\b(?:could|may(?! \d)|might|would|should|will|shall|if|whether|unless|near|nears|close to"
    r"|expected to|likely to|set to|poised to|plans? to|planning to|on track to|as soon as"
    r"|aims? to|wants? to|seeks? to|hop(?:e|es|ed|ing) (?:to|for)|to avoid"
    r"|looks? forward to|looking forward to"
    r"|(?:ask|urge|push|press|call|lobby|petition)(?:s|es|ed|ing)? (?:\w+ ){0,3}(?:to|for)"
    r"|demand(?:s|ed|ing)?|calls? on|called on|seek(?:s|ing)?|sought"
    r"|(?:try|tries|tried|trying|work(?:s|ed|ing)?|efforts?|bid|struggl\w*|scrambl\w*) to"
    r"|deal to|talks to|forecast|odds|chance|expects?|predicts?|moves? to|moved to|ready to"
    r"|readies|vows? to|vowed to|threat(?:en)?s? to|threatened to|warns? (?:\w+ )?(?:it )?"
    r"(?:could|would|will)|weighs?|weighing|considers?|considering|mulls?|mulling|eyes"
    r"|possible|possibly|potential|potentially|risk of|fear|fears|what if)\b"
)
# "weighs blacklisting", "considering a ban": weighing threatens the act that follows.
_WEIGHING = re.compile(r"(?:weigh|consider|mull|warn)(?:s|ed|ing)?")
_THREATENED = {"stop", "designate", "sue"}
_DETERMINER = re.compile(r"(?:\b(?:a|an|the|its|their|his|her|this|that|these|those)|'s?) $")
# Modality reaches back through the clause, but not across a contrast ("… will
# likely suffer harm but denied a stay"), and forward only a few words ("return
# near", "returns if …").
_CONTRAST = re.compile(r"\b(?:but|while|whereas|although|though|yet|however)\b")
_AFTER = re.compile(
    r"\s(?:\S+\s){0,4}?(?:if|unless|whether|near|nears|soon|could|may|might|would|pending"
    r"|expected|likely|as soon as|possible|potential"
    # "una multa potenziale", "une amende éventuelle", "eine mögliche Strafe"
    r"|potenziale|potenziali|possibile|eventuale|potencial|posible|eventual|potentielle"
    r"|potentiel|éventuelle|éventuel|mögliche|möglichen|drohende)\b"
)
# The same in other languages; Chinese and Japanese need no word boundaries.
_SPECULATION_ABROAD = re.compile(
    r"(?<![\w])(?:pourrait|pourraient|podría|podrían|potrebbe|potrebbero|könnte|könnten"
    r"|menace de|amenaza con|minaccia di|droht)(?![\w])"
    r"|可能|威脅|威胁|考慮|考虑|或將|或将|將會|将会|擬|拟|検討|方針|予定"
)
_AFTER_UNSPACED = re.compile(
    r".{0,3}?(?:するよう|する方針|する予定|を検討|の可能性|へ$|へ[\s:：、]|的可能)"
)
# "to restore access" states a purpose, unless something made it happen.
_INFINITIVE = re.compile(r"\bto $")
_MADE_TO = re.compile(
    r"\b(?:ordered|orders|forced|forces|forcing|required|requires|compelled|told|made|makes"
    r"|agreed|voted|decided|directed|obliged|instructed)\s(?:\S+\s){0,5}?to $"
)
_DENIES_A_STATEMENT = re.compile(
    r"(?:\s(?:that|claims?|reports?|allegations?)\b|(?:\s\S+){1,3}\s(?:was|were|is|are|had|has)\b)"
)
# A restriction as the direct object: up to six words, no preposition in between.
_ON_A_RESTRICTION = re.compile(
    r"(?:\s(?!(?:under|after|by|from|with|for|in|on|to|amid|over|following|because|as|at|of"
    r"|and then|while|but)\b)\S+){0,6}?\s(?:export\s)?(?:restrictions?|limits?|limitations?"
    r"|controls?|curbs?|bans?|sanctions?|blackout|freeze|suspension|prohibition|embargo"
    r"|moratorium)\b"
)
_WARNING = re.compile(r"warn(?:s|ed|ing)?")
_SAYS_THAT = re.compile(r"\s(?:\w+\s)?that\b")
_OWN_STAFF = re.compile(
    r"\s(?:(?:its|their|the)\s)?(?:own\s)?(?:staff|employees|workers|engineers|developers)\b"
)
_INTERNAL = re.compile(
    r"\binternal(?:ly)?\b|\b(?:its|their) own (?:staff|employees|engineers|workers|developers)\b"
    r"|\bemployees'"
)
# "suspends the fine": a court acting on a penalty, not on the thing itself.
_ON_A_PENALTY = re.compile(
    r"(?:\s\S+){0,5}?\s(?:fines?|penalty|penalties|multa|sanzione|sanción|amende|bußgeld"
    # the regulator's decision itself ("sospensione del provvedimento"), not the service
    r"|provvedimento|provvedimenti|bescheid)\b"
)
_AGAIN = re.compile(r"(?:\s\S+){0,4}?\sagain\b")
_ENDS = re.compile(
    r"'?(?:\s\S+){0,3}?\s(?:ends|ended|is over|was over|was lifted|is lifted|expires|expired)\b"
)
_NEGATION_REACH = 4  # words before the event a negator may govern


@dataclass(frozen=True, slots=True)
class Event:
    """An event of ``kind`` found at ``[start, end)`` of the normalised text."""

    kind: str
    start: int
    end: int
    text: str
    polarity: Polarity = "affirmed"
    modality: Modality = "actual"

    @property
    def cls(self) -> str:
        return _CLASS_OF.get(self.kind, self.kind)


def canonical_kind(name: str) -> str:
    """A kind or class name as a storyline writes it ("cut off", "Side-with")."""
    key = " ".join(name.lower().replace("_", " ").replace("-", " ").split())
    return ALIASES.get(key, key.replace(" ", "_"))


def is_known(name: str) -> bool:
    name = canonical_kind(name)
    return name in KINDS or name in CLASSES


def expand(name: str) -> frozenset[str]:
    """The kinds a storyline's event name stands for (a class stands for its kinds)."""
    name = canonical_kind(name)
    return frozenset(CLASSES.get(name, (name,)))


def kinds_in(text: str) -> frozenset[str]:
    """Every kind mentioned in ``text`` (normalised), whatever its context."""
    return frozenset(e.kind for e in _raw_events(text))


def class_of(kind: str) -> str:
    return _CLASS_OF.get(kind, kind)


# Classes whose kinds mean the same state change whichever verb is used; for
# the others ("court": deny, uphold, appeal …) the kind itself is the meaning.
_BROAD = {"stop", "resume", "designate", "warn", "launch"}


def inferred_from(kind: str) -> str:
    """The event name a value named after ``kind`` stands for ("blocked" -> the
    whole ``stop`` class; "appealed" -> just ``appeal``)."""
    cls = class_of(kind)
    return cls if cls in _BROAD else kind


@lru_cache(maxsize=1)
def _foreign_regex() -> re.Pattern[str]:
    groups = []
    for i, (kind, forms) in enumerate(FOREIGN.items()):
        alternatives = []
        for form in sorted(forms, key=len, reverse=True):
            body = r"\s".join(re.escape(w) for w in form.split(" "))
            # Words of spaced scripts need boundaries; CJK forms match inside text.
            alternatives.append(body if _cjk(form) else rf"(?<![\w]){body}(?![\w])")
        _FOREIGN_KIND[f"f{i}"] = kind
        groups.append(f"(?P<f{i}>" + "|".join(alternatives) + ")")
    return re.compile("|".join(groups))


_FOREIGN_KIND: dict[str, str] = {}


def _cjk(text: str) -> bool:
    return any(unspaced(c) for c in text)


def unspaced(char: str) -> bool:
    """Whether ``char`` belongs to a script written without spaces between words
    (kana, CJK ideographs, Hangul syllables), where word boundaries mean nothing."""
    return bool(char) and (
        "\u3040" <= char <= "\u30ff" or "\u4e00" <= char <= "\u9fff" or "\uac00" <= char <= "\ud7af"
    )


def _raw_events(text: str) -> list[Event]:
    found: list[Event] = []
    regex = _kind_regex()
    for m in _foreign_regex().finditer(text):
        if m.lastgroup is not None:
            found.append(Event(_FOREIGN_KIND[m.lastgroup], m.start(), m.end(), m.group()))
    for m in regex.finditer(text):
        group = m.lastgroup
        if group is None:
            continue
        found.append(Event(_GROUP_KIND[group], m.start(), m.end(), m.group()))
    for m in _STAY.finditer(text):
        if not any(e.start <= m.start() < e.end for e in found):
            found.append(Event("stay", m.start(), m.end(), m.group()))
    return sorted(found, key=lambda e: e.start)


def _speculative_before(text: str, event: Event, context: str, *, refused: bool = False) -> bool:
    before = text[: event.start]
    contrasts = list(_CONTRAST.finditer(before))
    if contrasts:
        before, context = before[contrasts[-1].end() :], ""
    if _SPECULATION.search(f"{context} {before}") or _SPECULATION_ABROAD.search(before):
        return True
    # "refused to halt": the refusal happened, so the infinitive is no plan.
    return bool(_INFINITIVE.search(before)) and not refused and not _MADE_TO.search(before)


def _modality(text: str, event: Event, context: str, *, refused: bool = False) -> Modality:
    if (
        _speculative_before(text, event, context, refused=refused)
        or _AFTER.match(text, event.end)
        or _AFTER_UNSPACED.match(text, event.end)
    ):
        return "possible"
    return "actual"


def speculative(text: str, start: int, end: int, context: str = "") -> bool:
    """Whether a phrase at ``[start, end)`` of ``text`` is only threatened, planned
    or hypothetical (the same test as an event's ``possible`` modality)."""
    return _modality(text, Event("", start, end, text[start:end]), context) == "possible"


@lru_cache(maxsize=8192)
def find_events(text: str, context: str = "") -> tuple[Event, ...]:
    """The events of ``text`` (one clause, normalised), with their polarity and
    modality. ``context`` is what came earlier in the same sentence: speculation
    there ("Pattern to expect: …") reaches into this clause."""
    out: list[Event] = []
    raw = _raw_events(text)
    for index, event in enumerate(raw):
        if _WEIGHING.fullmatch(event.text) and not any(
            0 <= later.start - event.end <= 40 and class_of(later.kind) in _THREATENED
            for later in raw[index + 1 :]
        ):
            continue  # a court "weighed whether …": weighing is a threat only of an act
        if _DETERMINER.search(text, 0, event.start) and (
            event.text.endswith("ed")
            or (event.text.endswith("ing") and class_of(event.kind) == "designate")
        ):
            continue  # "an authorised exercise", "its blacklisting": a mention, no act
        if event.kind == "deny" and _DENIES_A_STATEMENT.match(text, event.end):
            continue  # "denied the designation was payback" denies an allegation
        if _WARNING.fullmatch(event.text) and _SAYS_THAT.match(text, event.end):
            continue  # "it warns that the source is unverified" is a statement
        if class_of(event.kind) == "stop" and (
            _OWN_STAFF.match(text, event.end)
            or _INTERNAL.search(text)
            or _ON_A_PENALTY.match(text, event.end)
        ):
            continue  # "Microsoft bars staff from Fable 5": a customer's own policy
        if class_of(event.kind) == "launch" and _AGAIN.match(text, event.end):
            # "available in Italy again", "reachable again"
            raw.append(Event("restore", event.start, event.end, event.text))
            continue
        if class_of(event.kind) == "stop" and event.text in _NOUNS and _ENDS.match(text, event.end):
            # "the blackout ends", "the suspension was lifted"
            raw.append(Event("lift", event.start, event.end, event.text))
            continue
        if class_of(event.kind) == "stop" and _ON_A_RESTRICTION.match(text, event.end):
            # "rescinds the export limits", "removed the restrictions": stopping a
            # restriction lifts it (the stop itself is kept for "judge halts the ban").
            raw.append(Event("lift", event.start, event.end, event.text))
        window = " ".join(text[: event.start].split(" ")[-_NEGATION_REACH - 1 :])
        kind = event.kind
        polarity: Polarity = "affirmed"
        if _NO_LONGER.search(window):
            reversed_kind = _REVERSAL.get(class_of(kind))
            if reversed_kind is None:
                polarity = "negated"
            else:
                kind = reversed_kind
        elif _NEGATORS.search(window):
            polarity = "negated"
        modality = _modality(text, event, context, refused=polarity == "negated")
        if (
            kind == "threaten"
            and modality == "possible"
            and not _speculative_before(text, event, context)
        ):
            # "Hegseth weighs blacklisting": the weighing is what happened.
            modality = "actual"
        out.append(
            Event(kind, event.start, event.end, event.text, polarity=polarity, modality=modality)
        )
    return tuple(out)
