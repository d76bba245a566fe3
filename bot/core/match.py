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

Every decision shows in ``MatchResult.reasons``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

import ahocorasick
from rapidfuzz import fuzz, process

from bot.core.items import Entry
from bot.core.match_result import MatchResult, Reason
from bot.core.storyline import Sibling, Storyline, TermGroup
from bot.core.text import normalise_text, unspaced

Role = Literal["actor", "topic", "booster", "exclude", "subject", "party", "sibling", "authority"]
Where = Literal["title", "summary"]
ROLES: tuple[Role, ...] = (
    "actor",
    "topic",
    "booster",
    "exclude",
    "subject",
    "party",
    "sibling",
    "authority",
)
_ACTOR, _TOPIC, _BOOSTER, _EXCLUDE, _SUBJECT, _PARTY, _SIBLING, _AUTHORITY = range(8)
_KIND_ROLE = {"actors": _ACTOR, "parties": _PARTY, "subjects": _SUBJECT}
_OWN = {_ACTOR: "actor", _PARTY: "party", _SUBJECT: "subject", None: "actor, party and subject"}

#: Contribution of a group's best exact hit in the title; summary hits get SUMMARY_FACTOR of it.
ROLE_WEIGHT: dict[Role, float] = {
    "actor": 30.0,
    "topic": 35.0,
    "booster": 10.0,
    "exclude": -35.0,
    "subject": 40.0,
    "party": 25.0,
    "sibling": -40.0,
    "authority": 25.0,
}
#: Upper bound of what all groups of one role can add together. Actors, parties
#: and authorities share the actor cap: they answer the same question (who).
ROLE_CAP: dict[Role, float] = {
    "actor": 40.0,
    "topic": 70.0,
    "booster": 20.0,
    "exclude": -100.0,
    "subject": 45.0,
}
SUMMARY_FACTOR = 0.6
#: A storyline scoring this much below the best match, without its subject in
#: the title, gives the item to the closer storyline.
CLOSER_MARGIN = 25.0
#: rapidfuzz ratio (0–100) a word needs to count as a misspelling of a term.
FUZZY_CUTOFF = 88.0
FUZZY_MIN_LENGTH = 5
_CACHE_LIMIT = 50_000
_MISSING: Any = object()

#: Who acts in any dispute: courts, judges, governments, regulators. They count
#: as a storyline's actor only together with its subject ("a judge's order stops
#: the department enforcing the label" names neither company). General
#: vocabulary, not any storyline's: English plus the commonest forms in Spanish,
#: French, German, Italian, Portuguese, Chinese, Japanese and Korean.
AUTHORITIES: tuple[str, ...] = (
    # en
    "judge",
    "judges",
    "court",
    "courts",
    "appeals court",
    "appellate court",
    "circuit",
    "supreme court",
    "justices",
    "tribunal",
    "regulator",
    "regulators",
    "watchdog",
    "authority",
    "authorities",
    "ministry",
    "minister",
    "department",
    "agency",
    "agencies",
    "government",
    "administration",
    "official",
    "officials",
    "secretary",
    "commission",
    "lawmakers",
    "senators",
    "congress",
    "parliament",
    "white house",
    "prosecutors",
    "attorney general",
    # es / pt / it / fr / de
    "juez",
    "jueza",
    "tribunal supremo",
    "gobierno",
    "governo",
    "ministerio",
    "ministério",
    "ministero",
    "regulador",
    "autoridad",
    "autorità",
    "autoridade",
    "garante",
    "juge",
    "cour",
    "gouvernement",
    "ministère",
    "régulateur",
    "autorité",
    "richter",
    "gericht",
    "regierung",
    "ministerium",
    "behörde",
    "aufsichtsbehörde",
    # zh / ja / ko
    "法院",
    "法官",
    "政府",
    "监管机构",
    "監管機構",
    "监管部门",
    "部门",
    "裁判所",
    "裁判官",
    "当局",
    "規制当局",
    "省庁",
    "법원",
    "판사",
    "정부",
    "당국",
    "규제",
)

_WORD = re.compile(r"[a-z][a-z']{3,}[a-z]")


@dataclass(frozen=True, slots=True)
class _Term:
    storyline: int  # -1 for the shared authorities
    role: Role
    group: int
    phrase: str
    key: str  # the normalised phrase the automaton finds
    label: str  # "role:group", as reasons show it
    weight: float  # ROLE_WEIGHT of the role (a title hit)
    role_index: int  # position in ROLES
    # Exact hits always yield the same Reason, so they are built once:
    # reasons[where][0] when another hit carries the group's weight, [1] when this one does.
    reasons: tuple[tuple[Reason, Reason], tuple[Reason, Reason]]


# A hit: (term, where index 0=title 1=summary, found text, similarity, weight).
_Hit = tuple[_Term, int, str, float, float]
_WHERE: tuple[Where, Where] = ("title", "summary")
# Per storyline index, the hits of one phrase: (in a title, in a summary).
_Ready = dict[int, tuple[tuple[_Hit, ...], tuple[_Hit, ...]]]


@dataclass(frozen=True, slots=True)
class _Plan:
    """What a storyline defines, precomputed for scoring."""

    #: Kinds of own evidence (actor, party, subject) the storyline defines; a
    #: sibling is beaten by min(2, this many) of them.
    own_kinds: int
    #: Sibling storylines by id: they win the item when they score higher.
    sibling_storylines: frozenset[str]
    #: Per sibling group index, the role index of the own evidence it names
    #: in place of this storyline's (None: any two kinds must beat it).
    sibling_kinds: dict[int, int | None]


class Matcher:
    """Scores entries against the open storylines given at construction.

    ``match(entry)`` returns one :class:`MatchResult` per open storyline, in the
    order given, with ``matched`` true when the rules in the module docstring
    hold. ``reasons`` lists every term found (exact or fuzzy, title or summary);
    the hit that carries its group's weight shows it, the others show 0; rule
    decisions (sibling, closer storyline) are reasons with a ``note``. The
    instance is immutable apart from a bounded memo of fuzzy look-ups, so it can
    be shared.
    """

    def __init__(self, storylines: Sequence[Storyline]) -> None:
        self._storylines = tuple(s for s in storylines if s.status == "open")
        self._automaton = ahocorasick.Automaton()
        by_key: dict[str, list[_Term]] = {}
        fuzzy_words: dict[str, list[_Term]] = {}
        known_words: set[str] = set()
        plans: list[_Plan] = []
        for s_index, storyline in enumerate(self._storylines):
            g_index = 0
            sibling_kinds: dict[int, int | None] = {}
            for role, role_groups in _roles(storyline):
                if role == "sibling":
                    named_siblings = [x for x in storyline.match.siblings if x.phrases]
                    for offset, x in enumerate(named_siblings):
                        kind = _KIND_ROLE.get(x.instead_of) if x.instead_of else None
                        sibling_kinds[g_index + offset] = kind
                for group in role_groups:
                    for phrase in group.phrases:
                        key = normalise_text(phrase)
                        if not key:
                            continue
                        term = _term(s_index, role, g_index, f"{role}:{group.name}", phrase, key)
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
                _Plan(
                    own_kinds=sum(bool(g) for g in (rules.actors, rules.parties, rules.subjects)),
                    sibling_storylines=frozenset(
                        s.storyline for s in rules.siblings if s.storyline
                    ),
                    sibling_kinds=sibling_kinds,
                )
            )
        authority_keys: dict[str, _Term] = {}
        for phrase in AUTHORITIES:
            key = normalise_text(phrase)
            authority_keys[key] = _term(-1, "authority", 0, "authority", phrase, key)
        self._plans = tuple(plans)
        for key in by_key.keys() | authority_keys.keys():
            terms = by_key.get(key, [])
            # Per storyline, the ready-made hits of this phrase in the title and the summary.
            per_storyline: dict[int, tuple[list[_Hit], list[_Hit]]] = {}
            for term in terms:
                title, summary = per_storyline.setdefault(term.storyline, ([], []))
                title.append((term, 0, key, 100.0, term.weight))
                summary.append((term, 1, key, 100.0, term.weight * SUMMARY_FACTOR))
            ready = {i: (tuple(t), tuple(s)) for i, (t, s) in per_storyline.items()}
            # The storylines this phrase names (an actor or a subject of theirs).
            anchors = frozenset(
                i
                for i, (t, _s) in per_storyline.items()
                if any(h[0].role_index in (_ACTOR, _SUBJECT) for h in t)
            )
            authority = authority_keys.get(key)
            shared = (
                None
                if authority is None
                else (
                    (authority, 0, key, 100.0, authority.weight),
                    (authority, 1, key, 100.0, authority.weight * SUMMARY_FACTOR),
                )
            )
            self._automaton.add_word(key, (key, ready, anchors, shared))
        self._automaton.make_automaton()
        self._known_words = frozenset(known_words)
        self._fuzzy_terms = fuzzy_words
        self._fuzzy_choices = sorted(fuzzy_words)
        self._fuzzy_memo: dict[str, tuple[str, float, str] | None] = {}
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
        found: list[tuple[_Ready, int]] = []
        fuzzy: list[_Hit] = []
        named: set[int] = set()
        authorities: list[_Hit] = []
        if entry.title:
            self._scan(normalise_text(entry.title), 0, found, fuzzy, named, authorities)
        if entry.summary:
            self._scan(normalise_text(entry.summary), 1, found, fuzzy, named, authorities)
        if not named:
            return list(self._nothing)
        results = list(self._nothing)
        # Storylines whose subject is in the title: in the summary alone it is
        # often background ("…months after the ministry's label, …").
        subject_named: set[int] = set()
        for index in named:
            hits = [hit for ready, where in found if index in ready for hit in ready[index][where]]
            if fuzzy:
                hits.extend(hit for hit in fuzzy if hit[0].storyline == index)
            result, subject_in_title = self._score(index, hits, authorities)
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
            self._prefer_closer(results, named, subject_named)
        return results

    # --- scanning ---------------------------------------------------------------------------

    def _scan(
        self,
        text: str,
        where: int,
        found: list[tuple[_Ready, int]],
        fuzzy: list[_Hit],
        named: set[int],
        authorities: list[_Hit],
    ) -> None:
        seen: set[str] = set()
        factor = 1.0 if where == 0 else SUMMARY_FACTOR
        for end, (key, ready, anchors, shared) in self._automaton.iter(text):
            start = end - len(key) + 1
            if not _bounded(text, start, end + 1):
                continue
            if key in seen:  # a repeated phrase adds nothing
                continue
            seen.add(key)
            if shared is not None:
                authorities.append(shared[where])
            if ready:
                found.append((ready, where))
                named |= anchors
        if not self._fuzzy_choices:
            return
        memo = self._fuzzy_memo
        for word in _WORD.findall(text):
            # Words already found exactly are known vocabulary, so they need no
            # separate check: the memo answers None for them.
            best = memo.get(word, _MISSING)
            if best is _MISSING:
                best = self._closest(word)
            if best is None or word in seen:
                continue
            seen.add(word)
            key, similarity, found_as = best
            for term in self._fuzzy_terms[key]:
                weight = term.weight * factor * similarity / 100.0
                fuzzy.append((term, where, found_as, similarity, weight))
                if term.role_index in (_ACTOR, _SUBJECT):
                    named.add(term.storyline)

    def _closest(self, raw: str) -> tuple[str, float, str] | None:
        """The fuzzy phrase ``raw`` is a misspelling of, with the similarity and
        the word as compared; memoised (None for known words and misses)."""
        word = raw.removesuffix("'s").strip("'")
        result: tuple[str, float, str] | None = None
        if len(word) >= FUZZY_MIN_LENGTH and word not in self._known_words:
            found = process.extractOne(
                word, self._fuzzy_choices, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF
            )
            # Misspellings rarely change the first letter; requiring it avoids
            # accidents between ordinary words.
            if found is not None and found[0][0] == word[0]:
                result = (found[0], round(float(found[1]), 1), word)
        if len(self._fuzzy_memo) >= _CACHE_LIMIT:
            self._fuzzy_memo.clear()
        self._fuzzy_memo[raw] = result
        return result

    # --- scoring ----------------------------------------------------------------------------

    def _score(
        self, index: int, hits: list[_Hit], authorities: list[_Hit]
    ) -> tuple[MatchResult, bool]:
        """The storyline's result, and whether its subject is in the title."""
        storyline = self._storylines[index]
        # Hits arrive deduplicated per (phrase, place); keep each group's heaviest.
        best: dict[int, int] = {}
        for i, hit in enumerate(hits):
            group = hit[0].group
            current = best.get(group)
            if current is None or abs(hit[4]) > abs(hits[current][4]):
                best[group] = i
        totals = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
        # How prominently (1 title, 0.6 summary, fuzzy less) each role is named.
        place = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
        carriers = set(best.values())
        siblings: list[int] = []
        subject_in_title = False
        for i in best.values():
            term, where, _found, _sim, weight = hits[i]
            role = term.role_index
            if role == _SIBLING:
                carriers.discard(i)
                siblings.append(i)
                continue
            totals[role] += weight
            share = weight / term.weight
            if share > place[role]:
                place[role] = share
            if role == _SUBJECT and where == 0:
                subject_in_title = True
        subject = min(totals[_SUBJECT], ROLE_CAP["subject"])
        authority: _Hit | None = None
        if subject > 0 and authorities and totals[_ACTOR] + totals[_PARTY] <= 0:
            authority = max(authorities, key=lambda h: h[4])
            totals[_AUTHORITY] = authority[4]
        # Parties and authorities are actors only where the subject is named.
        who = totals[_ACTOR] + (totals[_PARTY] + totals[_AUTHORITY] if subject > 0 else 0.0)
        score = (
            min(who, ROLE_CAP["actor"])
            + subject
            + min(totals[_TOPIC], ROLE_CAP["topic"])
            + min(totals[_BOOSTER], ROLE_CAP["booster"])
            + max(totals[_EXCLUDE], ROLE_CAP["exclude"])
        )
        # A sibling wins unless the own evidence it names in place of this
        # storyline's (or, unsaid, min(2, kinds defined) kinds of own evidence)
        # is named at least as prominently.
        lost_to: _Hit | None = None
        if siblings:
            plan = self._plans[index]
            own = sorted((place[_ACTOR], place[_PARTY], place[_SUBJECT]), reverse=True)
            two = own[min(2, max(plan.own_kinds, 1)) - 1]
            for i in siblings:
                kind = plan.sibling_kinds.get(hits[i][0].group)
                needed = two if kind is None else place[kind]
                share = hits[i][4] / hits[i][0].weight
                if share > needed and (lost_to is None or share > lost_to[4] / lost_to[0].weight):
                    lost_to = hits[i]
            if lost_to is not None:
                score += lost_to[4]
                carriers.add(hits.index(lost_to))
        score = round(min(max(score, 0.0), 100.0), 2)
        has_topic = totals[_TOPIC] > 0
        classic = totals[_ACTOR] > 0 and has_topic
        by_subject = subject > 0 and (who > 0 or has_topic)
        matched = lost_to is None and (classic or by_subject) and score >= storyline.match.threshold
        reasons = []
        for i, (term, where, found, similarity, weight) in enumerate(hits):
            # A party is named, but not an actor, without the subject.
            carries = i in carriers and (subject > 0 or term.role_index != _PARTY)
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
        if authority is not None:
            reasons.append(authority[0].reasons[authority[1]][1])
        if lost_to is not None:
            replaced = _OWN[self._plans[index].sibling_kinds.get(lost_to[0].group)]
            reasons.append(
                Reason(
                    lost_to[0].label,
                    lost_to[0].phrase,
                    lost_to[2],
                    100.0,
                    0.0,
                    _WHERE[lost_to[1]],
                    note=f"a sibling story ({lost_to[2]!r}) is named more prominently "
                    f"than this storyline's own {replaced}",
                )
            )
        return MatchResult(storyline.id, score, matched, tuple(reasons)), subject_in_title

    def _prefer_closer(
        self, results: list[MatchResult], named: set[int], subject_named: set[int]
    ) -> None:
        matched = [i for i in named if results[i].matched]
        if len(matched) < 2:
            return
        top = max(matched, key=lambda i: results[i].score)
        best = results[top]
        for i in matched:
            if i == top:
                continue
            r = results[i]
            declared = best.storyline in self._plans[i].sibling_storylines and r.score < best.score
            far = best.score - r.score >= CLOSER_MARGIN and i not in subject_named
            if declared or far:
                why = (
                    f"{best.storyline} is a sibling storyline and scores higher "
                    f"({best.score:.0f} > {r.score:.0f})"
                    if declared
                    else f"{best.storyline} is closer ({best.score:.0f} vs {r.score:.0f}) "
                    "and this storyline's subject is not in the title"
                )
                note = Reason("closer storyline", best.storyline, "", 100.0, 0.0, note=why)
                results[i] = replace(r, matched=False, reasons=(*r.reasons, note))


def _term(storyline: int, role: Role, group: int, label: str, phrase: str, key: str) -> _Term:
    def reason(where: int, carries: bool) -> Reason:
        factor = 1.0 if where == 0 else SUMMARY_FACTOR
        weight = round(ROLE_WEIGHT[role] * factor, 2) if carries else 0.0
        return Reason(label, phrase, key, 100.0, weight, _WHERE[where])

    reasons = (
        (reason(0, False), reason(0, True)),
        (reason(1, False), reason(1, True)),
    )
    return _Term(
        storyline, role, group, phrase, key, label, ROLE_WEIGHT[role], ROLES.index(role), reasons
    )


def _roles(storyline: Storyline) -> Iterable[tuple[Role, tuple[TermGroup, ...]]]:
    rules = storyline.match
    yield "actor", rules.actors
    yield "topic", rules.topics
    yield "booster", rules.boosters
    yield "exclude", rules.exclude
    yield "subject", rules.subjects
    yield "party", rules.parties
    yield "sibling", tuple(_sibling_group(s) for s in rules.siblings if s.phrases)


def _sibling_group(sibling: Sibling) -> TermGroup:
    return TermGroup(sibling.name, sibling.phrases, fuzzy=False)


def _bounded(text: str, start: int, end: int) -> bool:
    """Word boundaries at both ends, where the script has them: a boundary is
    needed only between two letters/digits of spaced scripts."""
    if start > 0:
        a, b = text[start - 1], text[start]
        if a.isalnum() and b.isalnum() and not unspaced(a) and not unspaced(b):
            return False
    if end < len(text):
        a, b = text[end - 1], text[end]
        if a.isalnum() and b.isalnum() and not unspaced(a) and not unspaced(b):
            return False
    return True
