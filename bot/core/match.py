"""Match entries to storylines: a score 0–100 with the reasons behind it.

Pure. A :class:`Matcher` is built once from the storylines (closed ones are
ignored) and then scores each entry against every open storyline:

* **Exact hits**: every phrase of every storyline sits in one Aho-Corasick
  automaton (``pyahocorasick``) over a normalised text (lower case, hyphens and
  curly quotes folded, whitespace collapsed); a hit counts only on word
  boundaries.
* **Fuzzy hits**: words of five letters or more that are not already known
  vocabulary are compared (``rapidfuzz``) with the single-word phrases of groups
  marked ``fuzzy``; a close enough word with the same first letter ("Antropic",
  "Pentagons") is a hit whose weight is scaled by its similarity.
* **Score**: each term group contributes its best hit, weighted by role (actor,
  topic, booster, exclusion) and place (title hits weigh more than summary
  hits). An entry matches a storyline only when it hits at least one actor AND
  one topic and the score reaches the storyline's threshold; exclusion groups
  (near-miss vocabulary) subtract.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import ahocorasick
from rapidfuzz import fuzz, process

from bot.core.models import Entry, MatchResult, Reason, Storyline, TermGroup
from bot.core.text import fold

Role = Literal["actor", "topic", "booster", "exclude"]
Where = Literal["title", "summary"]

#: Contribution of a group's best exact hit in the title; summary hits get SUMMARY_FACTOR of it.
ROLE_WEIGHT: dict[Role, float] = {"actor": 30.0, "topic": 35.0, "booster": 10.0, "exclude": -35.0}
#: Upper bound of what all groups of one role can add together.
ROLE_CAP: dict[Role, float] = {"actor": 40.0, "topic": 70.0, "booster": 20.0, "exclude": -100.0}
SUMMARY_FACTOR = 0.6
#: rapidfuzz ratio (0–100) a word needs to count as a misspelling of a term.
FUZZY_CUTOFF = 88.0
FUZZY_MIN_LENGTH = 5
_CACHE_LIMIT = 50_000

_WORD = re.compile(r"[a-z][a-z']{3,}[a-z]")


@dataclass(frozen=True, slots=True)
class _Term:
    storyline: int
    role: Role
    group: int
    phrase: str
    key: str  # the normalised phrase the automaton finds
    label: str  # "role:group", as reasons show it
    weight: float  # ROLE_WEIGHT of the role (a title hit)
    role_index: int  # 0 actor, 1 topic, 2 booster, 3 exclude
    # Exact hits always yield the same Reason, so they are built once:
    # reasons[where][0] when another hit carries the group's weight, [1] when this one does.
    reasons: tuple[tuple[Reason, Reason], tuple[Reason, Reason]]


# A hit: (term, where index 0=title 1=summary, found text, similarity, weight).
_Hit = tuple[_Term, int, str, float, float]
_WHERE: tuple[Where, Where] = ("title", "summary")


class Matcher:
    """Scores entries against the open storylines given at construction.

    ``match(entry)`` returns one :class:`MatchResult` per open storyline, in the
    order given, with ``matched`` true when the score reaches the storyline's
    threshold and the entry hit both an actor and a topic. ``reasons`` lists
    every term found (exact or fuzzy, title or summary); the hit that carries
    its group's weight shows it, the others show 0. The instance is immutable
    apart from a bounded memo of fuzzy look-ups, so it can be shared.
    """

    def __init__(self, storylines: Sequence[Storyline]) -> None:
        self._storylines = tuple(s for s in storylines if s.status == "open")
        self._automaton = ahocorasick.Automaton()
        by_key: dict[str, list[_Term]] = {}
        fuzzy_words: dict[str, list[_Term]] = {}
        known_words: set[str] = set()
        for s_index, storyline in enumerate(self._storylines):
            g_index = 0
            for role, role_groups in _roles(storyline):
                for group in role_groups:
                    for phrase in group.phrases:
                        key = fold(phrase)
                        if not key:
                            continue
                        term = _term(s_index, role, g_index, f"{role}:{group.name}", phrase, key)
                        by_key.setdefault(key, []).append(term)
                        known_words.update(key.split())
                        if group.fuzzy and " " not in key and len(key) >= FUZZY_MIN_LENGTH:
                            fuzzy_words.setdefault(key, []).append(term)
                    g_index += 1
        for key, terms in by_key.items():
            # Per storyline, the ready-made hits of this phrase in the title and the summary.
            per_storyline: dict[int, tuple[list[_Hit], list[_Hit]]] = {}
            for term in terms:
                title, summary = per_storyline.setdefault(term.storyline, ([], []))
                title.append((term, 0, key, 100.0, term.weight))
                summary.append((term, 1, key, 100.0, term.weight * SUMMARY_FACTOR))
            value = tuple(
                (i, (tuple(t), tuple(s)), any(h[0].role_index == 0 for h in t))
                for i, (t, s) in per_storyline.items()
            )
            self._automaton.add_word(key, (key, value))
        if by_key:
            self._automaton.make_automaton()
        self._has_terms = bool(by_key)
        self._known_words = frozenset(known_words)
        self._fuzzy_terms = fuzzy_words
        self._fuzzy_choices = sorted(fuzzy_words)
        self._fuzzy_memo: dict[str, tuple[str, float] | None] = {}
        self._nothing = tuple(MatchResult(s.id, 0.0, False, ()) for s in self._storylines)

    @property
    def storylines(self) -> tuple[Storyline, ...]:
        return self._storylines

    def match(self, entry: Entry) -> list[MatchResult]:
        # Per storyline, the batches of hits found; and which storylines had an actor hit.
        hits: dict[int, list[tuple[_Hit, ...]]] = {}
        named: set[int] = set()
        if entry.title:
            self._scan(fold(entry.title), 0, hits, named)
        if entry.summary:
            self._scan(fold(entry.summary), 1, hits, named)
        results = list(self._nothing)
        # A storyline none of whose actors is named cannot match: it keeps score 0
        # and no reasons, which also keeps the cost proportional to the relevant storylines.
        for index in named:
            found = [hit for batch in hits[index] for hit in batch]
            results[index] = self._score(self._storylines[index], found)
        return results

    # --- scanning ---------------------------------------------------------------------------

    def _scan(
        self, text: str, where: int, hits: dict[int, list[tuple[_Hit, ...]]], named: set[int]
    ) -> None:
        if not self._has_terms:
            return
        covered: set[int] = set()
        seen: set[str] = set()
        factor = 1.0 if where == 0 else SUMMARY_FACTOR
        for end, (key, per_storyline) in self._automaton.iter(text):
            start = end - len(key) + 1
            if not _bounded(text, start, end + 1):
                continue
            covered.add(start)
            if key in seen:  # a repeated phrase adds nothing
                continue
            seen.add(key)
            for index, ready, has_actor in per_storyline:
                batches = hits.get(index)
                if batches is None:
                    hits[index] = [ready[where]]
                else:
                    batches.append(ready[where])
                if has_actor:
                    named.add(index)
        if not self._fuzzy_choices:
            return
        for m in _WORD.finditer(text):
            word = m.group().removesuffix("'s").strip("'")
            if len(word) < FUZZY_MIN_LENGTH or word in self._known_words:
                continue
            if m.start() in covered or word in seen:
                continue
            seen.add(word)
            best = self._closest(word)
            if best is None:
                continue
            key, similarity = best
            for term in self._fuzzy_terms[key]:
                weight = term.weight * factor * similarity / 100.0
                hit = (term, where, word, similarity, weight)
                hits.setdefault(term.storyline, []).append((hit,))
                if term.role_index == 0:
                    named.add(term.storyline)

    def _closest(self, word: str) -> tuple[str, float] | None:
        if word in self._fuzzy_memo:
            return self._fuzzy_memo[word]
        found = process.extractOne(
            word, self._fuzzy_choices, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF
        )
        result: tuple[str, float] | None = None
        # Misspellings rarely change the first letter; requiring it avoids
        # accidents between ordinary words.
        if found is not None and found[0][0] == word[0]:
            result = (found[0], round(float(found[1]), 1))
        if len(self._fuzzy_memo) >= _CACHE_LIMIT:
            self._fuzzy_memo.clear()
        self._fuzzy_memo[word] = result
        return result

    # --- scoring ----------------------------------------------------------------------------

    def _score(self, storyline: Storyline, hits: list[_Hit]) -> MatchResult:
        # Hits arrive deduplicated per (phrase, place); keep each group's heaviest.
        best: dict[int, int] = {}
        for i, hit in enumerate(hits):
            current = best.get(hit[0].group)
            if current is None or abs(hit[4]) > abs(hits[current][4]):
                best[hit[0].group] = i
        totals = [0.0, 0.0, 0.0, 0.0]
        for i in best.values():
            totals[hits[i][0].role_index] += hits[i][4]
        score = (
            min(totals[0], ROLE_CAP["actor"])
            + min(totals[1], ROLE_CAP["topic"])
            + min(totals[2], ROLE_CAP["booster"])
            + max(totals[3], ROLE_CAP["exclude"])
        )
        score = round(min(max(score, 0.0), 100.0), 2)
        matched = totals[0] > 0 and totals[1] > 0 and score >= storyline.match.threshold
        carriers = set(best.values())
        reasons = []
        for i, (term, where, found, similarity, weight) in enumerate(hits):
            carries = i in carriers
            if similarity >= 100.0:
                reasons.append(term.reasons[where][carries])
            else:
                reasons.append(
                    Reason(
                        term.label,
                        term.phrase,
                        found,
                        similarity,
                        round(weight, 2) if carries else 0.0,
                        _WHERE[where],
                    )
                )
        return MatchResult(storyline.id, score, matched, tuple(reasons))


def _term(storyline: int, role: Role, group: int, label: str, phrase: str, key: str) -> _Term:
    def reason(where: int, carries: bool) -> Reason:
        factor = 1.0 if where == 0 else SUMMARY_FACTOR
        weight = round(ROLE_WEIGHT[role] * factor, 2) if carries else 0.0
        return Reason(label, phrase, key, 100.0, weight, _WHERE[where])

    reasons = (
        (reason(0, False), reason(0, True)),
        (reason(1, False), reason(1, True)),
    )
    index = ("actor", "topic", "booster", "exclude").index(role)
    return _Term(storyline, role, group, phrase, key, label, ROLE_WEIGHT[role], index, reasons)


def _roles(storyline: Storyline) -> Iterable[tuple[Role, tuple[TermGroup, ...]]]:
    rules = storyline.match
    yield "actor", rules.actors
    yield "topic", rules.topics
    yield "booster", rules.boosters
    yield "exclude", rules.exclude


def _bounded(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    return not before.isalnum() and not after.isalnum()
