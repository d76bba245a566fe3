"""Match entries to storylines: a score 0–100 with the reasons behind it.

Pure. A :class:`Matcher` is built once from the storylines (closed ones are
ignored) and then scores each entry against every open storyline:

* **Exact hits**: every phrase of every storyline sits in one Aho-Corasick
  automaton (``pyahocorasick``) over a normalised text (NFKC, case-folded,
  accents dropped from Latin letters, hyphens and curly quotes folded,
  whitespace collapsed). A hit counts only on
  word boundaries where the script has them: a phrase in Chinese or Japanese
  (or a Latin name written against CJK text, "Acme社") needs none.
* **Fuzzy hits**: words of five letters or more that are not already known
  vocabulary are compared (``rapidfuzz``) with the single-word phrases of groups
  marked ``fuzzy``; a close enough word with the same first letter ("Antropic",
  "Ministrys") is a hit whose weight is scaled by its similarity.
* **Score**: each term group contributes its best hit, weighted by role and
  place (title hits weigh more than summary hits); exclusion groups subtract.
* **Rules**: an item matches a storyline when the score reaches the threshold
  and it names either an *actor* and a *topic*, or the storyline's *subject*
  (what is disputed) with an actor, a *party* (the other side, a named court
  or official), an *authority* (generic courts, judges, ministries, regulators,
  in several languages; see ``AUTHORITIES``) or a topic. So an item naming only
  the court and the subject matches, and so does commentary that names the
  subject and a party without any of the storyline's verbs.
* **Siblings**: a neighbouring story (another country, another product) named
  by the storyline wins the item unless the item names what the sibling
  replaces (``instead_of``: the storyline's own actor, party or subject), or
  when that is unsaid two of the own kinds of evidence, at least as
  prominently as the sibling.
* **Since**: items published before the storyline's ``since`` date are
  background, not coverage.
* **Closer storyline**: when several storylines match, one that scores far
  below the best without its subject in the title (in the summary alone it is
  often background), or that names the best one as a sibling storyline, gives
  the item up.

Every decision shows in ``MatchResult.reasons``. The terms and weights are in
:mod:`bot.core.match_terms`, the scoring rules in :mod:`bot.core.match_score`,
the fuzzy look-up in :mod:`bot.core.match_fuzzy`. Most items name no storyline
at all: :mod:`bot.core.match_gate` tells them from their words, and they skip
the scan.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import NamedTuple

import ahocorasick

from bot.core.items import Entry
from bot.core.match_fuzzy import FUZZY_MIN_LENGTH, WORD, FuzzyWords
from bot.core.match_gate import Screen, WordGate
from bot.core.match_result import MatchResult, Reason
from bot.core.match_score import prefer_closer, score
from bot.core.match_terms import (
    ACTOR,
    AUTHORITIES,
    KIND_ROLE,
    SUBJECT,
    SUMMARY,
    SUMMARY_FACTOR,
    TITLE,
    Hit,
    Plan,
    Term,
    make_term,
    roles,
)
from bot.core.storyline import Storyline
from bot.core.text import normalise_text, unspaced

# Per storyline index, the hits of one phrase: (in a title, in a summary).
_Ready = dict[int, tuple[tuple[Hit, ...], tuple[Hit, ...]]]


class _Phrase(NamedTuple):
    """What the automaton holds for one normalised phrase."""

    key: str
    back: int  # len(key) - 1: from a hit's last character to its first
    open_start: bool  # _joins(key[0]): the hit needs a boundary before it
    open_end: bool  # _joins(key[-1]): the hit needs a boundary after it
    ready: _Ready
    anchors: frozenset[int]  # the storylines it names (an actor or subject of theirs)
    shared: tuple[Hit, Hit] | None  # an authority's hits, in a title and in a summary


__all__ = ["Matcher", "normalise_text"]


class Matcher:
    """Scores entries against the open storylines given at construction.

    ``match(entry)`` returns one :class:`MatchResult` per open storyline, in the
    order given, with ``matched`` true when the rules in the module docstring
    hold. ``reasons`` lists every term found (exact or fuzzy, title or summary);
    the hit that carries its group's weight shows it, the others show 0; rule
    decisions (sibling, closer storyline) are reasons with a ``note``. The
    instance is immutable apart from bounded memos (the fuzzy look-up's and the
    word gate's), which only ever hold answers, so it can be shared.
    """

    def __init__(self, storylines: Sequence[Storyline]) -> None:
        self._storylines = tuple(s for s in storylines if s.status == "open")
        self._automaton = ahocorasick.Automaton()
        by_key: dict[str, list[Term]] = {}
        fuzzy_words: dict[str, list[Term]] = {}
        known_words: set[str] = set()
        plans: list[Plan] = []
        for s_index, storyline in enumerate(self._storylines):
            g_index = 0
            sibling_kinds: dict[int, int | None] = {}
            for role, role_groups in roles(storyline):
                if role == "sibling":
                    named_siblings = [x for x in storyline.match.siblings if x.phrases]
                    for offset, x in enumerate(named_siblings):
                        kind = KIND_ROLE.get(x.instead_of) if x.instead_of else None
                        sibling_kinds[g_index + offset] = kind
                for group in role_groups:
                    for phrase in group.phrases:
                        key = normalise_text(phrase)
                        if not key:
                            continue
                        term = make_term(
                            s_index, role, g_index, f"{role}:{group.name}", phrase, key
                        )
                        by_key.setdefault(key, []).append(term)
                        known_words.update(key.split())
                        if (
                            group.fuzzy
                            and role != "sibling"
                            and " " not in key
                            and len(key) >= FUZZY_MIN_LENGTH
                            and key.isascii()
                        ):
                            fuzzy_words.setdefault(key, []).append(term)
                    g_index += 1
            rules = storyline.match
            plans.append(
                Plan(
                    own_kinds=sum(bool(g) for g in (rules.actors, rules.parties, rules.subjects)),
                    sibling_storylines=frozenset(
                        s.storyline for s in rules.siblings if s.storyline
                    ),
                    sibling_kinds=sibling_kinds,
                )
            )
        authority_keys: dict[str, Term] = {}
        for phrase in AUTHORITIES:
            key = normalise_text(phrase)
            authority_keys[key] = make_term(-1, "authority", 0, "authority", phrase, key)
        self._plans = tuple(plans)
        for key in by_key.keys() | authority_keys.keys():
            terms = by_key.get(key, [])
            # Per storyline, the ready-made hits of this phrase in the title and the summary.
            per_storyline: dict[int, tuple[list[Hit], list[Hit]]] = {}
            for term in terms:
                title, summary = per_storyline.setdefault(term.storyline, ([], []))
                title.append(Hit(term, TITLE, key, 100.0, term.weight))
                summary.append(Hit(term, SUMMARY, key, 100.0, term.weight * SUMMARY_FACTOR))
            ready = {i: (tuple(t), tuple(s)) for i, (t, s) in per_storyline.items()}
            # The storylines this phrase names (an actor or a subject of theirs).
            anchors = frozenset(
                i
                for i, (t, _s) in per_storyline.items()
                if any(h.term.role_index in (ACTOR, SUBJECT) for h in t)
            )
            authority = authority_keys.get(key)
            shared = (
                None
                if authority is None
                else (
                    Hit(authority, TITLE, key, 100.0, authority.weight),
                    Hit(authority, SUMMARY, key, 100.0, authority.weight * SUMMARY_FACTOR),
                )
            )
            self._automaton.add_word(
                key,
                _Phrase(key, len(key) - 1, _joins(key[0]), _joins(key[-1]), ready, anchors, shared),
            )
        self._automaton.make_automaton()
        self._fuzzy_terms = fuzzy_words
        self._fuzzy = FuzzyWords(fuzzy_words, frozenset(known_words))
        self._gate = WordGate((k for k, terms in by_key.items() if _anchors(terms)), self._fuzzy)
        self._nothing = tuple(MatchResult(s.id, 0.0, False, ()) for s in self._storylines)

    @property
    def storylines(self) -> tuple[Storyline, ...]:
        return self._storylines

    def match(self, entry: Entry) -> list[MatchResult]:
        # First the phrases found (with where), which storylines they name (an
        # actor or subject hit) and the authorities; then the hits of the named
        # storylines only. A storyline none of whose actors or subjects is named
        # cannot match: it keeps score 0 and no reasons, which keeps the cost
        # proportional to the relevant storylines, not to all that share a topic.
        # Most items name none: the gate tells them from their words, unscanned.
        screen = self._gate.screen(entry.title, entry.summary)
        if screen is Screen.NOTHING:
            return list(self._nothing)
        misspelt = screen is Screen.ANY
        found: list[tuple[_Ready, int]] = []
        fuzzy: list[Hit] = []
        named: set[int] = set()
        authorities: list[Hit] = []
        if entry.title:
            title = normalise_text(entry.title)
            self._scan(title, TITLE, misspelt, found, fuzzy, named, authorities)
        if entry.summary:
            summary = normalise_text(entry.summary)
            self._scan(summary, SUMMARY, misspelt, found, fuzzy, named, authorities)
        if not named:
            return list(self._nothing)
        results = list(self._nothing)
        # Storylines whose subject is in the title: in the summary alone it is
        # often background ("…months after the ministry's label, …").
        subject_named: set[int] = set()
        for index in named:
            hits = [hit for ready, where in found if index in ready for hit in ready[index][where]]
            if fuzzy:
                hits.extend(hit for hit in fuzzy if hit.term.storyline == index)
            result, subject_in_title = score(
                self._storylines[index], self._plans[index], hits, authorities
            )
            if subject_in_title:
                subject_named.add(index)
            rules = self._storylines[index].match
            since, until = rules.since, rules.until
            note = None
            if result.matched and since is not None and entry.published < since:
                note = Reason(
                    "since",
                    "",
                    "",
                    100.0,
                    0.0,
                    note=f"published before the story began ({since:%Y-%m-%d})",
                )
            elif result.matched and until is not None and entry.published > until:
                note = Reason(
                    "until",
                    "",
                    "",
                    100.0,
                    0.0,
                    note=f"published after the story ended ({until:%Y-%m-%d})",
                )
            if note is not None:
                result = replace(result, matched=False, reasons=(*result.reasons, note))
            results[index] = result
        if len(named) > 1:
            prefer_closer(results, self._plans, named, subject_named)
        return results

    # --- the word gate ----------------------------------------------------------------------

    # --- scanning ---------------------------------------------------------------------------

    def _scan(
        self,
        text: str,
        where: int,
        misspelt: bool,
        found: list[tuple[_Ready, int]],
        fuzzy: list[Hit],
        named: set[int],
        authorities: list[Hit],
    ) -> None:
        seen: set[str] = set()
        factor = 1.0 if where == TITLE else SUMMARY_FACTOR
        last = len(text) - 1
        phrase: _Phrase
        for end, phrase in self._automaton.iter(text):
            key, back, open_start, open_end, ready, anchors, shared = phrase
            # A hit counts on word boundaries only (see _joins).
            start = end - back
            if open_start and start > 0 and _joins(text[start - 1]):
                continue
            if open_end and end < last and _joins(text[end + 1]):
                continue
            if key in seen:  # a repeated phrase adds nothing
                continue
            seen.add(key)
            if shared is not None:
                authorities.append(shared[where])
            if ready:
                found.append((ready, where))
                named |= anchors
        if not misspelt or not self._fuzzy:
            return
        words = WORD.findall(text)
        # Most words are known misses: a set difference (in C) skips the loop.
        if not words or not set(words).difference(self._fuzzy.misses):
            return
        for word in words:
            # Words already found exactly are known vocabulary, so they need no
            # separate check: the look-up answers None for them.
            best = self._fuzzy.closest(word)
            if best is None or word in seen:
                continue
            seen.add(word)
            key, similarity, found_as = best
            for term in self._fuzzy_terms[key]:
                weight = term.weight * factor * similarity / 100.0
                fuzzy.append(Hit(term, where, found_as, similarity, weight))
                if term.role_index in (ACTOR, SUBJECT):
                    named.add(term.storyline)


def _anchors(terms: Sequence[Term]) -> bool:
    """Whether a phrase with these terms names its storylines (an actor or subject)."""
    return any(term.role_index in (ACTOR, SUBJECT) for term in terms)


def _joins(char: str) -> bool:
    """Whether ``char`` joins a neighbouring letter or digit into one word: a
    phrase counts only on word boundaries where the script has them, so a hit
    whose first (last) character joins the one before (after) it is no hit."""
    return char.isalnum() and not unspaced(char)
