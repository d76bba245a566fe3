"""Fact claims from news items, and the resolved state of each fact.

Pure. The pipeline uses it like this, for every matched (entry, storyline)::

    claims = extract_claims(storyline, entry)          # 0..1 claim per fact
    for claim in claims:
        known = stored_claims[(storyline.id, claim.fact)] + [claim]
        before = stored_view                               # or resolve(spec, old claims)
        after = resolve(storyline.fact(claim.fact), known, storyline=storyline)
        if (before.value, before.disputed) != (after.value, after.disputed):
            emit FactChange(..., cause=claim)

Seeded history
becomes claims through :func:`seeded_claims` and takes part like any other.

**Extraction** reads only the headline and the lede (the first two sentences of
the summary), split into clauses. A cue phrase of a fact value is a claim that
the value is current, unless its clause reads as background or speculation:

* *recap*: a marker such as "after", "since", "earlier", "had been", "last
  month's", "began", "when", "following", or a date more than a week older
  than the item, appears in the clause (markers: before the cue); or a sentence-level marker
  ("Recap", "Retrospective", "Year in review") appeared earlier in the text;
* *speculation*: the clause has "could", "may", "would", "if", "near", "close
  to", "expected to", … anywhere outside the cue itself (so the threatened
  value's own cues such as "could blacklist" still count);
* *negation*: "not", "no", "without", "never" within three words before the cue.

Cue phrases match whole words, case-insensitively; ``*`` in a cue stands for
up to four words. Values are listed in the order a storyline moves through
them: when the text asserts several, the one furthest along wins (news recaps
the past far more than it anticipates the future), except that within one
clause a qualified value ``partially-X`` beats plain ``X``. Integer and text
facts capture their value with the fact's ``patterns`` (named group
``value``) or take a listed value whose cue hits; only negation and
sentence-level recap markers apply to them (durations are stated with
"after", as in "after an 18-day pause").

**Resolution** (:func:`resolve`) replays all claims of a fact in publication
order (never arrival order). The first claim sets the value. After that, a
different value becomes current when it is corroborated: asserted by an
authoritative source (the storyline's ``authoritative_sources``, or the
storyline file's seeded history) or by at least two independent outlets whose
latest word on the fact it is, all published after the current value was
established and within :data:`CORROBORATION_WINDOW`. Moving *back* to an
earlier value of an enum needs three outlets (or an authoritative one), because
recaps are the usual reason a stale value reappears. A value that only a single
outlet currently asserts leaves the value as it was and marks the fact
``disputed``, with ``contenders`` holding the latest claim for each value in
play, as long as that claim is within :data:`DISPUTE_WINDOW` of the newest
claim and newer than the establishment of the current value.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import lru_cache
from urllib.parse import urlsplit

from bot.core import amounts, patterns
from bot.core import events as ev
from bot.core.models import (
    Claim,
    Entry,
    FactKey,
    FactSpec,
    FactValueSpec,
    FactView,
    MatchRules,
    Storyline,
)
from bot.core.text import fold

CORROBORATION_WINDOW = timedelta(days=14)
DISPUTE_WINDOW = timedelta(days=14)
STALE_DATE = timedelta(days=7)
LEDE_SENTENCES = 2

# --- text handling -----------------------------------------------------------------------

_ABBREVIATIONS = re.compile(
    r"(?:\b(?:[A-Z]|[ap]\.m|U\.S|D\.C|Mr|Mrs|Ms|Dr|Sen|Rep|Gen|Gov|St|Jr|Inc|Corp|Co|No|vs"
    r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec))\.$"
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'‘“(\[]?[A-Z0-9•])|\s*•\s*")
_CLAUSE_SPLIT = re.compile(r"\s*(?:[;:,]|\s[—–]\s|\s-\s|\(|\))\s*")
_SPACES = re.compile(r"\s+")
_TAGS = re.compile(r"<[^>]+>")

_RECAP_BEFORE = re.compile(
    r"\b(?:after|since|earlier|previously|formerly|had|last (?:week|month|weekend|year)'s"
    r"|began|begun|when|following|followed|before|until|between|citing|born out of"
    r"|back in|ago|recalls?|retells?|retraces?|remember|from|ricorda|ricordando|rappelle"
    r"|recuerda"
    # "dopo il blocco", "depuis le blocage", "tras el bloqueo", "seit der Sperre"; not
    # "dal", which is also "by" ("Dal Garante stop a ChatGPT")
    r"|dopo|depuis|après|desde|después|tras|seit)\b"
)
# "Dal blocco di ChatGPT all'indagine …": "from the block" right before the event
# tells a story from its start; "Dal Garante stop a ChatGPT" ("by") does not.
_FROM_THE_EVENT = re.compile(r"\b(?:dal|dalla|dallo|dai|dalle) $")
_SECTION_RECAP = re.compile(
    r"\b(?:recap|retrospective|year in review|in review|looking back|in hindsight|background"
    r"|year end|timeline|case study)\b|^\d{4} in \w+"
)
_NEGATION = re.compile(r"\b(?:not|no|without|never|isn't|wasn't|aren't|won't|didn't|nor)\b")
# A penalty's ceiling or its threat, in the languages a European dispute is covered
# in: "faces fines of up to €20 million", "pena una multa fino a 20 milioni",
# "sous peine d'une amende pouvant atteindre", "multas de hasta", "bis zu".
_AT_MOST = re.compile(
    r"(?:\b(?:up to|as much as|as high as|a maximum of|maximum|at most|no more than|capped at"
    r"|on pain of|under penalty of|or face|or risk|risks?|risking|arrisca|arriesga|riskiert|risque"
    r"|fino a|fino al|pena|rischia|rischiano|hasta|so pena|jusqu a|jusqu'a|pouvant atteindre"
    r"|sous peine|bis zu|até|jusqu['’ ]?[aà])(?!\w)|最高|最多|高达|高達|最大)"
)
# What was avoided did not happen: "OpenAI avoided a fine", "ha evitato una multa".
_AVOIDED = re.compile(
    r"\b(?:avoid(?:s|ed|ing)?|escap(?:e|es|ed|ing)|evit(?:ato|ata|ati|a|are|ó|ar|é|ée|er)"
    r"|vermied(?:en)?|vermeidet)\b"
)


# Function words that say which language a clause is written in.
def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_FUNCTION_WORDS = {
    "en": _words("the of and to in is for on with by from that its has was are"),
    "it": _words("il lo la gli di del della dei che per con non una un è ha nel alla sul"),
    "es": _words("el los las del que por para con una y es su al se en lo"),
    "fr": _words("le les des du que pour avec une est et sur au aux dans ce qui"),
    "de": _words("der die das und ist mit für von dem den ein eine nicht auf zu im"),
    "pt": _words("o os as do da dos das que para com uma é em no na pelo"),
}
# English words a storyline may use as cues that are other, common words in the
# languages coverage abroad is written in: "con fines de" (es: for the purpose of),
# "alla fine" (it: in the end), "die Probe" (de: the test). In a clause written in that
# language they are not the cue.
_FALSE_FRIENDS = {
    "it": frozenset({"fine", "data", "case", "sale", "pace", "come", "burro"}),
    "es": frozenset({"fines", "once", "sin", "sale", "red", "embarazada"}),
    "fr": frozenset({"fine", "sale", "pain", "main", "but", "coin", "lecture"}),
    "de": frozenset({"probe", "also", "art", "bad", "gift", "rat", "kind", "fast"}),
    "pt": frozenset({"data", "pasta", "puxar"}),
}


def _language(text: str) -> str | None:
    """The language of a clause by its function words (None: too short to tell)."""
    words = text.split(" ")
    counts = {lang: sum(w in fw for w in words) for lang, fw in _FUNCTION_WORDS.items()}
    lang = max(counts, key=lambda k: counts[k])
    return lang if counts[lang] >= 2 and counts[lang] > counts["en"] else None


_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ]
    )
    for m in names
}
_DATE = re.compile(
    r"\b(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.? (\d{1,2})(?:st|nd|rd|th)?\b"
    r"|\b(\d{1,2}) (" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\b"
)
_YEAR = re.compile(r"(?<![\w.,€$])(?:19|20)\d\d(?![\w.,%])")
_IN_MONTH = re.compile(
    r"\b(?:in|since|from|during|of|back in|earlier in) (january|february|march|april|june|july"
    r"|august|september|october|november|december)\b"
)
_ATTRIBUTION = (
    re.compile(
        r"\b(?:according to|per|quoting|as reported by)\s+(?P<who>(?:the\s+)?[A-Z][\w.&'-]*"
        r"(?:\s+(?:[A-Z][\w.&'-]*|of|for|and))*)"
    ),
    re.compile(
        r"(?P<who>(?:the\s+)?[A-Z][\w.&'-]*(?:\s+(?:[A-Z][\w.&'-]*|of|for))*"
        r"(?:\s+(?:officials?|spokes(?:person|man|woman)|lawyers?|attorneys?|executives?))?)\s+"
        r"(?:says|said|confirms|confirmed|reports|reported|announced|announces|told|adds|writes"
        r"|insists|insisted|maintains|maintained|argues|argued|contends|vows|vowed)\b"
    ),
)
_NOT_WHO = {"The", "It", "This", "That", "He", "She", "They", "We", "I", "A", "An", "Sources"}
_NUMBER_WORDS = {
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    "ten": "10",
    "twelve": "12",
    "eighteen": "18",
    "ninety": "90",
}


@dataclass(frozen=True, slots=True)
class _Clause:
    text: str  # normalised (lower case, folded)
    sentence: str  # the original sentence, for evidence and attribution
    background: bool  # a sentence-level recap marker came earlier
    before: str  # the normalised sentence up to this clause


def lede_text(entry: Entry) -> list[str]:
    """The headline and the first :data:`LEDE_SENTENCES` sentences of the summary."""
    sentences = [entry.title.strip()] if entry.title.strip() else []
    summary = _SPACES.sub(" ", _TAGS.sub(" ", entry.summary)).strip()
    sentences.extend(_sentences(summary)[:LEDE_SENTENCES])
    return sentences


def _sentences(text: str) -> list[str]:
    out: list[str] = []
    buffer = ""
    pos = 0
    for m in _SENTENCE_END.finditer(text):
        piece = text[pos : m.start()]
        pos = m.end()
        buffer = f"{buffer} {piece}".strip() if buffer else piece.strip()
        if _ABBREVIATIONS.search(buffer):
            continue
        if buffer:
            out.append(buffer)
        buffer = ""
    rest = text[pos:].strip()
    if rest or buffer:
        out.append(f"{buffer} {rest}".strip())
    return [s for s in out if s]


def _normalise(text: str) -> str:
    # Dashes are kept: clauses are split at spaced dashes after this.
    return fold(text, keep_dashes=True)


def _clauses(sentences: Sequence[str]) -> list[_Clause]:
    clauses: list[_Clause] = []
    background = False
    for sentence in sentences:
        norm = _normalise(sentence)
        seen: list[str] = []
        for part in _CLAUSE_SPLIT.split(norm):
            part = part.strip(" .!?\"'")
            if not part:
                continue
            clauses.append(_Clause(part, sentence, background, " ".join(seen)))
            seen.append(part)
            if _SECTION_RECAP.search(part):
                background = True
    return clauses


@lru_cache(maxsize=4096)
def _cue_regex(cue: str) -> re.Pattern[str]:
    words = [w for w in _normalise(cue).split(" ") if w]
    parts = [r"(?:\S+ ){0,4}" if w == "*" else re.escape(w) + " " for w in words]
    body = "".join(parts).rstrip(" ")
    if body.endswith(r"(?:\S+ ){0,4}"):
        body = body[: -len(r"(?:\S+ ){0,4}")].rstrip(" ")
    # Word boundaries only where the cue itself starts/ends with a word character,
    # so a cue like "'s injunction" can follow a name; none for scripts written
    # without spaces ("供應鏈風險" inside a Chinese sentence).
    head = r"(?<![\w])" if body[:1].isalnum() and not ev.unspaced(body[:1]) else ""
    tail = r"(?![\w])" if not ev.unspaced(body[-1:]) else ""
    return re.compile(head + body + tail)


# A date that says when something began ("the proceedings opened on 31 March 2023",
# "il procedimento avviato il 31 marzo 2023") dates that start, not the clause's news.
_STARTED_ON = re.compile(
    r"\b(?:opened|started|begun|launched|initiated|filed|avviat[oa]|iniziat[oa]|apert[oa]"
    r"|aperta|ouverte?|lancée?|iniciad[oa]|abiert[oa]|eingeleitet|begonnen)"
    r"(?: (?:on|in|il|l'|el|le|am|im|em|a|en|since|dal|dallo|del))?(?: the)? $"
)


def _dates_a_start(clause: str, start: int) -> bool:
    return bool(_STARTED_ON.search(clause, max(0, start - 40), start))


def _after_a_started_date(clause: str, start: int) -> bool:
    # "avviato il 31 marzo 2023": the year closes a date that dates a start.
    day = re.search(r"(?:^| )(\d{1,2} \w+|\w+ \d{1,2}) $", clause[max(0, start - 20) : start])
    return day is not None and _dates_a_start(clause, start - len(day.group().lstrip()))


def _stale_date(clause: str, before: int, published: datetime) -> bool:
    for m in _DATE.finditer(clause, 0, before):
        if _dates_a_start(clause, m.start()):
            continue
        month_name, day = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
        try:
            when = published.replace(month=_MONTHS[month_name], day=int(day))
        except ValueError:
            continue
        if when > published + timedelta(days=31):
            when = when.replace(year=when.year - 1)
        if published - when > STALE_DATE:
            return True
    for m in _YEAR.finditer(clause, 0, before):
        if _dates_a_start(clause, m.start()) or _after_a_started_date(clause, m.start()):
            continue
        if int(m.group()) < published.year:
            return True  # "the March 2023 block", told in 2025
    for m in _IN_MONTH.finditer(clause, 0, before):
        month = _MONTHS[m.group(1)]
        year = published.year - (1 if month > published.month else 0)
        # "in March", said in May: the whole month lies more than a week back.
        end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=published.tzinfo)
        if published - end > STALE_DATE:
            return True
    return False


def _current(clause: _Clause, start: int, end: int, published: datetime, *, enum: bool) -> bool:
    """Whether a cue found at [start, end) of the clause asserts the current state."""
    text = clause.text
    if clause.background:
        return False
    window = " ".join(text[:start].split(" ")[-4:])
    if _NEGATION.search(window) or _AVOIDED.search(window):
        return False
    # "pena una multa", "fines of up to 4% of turnover or €20 million": a threat or
    # a ceiling. A captured amount hears it across its clause, a cue only nearby.
    if _AT_MOST.search(text[:start] if not enum else " ".join(text[:start].split(" ")[-5:])):
        return False
    if not enum:
        return True
    if _RECAP_BEFORE.search(text, 0, start) or _stale_clause(text, published):
        return False
    if _FROM_THE_EVENT.search(text, 0, start):
        return False
    # Speculation reaches forward through the sentence ("Pattern to expect: …,
    # conditional restart") but back only a few words ("return near").
    return not ev.speculative(text, start, end, clause.before)


def _attribution(sentence: str, lede: Sequence[str]) -> str | None:
    """Who the text says makes the claim: the evidence sentence first, then the
    rest of the headline and lede."""
    for text in (sentence, *lede):
        for pattern in _ATTRIBUTION:
            for m in pattern.finditer(text):
                who = m.group("who").strip()
                who = re.sub(r"^(?:the)\s+", "the ", who, flags=re.IGNORECASE)
                if who.split(" ")[0] in _NOT_WHO and len(who.split(" ")) == 1:
                    continue
                return who.rstrip(".,")
    return None


# --- extraction ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Found:
    value: str
    rank: int
    clause: int
    evidence: str
    stance: bool = False


@dataclass(frozen=True, slots=True)
class ItemFacts:
    """What one item says about a storyline's facts: ``claims`` of the current
    state, and ``positions``: a party's own stance ("the designation stands",
    "Hegseth stands by the determination"), kept with who said it but never a
    change of state by itself."""

    claims: tuple[Claim, ...]
    positions: tuple[Claim, ...]


# A party's stance, not a report of an act: "insists", "stands by", "vows".
_STANCE = re.compile(
    r"\b(?:insist(?:s|ed|ing)?|maintain(?:s|ed|ing)? (?:that|it)|stands? by|stood by"
    r"|argues?|argued|arguing|contends?|contended|vows?|vowed|pledges?|pledged|reaffirm(?:s|ed)?"
    r"|(?:designation|label|determination|order|ban|decision) (?:still )?stands"
    r"|says? (?:it|the \w+) (?:is|remains) (?:still )?in (?:force|effect|place))\b"
)
# Restrictive qualifiers: the act reaches only part of what the fact is about.
_QUALIFIER = re.compile(
    r"\b(?:only|limited|partial|partially|select|selected|vetted|approved|trusted|certain"
    r"|handful|subset|pilot|whitelist(?:ed)?|allowlist(?:ed)?|except|but not"
    r"|one of (?:the |its )?(?:two|three|four|\d+)"
    r"|(?:about|roughly|around|nearly|some|up to|fewer than|under) \d+"
    r"|for \d+|\d+ (?:organi[sz]ations|companies|firms|agencies|customers|partners|groups)"
    r"|partly|in part|(?:for|to) (?:(?:us|u s|american|domestic|government|federal|enterprise"
    r"|critical infrastructure|security|cyber|defen[cs]e|named|listed|specific|some)\s){1,3}"
    r"(?:customers|users|organi[sz]ations|companies|firms|agencies|entities|operators"
    r"|defenders|partners|members|researchers|clients|institutions)"
    r"|(?:domestic|us|u s|american) (?:customers|users|organi[sz]ations|companies) only"
    # "for Glasswing partners", "to enterprise customers": a named group, not everyone
    r"|(?:for|to) (?!(?:its|their|our|his|her|all|every|any|the|other)\b)(?:\S+\s){1,3}"
    r"(?:partners|members|customers|users|organi[sz]ations|companies|firms|agencies|operators"
    r"|defenders|researchers|clients|institutions|entities|testers))\b"
)
# ... unless the clause says the act reaches everyone.
_UNRESTRICTED = re.compile(
    r"\b(?:globally|worldwide|for (?:all|everyone|every)|all (?:customers|users)|fully"
    r"|in full|everywhere)\b"
)


def extract_claims(storyline: Storyline, entry: Entry) -> list[Claim]:
    """What the entry's headline and lede assert as the *current* value of each of
    the storyline's facts: at most one claim per fact, with ``evidence`` (the
    sentence) and ``attribution`` (who the text says claims it) when stated.
    The caller decides the entry belongs to the storyline (see ``Matcher``);
    a party's stance is left out (see :func:`read_item`)."""
    return list(read_item(storyline, entry).claims)


def read_item(storyline: Storyline, entry: Entry) -> ItemFacts:
    """The entry's claims and positions for each of the storyline's facts."""
    sentences = lede_text(entry)
    clauses = _clauses(sentences)
    claims: list[Claim] = []
    positions: list[Claim] = []
    others = _others(storyline)
    if others is not None:
        own = _own(storyline)
        title = _normalise(entry.title)
        if others.search(title) and not (own and own.search(title)):
            # "DeepSeek bloccato dal Garante: … Aperta un'istruttoria": the whole item
            # is the sibling's story, its later clauses included.
            return ItemFacts((), ())
        clauses = [c for c in clauses if not others.search(c.text) or (own and own.search(c.text))]
    for spec in storyline.facts:
        found = _extract(spec, clauses, entry.published, _storyline_names(storyline))
        if found is None:
            continue
        claim = Claim(
            storyline=storyline.id,
            fact=spec.id,
            value=found.value,
            published=entry.published,
            source=entry.source,
            item_key=entry.key,
            url=entry.url,
            attribution=_attribution(found.evidence, sentences),
            evidence=found.evidence,
        )
        (positions if found.stance else claims).append(claim)
    return ItemFacts(tuple(claims), tuple(positions))


_OTHERS: dict[str, tuple[MatchRules, re.Pattern[str] | None, re.Pattern[str] | None]] = {}


def _names_regex(phrases: Sequence[str]) -> re.Pattern[str] | None:
    patterns = [_cue_regex(p).pattern for p in phrases if _normalise(p).strip()]
    return re.compile("|".join(f"(?:{p})" for p in patterns)) if patterns else None


def _others_and_own(storyline: Storyline) -> tuple[re.Pattern[str] | None, re.Pattern[str] | None]:
    cached = _OTHERS.get(storyline.id)
    if cached is not None and cached[0] is storyline.match:
        return cached[1], cached[2]
    rules = storyline.match
    others = _names_regex(
        [p for g in rules.exclude for p in g.phrases]
        + [p for s in rules.siblings for p in s.phrases]
    )
    own = _names_regex([p for g in rules.subjects for p in g.phrases])
    _OTHERS[storyline.id] = (rules, others, own)
    return others, own


def _others(storyline: Storyline) -> re.Pattern[str] | None:
    """A clause naming a sibling story or an excluded name ("DeepSeek blocked in
    Italy by the Garante", "Germany weighs a ban") is about that other story, unless
    it names this storyline's own subject too: it claims nothing here."""
    return _others_and_own(storyline)[0]


def _own(storyline: Storyline) -> re.Pattern[str] | None:
    return _others_and_own(storyline)[1]


@dataclass(frozen=True, slots=True)
class _EventRule:
    kinds: frozenset[str]
    polarity: ev.Polarity
    modality: ev.Modality


@lru_cache(maxsize=1024)
def _rules(value: FactValueSpec) -> tuple[_EventRule, ...]:
    """The value's event rules: its ``events``, else inferred from its name."""
    if value.events is not None:
        names = value.events
    else:
        # A value named like an event ("blocked", "suspended") stands for that
        # event's class (files written before ``events`` existed still learn the
        # vocabulary); "partially-restored" gets its events as a partial.
        name = _normalise(value.value)
        if name.startswith(("partially ", "partial ")):
            return ()
        names = tuple(sorted({ev.inferred_from(k) for k in ev.kinds_in(name)}))
    rules = []
    for raw in names:
        words = _normalise(raw).split(" ")
        polarity: ev.Polarity = "affirmed"
        modality: ev.Modality = "actual"
        if words[0] == "not":
            polarity, words = "negated", words[1:]
        elif words[0] == "may":
            modality, words = "possible", words[1:]
        rules.append(_EventRule(ev.expand(" ".join(words)), polarity, modality))
    return tuple(rules)


_LAUNCH = ev.expand("launch")
# Use of the thing in the present: before any event, a report that many people use it
# is the launch state ("1,4 milioni di utenti a gennaio", "more popular than Wikipedia").
_IN_USE = re.compile(
    r"\d[\d.,]*\s?(?:million|millions|milioni|millones|millionen|mln|mio|m|k|mila)?\s"
    r"(?:of\s|di\s|de\s|d'\s?)?(?:(?:weekly|monthly|daily|active|unique|unici|uniques)\s)*"
    r"(?:users|utenti|usuarios|utilisateurs|utilizadores|nutzer|visitors|visitatori|visitantes"
    r"|visiteurs|besucher|subscribers|abbonati|downloads)\b"
    r"|\b(?:popular|popolare|populaire|beliebt|most visited|più visitati|plus visités"
    r"|más visitados|most used|più usato|più utilizzato)\b"
    r"|\d[\d.,]*\s?(?:万|萬|亿|億)?\s?(?:名|位|人)?(?:用户|用戶|ユーザー|利用者)"
)


def first_state(spec: FactSpec) -> str | None:
    """The fact's launch value: its first value when that value's events are a
    launch ("available"); reports that the thing is in use claim it (see _IN_USE)."""
    if spec.kind != "enum" or not spec.values:
        return None
    first = spec.values[0]
    rules = _rules(first)
    launch = [r for r in rules if r.polarity == "affirmed" and r.modality == "actual"]
    if launch and all(r.kinds <= _LAUNCH for r in launch):
        return first.value
    return None


def partial_of(spec: FactSpec, value: FactValueSpec) -> str | None:
    """The value that ``value`` is the restricted form of, if any: its
    ``partial_of``, else ``X`` for a value named ``partially-X``."""
    if value.partial_of:
        return value.partial_of
    m = re.match(r"^partial(?:ly)?[- _](.+)$", value.value)
    if m and any(v.value == m.group(1) for v in spec.values):
        return m.group(1)
    return None


def _subjects(spec: FactSpec, value: FactValueSpec, names: tuple[str, ...] = ()) -> tuple[str, ...]:
    # Values that learn their events from their own name (files without
    # ``events``) need the storyline's own names beside the event instead.
    return value.subject or spec.subject or (names if value.events is None else ())


def _storyline_names(storyline: Storyline) -> tuple[str, ...]:
    """What the storyline is about: its match subjects, else its actors."""
    groups = storyline.match.subjects or storyline.match.actors
    return tuple(p for g in groups for p in g.phrases)


@dataclass(frozen=True, slots=True)
class _ValuePlan:
    """How one value is found: its event rules, the subjects one of which must be
    named beside the event (one pattern for all), and its own cues."""

    value: FactValueSpec
    rules: tuple[_EventRule, ...]
    subjects: re.Pattern[str] | None
    cues: tuple[re.Pattern[str], ...]


# Keyed by identity: hashing a whole frozen FactSpec on every item costs more than
# the matching itself. The spec is kept in the entry, so its id is not reused.
_PLAN_CACHE: dict[int, tuple[FactSpec, tuple[str, ...], tuple[_ValuePlan, ...]]] = {}


def _plans(spec: FactSpec, names: tuple[str, ...]) -> tuple[_ValuePlan, ...]:
    cached = _PLAN_CACHE.get(id(spec))
    if cached is not None and cached[0] is spec and cached[1] == names:
        return cached[2]
    if len(_PLAN_CACHE) > 1024:
        _PLAN_CACHE.clear()
    plans = _make_plans(spec, names)
    _PLAN_CACHE[id(spec)] = (spec, names, plans)
    return plans


def _make_plans(spec: FactSpec, names: tuple[str, ...]) -> tuple[_ValuePlan, ...]:
    return tuple(
        _ValuePlan(
            value,
            _rules(value) if spec.kind == "enum" else (),
            _subjects_regex(_subjects(spec, value, names)),
            tuple(_cue_regex(c) for c in value.cues),
        )
        for value in spec.values
    )


def _subjects_regex(subjects: tuple[str, ...]) -> re.Pattern[str] | None:
    if not subjects:
        return None
    return re.compile("|".join(f"(?:{_subject_regex(s).pattern})" for s in subjects))


def _event_hit(
    plan: _ValuePlan,
    clause: _Clause,
    events: Sequence[ev.Event],
    published: datetime,
) -> bool:
    if not plan.rules or not events or clause.background:
        return False
    if _stale_clause(clause.text, published):
        return False
    spans = [m.span() for m in plan.subjects.finditer(clause.text)] if plan.subjects else []
    for event in events:
        if _RECAP_BEFORE.search(clause.text, 0, event.start) or _FROM_THE_EVENT.search(
            clause.text, 0, event.start
        ):
            continue
        if plan.subjects is not None and not any(_beside(span, event) for span in spans):
            continue  # the subject must be named beside the event, not by it
        for rule in plan.rules:
            if (
                event.kind in rule.kinds
                and event.polarity == rule.polarity
                and event.modality == rule.modality
            ):
                return True
    return False


@lru_cache(maxsize=8192)
def _stale_clause(text: str, published: datetime) -> bool:
    return _stale_date(text, len(text), published)


@lru_cache(maxsize=4096)
def _subject_regex(subject: str) -> re.Pattern[str]:
    # A subject matches its plural too: "designation" in "both designations".
    base = _cue_regex(subject).pattern
    if base.endswith(r"(?![\w])") and subject[-1:].isalnum():
        base = base[: -len(r"(?![\w])")] + r"s?(?![\w])"
    return re.compile(base)


def _beside(span: tuple[int, int], event: ev.Event) -> bool:
    """The subject at ``span`` is named beside the event: outside it, or inside a
    split phrasal verb ("shut Widget 5 down"), never by the event's own words."""
    start, end = span
    return end <= event.start or start >= event.end or (start > event.start and end < event.end)


def _qualified(spec: FactSpec, clause: _Clause) -> bool:
    text = clause.text
    if _UNRESTRICTED.search(text):
        return False
    if _QUALIFIER.search(text):
        return True
    return any(_cue_regex(q).search(text) for q in spec.qualifiers)


def _extract(
    spec: FactSpec,
    clauses: Sequence[_Clause],
    published: datetime,
    names: tuple[str, ...] = (),
) -> _Found | None:
    enum = spec.kind == "enum"
    partials = {p: v.value for v in spec.values if (p := partial_of(spec, v))}
    rank_of = {v.value: i for i, v in enumerate(spec.values)}
    found: list[_Found] = []
    for index, clause in enumerate(clauses):
        events = ev.find_events(clause.text, clause.before) if enum else ()
        stance = bool(_STANCE.search(clause.text))
        here: list[_Found] = []
        for plan in _plans(spec, names):
            hit = _event_hit(plan, clause, events, published)
            if not hit:
                for cue in plan.cues:
                    m = cue.search(clause.text)
                    if m and m.group() in _FALSE_FRIENDS.get(_language(clause.text) or "", ()):
                        continue  # "con fines de entrenamiento" is no fine
                    if m and _current(clause, m.start(), m.end(), published, enum=enum):
                        hit = True
                        break
            if not hit:
                continue
            name = plan.value.value
            if name in partials and _qualified(spec, clause):
                # "access returns for vetted organisations" is a partial restoration
                name = partials[name]
            here.append(_Found(name, rank_of[name], index, clause.sentence, stance))
        if not enum:
            for pattern in spec.patterns:
                pm = patterns.search(pattern, clause.text)  # may raise PatternTimeout
                if pm and _current(clause, pm.start(), pm.end(), published, enum=False):
                    captured = _canonical(spec, pm.group("value"))
                    if captured:
                        here.append(_Found(captured, len(spec.values), index, clause.sentence))
                    break
        values = {f.value for f in here}
        # "Mythos 5 returns for members only": the qualified value wins in its clause.
        here = [
            f
            for f in here
            if not any(v != f.value and partials.get(f.value) == v for v in values)
            and not any(v != f.value and v.endswith("-" + f.value) for v in values)
        ]
        found.extend(here)
    if not found and enum and (first := first_state(spec)) is not None:
        plan = _plans(spec, names)[0]
        if plan.subjects is None or any(plan.subjects.search(c.text) for c in clauses):
            for index, clause in enumerate(clauses):
                m = _IN_USE.search(clause.text)
                if m and _current(clause, m.start(), m.end(), published, enum=True):
                    found.append(_Found(first, 0, index, clause.sentence))
                    break
    if not found:
        return None
    if enum:
        # One act told twice ("Mythos 5 is back … for about 100 organisations"): where
        # any clause qualifies it, the item claims the partial value.
        qualified = {f.value for f in found}
        found = [
            replace(f, value=p, rank=rank_of[p])
            if (p := partials.get(f.value)) in qualified and p is not None
            else f
            for f in found
        ]
        # A report of the state beats a party's stance; then the furthest value along.
        return max(found, key=lambda f: (not f.stance, f.rank, -f.clause))
    # Integer/text: the first statement in the headline+lede.
    return min(found, key=lambda f: f.clause)


def _canonical(spec: FactSpec, raw: str) -> str | None:
    words = [_NUMBER_WORDS.get(w, w) for w in _normalise(raw).split(" ")]
    text = " ".join(words)
    if spec.kind == "integer":
        digits = re.search(r"\d+", text)
        return str(int(digits.group())) if digits else None
    text = re.sub(r"\b(\d+) (month|day|week|year)\b(?!s)", r"\1 \2s", text)
    for value in spec.values:
        if _normalise(value.value) == text:
            return value.value
    # "20 milioni di euro", "EUR 20m" and "€20 million" are one value.
    return amounts.canonical_amount(raw) or text or None


# --- resolution ---------------------------------------------------------------------------


def outlet(claim: Claim) -> str:
    """The independent outlet behind a claim: the URL's host without ``www.``,
    else the source name (lower case)."""
    host = _host(claim.url) if claim.url else ""
    return host.removeprefix("www.") if host else claim.source.strip().lower()


@lru_cache(maxsize=16384)
def _host(url: str) -> str:
    # Cached: resolving replays every claim, and urlsplit dominated its profile.
    return (urlsplit(url).hostname or "").lower()


def is_authoritative(claim: Claim, storyline: Storyline) -> bool:
    """Seeded claims, and claims from a host (or source name) that is, or is a
    subdomain of, one of the storyline's ``authoritative_sources``."""
    if claim.seeded:
        return True
    names = {outlet(claim), claim.source.strip().lower()}
    for domain in storyline.authoritative_sources:
        d = domain.lower()
        if any(n == d or n.endswith("." + d) for n in names):
            return True
    return False


def _order(claim: Claim) -> tuple[datetime, int, str, str]:
    # Seeded history first at equal times: it is what was known before the feeds.
    return (claim.published, 0 if claim.seeded else 1, claim.item_key, claim.value)


def resolve(fact: FactSpec, claims: Sequence[Claim], *, storyline: Storyline) -> FactView:
    """The fact's state from all its claims (any order; replayed by ``published``).

    See the module docstring for the rules. ``since``/``source``/``url`` of the
    view are those of the claim that made the value current. ``contenders``, when
    ``disputed``, holds the latest recent claim for each value in play (the
    current one included), newest first.
    """
    replay = FactReplay(fact, storyline=storyline)
    for claim in sorted((c for c in claims if c.fact == fact.id), key=replay_order):
        replay.add(claim)
    return replay.view()


def replay_order(claim: Claim) -> tuple[datetime, int, str, str]:
    """The order :func:`resolve` replays claims in."""
    return _order(claim)


class FactReplay:
    """:func:`resolve` one claim at a time, for callers that learn claims in
    replay order (the decider): ``add`` claims of one fact in
    :func:`replay_order`, ``view()`` is ``resolve`` of the claims added so far.
    ``copy()`` forks the replay (to look ahead without losing the state)."""

    __slots__ = (
        "_current",
        "_fact",
        "_latest",
        "_newest",
        "_rank",
        "_still",
        "_storyline",
        "last",
    )

    def __init__(self, fact: FactSpec, *, storyline: Storyline) -> None:
        self._fact = fact
        self._storyline = storyline
        self._rank = {v.value: i for i, v in enumerate(fact.values)} if fact.kind == "enum" else {}
        self._still = _still_partly(fact)
        self._current: Claim | None = None
        self._latest: dict[str, Claim] = {}
        self._newest: datetime | None = None
        #: ``replay_order`` of the last claim added (None before the first).
        self.last: tuple[datetime, int, str, str] | None = None

    def copy(self) -> FactReplay:
        other = FactReplay(self._fact, storyline=self._storyline)
        other._current, other._latest = self._current, dict(self._latest)
        other._newest, other.last = self._newest, self.last
        return other

    def add(self, claim: Claim) -> None:
        self.last = _order(claim)
        self._newest = claim.published
        current = self._current
        self._latest[outlet(claim)] = claim
        if current is None:
            self._current = claim
            return
        if self._same(claim.value, current.value) or claim.value == self._still.get(current.value):
            return  # a partial state agrees that part is still as it was
        established = current.published
        supporters = {
            name
            for name, c in self._latest.items()
            if self._same(c.value, claim.value)
            and c.published >= established
            and claim.published - c.published <= CORROBORATION_WINDOW
        }
        rank = self._rank
        backwards = claim.value in rank and rank[claim.value] < rank.get(current.value, -1)
        needed = 3 if backwards else 2
        # An official source outranks others for the act it performs (an order, a
        # ruling: a step forward), not for restating an earlier state over a court.
        official = is_authoritative(claim, self._storyline) and (claim.seeded or not backwards)
        if official or len(supporters) >= needed:
            self._current = claim

    def _same(self, a: str, b: str) -> bool:
        # "15 million" and "€15 million" are one fine, told with and without its currency.
        return a == b or (self._fact.kind == "text" and amounts.same_amount(a, b))

    def view(self) -> FactView:
        storyline, fact, current, latest = self._storyline, self._fact, self._current, self._latest
        if current is None or self._newest is None:
            return FactView(storyline.id, fact.id, None)
        newest = self._newest
        rivals = [
            c
            for c in latest.values()
            if not self._same(c.value, current.value)
            and c.value != self._still.get(current.value)
            and c.published > current.published
            and newest - c.published <= DISPUTE_WINDOW
        ]
        contenders: tuple[Claim, ...] = ()
        if rivals:
            by_value: dict[str, Claim] = {}
            for c in [*rivals, *(c for c in latest.values() if c.value == current.value)]:
                if c.value not in by_value or c.published > by_value[c.value].published:
                    by_value[c.value] = c
            if current.value not in by_value:
                by_value[current.value] = current
            contenders = tuple(sorted(by_value.values(), key=lambda c: c.published, reverse=True))
        return FactView(
            storyline=storyline.id,
            fact=fact.id,
            value=current.value,
            since=current.published,
            source=current.who,
            url=current.url,
            disputed=bool(rivals),
            contenders=contenders,
        )


def _still_partly(fact: FactSpec) -> dict[str, str]:
    """partial value -> the earlier state it partly still is: after a partial
    restoration, "Fable 5 stays suspended" agrees with it rather than disputing."""
    out: dict[str, str] = {}
    for i, value in enumerate(fact.values):
        full = partial_of(fact, value)
        prior = [v.value for v in fact.values[:i] if v.value != full]
        if full and prior:
            out[value.value] = prior[-1]
    return out


def seeded_claims(storylines: Sequence[Storyline]) -> dict[FactKey, list[Claim]]:
    """The storyline files' ``history`` of each fact as seeded claims, by
    (storyline, fact)."""
    out: dict[FactKey, list[Claim]] = {}
    for storyline in storylines:
        for spec in storyline.facts:
            out[(storyline.id, spec.id)] = [
                Claim(
                    storyline=storyline.id,
                    fact=spec.id,
                    value=h.value,
                    published=h.date,
                    source=h.source,
                    item_key=f"seed:{storyline.id}:{spec.id}:{i}",
                    url=h.url,
                    seeded=True,
                )
                for i, h in enumerate(spec.history)
            ]
    return out
