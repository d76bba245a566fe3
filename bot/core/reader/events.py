"""State-change events in a clause, read through the restriction model.

Pure. Events are the lexicon's event phrases found in the clause
(:mod:`bot.core.reader.phrases`), the longest at each place, minus *mentions*
(words that hold an event's word but name something else: "appeals court").
Each event then gets:

* its **object**, when the object is a restriction (a ban, an order, a
  designation… each language lists its restriction nouns) or an act of the
  ``stop`` class ("pauses the government's effort to cut off"): a noun phrase
  after the act, up to six words with no preposition between, or just before
  it ("the ban was lifted", "禁令被暂停", "금지 명령 효력 정지");
* its **effect** (the restriction model): an act whose kind ``lift``s a
  restriction (stay, pause, freeze, block, overturn, revoke, end…) acting on one
  is a ``lift``; one that ``impose``s (reinstate, restore, uphold, keep) is an
  ``impose``. "Tribunal suspends the Helix ban" is a lift; "appeals court
  reinstates the ban" an impose. A court acting on a penalty ("suspends the
  fine") changes no state;
* its **factuality** (:mod:`bot.core.reader.context`); "no longer X" reads as the
  kind's reverse ("no longer suspended" is a restore).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from bot.core.reader.context import CURRENT, Factuality, Scene
from bot.core.reader.lexicon import Language, Lexicon
from bot.core.reader.phrases import Hit, Text

_OBJECT_AFTER = 8  # words after an act its object may end at
_OBJECT_BEFORE = 4  # words before an act a restriction it acts on may stand
_UNSPACED_OBJECT = 10  # the same, in characters of scripts without spaces
_THREAT_REACH = 6  # words after "weighs" the act it threatens must start
_DURATION_REACH = 3  # words before an act a duration of it may end


@dataclass(frozen=True, slots=True)
class Event:
    """An act of ``kind`` at characters ``[start, end)`` (tokens ``[first,
    last]``) of the clause. ``effect`` is ``lift`` or ``impose`` when its object
    is a restriction (``object``, the words acted on)."""

    kind: str
    start: int
    end: int
    text: str
    first: int
    last: int
    factuality: Factuality = CURRENT
    effect: str | None = None
    object: str | None = None

    def readings(self, lexicon: Lexicon) -> tuple[str, ...]:
        """The kinds this event counts as for a storyline's value rules: its
        effect when it acts on a restriction (and its own kind where that kind is
        no stop or resume, as "uphold" stays an upholding), else its kind."""
        if self.effect is None:
            return (self.kind,)
        if lexicon.class_of(self.kind) in ("stop", "resume"):
            return (self.effect,)
        return (self.effect, self.kind)


def find_events(
    text: Text, hits: Sequence[Hit], scene: Scene, lexicon: Lexicon, langs: Mapping[str, object]
) -> tuple[Event, ...]:
    """The events of one clause with their objects, effects and factuality."""
    del langs  # every language's hits are already in ``hits``
    mentions = [h for h in hits if h.category == "mentions"]
    raw = [
        h
        for h in hits
        if h.category == "event"
        and not any(m.start <= h.start and h.end <= m.end for m in mentions)
    ]
    # The longest events first ("back in force" over "is back", "preliminary
    # injunction" over "injunction"), then none that overlaps them.
    raw.sort(key=lambda h: (h.start - h.end, h.start))
    chosen: list[Hit] = []
    for hit in raw:
        if any(c.start < hit.end and hit.start < c.end for c in chosen):
            continue
        chosen.append(hit)
    chosen.sort(key=lambda h: h.start)
    penalties = [h for h in hits if h.category == "penalties"]
    barriers = [h for h in hits if h.category == "barriers"]
    durations = [h for h in hits if h.category == "durations"]
    words = {name: [h for h in hits if h.category == name] for name in _WORD_LISTS}
    # "restores limited access": a participle is no restriction noun
    restrictions = [
        h for h in hits if h.category == "restrictions" and not _participle_form(text, h, lexicon)
    ]
    consumed: set[int] = set()
    for hit in chosen:
        if lexicon.kinds[hit.value].names:
            # "appeals the ban", "sues over the block": the restriction it names
            # is no report of one
            consumed.update(
                i
                for i, c in enumerate(chosen)
                if c is not hit and any(r.start <= c.start < r.end for r in restrictions)
            )
    out: list[Event] = []
    for index, hit in enumerate(chosen):
        kind = lexicon.kinds[hit.value]
        if _is_mention(text, hit, words, lexicon):
            continue
        if lexicon.class_of(kind.name) == "stop" and _own_policy(text, hit, words):
            continue  # "Microsoft bars its own staff from …": a customer's policy
        if kind.name == "deny" and _follows(text, hit, words["statements"] + words["copulas"], 3):
            continue  # "denied the designation was payback" denies a statement
        if lexicon.class_of(kind.name) == "warn" and _follows(text, hit, words["statements"], 2):
            continue  # "it warns that the source is unverified" is a statement
        # "weighs blacklisting" threatens the act that follows; "the panel weighed
        # whether a stance counts" threatens nothing.
        if (
            lexicon.class_of(kind.name) == "warn"
            and _is_trigger(hit, hits)
            and not any(
                0 < other.first - hit.last <= _THREAT_REACH
                and lexicon.class_of(other.value) in ("stop", "designate", "sue")
                for other in chosen
            )
        ):
            continue
        others = [c for c in chosen if c is not hit]
        target = _object(text, hit, restrictions, barriers + others, lexicon)
        if target is not None and any(_inside(p, target) for p in penalties):
            continue  # a court suspending a fine changes no state
        if _object_penalty(text, hit, penalties, barriers, lexicon):
            continue
        effect = None
        if target is not None and kind.restriction is not None:
            effect = "lift" if kind.restriction == "lift" else "impose"
            consumed.update(i for i, c in enumerate(chosen) if _inside(c, target) and c is not hit)
        elif kind.needs_restriction and hit.first == hit.last:
            # "the model will stay online": one word of this kind is the act only
            # on a restriction ("an emergency stay", a longer phrase, says itself)
            continue
        own = (hit.start, hit.end)
        factuality = scene.factuality(hit.first, hit.last, own_phrase=own)
        if any(0 < hit.first - d.last <= _DURATION_REACH for d in durations):
            # "the eighteen days Helix went dark", "its 12-day suspension": told
            # with how long it lasted, the state is over
            factuality = replace(factuality, time="past", cues=(*factuality.cues, "duration"))
        name = kind.name
        if scene.ceased(hit.first):
            reverse = lexicon.kinds[effect].reverse if effect else kind.reverse
            if reverse is None:
                factuality = replace(factuality, polarity="negative")
            elif effect:
                effect = reverse
            else:
                name = reverse
        if lexicon.class_of(name) == "launch" and _follows(text, hit, words["again"], 4):
            name = "restore"  # "available in Italy again"
        out.append(
            Event(
                name,
                hit.start,
                hit.end,
                text.plain[hit.start : hit.end],
                hit.first,
                hit.last,
                factuality,
                effect,
                text.plain[target.start : target.end] if target is not None else None,
            )
        )
        del index
    # A restriction acted on is no event of its own ("suspends the Helix ban").
    consumed_spans = {(chosen[i].start, chosen[i].end) for i in consumed}
    return tuple(e for e in out if (e.start, e.end) not in consumed_spans)


_WORD_LISTS = (
    "determiners",
    "statements",
    "copulas",
    "own_staff",
    "internal",
    "again",
)


@dataclass(frozen=True, slots=True)
class _Span:
    start: int
    end: int
    first: int
    last: int


def _inside(hit: Hit, span: _Span) -> bool:
    return span.start <= hit.start and hit.end <= span.end


def _object(
    text: Text, hit: Hit, candidates: Sequence[Hit], barriers: Sequence[Hit], lexicon: Lexicon
) -> _Span | None:
    """The restriction the act at ``hit`` acts on: after it (no barrier word
    between), or before it where the language puts objects there (verb-final
    languages) or the act is a participle or passive ("the ban was lifted")."""
    language = lexicon.language(hit.lang)
    side = language.object_before if language else "participle"
    kind = lexicon.kinds[hit.value]
    may_precede = not kind.object_after and (
        side in ("always", "both")
        or (
            side == "participle"
            and (
                kind.needs_restriction
                or (_participle(text, hit, lexicon) and _passive(text, hit, barriers))
            )
        )
    )
    unspaced = _unspaced(text, hit)
    after = _UNSPACED_OBJECT if unspaced else _OBJECT_AFTER
    before = _UNSPACED_OBJECT if unspaced else _OBJECT_BEFORE
    best: _Span | None = None
    for cand in sorted(candidates, key=lambda c: c.first):
        if hit.first < cand.first and cand.last < hit.last:
            return _Span(cand.start, cand.end, cand.first, cand.last)  # "hebt das Verbot auf"
        if cand.first > hit.last and cand.last - hit.last <= after and side != "always":
            # a barrier word or another act between: the act is on something else
            if any(hit.last < b.first and b.last < cand.first for b in barriers):
                continue
            return _Span(cand.start, cand.end, cand.first, cand.last)
        if (
            may_precede
            and cand.last < hit.first
            and _words_between(text, cand, hit) <= before
            and (side != "always" or _marked_object(text, cand, hit, language))
        ):
            # "the ban on Helix was lifted": what stands between is the noun's own
            best = _Span(cand.start, cand.end, cand.first, cand.last)
    return best


def _marked_object(text: Text, cand: Hit, hit: Hit, language: object) -> bool:
    """In a verb-final language the object stands right before its act, or before
    an object marker ("命令を解除", "금지 명령을 해제"): "規制指令でWidget 5を停止"
    stops Widget 5, not the regulation."""
    between = text.plain[cand.end : hit.start].replace(" ", "")
    markers = language.words("object_markers") if isinstance(language, Language) else ()
    return not between or between in markers


def _words_between(text: Text, before: Hit, after: Hit) -> int:
    return sum(
        1 for t in text.tokens[before.last + 1 : after.first] if any(c.isalnum() for c in t.text)
    )


def _object_penalty(
    text: Text, hit: Hit, penalties: Sequence[Hit], barriers: Sequence[Hit], lexicon: Lexicon
) -> bool:
    return _object(text, hit, penalties, barriers, lexicon) is not None


def _passive(text: Text, hit: Hit, barriers: Sequence[Hit]) -> bool:
    """A participle read as a passive: after a form of "be" ("the ban was
    lifted"), or ending its clause or followed by a preposition ("Helix ban
    lifted", "ban lifted by court"); in "the directive barred foreign
    nationals" it is active, and its object follows."""
    before = text.tokens[hit.first - 1].text if hit.first else ""
    if before in _BE:
        return True
    following = hit.last + 1
    return following >= len(text.tokens) or any(b.first == following for b in barriers)


# The passive auxiliary before a participle, in the languages that write one.
_BE = frozenset(
    {
        "is",
        "was",
        "were",
        "been",
        "be",
        "being",
        "are",
        "get",
        "gets",
        "got",
        "est",
        "ete",
        "es",
        "fue",
        "sido",
        "foi",
        "e",
        "stato",
        "stata",
        "wurde",
        "ist",
    }
)


def _participle(text: Text, hit: Hit, lexicon: Lexicon) -> bool:
    """The act is written as a participle or a passive form of its language."""
    language = lexicon.language(hit.lang)
    if language is None:
        return False
    word = text.tokens[hit.last if hit.last == hit.first else hit.first].text
    return any(word.endswith(e) for e in language.words("participle_endings")) or any(
        word.startswith(p) for p in language.words("passive_prefixes")
    )


def _unspaced(text: Text, hit: Hit) -> bool:
    token = text.tokens[hit.first]
    return len(token.text) == 1 and not token.text.isascii()


def _is_trigger(hit: Hit, hits: Sequence[Hit]) -> bool:
    return any(h.category == "trigger" and h.start == hit.start for h in hits)


def _follows(text: Text, hit: Hit, after: Sequence[Hit], reach: int) -> bool:
    return any(0 < h.first - hit.last <= reach for h in after)


def _is_mention(text: Text, hit: Hit, words: Mapping[str, Sequence[Hit]], lexicon: Lexicon) -> bool:
    """ "An authorised exercise", "its blacklisting": a participle right after a
    determiner names a thing, it reports no act."""
    if hit.first == 0:
        return False
    surface = text.tokens[hit.first].text
    language = lexicon.language(hit.lang)
    endings = language.words("participle_endings") if language else ()
    if not any(surface.endswith(e) for e in endings):
        return False
    return any(d.last == hit.first - 1 for d in words["determiners"]) or text.tokens[
        hit.first - 1
    ].text.endswith("'s")


def _own_policy(text: Text, hit: Hit, words: Mapping[str, Sequence[Hit]]) -> bool:
    """A company barring its own staff ("pulls it from its employees' picker")."""
    if words["internal"]:
        return True
    return any(0 < h.first - hit.last <= _OBJECT_AFTER for h in words["own_staff"])


def _participle_form(text: Text, hit: Hit, lexicon: Lexicon) -> bool:
    """The phrase's last word is written as a participle it is not ("limited")."""
    language = lexicon.language(hit.lang)
    if language is None or hit.phrase.endswith(tuple(language.words("participle_endings"))):
        return False
    word = text.tokens[hit.last].text
    return word != hit.phrase and word.endswith(tuple(language.words("participle_endings")))
