"""Storyline drafts from the news itself: first-story detection over the items
no storyline took. Pure; the clock is handed in.

1. **Candidates**: the items of the window that no live storyline matches and
   that are *on topic*: they name an organisation or product, a government body
   or court (:mod:`bot.core.names`), and an act of the event vocabulary
   (:func:`acts_in`, the one door to the fact reader, :mod:`bot.core.reader`).
2. **Clustering**, in publication order, as first-story detection does it: an
   item joins the nearest active cluster when the names it shares with it
   (weighted by how rare each name is among all the window's items, and by the
   share of the cluster's items naming it) reach :attr:`SuggestSettings.join`;
   else it starts a new story.
3. **Drafting**, for each cluster of at least ``min_items`` items from at least
   ``min_outlets`` outlets: the names most particular to it (frequent in the
   cluster, rare in the rest of the news) are its subjects, the organisations
   naming most of its items its actors, its government bodies and courts its
   parties; the acts seen become one enum fact whose values follow each other
   in the order the news reported them.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

from bot.core.items import Entry
from bot.core.match import Matcher
from bot.core.names import Name, is_company, is_government, lowercase_words, mentions_government
from bot.core.names import names_in as _names_in
from bot.core.reader import default_lexicon, find_events
from bot.core.review import COMMON_TOPIC_ZIPF
from bot.core.storyline import Storyline
from bot.core.text import normalise_text

ItemKey = tuple[int, str]
"""(feed id, item key): an item's identity in the store."""

# Classes of acts that change a state (a court's "deny" or "appeal", a "sue", are
# steps of a procedure, not states of the thing).
_STATE_CLASSES = ("warn", "launch", "designate", "stop", "resume")
_CLAUSE = re.compile(r"[.;:!?。！？]\s*|\n|\s[—–]\s")
_SLUG = re.compile(r"[^a-z0-9]+")
_WORDS = re.compile(r"[^\W\d_]+")
# Past participles the regular rule gets wrong (a value reads "blocked", "cut-off").
_PARTICIPLES = {
    "cut_off": "cut-off",
    "bar": "barred",
    "freeze": "frozen",
    "halt": "halted",
    "side_with": "sided-with",
    "rule_against": "ruled-against",
    "keep": "kept",
    "available": "available",
    "carve_out": "carved-out",
}


@dataclass(frozen=True, slots=True)
class Act:
    """An act an item reports as done: its event ``kind``, its class, and the
    words that said it."""

    kind: str
    cls: str
    text: str


def acts_in(text: str) -> tuple[Act, ...]:
    """The acts ``text`` (a headline or lede) reports as done, clause by clause.

    An act on a restriction counts as its effect ("court suspends the ban" is a
    ``lift``, "appeals court reinstates the ban" an ``impose``); an act the
    reader does not take as certain, positive and current (a threat, a plan, a
    hedge, a denial, a retelling of the past) is none.

    The only use of the fact reader (:mod:`bot.core.reader`) in this module:
    when the reader changes, this function is re-pointed and nothing else."""
    lexicon = default_lexicon()
    out: list[Act] = []
    for clause in _CLAUSE.split(normalise_text(text, keep_dashes=True)):
        for event in find_events(clause, lexicon):
            if event.factuality.moves:
                kind = event.effect or event.kind
                out.append(Act(kind, lexicon.class_of(kind), event.text))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class SuggestSettings:
    """How eager drafting is. ``join``: the share of an item's name weight a
    cluster must hold for the item to join it; ``gap``: how long a story may
    go quiet before an item starts a new one."""

    min_items: int = 3
    min_outlets: int = 2
    join: float = 0.3
    merge: float = 0.35
    gap: timedelta = timedelta(days=45)
    max_subjects: int = 2
    max_actors: int = 1
    max_parties: int = 8
    max_topics: int = 40
    max_terms: int = 8
    threshold: float = 50.0


@dataclass(frozen=True, slots=True)
class DraftValue:
    value: str
    label: str
    events: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A candidate story and its draft storyline."""

    id: str
    title: str
    items: tuple[Entry, ...]
    outlets: tuple[str, ...]
    subjects: tuple[str, ...]
    actors: tuple[str, ...]
    parties: tuple[str, ...]
    topics: tuple[str, ...]
    values: tuple[DraftValue, ...]
    siblings: tuple[tuple[str, tuple[str, ...]], ...] = ()
    threshold: float = 60.0

    @property
    def first(self) -> datetime:
        return self.items[0].published

    @property
    def last(self) -> datetime:
        return self.items[-1].published


@dataclass(slots=True)
class _Item:
    entry: Entry
    names: frozenset[str]
    acts: tuple[Act, ...]
    terms: frozenset[str]


@dataclass(slots=True)
class _Cluster:
    items: list[_Item] = field(default_factory=list)
    names: Counter[str] = field(default_factory=Counter)

    def add(self, item: _Item) -> None:
        self.items.append(item)
        self.names.update(item.names)


def suggest(
    entries: Sequence[Entry],
    live: Sequence[Storyline],
    *,
    now: datetime,
    since: timedelta | None = None,
    matched: Collection[ItemKey] = (),
    settings: SuggestSettings | None = None,
    commonness: Callable[[str], float] | None = None,
) -> list[Suggestion]:
    """Draft storylines for the stories among ``entries`` that no storyline covers.

    ``entries``: the news of the window (matched items too: they tell which names
    are common); ``since``: only items published in that span before ``now``
    are candidates (all when None); ``matched``: items a storyline already took
    (the store's record); items an open storyline of ``live`` matches now are
    left out as well; ``commonness`` (a word's Zipf frequency) keeps very common
    words ("while", "again") out of the topics. Suggestions come newest story
    last, ids unique and unlike any live storyline's."""
    settings = settings or SuggestSettings()
    start = None if since is None else now - since
    window = sorted(
        (e for e in entries if (start is None or e.published >= start) and e.published <= now),
        key=lambda e: (e.published, e.key),
    )
    matcher = Matcher([s for s in live if s.status == "open"])
    taken = set(matched)
    free = [
        e
        for e in window
        if (e.feed_id, e.key) not in taken and not any(r.matched for r in matcher.match(e))
    ]
    names, display = _names_of(window)
    frequency: Counter[str] = Counter()
    for e in window:
        frequency.update(names[id(e)])
    terms: Counter[str] = Counter()
    for e in window:
        terms.update(terms_in(e.text))
    items = [
        _Item(e, names[id(e)], acts_in(e.text), terms_in(e.text))
        for e in free
        if _on_topic(e, names[id(e)])
    ]
    items = [i for i in items if i.acts]
    clusters = _cluster(items, frequency, len(window), settings)
    chosen = [
        c
        for c in clusters
        if len(c.items) >= settings.min_items
        and len({i.entry.source for i in c.items}) >= settings.min_outlets
    ]
    drafts = [
        d
        for d in (
            _draft(c, frequency, terms, len(window), display, settings, commonness) for c in chosen
        )
        if d is not None
    ]
    return _with_siblings(_unique(drafts, {s.id for s in live}))


def _names_of(entries: Sequence[Entry]) -> tuple[dict[int, frozenset[str]], dict[str, str]]:
    """Each entry's names (folded), with the sentence openers that are ordinary
    words dropped, and the shorter names a longer one contains ("acme widget 5"
    also names "widget 5") where those stand alone elsewhere; and each folded
    name's most frequent written form."""
    lower: set[str] = set()
    raw: dict[int, list[Name]] = {}
    for e in entries:
        lower |= lowercase_words(e.text)
        raw[id(e)] = _names_in(e.title) + _names_in(e.summary)
    display = _display_forms(raw.values())
    cleaned: dict[int, set[str]] = {}
    for e in entries:
        keys: set[str] = set()
        for name in raw[id(e)]:
            current: Name | None = name
            while current is not None and current.initial:
                first = current.text.split(" ", 1)[0]
                current = current.without_first_word() if first.lower() in lower else current
                if current is not None and current.initial and first.lower() not in lower:
                    current = Name(current.text, current.key, initial=False)
            if current is not None and len(current.key) > 1:
                keys.add(current.key)
        cleaned[id(e)] = keys
    # A part stands for itself when it is a name elsewhere and, as one word,
    # never an ordinary one ("Energy" of "Department of Energy" is not a name).
    standalone = {k for keys in cleaned.values() for k in keys if " " in k or k not in lower}
    out: dict[int, frozenset[str]] = {}
    for e in entries:
        keys = set(cleaned[id(e)])
        for key in cleaned[id(e)]:
            words = key.split()
            for size in range(1, len(words)):
                for i in range(len(words) - size + 1):
                    part = " ".join(words[i : i + size])
                    if part in standalone and not part.isdigit():
                        keys.add(part)
        out[id(e)] = frozenset(keys)
    return out, display


def _display_forms(found: Iterable[list[Name]]) -> dict[str, str]:
    """Each folded name's most frequent written form (its parts' too)."""
    forms: dict[str, Counter[str]] = defaultdict(Counter)
    for names in found:
        for name in names:
            forms[name.key][name.text] += 1
            words = name.text.split()
            for size in range(1, len(words)):
                for i in range(len(words) - size + 1):
                    part = " ".join(words[i : i + size])
                    forms[normalise_text(part)][part] += 1
    return {key: c.most_common(1)[0][0] for key, c in forms.items()}


def _on_topic(entry: Entry, names: Iterable[str]) -> bool:
    """An organisation or product, a government body or court, and (checked by
    the caller) an act."""
    names = list(names)
    has_other = any(not is_government(n) for n in names)
    has_government = any(is_government(n) for n in names) or mentions_government(entry.text)
    return has_other and has_government


def _cluster(
    items: Sequence[_Item], frequency: Counter[str], total: int, settings: SuggestSettings
) -> list[_Cluster]:
    """Incremental clustering in publication order (first-story detection), then
    clusters of one story that began apart ("Italia" and "Italy") merged."""

    def weight(name: str) -> float:
        return _idf(frequency[name], total)

    clusters: list[_Cluster] = []
    for item in items:
        best: _Cluster | None = None
        best_score = 0.0
        for cluster in clusters:
            if item.entry.published - cluster.items[-1].entry.published > settings.gap:
                continue
            score = _covers(item.names, cluster, weight)
            if score > best_score:
                best, best_score = cluster, score
        if best is None or best_score < settings.join:
            best = _Cluster()
            clusters.append(best)
        best.add(item)
    merged = True
    while merged:
        merged = False
        for i, a in enumerate(clusters):
            for b in clusters[i + 1 :]:
                if _apart(a, b) <= settings.gap and (
                    _cosine(_centroid(a, weight), _centroid(b, weight)) >= settings.merge
                ):
                    for item in b.items:
                        a.add(item)
                    a.items.sort(key=lambda x: (x.entry.published, x.entry.key))
                    clusters.remove(b)
                    merged = True
                    break
            if merged:
                break
    return clusters


def _apart(a: _Cluster, b: _Cluster) -> timedelta:
    """The quiet time between two clusters (zero when their spans overlap)."""
    first, second = sorted((a, b), key=lambda c: c.items[0].entry.published)
    gap = second.items[0].entry.published - first.items[-1].entry.published
    return max(gap, timedelta(0))


def _covers(names: frozenset[str], cluster: _Cluster, weight: Callable[[str], float]) -> float:
    """The share of the cluster's core an item names: each of the cluster's names
    weighs its rarity times the square of the share of the cluster's items
    naming it, so the names that run through a story count, a passing one little."""
    size = len(cluster.items)
    core = {n: weight(n) * (c / size) ** 2 for n, c in cluster.names.items()}
    total = sum(core.values())
    return sum(w for n, w in core.items() if n in names) / total if total else 0.0


def _centroid(cluster: _Cluster, weight: Callable[[str], float]) -> dict[str, float]:
    size = len(cluster.items)
    return {n: weight(n) * c / size for n, c in cluster.names.items()}


def _cosine(a: dict[str, float], b: dict[str, float]) -> float:
    dot = sum(w * b.get(n, 0.0) for n, w in a.items())
    norm = math.sqrt(sum(w * w for w in a.values())) * math.sqrt(sum(w * w for w in b.values()))
    return dot / norm if norm else 0.0


def _idf(count: int, total: int) -> float:
    return math.log((1 + total) / (1 + count)) + 1.0


def _draft(
    cluster: _Cluster,
    frequency: Counter[str],
    terms: Counter[str],
    total: int,
    display: dict[str, str],
    settings: SuggestSettings,
    commonness: Callable[[str], float] | None,
) -> Suggestion | None:
    size = len(cluster.items)
    inside = cluster.names
    outside_total = max(total - size, 1)

    def particular(name: str) -> float:
        # Frequent in the cluster, rare in the rest of the news (tf-idf).
        elsewhere = max(frequency[name] - inside[name], 0)
        return inside[name] / size * math.log((1 + outside_total) / (1 + elsewhere))

    common = [n for n in inside if inside[n] >= 2 and not n.isdigit()]
    organisations = [n for n in common if not is_government(n)]
    # The subject: the name most particular to the story (the product, the
    # thing). The actors: the organisations naming most of its items besides
    # (a company by its suffix first). A second subject only when it stands out
    # nearly as much ("Widget 5" and "Gadget 5"), not a place or person the
    # story passes through.
    ranked = _without_parts(
        sorted(
            (n for n in organisations if inside[n] >= max(2, 0.3 * size) and particular(n) > 0),
            key=lambda n: (-particular(n), n),
        )
    )
    strong = [n for n in ranked if particular(n) >= 0.75 * particular(ranked[0])] if ranked else []
    strong = strong[: settings.max_subjects]
    actors = sorted(
        (n for n in organisations if inside[n] >= max(2, 0.3 * size) and not _overlaps(n, strong)),
        key=lambda n: (not is_company(n), -inside[n], n),
    )[: settings.max_actors]
    if not actors and len(strong) > 1:
        # Two names stand out alike and nothing else runs through the story:
        # the one naming more items is who acts ("Kestrel X" and "Skylark").
        actors = sorted(strong[1:], key=lambda n: (not is_company(n), -inside[n], n))[:1]
    subjects = [n for n in strong if n not in actors]
    if not subjects:
        # No name stands out: the most frequent organisation is what it is about.
        if not actors:
            return None
        subjects, actors = actors[:1], actors[1:]
    parties = _without_parts(
        sorted(
            (n for n in common if is_government(n) and inside[n] >= 2),
            key=lambda n: (-inside[n], n),
        )
    )[: settings.max_parties]
    # Topics: what was done, the government side, and the story's own words;
    # the company with any of them is the story.
    # Words of the story's names are no topics of their own ("kestrel").
    named = {w for n in inside for w in (n, *n.split())}
    topics = tuple(
        dict.fromkeys(
            [
                *_act_words(cluster),
                *(display.get(n, n) for n in parties),
                *_key_terms(cluster, terms, total, named, settings.max_terms, commonness),
            ]
        )
    )[: settings.max_topics]
    values = _values(cluster)
    entries = tuple(i.entry for i in cluster.items)
    outlets = tuple(sorted({e.source for e in entries}))
    shown = [display.get(n, n) for n in (*subjects, *actors)]
    party = [display.get(n, n) for n in parties[:1]]
    title = " / ".join(dict.fromkeys([*shown[:3], *party]))
    if values:
        title += ": " + " → ".join(v.value for v in values)
    ident = _SLUG.sub("-", normalise_text(" ".join(shown[:2]) or "story")).strip("-")[:60]
    return Suggestion(
        id=ident.strip("-") or "story",
        title=title,
        items=entries,
        outlets=outlets,
        subjects=tuple(display.get(n, n) for n in subjects),
        actors=tuple(display.get(n, n) for n in actors),
        parties=tuple(display.get(n, n) for n in parties),
        topics=topics,
        values=values,
        threshold=settings.threshold,
    )


def _without_parts(names: list[str]) -> list[str]:
    """Drop a name that is part of a name ranked above it, and a longer name
    holding one ranked above it ("widget 5" over "acme widget 5")."""
    kept: list[str] = []
    for n in names:
        if not _overlaps(n, kept):
            kept.append(n)
    return kept


def _overlaps(name: str, others: Iterable[str]) -> bool:
    padded = f" {name} "
    return any(f" {o} " in padded or padded in f" {o} " for o in others)


def _act_words(cluster: _Cluster) -> list[str]:
    """The words the cluster's acts were written in (at least twice), most frequent first."""
    seen: Counter[str] = Counter()
    for item in cluster.items:
        seen.update({a.text for a in item.acts if a.cls in _STATE_CLASSES})
    return [
        t
        for t, n in seen.most_common()
        if n >= 2 and 2 <= len(t) <= 40 and len(t.split()) <= 3 and not any(c.isdigit() for c in t)
    ]


def terms_in(text: str) -> frozenset[str]:
    """The plain words and the word pairs (four letters or more) of ``text``, folded."""
    words = _WORDS.findall(normalise_text(text))
    # Pairs of short words are mostly grammar ("in italy", "acme ha").
    pairs = {f"{a} {b}" for a, b in pairwise(words) if len(a) >= 4 and len(b) >= 4}
    return frozenset({w for w in words if len(w) >= 4} | pairs)


def _key_terms(
    cluster: _Cluster,
    terms: Counter[str],
    total: int,
    exclude: Collection[str],
    limit: int,
    commonness: Callable[[str], float] | None,
) -> list[str]:
    """Words the cluster's items use far more often than the rest of the news
    ("supply chain risk", "export"): at least three items and a sixth of the
    cluster, at least four times their rate in the rest of the window."""
    size = len(cluster.items)
    seen: Counter[str] = Counter()
    for item in cluster.items:
        seen.update(item.terms)
    scored = []
    for term, n in seen.items():
        if n < max(3, size / 6) or term in exclude or all(w in exclude for w in term.split()):
            continue
        if commonness is not None and " " not in term and commonness(term) >= COMMON_TOPIC_ZIPF:
            continue
        outside = max(terms[term] - n, 0) + 1
        lift = (n / size) / (outside / max(total - size, 1))
        if lift >= 4:
            scored.append((n / size * math.log(lift), term))
    chosen: list[str] = []
    for _score, term in sorted(scored, reverse=True):
        if not _overlaps(term, chosen):
            chosen.append(term)
    return chosen[:limit]


def _values(cluster: _Cluster) -> tuple[DraftValue, ...]:
    """One value per class of state-changing act that a tenth of the items (at
    least two) report, in the order the news reported them (the median date of
    those reports), named after the act the most items report (the first
    reported on a tie; an item repeating its act in its lede counts once)."""
    dates: dict[str, list[datetime]] = defaultdict(list)
    kinds: dict[str, Counter[str]] = defaultdict(Counter)
    for item in cluster.items:  # in publication order, which ties fall back on
        for cls in {a.cls for a in item.acts if a.cls in _STATE_CLASSES}:
            dates[cls].append(item.entry.published)
        for cls, kind in dict.fromkeys((a.cls, a.kind) for a in item.acts):
            if cls in _STATE_CLASSES:
                kinds[cls][kind] += 1
    support = max(2, len(cluster.items) / 10)
    reached = {c: d[len(d) // 2] for c, d in dates.items() if len(d) >= support}
    out: list[DraftValue] = []
    for cls in sorted(reached, key=lambda c: (reached[c], _STATE_CLASSES.index(c))):
        kind = kinds[cls].most_common(1)[0][0]
        value = _participle(kind)
        if any(v.value == value for v in out):
            continue
        out.append(DraftValue(value, value.replace("-", " ").capitalize(), (cls,)))
    return tuple(out)


def _participle(kind: str) -> str:
    if kind in _PARTICIPLES:
        return _PARTICIPLES[kind]
    word = kind.replace("_", "-")
    if word.endswith("e"):
        return word + "d"
    if word.endswith("y") and len(word) > 2 and word[-2] not in "aeiou":
        return word[:-1] + "ied"
    return word + "ed"


def _with_siblings(drafts: list[Suggestion]) -> list[Suggestion]:
    """Drafts sharing an actor name each other as siblings: an item naming the
    other's subjects goes to the other."""
    out = []
    for d in drafts:
        siblings = tuple(
            (o.id, o.subjects)
            for o in drafts
            if o is not d and set(o.actors) & set(d.actors) and o.subjects
        )
        out.append(replace(d, siblings=siblings))
    return out


def _unique(drafts: list[Suggestion], taken: set[str]) -> list[Suggestion]:
    """Ids made unique (a second story of the same names is ``<id>-2``) and
    unlike any live storyline's."""
    out = []
    used = set(taken)
    for d in drafts:
        ident, n = d.id, 2
        while ident in used:
            ident, n = f"{d.id}-{n}", n + 1
        used.add(ident)
        out.append(replace(d, id=ident))
    return out


def _phrases(phrases: Iterable[str]) -> list[str]:
    """Phrases a storyline file may hold (2 to 120 characters), each once."""
    return list(dict.fromkeys(p for p in phrases if 2 <= len(p) <= 120))


def draft_document(s: Suggestion) -> dict[str, Any]:
    """The draft as a storyline document (what ``storylines/<id>.yaml`` holds)."""
    since = (s.first - timedelta(days=14)).date()
    match: dict[str, Any] = {"threshold": s.threshold, "since": since}
    for role, name, phrases in (
        ("subjects", "subject", s.subjects),
        ("actors", "actor", s.actors),
        ("parties", "government", s.parties),
        ("topics", "story", s.topics),
    ):
        if _phrases(phrases):
            match[role] = [{"name": name, "phrases": _phrases(phrases)}]
    if "parties" in match:
        match["parties"][0]["fuzzy"] = False  # "Ministry" is not "ministero"
    siblings = [(name, _phrases(phrases)) for name, phrases in s.siblings]
    if any(phrases for _, phrases in siblings):
        match["siblings"] = [
            {"name": name, "phrases": phrases, "instead_of": "subjects"}
            for name, phrases in siblings
            if phrases
        ]
    outlets = ", ".join(s.outlets[:5]) + (" …" if len(s.outlets) > 5 else "")
    description = (
        f"Draft from {len(s.items)} items of {len(s.outlets)} outlets ({outlets}), "
        f"{s.first:%Y-%m-%d} to {s.last:%Y-%m-%d}. Read it, correct it, check it "
        f"(threadline storylines check) and try it before it goes live."
    )
    doc: dict[str, Any] = {
        "id": s.id,
        "title": s.title,
        "description": description,
        "status": "open",
        "match": match,
    }
    if s.values:
        label = (s.subjects or s.actors or ("Status",))[0]
        doc["facts"] = [
            {
                "id": "status",
                "label": label,
                "kind": "enum",
                "required": True,
                "values": [
                    {"value": v.value, "label": v.label, "events": list(v.events)} for v in s.values
                ],
            }
        ]
    return doc
